package logs

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func event(kind, name, reason, msg string) *corev1.Event {
	return &corev1.Event{InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name}, Reason: reason, Message: msg, Type: corev1.EventTypeWarning}
}

func TestEventWords(t *testing.T) {
	for _, c := range []struct {
		e    *corev1.Event
		want string
	}{
		{event("Pod", "shop-web-x", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 500"), "failed probe: Readiness probe failed"},
		{event("Pod", "shop-web-x", "BackOff", "Back-off restarting failed container web in pod shop-web-x"), "crash loop back-off: Back-off restarting failed container"},
		{event("Pod", "shop-web-x", "Failed", "Failed to pull image \"reg/x:1\": not found"), "image pull failed: Failed to pull image"},
		{event("Pod", "shop-web-x", "FailedScheduling", "0/2 nodes are available:\n 2 Insufficient cpu."), "cannot be scheduled: 0/2 nodes are available: 2 Insufficient cpu."},
		{event("ReplicaSet", "shop-web-5d9c", "FailedCreate", `pods "shop-web-5d9c-x" is forbidden: violates PodSecurity`), "pods cannot be created: pods"},
		{event("Job", "shop-release", "BackoffLimitExceeded", "Job has reached the specified backoff limit"), "job failed: Job has reached"},
	} {
		if got := eventWords(c.e); !strings.HasPrefix(got, c.want) || strings.Contains(got, "\n") {
			t.Errorf("%s: %q, want it to start with %q", c.e.Reason, got, c.want)
		}
	}
}

func TestOurs(t *testing.T) {
	all, worker := Options{App: "shop"}, Options{App: "shop", Process: "worker"}
	for _, c := range []struct {
		name     string
		all, one bool
	}{
		{"shop-worker-5d9c-x", true, true},
		{"shop-worker", true, true},
		{"shop-web-5d9c-x", true, false},
		{"shop-workers-x", true, false},
		{"shopping-web-x", false, false},
	} {
		e := event("Pod", c.name, "BackOff", "")
		if ours(e, all) != c.all || ours(e, worker) != c.one {
			t.Errorf("%s: ours all %v, worker %v; want %v, %v", c.name, ours(e, all), ours(e, worker), c.all, c.one)
		}
	}
}
