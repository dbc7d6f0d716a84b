package logs

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/slipwayhq/slipway/platform/kube"
)

// EventInstance is the Instance of a Line that is a Kubernetes event, not a log line.
const EventInstance = "event"

// ours reports whether an event is about one of the objects o reads: the app's (its pods,
// ReplicaSets, Deployments and Jobs are all named "<app>-…"), or one process type's
// ("<app>-<type>…").
func ours(e *corev1.Event, o Options) bool {
	n := e.InvolvedObject.Name
	switch o.Process {
	case "", Cron:
		return n == o.App || strings.HasPrefix(n, o.App+"-")
	}
	return n == o.App+"-"+o.Process || strings.HasPrefix(n, o.App+"-"+o.Process+"-")
}

// eventLine puts an event in plain words as a Line about its object.
func (r *Reader) eventLine(e *corev1.Event) Line {
	obj := e.InvolvedObject
	who := strings.ToLower(obj.Kind) + " " + obj.Name
	if obj.Kind == "Pod" {
		r.mu.Lock()
		if inst, ok := r.instances.byPod[obj.Name]; ok {
			who = inst + " (" + obj.Name + ")"
		}
		r.mu.Unlock()
	}
	return Line{Time: kube.EventTime(*e), Pod: podOf(obj), Instance: EventInstance, Event: true, Text: who + ": " + eventWords(e)}
}

func podOf(o corev1.ObjectReference) string {
	if o.Kind == "Pod" {
		return o.Name
	}
	return ""
}

// eventWords says what a warning event means, in words, with the cluster's message.
func eventWords(e *corev1.Event) string {
	msg := strings.Join(strings.Fields(e.Message), " ")
	switch e.Reason {
	case "Unhealthy":
		return "failed probe: " + msg
	case "BackOff":
		if strings.Contains(msg, "restarting failed container") {
			return "crash loop back-off: " + msg
		}
		return "back-off: " + msg
	case "Failed":
		if strings.Contains(msg, "pull") || strings.Contains(msg, "image") {
			return "image pull failed: " + msg
		}
		return "failed: " + msg
	case "FailedScheduling":
		return "cannot be scheduled: " + msg
	case "FailedCreate":
		return "pods cannot be created: " + msg
	case "BackoffLimitExceeded", "DeadlineExceeded":
		return "job failed: " + msg
	case "OOMKilling":
		return "OOM-killed: " + msg
	case "Killing":
		return "stopping: " + msg
	}
	if e.Count > 1 {
		return fmt.Sprintf("%s: %s (%d times)", e.Reason, msg, e.Count)
	}
	return e.Reason + ": " + msg
}

// warningEvents lists the warning events about the app's objects since a time.
func (r *Reader) warningEvents(ctx context.Context, o Options, since time.Time) ([]Line, error) {
	evs, err := r.Kube.Clientset.CoreV1().Events(r.Kube.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"})
	if err != nil {
		return nil, r.Kube.Explain(fmt.Errorf("list the events of %s: %w", o.App, err))
	}
	var out []Line
	for i := range evs.Items {
		e := &evs.Items[i]
		if ours(e, o) && !kube.EventTime(*e).Before(since) {
			out = append(out, r.eventLine(e))
		}
	}
	return out, nil
}

// followEvents sends the app's warning events as they come, until ctx ends.
func (r *Reader) followEvents(ctx context.Context, o Options, start time.Time) {
	events := r.Kube.Clientset.CoreV1().Events(r.Kube.Namespace)
	seen := map[string]time.Time{} // event → the time shown last (a repeated event is updated)
	show := func(obj any) {
		e, ok := obj.(*corev1.Event)
		if !ok || !ours(e, o) {
			return
		}
		t := kube.EventTime(*e)
		if t.Before(start) || !t.After(seen[e.Name]) {
			return
		}
		seen[e.Name] = t
		r.emit(r.eventLine(e))
	}
	inf := kube.Informer(events.List, events.Watch, func(lo *metav1.ListOptions) { lo.FieldSelector = "type=Warning" }, &corev1.Event{})
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: show, UpdateFunc: func(_, obj any) { show(obj) }})
	inf.RunWithContext(ctx)
}
