package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/slipwayhq/slipway/platform/kube"
)

// reopenWait is how long a follower waits, after its stream ended, before it asks the API
// server whether its container still runs (so the pod's status has caught up).
var reopenWait = time.Second

// follow streams o's lines until ctx ends.
func (r *Reader) follow(ctx context.Context, o Options) error {
	pods := r.Kube.Clientset.CoreV1().Pods(r.Kube.Namespace)
	sel := selector(o)
	// The first list tells whether the app's pods can be read at all.
	if _, err := pods.List(ctx, metav1.ListOptions{LabelSelector: sel, Limit: 1}); err != nil {
		return r.Kube.Explain(fmt.Errorf("list the pods of %s: %w", o.App, err))
	}
	inf := kube.Informer(pods.List, pods.Watch, func(lo *metav1.ListOptions) { lo.LabelSelector = sel }, &corev1.Pod{})
	f := &follower{r: r, o: o, ctx: ctx, streams: map[string]bool{}, first: map[string]bool{}}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, initial bool) {
			if p, ok := obj.(*corev1.Pod); ok {
				f.seen(p, initial)
			}
		},
		UpdateFunc: func(_, obj any) {
			if p, ok := obj.(*corev1.Pod); ok {
				f.seen(p, false)
			}
		},
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				f.gone(p)
			}
		},
	})
	if err != nil {
		return err
	}
	if o.Events {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			r.followEvents(ctx, o, time.Now().Add(-time.Minute))
		}()
	}
	inf.RunWithContext(ctx)
	f.wg.Wait()
	return nil
}

// follower starts one stream per container instance (pod, container, restart count).
type follower struct {
	r   *Reader
	o   Options
	ctx context.Context
	wg  sync.WaitGroup

	mu      sync.Mutex
	streams map[string]bool // container instances followed
	first   map[string]bool // containers of the first list whose first stream started
}

func (f *follower) seen(p *corev1.Pod, initial bool) {
	if !wanted(p, f.o) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	inst := f.r.instanceOf(p)
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Running == nil && cs.State.Terminated == nil {
			continue
		}
		key := fmt.Sprintf("%s/%s/%d", p.Name, cs.Name, cs.RestartCount)
		if f.streams[key] {
			continue
		}
		f.streams[key] = true
		lo := &corev1.PodLogOptions{Container: cs.Name, Timestamps: true, Follow: true}
		if first := p.Name + "/" + cs.Name; initial && !f.first[first] {
			// Running before we were: the tail and --since the user asked for. A container
			// that starts later is shown from its first line.
			f.first[first] = true
			lo = f.r.logOptions(cs.Name, f.o)
			lo.Follow = true
		} else {
			f.r.notice(Notice{Pod: p.Name, Instance: inst, Message: fmt.Sprintf("%s (%s) %s", inst, p.Name, startedWord(cs))})
		}
		f.wg.Add(1)
		go f.stream(p.Name, p.Spec.NodeName, p.Labels, cs.Name, cs.RestartCount, inst, lo)
	}
}

func startedWord(cs corev1.ContainerStatus) string {
	if cs.RestartCount > 0 {
		return fmt.Sprintf("restarted (restart %d)", cs.RestartCount)
	}
	return "started"
}

func (f *follower) gone(p *corev1.Pod) {
	if !wanted(p, f.o) {
		return
	}
	inst := f.r.release(p)
	f.r.notice(Notice{Pod: p.Name, Instance: inst, Message: fmt.Sprintf("%s (%s) is gone", inst, p.Name)})
}

// stream follows one container instance to its end, reopening a stream the API server
// ended while the container still runs; lines already shown are skipped.
func (f *follower) stream(pod, node string, labels map[string]string, container string, restarts int32, inst string, lo *corev1.PodLogOptions) {
	defer f.wg.Done()
	pods := f.r.Kube.Clientset.CoreV1().Pods(f.r.Kube.Namespace)
	var c cursor
	wait, lastErr := reopenWait, ""
	for {
		rc, err := pods.GetLogs(pod, lo).Stream(f.ctx)
		opened := err == nil
		if opened {
			err = scan(rc, func(t time.Time, text string) {
				if !c.next(t) {
					return
				}
				f.r.emit(Line{Time: t, Pod: pod, Container: container, Process: labels[kube.LabelComponent], Instance: inst, Text: text})
			})
			rc.Close()
			wait = reopenWait
		}
		if f.ctx.Err() != nil {
			return
		}
		switch {
		case !opened && f.r.simulated(f.ctx, node):
			f.r.notice(Notice{Pod: pod, Instance: inst, Message: fmt.Sprintf("%s (%s): its node %s is simulated (kwok) and serves no logs", inst, pod, node)})
			return
		case !opened:
			// The kubelet may be restarting: try again, less and less often, while the
			// container runs; say each new reason once.
			// The API server's own words: it is the node's kubelet it cannot reach.
			if msg := err.Error(); msg != lastErr {
				f.r.notice(Notice{Pod: pod, Instance: inst, Message: fmt.Sprintf("%s (%s): cannot read its log (retrying): %s", inst, pod, msg)})
				lastErr = msg
			}
			wait = min(2*wait, 30*time.Second)
		case err != nil && !errors.Is(err, io.EOF):
			f.r.notice(Notice{Pod: pod, Instance: inst, Message: fmt.Sprintf("%s (%s): %v", inst, pod, err)})
		}
		// Does the same container instance still run? Then the stream was cut (a kubelet
		// restart, log rotation): reopen it after the last line shown.
		select {
		case <-f.ctx.Done():
			return
		case <-time.After(wait):
		}
		p, gerr := pods.Get(f.ctx, pod, metav1.GetOptions{})
		if gerr != nil || !runs(p, container, restarts) {
			return
		}
		if !opened {
			continue // the same request again
		}
		lo = &corev1.PodLogOptions{Container: container, Timestamps: true, Follow: true}
		if !c.last.IsZero() {
			since := metav1.NewTime(c.last)
			lo.SinceTime = &since
		}
		c.reopen()
		f.r.notice(Notice{Pod: pod, Instance: inst, Message: fmt.Sprintf("%s (%s): its log stream ended while it runs; reopened", inst, pod)})
	}
}

// runs reports whether container of p is running as the same instance (restart count).
func runs(p *corev1.Pod, container string, restarts int32) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == container {
			return cs.RestartCount == restarts && cs.State.Running != nil
		}
	}
	return false
}

// cursor remembers the last line shown of a stream, so that a reopened stream (whose start
// the API rounds down to the second) skips what was shown already: lines older than the
// last, and as many lines of the last one's exact time as were shown.
type cursor struct {
	last time.Time
	n    int // lines shown with time == last
	skip int // lines of time == last still to skip in this stream
}

// next reports whether a line of time t is new, and counts it as shown if so.
func (c *cursor) next(t time.Time) bool {
	switch {
	case c.last.IsZero() || t.After(c.last):
		c.last, c.n, c.skip = t, 1, 0
		return true
	case t.Before(c.last):
		return false
	case c.skip > 0:
		c.skip--
		return false
	}
	c.n++
	return true
}

// reopen prepares for a new stream starting at or before the last line shown.
func (c *cursor) reopen() { c.skip = c.n }

func (r *Reader) emit(l Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Line(l)
}
