package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Refusal says that the cluster refuses to create a workload's pods: admission (Pod
// Security, a webhook), a ResourceQuota, a LimitRange, a missing ServiceAccount. Its
// controller reports it (a ReplicaSet's ReplicaFailure condition, a Job's FailedCreate
// events) and retries, so a refusal can end by itself (a quota freed).
type Refusal struct {
	// Process is the process type, "release" for the release command's Job.
	Process string
	// Kind and Name name the object whose controller reports the refusal.
	Kind, Name string
	// Reason is the cluster's own message, e.g. `pods "web-5d9c-x" is forbidden: …`.
	Reason string
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("%s: pods cannot be created: %s", r.Process, r.Reason)
}

// Refusals lists what the controllers of the app's ReplicaSets and Jobs (its release
// command; not its cron jobs) report now about pods they cannot create, sorted by process.
func (c *Client) Refusals(ctx context.Context, app string) ([]Refusal, error) {
	sel := metav1.ListOptions{LabelSelector: instanceSelector(app)}
	rss, err := c.Clientset.AppsV1().ReplicaSets(c.Namespace).List(ctx, sel)
	if err != nil {
		return nil, c.Explain(fmt.Errorf("list replicasets in %s: %w", c.Namespace, err))
	}
	jobs, err := c.Clientset.BatchV1().Jobs(c.Namespace).List(ctx, sel)
	if err != nil {
		return nil, c.Explain(fmt.Errorf("list jobs in %s: %w", c.Namespace, err))
	}
	var events []corev1.Event
	if len(jobs.Items) > 0 {
		ev, err := c.Clientset.CoreV1().Events(c.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Job,reason=FailedCreate,type=Warning"})
		if err != nil {
			return nil, c.Explain(fmt.Errorf("list events in %s: %w", c.Namespace, err))
		}
		events = ev.Items
	}
	return refusals(rss.Items, jobs.Items, events), nil
}

// refusals finds the ReplicaSets that want pods and report ReplicaFailure, and the Jobs
// not owned by a CronJob that run no pod, have not finished and have FailedCreate warnings.
func refusals(rss []appsv1.ReplicaSet, jobs []batchv1.Job, events []corev1.Event) []Refusal {
	var out []Refusal
	for _, rs := range rss {
		if rs.Spec.Replicas == nil || *rs.Spec.Replicas == 0 || rs.Status.Replicas >= *rs.Spec.Replicas {
			continue
		}
		for _, cond := range rs.Status.Conditions {
			if cond.Type == appsv1.ReplicaSetReplicaFailure && cond.Status == corev1.ConditionTrue {
				out = append(out, Refusal{Process: processOf(rs.ObjectMeta), Kind: "ReplicaSet", Name: rs.Name, Reason: strings.TrimSpace(cond.Message)})
				break
			}
		}
	}
	latest := map[types.UID]corev1.Event{}
	for _, e := range events {
		if e.Type != corev1.EventTypeWarning || e.Reason != "FailedCreate" || e.InvolvedObject.Kind != "Job" {
			continue
		}
		if old, ok := latest[e.InvolvedObject.UID]; !ok || EventTime(e).After(EventTime(old)) {
			latest[e.InvolvedObject.UID] = e
		}
	}
	for _, j := range jobs {
		if metav1.GetControllerOf(&j) != nil || j.Status.Active > 0 || (j.Status.Ready != nil && *j.Status.Ready > 0) || finished(j) {
			continue
		}
		e, ok := latest[j.UID]
		if !ok {
			continue
		}
		out = append(out, Refusal{Process: processOf(j.ObjectMeta), Kind: "Job", Name: j.Name, Reason: strings.TrimSpace(strings.TrimPrefix(e.Message, "Error creating: "))})
	}
	sort.Slice(out, func(i, k int) bool {
		if out[i].Process != out[k].Process {
			return out[i].Process < out[k].Process
		}
		return out[i].Name < out[k].Name
	})
	return out
}

func processOf(m metav1.ObjectMeta) string {
	if p := m.Annotations[AnnotationProcess]; p != "" {
		return p
	}
	if p := m.Labels[LabelComponent]; p != "" {
		return p
	}
	return m.Name
}

func finished(j batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// EventTime is when an event last happened.
func EventTime(e corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// RefusalWatch waits for a refusal that lasts: controllers retry, and a refusal that ends
// within Persist (a quota freed moments later) is not one.
type RefusalWatch struct {
	// Every is the time between two looks (default 500ms); Persist how long a refusal must
	// be seen without a break (default 2s).
	Every, Persist time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Await looks at the app's refusals until one has lasted w.Persist, and returns it, or
// until ctx ends (nil). A failed look counts as a break.
func (w RefusalWatch) Await(ctx context.Context, c *Client, app string) *Refusal {
	every, persist, now := w.Every, w.Persist, w.Now
	if every <= 0 {
		every = 500 * time.Millisecond
	}
	if persist <= 0 {
		persist = 2 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	since := map[string]time.Time{}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		rs, err := c.Refusals(ctx, app)
		if ctx.Err() != nil {
			return nil
		}
		t := now()
		seen := map[string]time.Time{}
		for _, r := range rs {
			key := r.Kind + "/" + r.Name
			first, ok := since[key]
			if !ok {
				first = t
			}
			seen[key] = first
			if err == nil && t.Sub(first) >= persist {
				return &r
			}
		}
		since = seen
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
