package tui

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/logs"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
	"github.com/slipwayhq/slipway/platform/watch"
)

// now is the fixed clock of the golden screens.
var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

const (
	imgA = "localhost:5000/life@sha256:aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111"
	imgB = "localhost:5000/life@sha256:bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222"
	imgC = "localhost:5000/life@sha256:cccccccccccc5555555555555555555555555555555555555555555555555555"
)

// fake is a Backend with fixed data; it records what it was asked to do. Tests change its
// data under mu, then signal.
type fake struct {
	mu      sync.Mutex
	changed chan struct{}
	conn    watch.Conn
	apps    []watch.AppEnv
	procs   map[Target][]kube.Process
	events  []watch.Event
	hist    map[string][]release.Release
	config  map[string]string
	lines   []logs.Line
	scaled  []map[string]int
	calls   []string
	failSet error
	// fail makes reads fail: "history ENV", "config", "preview promote".
	fail map[string]error
}

func newFake() *fake {
	stg := Target{App: "life", Environment: "staging", Namespace: "life-staging"}
	return &fake{
		changed: make(chan struct{}, 1),
		conn:    watch.Conn{Synced: true, Connected: true, Since: ago(time.Minute)},
		apps: []watch.AppEnv{
			{App: "api", Environment: "staging", Namespace: "api-staging", Revision: 12, Status: "deployed", State: "rolling", Releases: 12, Modified: ago(3 * time.Minute), Image: "localhost:5000/api@sha256:cccccccccccc3333333333333333333333333333333333333333333333333333", Source: "c0ffee1234", Ready: 3, Desired: 4},
			{App: "life", Environment: "production", Namespace: "life-production", Revision: 2, Status: "deployed", State: "deployed", Releases: 2, Modified: ago(26 * time.Hour), Image: imgA, Source: "aaaaaaa1234", Ready: 2, Desired: 2},
			{App: "life", Environment: "staging", Namespace: "life-staging", Revision: 4, Status: "deployed", State: "deployed", Releases: 4, Modified: ago(40 * time.Minute), Image: imgB, Source: "bbbbbbb5678", Ready: 4, Desired: 5},
			{App: "shop", Environment: "staging", Namespace: "shop-staging", Revision: 7, Status: "failed", State: "failed", Releases: 7, Modified: ago(5 * 24 * time.Hour), Image: "localhost:5000/shop@sha256:dddddddddddd4444444444444444444444444444444444444444444444444444", Source: "d00d00d", Ready: 0, Desired: 1},
		},
		procs: map[Target][]kube.Process{stg: {
			{Type: "clock", Name: "clock", Desired: 1, Ready: 1, Updated: 1, Status: "up", Image: imgB,
				Pods: []kube.Pod{{Name: "life-clock-7d9f-x2x9q", Phase: "Running", Ready: true, Created: ago(40 * time.Minute), Node: "node-1"}}},
			{Type: "web", Name: "web", Desired: 3, Ready: 3, Updated: 3, Status: "up", Image: imgB, Autoscale: &kube.Autoscale{Min: 2, Max: 6, CPU: 70, Current: 3},
				Pods: []kube.Pod{
					{Name: "life-web-5c6b-abcde", Phase: "Running", Ready: true, Created: ago(40 * time.Minute), Node: "node-1"},
					{Name: "life-web-5c6b-fghij", Phase: "Running", Ready: true, Created: ago(39 * time.Minute), Node: "node-2"},
					{Name: "life-web-5c6b-klmno", Phase: "Running", Ready: true, Created: ago(2 * time.Minute), Node: "node-1", Restarts: 1, Reason: "last exit code 137 (OOMKilled)", Crashed: true},
				}},
			{Type: "worker-beat", Name: "worker_beat", Desired: 1, Ready: 0, Updated: 1, Restarts: 7, Status: "crash loop: 7 restarts, last exit code 1 (Error)", Image: imgB,
				Pods: []kube.Pod{{Name: "life-worker-beat-66f-pqrst", Phase: "Running", Restarts: 7, Created: ago(40 * time.Minute), Node: "node-2", Reason: "CrashLoopBackOff back-off 5m0s restarting failed container", Crashed: true}}},
		}},
		events: []watch.Event{
			{Time: ago(30 * time.Minute), Type: "Normal", Reason: "ScalingReplicaSet", Object: "Deployment/life-web", Message: "Scaled up replica set life-web-5c6b to 3", Count: 1},
			{Time: ago(2 * time.Minute), Type: "Warning", Reason: "BackOff", Object: "Pod/life-worker-beat-66f-pqrst", Message: "Back-off restarting failed container worker in pod life-worker-beat-66f-pqrst", Count: 31},
		},
		hist: map[string][]release.Release{
			"staging": {
				{Revision: 4, Status: "deployed", Description: "Set config FOO", Image: imgB, Version: "bbbbbbb5678", Updated: ago(40 * time.Minute)},
				{Revision: 3, Status: "superseded", Description: "Deploy bbbbbbb", Image: imgB, Version: "bbbbbbb5678", Updated: ago(2 * time.Hour)},
				{Revision: 2, Status: "superseded", Description: "Set config GREETING", Image: imgA, Version: "aaaaaaa1234", Updated: ago(26 * time.Hour)},
				{Revision: 1, Status: "superseded", Description: "Deploy aaaaaaa", Image: imgA, Version: "aaaaaaa1234", Updated: ago(27 * time.Hour)},
			},
			"production": {
				{Revision: 2, Status: "deployed", Description: "Promote v2 from staging", Image: imgA, Version: "aaaaaaa1234", Updated: ago(26 * time.Hour)},
				{Revision: 1, Status: "superseded", Description: "Promote v1 from staging", Image: imgA, Version: "aaaaaaa1234", Updated: ago(27 * time.Hour)},
			},
		},
		fail:   map[string]error{},
		config: map[string]string{"DATABASE_URL": "postgres://secret@db/life", "FOO": "bar", "GREETING": "hi there"},
		lines: []logs.Line{
			{Time: ago(3 * time.Minute), Instance: "web.1", Process: "web", Text: "listening on :5000"},
			{Time: ago(2 * time.Minute), Instance: "web.2", Process: "web", Text: "GET / 200 1.2ms"},
			{Time: ago(2 * time.Minute), Event: true, Text: "worker_beat.1: back-off restarting its container (31 times)"},
			{Time: ago(time.Minute), Instance: "web.1", Process: "web", Text: "GET /health 200 0.3ms"},
			{Time: ago(30 * time.Second), Instance: "web.3", Process: "web", Text: "GET /slow 200 950ms"},
		},
	}
}

func (f *fake) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

// signal says the data changed, as the watches do (coalesced: a signal not received yet
// stands for this one too).
func (f *fake) signal() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// setFail makes the read named op fail with err (nil: succeed).
func (f *fake) setFail(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = err
}

// deployStaging makes staging's v5 (image imgC), as a push would while the dashboard runs.
func (f *fake) deployStaging() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, a := range f.apps {
		if a.App == "life" && a.Environment == "staging" {
			f.apps[i].Revision, f.apps[i].Releases, f.apps[i].Image, f.apps[i].Source = 5, 5, imgC, "ccccccc9012"
		}
	}
	old := f.hist["staging"]
	old[0].Status = "superseded"
	f.hist["staging"] = append([]release.Release{{Revision: 5, Status: "deployed", Description: "Deploy ccccccc", Image: imgC, Version: "ccccccc9012", Updated: ago(time.Minute)}}, old...)
}

func (f *fake) calledWith() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fake) Changed() <-chan struct{} { return f.changed }
func (f *fake) Conn() watch.Conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conn
}
func (f *fake) Apps() []watch.AppEnv {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.apps)
}
func (f *fake) Processes(t Target) []kube.Process { return f.procs[t] }
func (f *fake) Events(Target) []watch.Event       { return f.events }
func (f *fake) History(_ context.Context, t Target) ([]release.Release, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail["history "+t.Environment]; err != nil {
		return nil, err
	}
	return slices.Clone(f.hist[t.Environment]), nil
}
func (f *fake) Config(context.Context, Target) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail["config"]; err != nil {
		return nil, err
	}
	return maps.Clone(f.config), nil
}
func (f *fake) Scale(_ context.Context, _ Target, counts map[string]int) error {
	f.mu.Lock()
	f.scaled = append(f.scaled, counts)
	f.mu.Unlock()
	return nil
}
func (f *fake) Autoscale(_ context.Context, _ Target, o release.AutoscaleOptions, _ progress.Func) (*release.Result, error) {
	if o.Off {
		f.record(fmt.Sprintf("autoscale %s off", o.Type))
	} else {
		f.record(fmt.Sprintf("autoscale %s %d–%d @%d%%", o.Type, o.Min, o.Max, o.CPU))
	}
	return &release.Result{Release: release.Release{Revision: 5, Description: "Autoscale web", Image: imgB}}, nil
}
func (f *fake) PreviewRollback(_ context.Context, _ Target, to int) (*release.Change, error) {
	cur, src := f.hist["staging"][0], f.hist["staging"][4-to]
	return &release.Change{From: &cur, Source: &src, ImageFrom: imgB, ImageTo: src.Image, VersionFrom: cur.Version, VersionTo: src.Version,
		ConfigRemoved: []string{"FOO"}}, nil
}
func (f *fake) Rollback(_ context.Context, _ Target, to int, p progress.Func) (*release.Result, error) {
	f.record("rollback")
	p.Send(progress.Event{Phase: progress.Release, Status: progress.Running, Message: "Releasing v5: Rollback to v2"})
	p.Send(progress.Event{Phase: progress.Rollout, Status: progress.Done, Message: "web: 3/3 pods updated and ready"})
	return &release.Result{Release: release.Release{Revision: 5, Description: "Rollback to v2", Image: imgA}}, nil
}
func (f *fake) PreviewPromote(context.Context, Target, Target) (*release.Change, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail["preview promote"]; err != nil {
		return nil, err
	}
	cur, src := f.hist["production"][0], f.hist["staging"][0]
	return &release.Change{From: &cur, Source: &src, ImageFrom: imgA, ImageTo: src.Image, VersionFrom: "aaaaaaa1234", VersionTo: src.Version,
		TypesAdded: []string{"worker_beat"}, ConfigAdded: []string{"FOO"}, ConfigChanged: []string{"GREETING"}}, nil
}
func (f *fake) Promote(_ context.Context, _, _ Target, fromRevision int, p progress.Func) (*release.Result, error) {
	f.record(fmt.Sprintf("promote v%d", fromRevision))
	f.mu.Lock()
	head := f.hist["staging"][0].Revision
	f.mu.Unlock()
	if fromRevision != 0 && fromRevision != head {
		// As release.Manager.Promote refuses.
		return nil, &release.SourceMovedError{Environment: "staging", Pinned: fromRevision, Current: head}
	}
	p.Send(progress.Event{Phase: progress.Release, Status: progress.Running, Message: "Releasing v3: Promote v4 from staging"})
	return &release.Result{Release: release.Release{Revision: 3, Description: "Promote v4 from staging", Image: imgB}}, nil
}

// hintErr is a platform error with a hint.
type hintErr struct{ msg, hint string }

func (e *hintErr) Error() string { return e.msg }
func (e *hintErr) Hint() string  { return e.hint }

func (f *fake) SetConfig(_ context.Context, _ Target, vars map[string]string, p progress.Func) (*release.Result, error) {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		kv = append(kv, k+"="+vars[k])
	}
	f.record("set " + strings.Join(kv, " "))
	if f.failSet != nil {
		return nil, f.failSet
	}
	return &release.Result{Release: release.Release{Revision: 5, Description: "Set config", Image: imgB}}, nil
}
func (f *fake) UnsetConfig(_ context.Context, _ Target, keys []string, _ progress.Func) (*release.Result, error) {
	f.record("unset " + strings.Join(keys, " "))
	return &release.Result{Release: release.Release{Revision: 5, Description: "Unset config", Image: imgB}}, nil
}
func (f *fake) Logs(ctx context.Context, _ Target, process string, lines func([]logs.Line)) error {
	lines(f.lines)
	<-ctx.Done()
	return nil
}
