package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/progress"
)

// unready describes the pods of process types that are not fully ready and, with
// refusals, what the cluster says when it refuses to create a type's pods.
func (m *Manager) unready(ctx context.Context, refusals bool) string {
	procs, err := m.Kube.Processes(ctx, m.App)
	if err != nil {
		return ""
	}
	refused := map[string][]string{}
	if refusals {
		if rs, err := m.Kube.Refusals(ctx, m.App); err == nil {
			for _, r := range rs {
				refused[r.Process] = append(refused[r.Process], r.Reason)
			}
		}
	}
	var b strings.Builder
	for _, p := range procs {
		waiting := 0
		for _, pod := range p.Pods {
			if !pod.Ready {
				waiting++
			}
		}
		if p.Ready >= p.Desired && waiting == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s: %d/%d ready, %d/%d updated\n", p.Name, p.Ready, p.Desired, p.Updated, p.Desired)
		for _, r := range refused[p.Name] {
			fmt.Fprintf(&b, "  pods cannot be created: %s\n", r)
		}
		for _, pod := range p.Pods {
			if pod.Ready {
				continue
			}
			line := fmt.Sprintf("  %s %s", pod.Name, pod.Phase)
			if pod.Reason != "" {
				line += ": " + pod.Reason
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// rolloutWatch reports a release's release command and rollout as progress events, each
// only when it changes. It looks every Manager.Poll.
type rolloutWatch struct {
	m *Manager
	// job is the release command's Job ("" when the release runs none); oldJob the Job
	// a previous release left, which says nothing about this one.
	job    string
	oldJob types.UID
	// gens are the Deployments' generations before the release: a Deployment whose
	// generation moves (or a new one) rolls out.
	gens map[string]int64
	// jobSaid and said are what was reported last: the Job's state, each type's line.
	jobSaid string
	said    map[string]string
}

func (m *Manager) newRolloutWatch(ctx context.Context, ch *change) *rolloutWatch {
	w := &rolloutWatch{m: m, gens: map[string]int64{}, said: map[string]string{}}
	if ch.values.Release.Enabled {
		w.job = m.App + "-release"
		if j, err := m.Kube.Clientset.BatchV1().Jobs(m.Kube.Namespace).Get(ctx, w.job, metav1.GetOptions{}); err == nil {
			w.oldJob = j.UID
		}
	}
	if deps, err := m.deployments(ctx); err == nil {
		for _, d := range deps {
			w.gens[d.Name] = d.Generation
		}
	}
	return w
}

// run looks until ctx ends, then once more: the release's end is reported too.
func (w *rolloutWatch) run(ctx context.Context) {
	tick := time.NewTicker(cmp.Or(w.m.Poll, time.Second))
	defer tick.Stop()
	for {
		w.look(ctx)
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			w.look(last)
			return
		case <-tick.C:
		}
	}
}

func (w *rolloutWatch) look(ctx context.Context) {
	if w.job != "" && w.jobSaid != "failed" && w.jobSaid != "done" {
		w.lookJob(ctx)
	}
	deps, err := w.m.deployments(ctx)
	if err != nil {
		return
	}
	var rolling []appsv1.Deployment
	for _, d := range deps {
		if gen, ok := w.gens[d.Name]; !ok || gen != d.Generation {
			rolling = append(rolling, d)
		}
	}
	if len(rolling) == 0 {
		return
	}
	pods, err := w.m.Kube.Clientset.CoreV1().Pods(w.m.Kube.Namespace).List(ctx, metav1.ListOptions{LabelSelector: kube.LabelInstance + "=" + w.m.App})
	if err != nil {
		return
	}
	for _, d := range rolling {
		typ := d.Labels[kube.LabelComponent]
		name := cmp.Or(d.Annotations[kube.AnnotationProcess], typ)
		desired := int32(1)
		if d.Spec.Replicas != nil {
			desired = *d.Spec.Replicas
		}
		st := d.Status
		msg := fmt.Sprintf("%s: %d/%d updated, %d/%d ready", name, st.UpdatedReplicas, desired, st.ReadyReplicas, desired)
		status := progress.Running
		if st.ObservedGeneration >= d.Generation && st.UpdatedReplicas == desired && st.ReadyReplicas == desired && st.Replicas == desired {
			status = progress.Done
		} else if pod, why := waitingPod(pods.Items, typ); why != "" {
			msg += fmt.Sprintf(" (%s: %s)", pod, why)
		}
		if w.said[typ] == msg {
			continue
		}
		w.said[typ] = msg
		w.m.Progress.Send(progress.Event{Phase: progress.Rollout, Status: status, Process: name, Message: msg})
	}
}

// lookJob reports the release command's Job when its state changes: created, running,
// done or failed (with Kubernetes' reason).
func (w *rolloutWatch) lookJob(ctx context.Context) {
	c := w.m.Kube.Clientset
	j, err := c.BatchV1().Jobs(w.m.Kube.Namespace).Get(ctx, w.job, metav1.GetOptions{})
	if err != nil || j.UID == w.oldJob {
		return
	}
	e := progress.Event{Phase: progress.ReleaseCommand, Process: "release"}
	state := "started"
	e.Status, e.Message = progress.Running, fmt.Sprintf("Release command: started (job %s)", j.Name)
	for _, cond := range j.Status.Conditions {
		if cond.Status != corev1.ConditionTrue {
			continue
		}
		switch cond.Type {
		case batchv1.JobFailed:
			state, e.Status = "failed", progress.Failed
			why := strings.TrimSpace(strings.TrimSuffix(cond.Reason+": "+cond.Message, ": "))
			e.Err = errors.New(why)
			e.Message = "Release command: failed: " + why
		case batchv1.JobComplete:
			state, e.Status, e.Message = "done", progress.Done, "Release command: done"
		}
	}
	if state == "started" && (j.Status.Active > 0 || (j.Status.Ready != nil && *j.Status.Ready > 0)) {
		state = "running"
		e.Message = "Release command: running"
		pods, err := c.CoreV1().Pods(w.m.Kube.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + j.Name})
		if err == nil && len(pods.Items) > 0 {
			slices.SortFunc(pods.Items, func(a, b corev1.Pod) int { return b.CreationTimestamp.Compare(a.CreationTimestamp.Time) })
			e.Pod = pods.Items[0].Name
			e.Message += " (pod " + e.Pod + ")"
		}
	}
	if state == w.jobSaid {
		return
	}
	w.jobSaid = state
	w.m.Progress.Send(e)
}

// deployments lists the app's Deployments.
func (m *Manager) deployments(ctx context.Context) ([]appsv1.Deployment, error) {
	l, err := m.Kube.Clientset.AppsV1().Deployments(m.Kube.Namespace).List(ctx, metav1.ListOptions{LabelSelector: kube.LabelInstance + "=" + m.App})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(l.Items, func(a, b appsv1.Deployment) int { return strings.Compare(a.Name, b.Name) })
	return l.Items, nil
}

// waitingPod names a pod of process type typ that is not ready and why: a container's
// waiting reason (ImagePullBackOff, CrashLoopBackOff) or the scheduler's. "" when none says.
func waitingPod(pods []corev1.Pod, typ string) (pod, why string) {
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range pods {
		if p.Labels[kube.LabelComponent] != typ || p.DeletionTimestamp != nil {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" && cs.State.Waiting.Reason != "ContainerCreating" {
				return p.Name, cs.State.Waiting.Reason
			}
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && cond.Reason != "" {
				return p.Name, cond.Reason
			}
		}
	}
	return "", ""
}
