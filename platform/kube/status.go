package kube

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Statuses of a process type, in words; a type in trouble says which trouble, with the
// cluster's own reason.
const (
	StatusUp       = "up"
	StatusStopped  = "stopped"
	StatusStarting = "starting"
	StatusRolling  = "rolling out"
	// StatusRefused starts the status of a type whose pods the cluster refuses to create
	// ("pods cannot be created: " and the cluster's reason).
	StatusRefused = "pods cannot be created"
)

// trouble is what is wrong with one pod, most telling first.
type trouble struct {
	rank int // lower is worse
	text string
}

// status says how a process type is, from its counts and its pods: the worst trouble of
// any pod (a crash loop, OOM kills, an image that cannot be pulled, a container that cannot
// be created, a pod that cannot be scheduled), else up, stopped, rolling out or starting.
func status(p *Process, pods []*corev1.Pod) string {
	var worst *trouble
	for _, pod := range pods {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if t := podTrouble(pod); t != nil && (worst == nil || t.rank < worst.rank) {
			worst = t
		}
	}
	switch {
	case worst != nil:
		return worst.text
	case p.Desired == 0 && len(pods) == 0:
		return StatusStopped
	case p.Updated < p.Desired:
		return fmt.Sprintf("%s (%d/%d updated)", StatusRolling, p.Updated, p.Desired)
	case p.Ready < p.Desired:
		return fmt.Sprintf("%s (%d/%d ready)", StatusStarting, p.Ready, p.Desired)
	}
	return StatusUp
}

// podTrouble says what keeps pod from running, if anything.
func podTrouble(pod *corev1.Pod) *trouble {
	for _, cs := range pod.Status.ContainerStatuses {
		last := cs.LastTerminationState.Terminated
		if t := cs.State.Terminated; t != nil {
			last = t // it has just ended
		}
		if w := cs.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName":
				return &trouble{2, "image cannot be pulled: " + oneLine(w.Message, w.Reason)}
			case "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
				return &trouble{3, "container cannot be created: " + oneLine(w.Message, w.Reason)}
			}
		}
		// Restarted and not ready: between its crashes the container is waiting out its
		// back-off, has just ended or has just started again; all three are a crash loop.
		crashing := cs.RestartCount > 0 && !cs.Ready && (last != nil || cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff")
		switch {
		case crashing && last != nil && last.Reason == "OOMKilled":
			return &trouble{1, fmt.Sprintf("OOM-killed: out of memory, restarted %d times", cs.RestartCount)}
		case crashing:
			return &trouble{1, fmt.Sprintf("crash loop: %d restarts%s", cs.RestartCount, exitWords(last))}
		case last != nil && last.Reason == "OOMKilled" && cs.RestartCount > 0:
			return &trouble{5, fmt.Sprintf("OOM-killed %d times (running again)", cs.RestartCount)}
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return &trouble{4, "cannot be scheduled: " + oneLine(c.Message, c.Reason)}
		}
	}
	return nil
}

// exitWords is ", last exit code 1 (Error)" for a container's last termination.
func exitWords(t *corev1.ContainerStateTerminated) string {
	if t == nil {
		return ""
	}
	if t.Reason == "" {
		return fmt.Sprintf(", last exit code %d", t.ExitCode)
	}
	return fmt.Sprintf(", last exit code %d (%s)", t.ExitCode, t.Reason)
}

func oneLine(msg, fallback string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" {
		return fallback
	}
	return msg
}

// CrashLog returns the last n lines pod's container wrote before it last ended: the
// current instance's when it has just ended, else the previous one's.
func (c *Client) CrashLog(ctx context.Context, pod Pod, n int64) (string, error) {
	b, err := c.Clientset.CoreV1().Pods(c.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Previous: !pod.Ended, TailLines: &n}).DoRaw(ctx)
	if err != nil {
		return "", c.Explain(fmt.Errorf("the log of %s before it ended: %w", pod.Name, err))
	}
	return string(b), nil
}

// InTrouble says the process type has a problem its pods will not get over by themselves
// (a crash loop, OOM kills, an image that cannot be pulled, pods that cannot be scheduled
// or created), as opposed to being up, stopped, starting or rolling out.
func (p Process) InTrouble() bool {
	for _, ok := range []string{StatusUp, StatusStopped, StatusStarting, StatusRolling} {
		if p.Status == ok || strings.HasPrefix(p.Status, ok+" (") {
			return false
		}
	}
	return p.Status != ""
}
