package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/progress"
)

// apply makes the release described by ch and waits for it. On failure it restores
// ch.rollbackTo, when set, with the live formation.
func (m *Manager) apply(ctx context.Context, ch *change) (*release.Release, error) {
	phase := cmp.Or(ch.phase, progress.Release)
	rel, err := m.upgrade(ctx, ch)
	if err == nil {
		m.send(phase, progress.Done, "Released v%d: %s", rel.Version, rel.Info.Description)
		return rel, nil
	}
	if rel == nil {
		return nil, err
	}
	fe := &FailedError{Revision: rel.Version, Reason: helmError(err)}
	var refused *kube.Refusal
	switch {
	case ctx.Err() != nil:
		fe.Reason = errors.New("interrupted")
	case errors.As(err, &refused):
		fe.Reason, fe.Refused = refused, refused
	case isTimeout(err):
		fe.Reason = &TimeoutError{Timeout: cmp.Or(ch.timeout, DefaultTimeout)}
	}
	switch {
	case fe.Refused != nil && fe.Refused.Kind == "Job":
	case ch.values.Release.Enabled && hooksFailed(err):
		fe.Reason = fmt.Errorf("the release command did not succeed: %w", fe.Reason)
		fe.Output = m.Kube.JobOutput(context.WithoutCancel(ctx), m.App+"-release", 50)
	default:
		fe.Unready = m.unready(context.WithoutCancel(ctx), fe.Refused == nil)
	}
	if ch.rollbackTo == nil {
		m.Progress.Send(progress.Event{Phase: phase, Status: progress.Failed, Err: fe.Reason})
		return nil, fe
	}
	m.Progress.Send(progress.Event{Phase: progress.Restore, Status: progress.Running, Err: fe.Reason,
		Message: fmt.Sprintf("v%d failed; restoring v%d", rel.Version, ch.rollbackTo.Version)})
	back, err := m.restore(context.WithoutCancel(ctx), ch.rollbackTo, fmt.Sprintf("Rollback to v%d (v%d failed)", ch.rollbackTo.Version, rel.Version), ch.timeout)
	if err != nil {
		fe.RollbackErr = err
		m.Progress.Send(progress.Event{Phase: progress.Restore, Status: progress.Failed, Err: err})
		return nil, fe
	}
	s := summary(back)
	fe.RolledBack = &s
	return nil, fe
}

// upgrade installs or upgrades the release and waits. A failed release is returned with
// the error.
func (m *Manager) upgrade(ctx context.Context, ch *change) (*release.Release, error) {
	cfg, err := m.cfg()
	if err != nil {
		return nil, err
	}
	vals, err := valuesMap(ch.values)
	if err != nil {
		return nil, err
	}
	timeout := cmp.Or(ch.timeout, DefaultTimeout)
	labels := map[string]string{LabelApp: m.App, LabelEnvironment: m.Environment}
	rels, err := m.history()
	if err != nil {
		return nil, err
	}
	m.send(cmp.Or(ch.phase, progress.Release), progress.Running, "Releasing v%d: %s (image %s); waiting up to %s", nextVersion(rels), ch.description, imageRef(ch.values.Image), timeout)
	if len(rels) == 0 {
		in := action.NewInstall(cfg)
		in.Namespace, in.ReleaseName, in.Description, in.Labels = m.Kube.Namespace, m.App, ch.description, labels
		in.Wait, in.Timeout = true, timeout
		rel, err := m.watch(ctx, ch, func(ctx context.Context) (*release.Release, error) {
			return in.RunWithContext(ctx, ch.chart, vals)
		})
		if err != nil {
			m.describeRefusal(cfg, rel, "Install", err)
			return m.failed(rel, err)
		}
		return rel, nil
	}
	up := action.NewUpgrade(cfg)
	up.Namespace, up.Description, up.Labels = m.Kube.Namespace, ch.description, labels
	up.Wait, up.Timeout = true, timeout
	rel, err := m.watch(ctx, ch, func(ctx context.Context) (*release.Release, error) {
		return up.RunWithContext(ctx, m.App, ch.chart, vals)
	})
	if err != nil {
		m.describeRefusal(cfg, rel, "Upgrade", err)
		return m.failed(rel, err)
	}
	return rel, nil
}

// watch runs an install or upgrade (run) while watching the app's ReplicaSets and release
// Job: when the cluster refuses to create their pods for longer than a retry takes, the
// wait is cancelled and the error is the *kube.Refusal, so the deploy fails at once with
// the cluster's reason instead of waiting out its timeout. With m.Progress set it also
// reports the release command and the rollout as they change.
func (m *Manager) watch(ctx context.Context, ch *change, run func(context.Context) (*release.Release, error)) (*release.Release, error) {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if r := m.Refusals.Await(wctx, m.Kube, m.App); r != nil {
			cancel(r)
		}
	}()
	reported := make(chan struct{})
	if m.Progress != nil {
		w := m.newRolloutWatch(wctx, ch)
		go func() {
			defer close(reported)
			w.run(wctx)
		}()
	} else {
		close(reported)
	}
	rel, err := run(wctx)
	cancel(nil)
	<-watched
	<-reported
	var r *kube.Refusal
	if err != nil && ctx.Err() == nil && errors.As(context.Cause(wctx), &r) {
		return rel, r
	}
	return rel, err
}

// describeRefusal puts the cluster's refusal (err, when it is one) into the description
// of the release it failed, where Helm wrote only that its wait was cancelled.
func (m *Manager) describeRefusal(cfg *action.Configuration, rel *release.Release, verb string, err error) {
	var r *kube.Refusal
	if !errors.As(err, &r) || rel == nil || rel.Info == nil || rel.Info.Status != release.StatusFailed {
		return
	}
	// Helm's wait may still hold rel: the record is updated from a copy.
	cp, info := *rel, *rel.Info
	info.Description = fmt.Sprintf("%s %q failed: %v", verb, rel.Name, r)
	cp.Info = &info
	_ = cfg.Releases.Update(&cp)
}

// failed finds the release a failed install or upgrade left, so its revision can be named.
func (m *Manager) failed(rel *release.Release, err error) (*release.Release, error) {
	err = m.Kube.Explain(err)
	if rel != nil {
		return rel, err
	}
	if rels, herr := m.history(); herr == nil && len(rels) > 0 {
		last := rels[len(rels)-1]
		if last.Info.Status == release.StatusFailed {
			return last, err
		}
	}
	return nil, err
}

func nextVersion(rels []*release.Release) int {
	if len(rels) == 0 {
		return 1
	}
	return rels[len(rels)-1].Version + 1
}

// restore makes a new release with target's chart and values (its image and config) but the
// live formation; the release command does not run. target is the deployed release (a
// failed one never is), so it also carries the autoscaling to keep.
func (m *Manager) restore(ctx context.Context, target *release.Release, desc string, timeout time.Duration) (*release.Release, error) {
	v, err := m.restoredValues(ctx, target, target)
	if err != nil {
		return nil, err
	}
	rel, err := m.upgrade(ctx, &change{chart: target.Chart, values: v, description: desc, timeout: timeout, phase: progress.Restore})
	if err == nil {
		// Not a line of its own: "Releasing v%d" said it, and the error says how it ended.
		m.Progress.Send(progress.Event{Phase: progress.Restore, Status: progress.Done})
	}
	return rel, err
}

// restoredValues are target's values with the live formation (cur is the deployed release)
// and no release command.
func (m *Manager) restoredValues(ctx context.Context, target, cur *release.Release) (*charts.Values, error) {
	v, err := rollbackValues(target)
	if err != nil {
		return nil, err
	}
	if err := m.keepFormation(ctx, v, cur); err != nil {
		return nil, err
	}
	return v, nil
}

// rollbackValues are what a release restoring target runs before the live formation is put
// in: target's image, process types and config, and no release command.
func rollbackValues(target *release.Release) (*charts.Values, error) {
	v, err := valuesOf(target)
	if err != nil {
		return nil, err
	}
	v.Release.Enabled = false
	return v, nil
}

// keepFormation puts the live formation into v: replica counts from the Deployments and
// autoscaling from cur, the deployed release.
func (m *Manager) keepFormation(ctx context.Context, v *charts.Values, cur *release.Release) error {
	live, err := m.Kube.Formation(ctx, m.App)
	if err != nil {
		return err
	}
	cv, err := valuesOf(cur)
	if err != nil {
		return err
	}
	for k, p := range v.Processes {
		if n, ok := live[k]; ok {
			p.Replicas = n
		}
		if cp, ok := cv.Processes[k]; ok {
			p.Autoscale = cp.Autoscale
		}
		v.Processes[k] = p
	}
	return nil
}
