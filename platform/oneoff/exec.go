// Package oneoff runs commands beside an app's processes: exec in a running pod, and
// one-off runs (a migration, a console) in a pod of their own made from a process's
// template, as heroku run does.
package oneoff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"

	"github.com/slipwayhq/slipway/platform/kube"
)

// Streams connect a remote command to the user.
type Streams struct {
	// In is the command's standard input (nil: none).
	In io.Reader
	// Out and Err receive its output; with TTY, Err is unused (a terminal merges them).
	Out, Err io.Writer
	// TTY asks for a terminal in the container; Resize, when set, tells its size changes.
	TTY    bool
	Resize remotecommand.TerminalSizeQueue
}

// ExitError says the remote command ended with a non-zero exit code.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("the command exited with code %d", e.Code) }

// ExecOptions say where to run a command.
type ExecOptions struct {
	App string
	// Process is the process type whose first ready pod runs the command (default web);
	// Pod names one pod of the app instead.
	Process, Pod string
	// Command is the command and its arguments.
	Command []string
	Streams
}

// NoPodError says no pod can run the command.
type NoPodError struct {
	App, Process, Namespace string
	// Types are the process types that have pods.
	Types []string
}

func (e *NoPodError) Error() string {
	if len(e.Types) == 0 {
		return fmt.Sprintf("%s runs no pods in namespace %s", e.App, e.Namespace)
	}
	if slices.Contains(e.Types, e.Process) {
		return fmt.Sprintf("%s has no ready %s pod in namespace %s", e.App, e.Process, e.Namespace)
	}
	return fmt.Sprintf("%s has no process type %q running in namespace %s (it has %s)", e.App, e.Process, e.Namespace, strings.Join(e.Types, ", "))
}

// Exec runs o.Command in a running pod of the app, as kubectl exec does (WebSocket, with
// SPDY for older API servers). A command that exits non-zero gives an *ExitError.
func Exec(ctx context.Context, k *kube.Client, o ExecOptions) error {
	pod, container, err := pickPod(ctx, k, o)
	if err != nil {
		return err
	}
	cfg, err := k.Getter.ToRESTConfig()
	if err != nil {
		return err
	}
	req := k.Clientset.CoreV1().RESTClient().Post().Resource("pods").Namespace(k.Namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: o.Command, Stdin: o.In != nil, Stdout: o.Out != nil, Stderr: o.Err != nil && !o.TTY, TTY: o.TTY}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
	if err != nil {
		return err
	}
	spdy, err := remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
	if err != nil {
		return err
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return err
	}
	so := remotecommand.StreamOptions{Stdin: o.In, Stdout: o.Out, Tty: o.TTY, TerminalSizeQueue: o.Resize}
	if !o.TTY {
		so.Stderr = o.Err
	}
	return exitError(ex.StreamWithContext(ctx, so), k)
}

// exitError turns the remote command's exit status into an *ExitError.
func exitError(err error, k *kube.Client) error {
	var ce utilexec.CodeExitError
	if errors.As(err, &ce) {
		return &ExitError{Code: ce.Code}
	}
	var ee utilexec.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Code: ee.ExitStatus()}
	}
	if err != nil {
		return k.Explain(err)
	}
	return nil
}

// pickPod finds the pod and container to exec in.
func pickPod(ctx context.Context, k *kube.Client, o ExecOptions) (string, string, error) {
	pods, err := k.Clientset.CoreV1().Pods(k.Namespace).List(ctx, metav1.ListOptions{LabelSelector: kube.LabelInstance + "=" + o.App})
	if err != nil {
		return "", "", k.Explain(fmt.Errorf("list the pods of %s: %w", o.App, err))
	}
	if o.Pod != "" {
		for _, p := range pods.Items {
			if p.Name == o.Pod {
				return p.Name, p.Spec.Containers[0].Name, nil
			}
		}
		return "", "", fmt.Errorf("%s has no pod %s in namespace %s", o.App, o.Pod, k.Namespace)
	}
	typ := o.Process
	if typ == "" {
		typ = "web"
	}
	var types []string
	items := pods.Items
	slices.SortFunc(items, func(a, b corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	for _, p := range items {
		c := p.Labels[kube.LabelComponent]
		if c != "" && !slices.Contains(types, c) && p.DeletionTimestamp == nil {
			types = append(types, c)
		}
		if c == typ && p.DeletionTimestamp == nil && ready(&p) {
			return p.Name, p.Spec.Containers[0].Name, nil
		}
	}
	slices.Sort(types)
	return "", "", &NoPodError{App: o.App, Process: typ, Namespace: k.Namespace, Types: types}
}

func ready(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
