package tui

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/slipwayhq/slipway/platform/env"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/logs"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
	"github.com/slipwayhq/slipway/platform/watch"
)

// Live is the Backend over a cluster: the watch source for what the views show, and the
// platform's operations (the ones the CLI runs) on environments opened through Open.
type Live struct {
	Source *watch.Source
	// Open opens an app in an environment, as the CLI's cluster commands do.
	Open func(t Target) (*env.Env, error)

	mu   sync.Mutex
	envs map[Target]*env.Env
}

var _ Backend = (*Live)(nil)

func (l *Live) open(t Target) (*env.Env, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.envs[t]; ok {
		return e, nil
	}
	e, err := l.Open(t)
	if err != nil {
		return nil, err
	}
	if l.envs == nil {
		l.envs = map[Target]*env.Env{}
	}
	l.envs[t] = e
	return e, nil
}

func (l *Live) manager(t Target, p progress.Func) (*release.Manager, error) {
	e, err := l.open(t)
	if err != nil {
		return nil, err
	}
	return e.Releases(p), nil
}

// Changed implements Backend.
func (l *Live) Changed() <-chan struct{} { return l.Source.Changed() }

// Conn implements Backend.
func (l *Live) Conn() watch.Conn { return l.Source.Conn() }

// Apps implements Backend.
func (l *Live) Apps() []watch.AppEnv { return l.Source.Apps() }

// Processes implements Backend.
func (l *Live) Processes(t Target) []kube.Process { return l.Source.Processes(t.Namespace, t.App) }

// Events implements Backend.
func (l *Live) Events(t Target) []watch.Event { return l.Source.Events(t.Namespace, t.App) }

// History implements Backend.
func (l *Live) History(ctx context.Context, t Target) ([]release.Release, error) {
	m, err := l.manager(t, nil)
	if err != nil {
		return nil, err
	}
	return m.History(ctx)
}

// Config implements Backend.
func (l *Live) Config(ctx context.Context, t Target) (map[string]string, error) {
	m, err := l.manager(t, nil)
	if err != nil {
		return nil, err
	}
	return m.Config(ctx)
}

// Scale implements Backend.
func (l *Live) Scale(ctx context.Context, t Target, counts map[string]int) error {
	e, err := l.open(t)
	if err != nil {
		return err
	}
	_, err = e.Kube.Scale(ctx, e.Name, counts)
	return err
}

// Autoscale implements Backend.
func (l *Live) Autoscale(ctx context.Context, t Target, o release.AutoscaleOptions, p progress.Func) (*release.Result, error) {
	m, err := l.manager(t, p)
	if err != nil {
		return nil, err
	}
	o.Timeout = release.DefaultTimeout
	return m.Autoscale(ctx, o)
}

// PreviewRollback implements Backend.
func (l *Live) PreviewRollback(ctx context.Context, t Target, to int) (*release.Change, error) {
	m, err := l.manager(t, nil)
	if err != nil {
		return nil, err
	}
	return m.PreviewRollback(ctx, to)
}

// Rollback implements Backend.
func (l *Live) Rollback(ctx context.Context, t Target, to int, p progress.Func) (*release.Result, error) {
	m, err := l.manager(t, p)
	if err != nil {
		return nil, err
	}
	return m.Rollback(ctx, to, release.DefaultTimeout)
}

// errNoAppFiles refuses a promotion of an app known by name only: what the target
// environment is (its config, domain, repository) is in the app's files.
var errNoAppFiles = errors.New("promoting needs the app's files (its slipway.yaml and env files say what the target environment runs with); open the dashboard in the app's directory")

func (l *Live) promotion(from, to Target, p progress.Func) (*release.Manager, *release.Manager, release.PromoteOptions, error) {
	src, err := l.open(from)
	if err != nil {
		return nil, nil, release.PromoteOptions{}, err
	}
	dst, err := l.open(to)
	if err != nil {
		return nil, nil, release.PromoteOptions{}, err
	}
	if dst.App == nil {
		return nil, nil, release.PromoteOptions{}, errNoAppFiles
	}
	return dst.Releases(p), src.Releases(nil), release.PromoteOptions{App: dst.App, From: src.App, Timeout: release.DefaultTimeout}, nil
}

// PreviewPromote implements Backend.
func (l *Live) PreviewPromote(ctx context.Context, from, to Target) (*release.Change, error) {
	dst, src, po, err := l.promotion(from, to, nil)
	if err != nil {
		return nil, err
	}
	return dst.PreviewPromote(ctx, src, po)
}

// Promote implements Backend.
func (l *Live) Promote(ctx context.Context, from, to Target, fromRevision int, p progress.Func) (*release.Result, error) {
	dst, src, po, err := l.promotion(from, to, p)
	if err != nil {
		return nil, err
	}
	po.FromRevision = fromRevision
	return dst.Promote(ctx, src, po)
}

// SetConfig implements Backend.
func (l *Live) SetConfig(ctx context.Context, t Target, vars map[string]string, p progress.Func) (*release.Result, error) {
	m, err := l.manager(t, p)
	if err != nil {
		return nil, err
	}
	return m.SetConfig(ctx, vars, release.DefaultTimeout)
}

// UnsetConfig implements Backend.
func (l *Live) UnsetConfig(ctx context.Context, t Target, keys []string, p progress.Func) (*release.Result, error) {
	m, err := l.manager(t, p)
	if err != nil {
		return nil, err
	}
	return m.UnsetConfig(ctx, keys, release.DefaultTimeout)
}

// logTail is how many of each container's last lines the log pane starts with.
const logTail = 200

// Logs implements Backend: `slipway logs -f` with the app's warning events interleaved;
// what the reader has to say about the stream (a pod joined, a node serves no logs)
// comes as event lines.
func (l *Live) Logs(ctx context.Context, t Target, process string, lines func([]logs.Line)) error {
	e, err := l.open(t)
	if err != nil {
		return err
	}
	r := &logs.Reader{
		Kube: e.Kube,
		Line: func(ln logs.Line) { lines([]logs.Line{ln}) },
		Notice: func(n logs.Notice) {
			lines([]logs.Line{{Time: time.Now(), Pod: n.Pod, Instance: n.Instance, Text: n.Message, Event: true}})
		},
	}
	return r.Read(ctx, logs.Options{App: e.Name, Process: process, Tail: logTail, Follow: true, Events: true})
}
