package kube

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EnsureNamespace creates the client's namespace if it is missing; it reports whether it did.
// A user whose rights end at the namespace may neither read nor create it: when both are
// forbidden, the namespace is taken to exist (what follows in it says if it does not).
func (c *Client) EnsureNamespace(ctx context.Context) (bool, error) {
	_, err := c.Clientset.CoreV1().Namespaces().Get(ctx, c.Namespace, metav1.GetOptions{})
	if err == nil {
		return false, nil
	}
	readForbidden := apierrors.IsForbidden(err)
	if !apierrors.IsNotFound(err) && !readForbidden {
		return false, c.Explain(fmt.Errorf("read namespace %s: %w", c.Namespace, err))
	}
	_, err = c.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: c.Namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "slipway"}},
	}, metav1.CreateOptions{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsAlreadyExists(err), readForbidden && apierrors.IsForbidden(err):
		return false, nil
	}
	return false, c.Explain(fmt.Errorf("create namespace %s: %w", c.Namespace, err))
}

// JobOutput returns the end of the logs of a Job's pods (at most tail lines each) and the
// Job's failure reason, for a release command that failed. Missing pods or logs are said so
// in the text rather than being errors: this explains another failure.
func (c *Client) JobOutput(ctx context.Context, job string, tail int64) string {
	var b strings.Builder
	j, err := c.Clientset.BatchV1().Jobs(c.Namespace).Get(ctx, job, metav1.GetOptions{})
	if err == nil {
		for _, cond := range j.Status.Conditions {
			if cond.Type == batchv1.JobFailed && cond.Status == corev1.ConditionTrue {
				fmt.Fprintf(&b, "job %s failed: %s %s\n", job, cond.Reason, cond.Message)
			}
		}
	}
	pods, err := c.Clientset.CoreV1().Pods(c.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + job})
	if err != nil {
		fmt.Fprintf(&b, "(could not list the job's pods: %v)\n", err)
		return b.String()
	}
	sort.Slice(pods.Items, func(i, k int) bool { return pods.Items[i].CreationTimestamp.Before(&pods.Items[k].CreationTimestamp) })
	for _, p := range pods.Items {
		if st := podStatus(&p); st.Phase == string(corev1.PodPending) {
			fmt.Fprintf(&b, "pod %s is %s: %s\n", p.Name, st.Phase, st.Reason)
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil {
				fmt.Fprintf(&b, "pod %s: exit code %d (%s)\n", p.Name, t.ExitCode, t.Reason)
			}
		}
		rc, err := c.Clientset.CoreV1().Pods(c.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{TailLines: &tail}).Stream(ctx)
		if err != nil {
			fmt.Fprintf(&b, "(no logs from pod %s: %v)\n", p.Name, err)
			continue
		}
		out, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
		rc.Close()
		if len(out) == 0 {
			fmt.Fprintf(&b, "(pod %s wrote nothing)\n", p.Name)
			continue
		}
		b.Write(out)
		if out[len(out)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
