package kube

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Label keys of the objects Slipway's chart makes.
const (
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	// AnnotationProcess holds the Procfile's spelling of a process type.
	AnnotationProcess = "slipway.dev/process"
)

// Process is the live state of one process type's Deployment.
type Process struct {
	// Type is the Kubernetes name of the process type (worker-beat); Name its Procfile
	// spelling (worker_beat).
	Type, Name string
	Deployment string
	// Desired is spec.replicas; Ready, Updated and Available count pods.
	Desired, Ready, Updated, Available int
	// Restarts sums the containers' restarts over the type's pods.
	Restarts int
	Image    string
	// Created is when the Deployment was created.
	Created time.Time
	// Autoscale is the type's HPA, if any.
	Autoscale *Autoscale
	// Pods are the type's pods, by name.
	Pods []Pod
	// Status says how the type is, in words: up, stopped, rolling out, starting, or what
	// keeps its pods from running (crash loop, OOM-killed, image cannot be pulled, cannot
	// be scheduled, pods cannot be created), with the cluster's reason.
	Status string
}

// Pod is one pod of a process type.
type Pod struct {
	Name     string
	Phase    string
	Ready    bool
	Restarts int
	Created  time.Time
	// Reason says why a pod is not running or not ready: the scheduler's message, a
	// container's waiting reason (ImagePullBackOff, CrashLoopBackOff) or its last exit.
	Reason string
	// Node is the node it runs on ("" before it is scheduled).
	Node string
	// Crashed says its container has ended at least once (restarts, or a last exit), so
	// its log tells why (see CrashLog); Ended says it has just ended and not started again.
	Crashed, Ended bool
}

// Autoscale is a live HorizontalPodAutoscaler's bounds and state.
type Autoscale struct {
	Min, Max, CPU int
	Current       int
}

func instanceSelector(app string) string { return LabelInstance + "=" + app }

// Processes returns the live state of the app's process types (its release name), sorted by
// type. An app with nothing deployed has none.
func (c *Client) Processes(ctx context.Context, app string) ([]Process, error) {
	sel := metav1.ListOptions{LabelSelector: instanceSelector(app)}
	deps, err := c.Clientset.AppsV1().Deployments(c.Namespace).List(ctx, sel)
	if err != nil {
		return nil, c.Explain(fmt.Errorf("list deployments in %s: %w", c.Namespace, err))
	}
	pods, err := c.Clientset.CoreV1().Pods(c.Namespace).List(ctx, sel)
	if err != nil {
		return nil, c.Explain(fmt.Errorf("list pods in %s: %w", c.Namespace, err))
	}
	hpas, err := c.Clientset.AutoscalingV2().HorizontalPodAutoscalers(c.Namespace).List(ctx, sel)
	if err != nil {
		return nil, c.Explain(fmt.Errorf("list autoscalers in %s: %w", c.Namespace, err))
	}
	out := ProcessesOf(app, deps.Items, pods.Items, hpas.Items)
	// Pods the cluster refuses to create (admission, quota) exist nowhere: their
	// controller says so.
	if len(out) > 0 {
		refused, err := c.Refusals(ctx, app)
		if err != nil {
			return nil, err
		}
		for _, r := range refused {
			for i := range out {
				if out[i].Type == r.Process {
					out[i].Status = StatusRefused + ": " + r.Reason
				}
			}
		}
	}
	return out, nil
}

// ProcessesOf is the live state of app's process types, sorted by type, from its
// Deployments, pods and autoscalers: a LIST's items or an informer's cache. Objects of other
// apps (another app.kubernetes.io/instance) are left out, so a whole namespace's objects
// may be passed; an autoscaler is matched to its Deployment by its target's name. It does
// not look for refusals (see Refusals): those need ReplicaSets, Jobs and events.
func ProcessesOf(app string, deps []appsv1.Deployment, pods []corev1.Pod, hpas []autoscalingv2.HorizontalPodAutoscaler) []Process {
	var out []Process
	for i := range deps {
		if deps[i].Labels[LabelInstance] == app {
			out = append(out, process(&deps[i], pods, hpas))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

func process(d *appsv1.Deployment, pods []corev1.Pod, hpas []autoscalingv2.HorizontalPodAutoscaler) Process {
	typ := d.Labels[LabelComponent]
	p := Process{
		Type: typ, Name: d.Annotations[AnnotationProcess], Deployment: d.Name,
		Ready: int(d.Status.ReadyReplicas), Updated: int(d.Status.UpdatedReplicas), Available: int(d.Status.AvailableReplicas),
		Created: d.CreationTimestamp.Time,
	}
	if p.Name == "" {
		p.Name = typ
	}
	if d.Spec.Replicas != nil {
		p.Desired = int(*d.Spec.Replicas)
	}
	if cs := d.Spec.Template.Spec.Containers; len(cs) > 0 {
		p.Image = cs[0].Image
	}
	var own []*corev1.Pod
	for i := range pods {
		pod := &pods[i]
		if pod.Labels[LabelComponent] != typ || pod.Labels[LabelInstance] != d.Labels[LabelInstance] {
			continue
		}
		pp := podStatus(pod)
		p.Restarts += pp.Restarts
		p.Pods = append(p.Pods, pp)
		own = append(own, pod)
	}
	p.Status = status(&p, own)
	sort.Slice(p.Pods, func(i, j int) bool { return p.Pods[i].Name < p.Pods[j].Name })
	for _, h := range hpas {
		if h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != d.Name {
			continue
		}
		a := &Autoscale{Max: int(h.Spec.MaxReplicas), Current: int(h.Status.CurrentReplicas)}
		if h.Spec.MinReplicas != nil {
			a.Min = int(*h.Spec.MinReplicas)
		}
		for _, m := range h.Spec.Metrics {
			if m.Resource != nil && m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.AverageUtilization != nil {
				a.CPU = int(*m.Resource.Target.AverageUtilization)
			}
		}
		p.Autoscale = a
	}
	return p
}

// podStatus summarises a pod: phase, readiness, restarts and why it is not running.
func podStatus(pod *corev1.Pod) Pod {
	pp := Pod{Name: pod.Name, Phase: string(pod.Status.Phase), Created: pod.CreationTimestamp.Time, Node: pod.Spec.NodeName}
	for _, cs := range pod.Status.ContainerStatuses {
		pp.Restarts += int(cs.RestartCount)
	}
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
			pp.Ready = true
		}
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse {
			pp.Reason = "not scheduled: " + cond.Message
		}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
			pp.Reason = strings.TrimSpace(cs.State.Waiting.Reason + " " + cs.State.Waiting.Message)
		case cs.LastTerminationState.Terminated != nil:
			t := cs.LastTerminationState.Terminated
			pp.Reason = fmt.Sprintf("last exit code %d (%s)", t.ExitCode, t.Reason)
		}
		if cs.LastTerminationState.Terminated != nil {
			pp.Crashed = true
		}
		if cs.State.Terminated != nil {
			pp.Crashed, pp.Ended = true, true
		}
	}
	if pod.DeletionTimestamp != nil {
		pp.Phase = "Terminating"
	}
	return pp
}

// Formation returns the live replica counts of the app's process types, by type.
func (c *Client) Formation(ctx context.Context, app string) (map[string]int, error) {
	deps, err := c.Clientset.AppsV1().Deployments(c.Namespace).List(ctx, metav1.ListOptions{LabelSelector: instanceSelector(app)})
	if err != nil {
		return nil, c.Explain(fmt.Errorf("read the formation in %s: %w", c.Namespace, err))
	}
	f := map[string]int{}
	for _, d := range deps.Items {
		if typ := d.Labels[LabelComponent]; typ != "" && d.Spec.Replicas != nil {
			f[typ] = int(*d.Spec.Replicas)
		}
	}
	return f, nil
}

// UnknownTypeError names a process type the app does not have.
type UnknownTypeError struct {
	Type  string
	Known []string
}

func (e *UnknownTypeError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("unknown process type %q: nothing is deployed", e.Type)
	}
	return fmt.Sprintf("unknown process type %q (known: %s)", e.Type, strings.Join(e.Known, ", "))
}

// AutoscaledError refuses to scale a process type by hand while an autoscaler sets its
// count.
type AutoscaledError struct {
	// Type is the process type as the Procfile spells it.
	Type      string
	Autoscale Autoscale
}

func (e *AutoscaledError) Error() string {
	a := e.Autoscale
	return fmt.Sprintf("%s is autoscaled (%d–%d pods at %d%% CPU): its autoscaler sets its pod count", e.Type, a.Min, a.Max, a.CPU)
}

// Hint says how to change the count of an autoscaled type.
func (e *AutoscaledError) Hint() string {
	return fmt.Sprintf("change its bounds with 'slipway autoscale %s --min N --max M', or turn autoscaling off with 'slipway autoscale %s --off' before scaling it by hand", e.Type, e.Type)
}

// CountError says a replica count is out of range: negative, or more than a Deployment
// holds (2147483647).
type CountError struct {
	Type  string
	Count int
}

func (e *CountError) Error() string {
	if e.Count < 0 {
		return fmt.Sprintf("%s=%d: a count cannot be negative", e.Type, e.Count)
	}
	return fmt.Sprintf("%s=%d: a count can be at most %d", e.Type, e.Count, math.MaxInt32)
}

// Scale sets the replica counts of the given types through the scale subresource: instant,
// no rollout, no release. Every type is checked before anything changes.
func (c *Client) Scale(ctx context.Context, app string, counts map[string]int) ([]Process, error) {
	procs, err := c.Processes(ctx, app)
	if err != nil {
		return nil, err
	}
	byType := map[string]Process{}
	var known []string
	for _, p := range procs {
		byType[p.Type] = p
		byType[p.Name] = p
		known = append(known, p.Name)
	}
	names := slices.Sorted(maps.Keys(counts))
	for _, t := range names {
		p, ok := byType[t]
		if !ok {
			return nil, &UnknownTypeError{Type: t, Known: known}
		}
		if n := counts[t]; n < 0 || n > math.MaxInt32 {
			return nil, &CountError{Type: t, Count: n}
		}
		if p.Autoscale != nil {
			return nil, &AutoscaledError{Type: p.Name, Autoscale: *p.Autoscale}
		}
	}
	for _, t := range names {
		p := byType[t]
		patch := fmt.Appendf(nil, `{"spec":{"replicas":%d}}`, counts[t])
		_, err := c.Clientset.AppsV1().Deployments(c.Namespace).Patch(ctx, p.Deployment, types.MergePatchType, patch, metav1.PatchOptions{}, "scale")
		if err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("scale %s: deployment %s is gone", t, p.Deployment)
			}
			return nil, c.Explain(fmt.Errorf("scale %s: %w", t, err))
		}
	}
	return c.Processes(ctx, app)
}
