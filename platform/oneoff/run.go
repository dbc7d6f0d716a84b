package oneoff

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/kube"
)

// RunType is the process type of one-off pods (their instances are run.1, run.2…).
const RunType = "run"

// RunOptions say what to run.
type RunOptions struct {
	App string
	// Command is a shell command line (one argument, run by /bin/sh -c as Heroku runs it
	// by bash -c), or a program and its arguments (several, run as they are).
	Command []string
	// Env adds or overrides environment variables.
	Env map[string]string
	// Detach starts the pod and returns; its output goes to its log.
	Detach bool
	// Size, when set, replaces the template's resources (a dyno size's, see
	// app.SizeResources).
	Size *app.Resources
	// StartTimeout bounds how long the pod may take to start (default 5 minutes).
	StartTimeout time.Duration
	Streams
}

// RunTTL is how long the cluster keeps a finished one-off Job that Slipway did not remove
// (Slipway was killed, or --detach).
const RunTTL = 10 * time.Minute

// RunResult says what ran.
type RunResult struct {
	// Job and Pod name the one-off Job and its pod.
	Job, Pod string
}

// StartError says the one-off pod could not start, with the cluster's reason.
type StartError struct {
	Pod, Reason string
}

func (e *StartError) Error() string { return fmt.Sprintf("pod %s did not start: %s", e.Pod, e.Reason) }

// Run runs a command in a pod of its own, made from the template of a live process (web's
// when there is one): the same image, config vars, service account and security settings;
// no ports, probes or hooks. Without Detach it shows the command's output from its first
// line, passes In to it, waits for it and removes the pod; a non-zero exit is an
// *ExitError.
func Run(ctx context.Context, k *kube.Client, o RunOptions) (*RunResult, error) {
	if len(o.Command) == 0 {
		return nil, fmt.Errorf("no command to run")
	}
	pod, err := runPod(ctx, k, o)
	if err != nil {
		return nil, err
	}
	// A Job, not a bare pod: if Slipway is killed, the cluster removes it by itself once
	// the command has ended (stdin closes with the connection).
	ttl, none := int32(RunTTL/time.Second), int32(0)
	job := &batchv1.Job{
		ObjectMeta: pod.ObjectMeta,
		Spec: batchv1.JobSpec{BackoffLimit: &none, TTLSecondsAfterFinished: &ttl,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: pod.Labels, Annotations: pod.Annotations}, Spec: pod.Spec}},
	}
	jobs := k.Clientset.BatchV1().Jobs(k.Namespace)
	created, err := jobs.Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		return nil, k.Explain(fmt.Errorf("create the one-off job: %w", err))
	}
	res := &RunResult{Job: created.Name}
	defer func() {
		if o.Detach {
			return
		}
		// Removed whatever happened, also when ctx was cancelled (Ctrl-C).
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		grace, bg := int64(0), metav1.DeletePropagationBackground
		_ = jobs.Delete(dctx, created.Name, metav1.DeleteOptions{GracePeriodSeconds: &grace, PropagationPolicy: &bg})
	}()
	name, err := waitStarted(ctx, k, created.Name, cmp.Or(o.StartTimeout, 5*time.Minute))
	res.Pod = name
	if err != nil || o.Detach {
		return res, err
	}
	pods := k.Clientset.CoreV1().Pods(k.Namespace)
	done := make(chan error, 1)
	if o.In != nil || o.TTY {
		go func() { done <- attach(ctx, k, name, o.Streams) }()
	}
	if !o.TTY {
		// Output from the pod's log, from its first line: nothing written before an
		// attach would have connected is lost. Standard error comes merged into it.
		rc, err := pods.GetLogs(name, &corev1.PodLogOptions{Follow: true}).Stream(ctx)
		if err != nil {
			return res, k.Explain(fmt.Errorf("read the output of %s: %w", name, err))
		}
		_, _ = io.Copy(o.Out, rc)
		rc.Close()
	} else if err := <-done; err != nil && ctx.Err() == nil {
		if _, ok := err.(*ExitError); !ok {
			return res, err
		}
	}
	code, err := exitCode(ctx, k, name)
	if err != nil {
		return res, err
	}
	if code != 0 {
		return res, &ExitError{Code: code}
	}
	return res, nil
}

// runPod makes the one-off pod from a live process's template.
func runPod(ctx context.Context, k *kube.Client, o RunOptions) (*corev1.Pod, error) {
	deps, err := k.Clientset.AppsV1().Deployments(k.Namespace).List(ctx, metav1.ListOptions{LabelSelector: kube.LabelInstance + "=" + o.App})
	if err != nil {
		return nil, k.Explain(fmt.Errorf("read the processes of %s: %w", o.App, err))
	}
	if len(deps.Items) == 0 {
		return nil, fmt.Errorf("%s has no deployed process in namespace %s to take the image and config from", o.App, k.Namespace)
	}
	slices.SortFunc(deps.Items, func(a, b appsv1.Deployment) int {
		// web first, then by name.
		aw, bw := a.Labels[kube.LabelComponent] == "web", b.Labels[kube.LabelComponent] == "web"
		if aw != bw {
			if aw {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	tpl := deps.Items[0].Spec.Template
	spec := *tpl.Spec.DeepCopy()
	spec.RestartPolicy = corev1.RestartPolicyNever
	shareNS := true
	// The command is not PID 1 (a pause process is), so Ctrl-C reaches a command that
	// installs no signal handler, as in a terminal.
	spec.ShareProcessNamespace = &shareNS
	spec.InitContainers = nil
	c := spec.Containers[0]
	c.Ports, c.LivenessProbe, c.ReadinessProbe, c.StartupProbe, c.Lifecycle = nil, nil, nil, nil, nil
	if len(o.Command) == 1 {
		c.Command = []string{"/bin/sh", "-c", o.Command[0]}
	} else {
		c.Command = append([]string{"/bin/sh", "-c", `exec "$@"`, "sh"}, o.Command...)
	}
	c.Args = nil
	if o.Size != nil {
		rr, err := requirements(*o.Size)
		if err != nil {
			return nil, err
		}
		c.Resources = rr
	}
	c.Stdin, c.StdinOnce, c.TTY = o.In != nil || o.TTY, true, o.TTY
	env := map[string]string{"DYNO": "run.1", "PS": "run.1"}
	for k, v := range o.Env {
		env[k] = v
	}
	c.Env = slices.DeleteFunc(c.Env, func(e corev1.EnvVar) bool { _, ok := env[e.Name]; return ok || e.Name == "PORT" })
	for _, name := range slices.Sorted(maps.Keys(env)) {
		c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: env[name]})
	}
	spec.Containers = []corev1.Container{c}
	labels := map[string]string{kube.LabelInstance: o.App, kube.LabelComponent: RunType}
	for _, key := range []string{"app.kubernetes.io/name", "app.kubernetes.io/part-of"} {
		if v := tpl.Labels[key]; v != "" {
			labels[key] = v
		}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-run-%s", o.App, suffix()), Labels: labels, Annotations: tpl.Annotations},
		Spec:       spec,
	}, nil
}

func suffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// waitStarted waits until the job's pod has a container that runs or has ended, and
// returns the pod's name; a pod that cannot start (unschedulable, image pull, container
// creation) is a *StartError with the reason.
func waitStarted(ctx context.Context, k *kube.Client, job string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last, name string
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for ctx.Err() == nil {
		w, err := k.Clientset.CoreV1().Pods(k.Namespace).Watch(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + job})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return "", k.Explain(err)
		}
	events:
		for {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					break events // the watch ended: watch again
				}
				p, ok := ev.Object.(*corev1.Pod)
				if !ok || ev.Type == watch.Deleted {
					continue
				}
				name = p.Name
				started, reason, fatal := podStart(p)
				switch {
				case started:
					w.Stop()
					return name, nil
				case fatal:
					w.Stop()
					return name, &StartError{Pod: name, Reason: reason}
				case reason != "":
					last = reason
				}
			case <-tick.C:
				// No pod at all: admission or a quota may refuse to create it.
				if name == "" {
					if r := refusal(k, job); r != "" {
						w.Stop()
						return "", &StartError{Pod: job, Reason: "the cluster refuses to create it: " + r}
					}
				}
			case <-ctx.Done():
				break events
			}
		}
		w.Stop()
	}
	if last == "" {
		last = "still pending"
	}
	return name, &StartError{Pod: cmp.Or(name, job), Reason: fmt.Sprintf("%s after %s", last, timeout)}
}

// refusal is why the cluster refuses to create the job's pod, if it says so.
func refusal(k *kube.Client, job string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := k.Clientset.CoreV1().Events(k.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Job,involvedObject.name=" + job + ",reason=FailedCreate"})
	if err != nil || len(evs.Items) == 0 {
		return ""
	}
	return evs.Items[len(evs.Items)-1].Message
}

// podStart says whether p's container started, and if not why; fatal when it never will.
func podStart(p *corev1.Pod) (started bool, reason string, fatal bool) {
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Running != nil, cs.State.Terminated != nil:
			return true, "", false
		case cs.State.Waiting != nil:
			w := cs.State.Waiting
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
				return false, strings.TrimSpace(w.Reason + ": " + w.Message), true
			}
			if w.Reason != "" && w.Reason != "ContainerCreating" {
				reason = w.Reason
			}
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			reason = "cannot be scheduled: " + c.Message
		}
	}
	if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
		return true, "", false
	}
	return false, reason, false
}

// attach connects the user's input (and, with a TTY, the terminal) to the pod's container.
func attach(ctx context.Context, k *kube.Client, name string, s Streams) error {
	cfg, err := k.Getter.ToRESTConfig()
	if err != nil {
		return err
	}
	req := k.Clientset.CoreV1().RESTClient().Post().Resource("pods").Namespace(k.Namespace).Name(name).SubResource("attach").
		VersionedParams(&corev1.PodAttachOptions{Stdin: true, Stdout: s.TTY, Stderr: false, TTY: s.TTY}, scheme.ParameterCodec)
	ex, err := remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
	if err != nil {
		return err
	}
	so := remotecommand.StreamOptions{Stdin: s.In, Tty: s.TTY, TerminalSizeQueue: s.Resize}
	if s.TTY {
		so.Stdout = s.Out
	}
	return exitError(ex.StreamWithContext(ctx, so), k)
}

// exitCode waits for the pod's container to end and returns its exit code.
func exitCode(ctx context.Context, k *kube.Client, name string) (int, error) {
	for {
		p, err := k.Clientset.CoreV1().Pods(k.Namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return 0, fmt.Errorf("pod %s was deleted before its command ended", name)
		}
		if err != nil {
			return 0, k.Explain(err)
		}
		for _, cs := range p.Status.ContainerStatuses {
			if t := cs.State.Terminated; t != nil {
				return int(t.ExitCode), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// requirements turns an app's resources into a container's.
func requirements(r app.Resources) (corev1.ResourceRequirements, error) {
	var rr corev1.ResourceRequirements
	for _, q := range []struct {
		value string
		list  *corev1.ResourceList
		name  corev1.ResourceName
	}{
		{r.CPURequest, &rr.Requests, corev1.ResourceCPU}, {r.MemoryRequest, &rr.Requests, corev1.ResourceMemory},
		{r.CPULimit, &rr.Limits, corev1.ResourceCPU}, {r.MemoryLimit, &rr.Limits, corev1.ResourceMemory},
	} {
		if q.value == "" {
			continue
		}
		v, err := resource.ParseQuantity(q.value)
		if err != nil {
			return rr, fmt.Errorf("%s %q: %w", q.name, q.value, err)
		}
		if *q.list == nil {
			*q.list = corev1.ResourceList{}
		}
		(*q.list)[q.name] = v
	}
	return rr, nil
}
