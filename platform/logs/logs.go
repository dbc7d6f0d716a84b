// Package logs reads the log lines of an app's pods in one environment: every process
// type's, or one type's (the release Job's and the cron jobs' pods included), merged in time
// order, and with Follow across rollouts, restarts and scaling. New pods join as soon as
// their container starts (a watch, not polling); a stream the API server ends while its
// container still runs is reopened after the last line shown, none lost and none shown twice.
package logs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/oneoff"
)

// Kinds of pods beside the process types.
const (
	// Release selects the release command's Job pods.
	Release = "release"
	// Cron selects the pods of every cron job.
	Cron = "cron"
)

// maxLine bounds one log line; a longer one is cut (the rest is dropped, marked).
const maxLine = 1 << 20

// Options say which lines to read.
type Options struct {
	// App is the app's name.
	App string
	// Process is a process type, Release, Cron, or "" for every pod of the app.
	Process string
	// Tail is how many of each container's last lines to read first (negative: all).
	Tail int64
	// Since reads only lines newer than this (zero: no bound).
	Since time.Duration
	// Follow keeps reading: new lines, new pods, restarted containers, until ctx ends.
	Follow bool
	// Events interleaves the warning events about the app's objects (failed probes, crash
	// loop back-off, image pulls, scheduling, refused pods, failed Jobs) as Lines whose
	// Event is true: all the cluster keeps (or those of Since), and with Follow the new ones.
	Events bool
}

// NoLogsError says none of the containers' logs could be read (each one's reason was a
// Notice).
type NoLogsError struct {
	App  string
	Pods int
}

func (e *NoLogsError) Error() string {
	return fmt.Sprintf("no logs of %s could be read: %d container(s), each refused (reasons above)", e.App, e.Pods)
}

// Line is one log line of one container.
type Line struct {
	// Time is when the container wrote it (the kubelet's timestamp).
	Time time.Time
	// Pod and Container name where it came from.
	Pod, Container string
	// Process is the pod's process type (web, release, a cron job's name).
	Process string
	// Instance is "web.1": the type and a number kept while the pod lives.
	Instance string
	// Text is the line without its newline.
	Text string
	// Event says the line is a Kubernetes event about the app (Options.Events), in words.
	Event bool
}

// Notice is something the reader tells about the stream: a pod joined or left, a stream
// was reopened, a pod serves no logs.
type Notice struct {
	Pod, Instance string
	Message       string
}

// Reader reads logs through a cluster connection.
type Reader struct {
	Kube *kube.Client
	// Line receives every line, one call at a time.
	Line func(Line)
	// Notice receives what the reader has to say about the stream (nil: dropped).
	Notice func(Notice)

	mu        sync.Mutex
	instances *instances
}

func (r *Reader) notice(n Notice) {
	if r.Notice != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.Notice(n)
	}
}

// selector is the label selector of o's pods.
func selector(o Options) string {
	sel := kube.LabelInstance + "=" + o.App
	switch o.Process {
	case "", Cron:
	default:
		sel += "," + kube.LabelComponent + "=" + o.Process
	}
	return sel
}

// wanted reports whether pod p is one o asks for (the selector cannot say "a cron job's").
func wanted(p *corev1.Pod, o Options) bool {
	if o.Process != Cron {
		return true
	}
	c := p.Labels[kube.LabelComponent]
	return jobName(p) != "" && c != Release && c != oneoff.RunType
}

func jobName(p *corev1.Pod) string {
	for _, k := range []string{"batch.kubernetes.io/job-name", "job-name"} {
		if n := p.Labels[k]; n != "" {
			return n
		}
	}
	return ""
}

// Read reads the lines o asks for. Without Follow it returns when every container's lines
// have been sent, in time order across pods; with Follow it returns when ctx ends (nil) or
// on an error listing or watching the pods.
func (r *Reader) Read(ctx context.Context, o Options) error {
	r.instances = newInstances()
	if o.Follow {
		return r.follow(ctx, o)
	}
	pods, err := r.Kube.Clientset.CoreV1().Pods(r.Kube.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector(o)})
	if err != nil {
		return r.Kube.Explain(fmt.Errorf("list the pods of %s: %w", o.App, err))
	}
	items := slices.DeleteFunc(pods.Items, func(p corev1.Pod) bool { return !wanted(&p, o) })
	slices.SortFunc(items, func(a, b corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	var all []Line
	tried, failed := 0, 0
	for i := range items {
		p := &items[i]
		inst := r.instances.name(p)
		for _, c := range p.Spec.Containers {
			if !started(p, c.Name) {
				continue
			}
			tried++
			lines, err := r.readAll(ctx, p, c.Name, inst, o)
			if err != nil {
				failed++
				r.notice(Notice{Pod: p.Name, Instance: inst, Message: err.Error()})
				continue
			}
			all = append(all, lines...)
		}
	}
	if tried > 0 && failed == tried {
		return &NoLogsError{App: o.App, Pods: failed}
	}
	if o.Events {
		// Every warning the cluster still keeps (an hour, by default), or those of --since:
		// a crash loop's back-off is one event, updated, older than the last lines.
		since := time.Time{}
		if o.Since > 0 {
			since = time.Now().Add(-o.Since)
		}
		evs, err := r.warningEvents(ctx, o, since)
		if err != nil {
			return err
		}
		all = append(all, evs...)
	}
	slices.SortStableFunc(all, func(a, b Line) int { return a.Time.Compare(b.Time) })
	for _, l := range all {
		r.Line(l)
	}
	return nil
}

// started reports whether container name of p has run, so the kubelet has logs for it.
func started(p *corev1.Pod, name string) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == name {
			return cs.State.Running != nil || cs.State.Terminated != nil || cs.LastTerminationState.Terminated != nil
		}
	}
	return false
}

func (r *Reader) logOptions(container string, o Options) *corev1.PodLogOptions {
	lo := &corev1.PodLogOptions{Container: container, Timestamps: true}
	if o.Tail >= 0 {
		lo.TailLines = &o.Tail
	}
	if o.Since > 0 {
		s := int64((o.Since + time.Second - 1) / time.Second)
		lo.SinceSeconds = &s
	}
	return lo
}

func (r *Reader) readAll(ctx context.Context, p *corev1.Pod, container, inst string, o Options) ([]Line, error) {
	rc, err := r.Kube.Clientset.CoreV1().Pods(r.Kube.Namespace).GetLogs(p.Name, r.logOptions(container, o)).Stream(ctx)
	if err != nil {
		return nil, r.explain(ctx, p, err)
	}
	defer rc.Close()
	var out []Line
	err = scan(rc, func(t time.Time, text string) {
		out = append(out, Line{Time: t, Pod: p.Name, Container: container, Process: p.Labels[kube.LabelComponent], Instance: inst, Text: text})
	})
	return out, err
}

// explain words why a pod's logs cannot be read.
func (r *Reader) explain(ctx context.Context, p *corev1.Pod, err error) error {
	if r.simulated(ctx, p.Spec.NodeName) {
		return fmt.Errorf("pod %s: its node %s is simulated (kwok) and serves no logs", p.Name, p.Spec.NodeName)
	}
	return fmt.Errorf("pod %s: no logs: %w", p.Name, r.Kube.Explain(err))
}

// simulated reports whether node is one kwok simulates (the sandbox's): it runs nothing
// and serves no logs.
func (r *Reader) simulated(ctx context.Context, node string) bool {
	if node == "" {
		return false
	}
	n, err := r.Kube.Clientset.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	return err == nil && n.Annotations["kwok.x-k8s.io/node"] != ""
}

// scan reads kubelet log lines ("<RFC3339Nano> text") from rc, calling f for each.
func scan(rc io.Reader, f func(time.Time, string)) error {
	br := bufio.NewReaderSize(rc, 64<<10)
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			t, text := splitTime(line)
			f(t, text)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads one line without its newline, at most maxLine bytes of it; the rest of a
// longer line is skipped.
func readLine(br *bufio.Reader) (string, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf) < maxLine {
			buf = append(buf, chunk[:min(len(chunk), maxLine-len(buf))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return string(bytes.TrimSuffix(buf, []byte("\n"))), err
	}
}

func splitTime(line string) (time.Time, string) {
	ts, text, ok := strings.Cut(line, " ")
	if !ok {
		ts, text = line, ""
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, line
	}
	return t, text
}
