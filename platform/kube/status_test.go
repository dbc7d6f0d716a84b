package kube

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func waiting(reason, msg string, restarts int32, last *corev1.ContainerStateTerminated) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: "web", RestartCount: restarts,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}},
		LastTerminationState: corev1.ContainerState{Terminated: last}}
}

// TestStatus: a process type's status in words, the worst pod's trouble first.
func TestStatus(t *testing.T) {
	withStatus := func(cs ...corev1.ContainerStatus) *corev1.Pod {
		return &corev1.Pod{Status: corev1.PodStatus{ContainerStatuses: cs}}
	}
	unschedulable := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/2 nodes are available: 2 Insufficient memory.",
	}}}}
	gone := withStatus(waiting("CrashLoopBackOff", "", 3, nil))
	gone.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	for _, c := range []struct {
		name string
		p    Process
		pods []*corev1.Pod
		want string
	}{
		{"up", Process{Desired: 2, Ready: 2, Updated: 2}, []*corev1.Pod{{}, {}}, "up"},
		{"stopped", Process{}, nil, "stopped"},
		{"rolling", Process{Desired: 2, Ready: 2, Updated: 1}, []*corev1.Pod{{}, {}, {}}, "rolling out (1/2 updated)"},
		{"starting", Process{Desired: 2, Ready: 1, Updated: 2}, []*corev1.Pod{{}, {}}, "starting (1/2 ready)"},
		{"crash loop", Process{Desired: 1, Updated: 1}, []*corev1.Pod{withStatus(waiting("CrashLoopBackOff", "back-off 40s", 4, &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}))},
			"crash loop: 4 restarts, last exit code 3 (Error)"},
		{"OOM", Process{Desired: 1, Updated: 1}, []*corev1.Pod{withStatus(waiting("CrashLoopBackOff", "", 2, &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}))},
			"OOM-killed: out of memory, restarted 2 times"},
		{"image", Process{Desired: 1, Updated: 1}, []*corev1.Pod{withStatus(waiting("ImagePullBackOff", "Back-off pulling image \"reg/x:1\"\n", 0, nil))},
			`image cannot be pulled: Back-off pulling image "reg/x:1"`},
		{"config", Process{Desired: 1, Updated: 1}, []*corev1.Pod{withStatus(waiting("CreateContainerConfigError", `secret "shop-config" not found`, 0, nil))},
			`container cannot be created: secret "shop-config" not found`},
		{"unschedulable", Process{Desired: 1, Updated: 1}, []*corev1.Pod{unschedulable}, "cannot be scheduled: 0/2 nodes are available: 2 Insufficient memory."},
		{"the worst wins", Process{Desired: 2, Updated: 2}, []*corev1.Pod{unschedulable, withStatus(waiting("CrashLoopBackOff", "", 1, nil))}, "crash loop: 1 restarts"},
		{"between crashes, just ended", Process{Desired: 1, Updated: 1}, []*corev1.Pod{withStatus(corev1.ContainerStatus{RestartCount: 4,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}}})}, "crash loop: 4 restarts, last exit code 3 (Error)"},
		{"between crashes, started again", Process{Desired: 1, Updated: 1}, []*corev1.Pod{withStatus(corev1.ContainerStatus{RestartCount: 4,
			State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}}})}, "crash loop: 4 restarts, last exit code 3 (Error)"},
		{"restarted once, ready again", Process{Desired: 1, Ready: 1, Updated: 1}, []*corev1.Pod{withStatus(corev1.ContainerStatus{RestartCount: 1, Ready: true,
			State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error"}}})}, "up"},
		{"a terminating pod does not count", Process{Desired: 1, Ready: 1, Updated: 1}, []*corev1.Pod{{}, gone}, "up"},
	} {
		if got := status(&c.p, c.pods); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if strings.Contains(c.want, "\n") {
			t.Errorf("%s: status spans lines", c.name)
		}
	}
}
