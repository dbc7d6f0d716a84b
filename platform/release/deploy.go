package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/kube"
)

// DefaultTimeout bounds a deploy's wait for its release command and rollout.
const DefaultTimeout = 5 * time.Minute

// Image names what a release runs.
type Image = image.Ref

// DeployOptions is one deploy.
type DeployOptions struct {
	// App is the app, loaded with the environment's overrides.
	App *app.App
	// Image is what to run; Version the source version it was built from ("" if unknown).
	Image   Image
	Version string
	// Description overrides "Deploy <version or image>".
	Description string
	// Timeout bounds the wait for the release command and the rollout (default DefaultTimeout).
	Timeout time.Duration
	// Force makes a release even when nothing changed (same image, chart and config).
	Force bool
	// Generate makes values for app.json's generator: "secret" vars the first time they are
	// needed (default: 32 random bytes, hex); they are kept in the release afterwards.
	Generate func() (string, error)
}

// Result is what an operation that makes a release did.
type Result struct {
	Release Release
	// Recovered says which release left pending by a stopped client was recovered.
	Recovered string
	// NamespaceCreated is true when the deploy created the environment's namespace.
	NamespaceCreated bool
	// Unchanged is true when the deployed release already ran the same image, chart and
	// config, so no release was made (Release is the deployed one).
	Unchanged bool
	// Copied says which image a promotion copied between registries.
	Copied string
	// Generated lists the config vars generated for the first time.
	Generated []string
	Warnings  []app.Warning
}

// FailedError is a release that did not go out: the release command failed or the pods did
// not become ready in time. The previous release was restored when there was one.
type FailedError struct {
	Revision int
	// Reason is what failed.
	Reason error
	// Output is the release command's output, when it was the release command that failed;
	// Unready describes pods that did not become ready.
	Output, Unready string
	// Refused is the cluster's refusal to create the release's pods, when that is what
	// failed (it is then the Reason too).
	Refused *kube.Refusal
	// RolledBack is the release that restored the previous one; RollbackErr why that failed.
	RolledBack  *Release
	RollbackErr error
}

func (e *FailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "release v%d failed: %v", e.Revision, e.Reason)
	if e.Output != "" {
		fmt.Fprintf(&b, "\nrelease command output:\n  %s", strings.ReplaceAll(strings.TrimRight(e.Output, "\n"), "\n", "\n  "))
	}
	if e.Unready != "" {
		fmt.Fprintf(&b, "\nnot ready:\n  %s", strings.ReplaceAll(strings.TrimRight(e.Unready, "\n"), "\n", "\n  "))
	}
	switch {
	case e.RolledBack != nil:
		fmt.Fprintf(&b, "\nrolled back: v%d (%s) now serves the previous release's image and config", e.RolledBack.Revision, e.RolledBack.Description)
	case e.RollbackErr != nil:
		fmt.Fprintf(&b, "\nthe rollback failed too: %v", e.RollbackErr)
	default:
		b.WriteString("\nnothing to roll back to: this was the first release")
	}
	return b.String()
}

func (e *FailedError) Unwrap() error { return e.Reason }

// change is one new release: its chart and values, and how to make it.
type change struct {
	chart       *chart.Chart
	values      *charts.Values
	description string
	timeout     time.Duration
	// rollbackTo is the release to restore if this one fails (nil: none).
	rollbackTo *release.Release
}

// Deploy makes a new release of o.App running o.Image: upgrade, or install the first time,
// into the environment's namespace (created if missing), then wait for the release command
// and the rollout; on failure the previous release is restored.
func (m *Manager) Deploy(ctx context.Context, o DeployOptions) (*Result, error) {
	desc := o.Description
	if desc == "" {
		desc = "Deploy " + firstNonEmpty(shortVersion(o.Version), o.Image.String())
	}
	return m.deploy(ctx, o, desc, nil)
}

// PromoteOptions is one promotion.
type PromoteOptions struct {
	// App is the app, loaded with this (the target) environment's overrides.
	App *app.App
	// From is the app loaded with the source environment's overrides; it says which
	// repository that environment configures. nil: unknown, as if it configured none.
	From *app.App
	// Timeout bounds the wait for the release command and the rollout (default DefaultTimeout).
	Timeout time.Duration
	// Force makes a release even when nothing changed.
	Force bool
}

// Promote deploys the image of src's deployed release into this environment, without a
// build: same digest and process commands, this environment's own config, domain and
// formation. The image is copied only when this environment configures a repository
// other than the source environment's (and the image is not there already); otherwise
// the release runs the same reference (repository, tag and digest).
func (m *Manager) Promote(ctx context.Context, src *Manager, po PromoteOptions) (*Result, error) {
	from, err := src.current()
	if err != nil {
		return nil, err
	}
	if from == nil {
		return nil, fmt.Errorf("nothing to promote: %w", src.notDeployed())
	}
	fv, err := valuesOf(from)
	if err != nil {
		return nil, err
	}
	o := DeployOptions{App: po.App, Timeout: po.Timeout, Force: po.Force}
	o.Image = Image{Repository: fv.Image.Repository, Tag: fv.Image.Tag, Digest: fv.Image.Digest}
	o.Version = fv.App.Version
	desc := fmt.Sprintf("Promote v%d from %s", from.Version, src.Environment)
	var copied string
	if dst := copyTarget(po.App, po.From, o.Image); dst != "" {
		// This environment pulls from another registry: the image goes there first, by digest.
		if o.Image.Digest == "" {
			return nil, fmt.Errorf("promote v%d from %s: its image %s has no digest, so it cannot be copied to %s; deploy it by digest first", from.Version, src.Environment, o.Image, dst)
		}
		cp := m.Copy
		if cp == nil {
			cp = image.Copy
		}
		m.progress("Copying %s to %s", o.Image, dst)
		to, err := cp(ctx, o.Image, dst)
		if err != nil {
			return nil, err
		}
		copied = fmt.Sprintf("copied %s to %s", o.Image, to)
		o.Image = to
	}
	res, err := m.deploy(ctx, o, desc, fv)
	if res != nil {
		res.Copied = copied
	}
	return res, err
}

// copyTarget is the repository a promotion copies img into, or "" when it runs img as it
// is: a copy is made only when the target environment (to) configures a repository that
// differs from the source environment's (from) configured one and img is not in it. A
// repository that is only the default (the app's name) is never copied to.
func copyTarget(to, from *app.App, img Image) string {
	if to == nil || !to.Image.Configured || to.Image.Repository == "" {
		return ""
	}
	if from != nil && from.Image.Configured && from.Image.Repository == to.Image.Repository {
		return ""
	}
	if img.Repository == to.Image.Repository {
		return ""
	}
	return to.Image.Repository
}

func (m *Manager) deploy(ctx context.Context, o DeployOptions, desc string, promoted *charts.Values) (*Result, error) {
	if o.App == nil || o.Image.Repository == "" {
		return nil, errors.New("deploy: no app or no image")
	}
	if o.App.Name != m.App {
		return nil, fmt.Errorf("deploy: the app is %s, the manager's %s", o.App.Name, m.App)
	}
	// Everything that can be checked without the cluster changing is checked first.
	ch, _, err := m.plan(ctx, o, desc, promoted)
	if err != nil {
		return nil, err
	}
	if !o.Force && ch.rollbackTo != nil && unchanged(ch, ch.rollbackTo) {
		m.progress("Nothing changed: v%d already runs %s with this chart and config", ch.rollbackTo.Version, imageRef(ch.values.Image))
		return &Result{Release: summary(ch.rollbackTo), Unchanged: true}, nil
	}
	res := &Result{}
	created, err := m.Kube.EnsureNamespace(ctx)
	if err != nil {
		return nil, err
	}
	res.NamespaceCreated = created
	if created {
		m.progress("Created namespace %s", m.Kube.Namespace)
	}
	res.Recovered, err = m.locked(ctx, func(ctx context.Context) error {
		ch, r, err := m.plan(ctx, o, desc, promoted)
		if err != nil {
			return err
		}
		res.Generated, res.Warnings = r.Generated, r.Warnings
		rel, err := m.apply(ctx, ch)
		if err != nil {
			return err
		}
		res.Release = summary(rel)
		return nil
	})
	if res.Recovered != "" {
		m.progress("Recovered: %s", res.Recovered)
	}
	if err != nil {
		return res, err
	}
	return res, nil
}

// plan computes a deploy's chart and values against the current release and live formation.
func (m *Manager) plan(ctx context.Context, o DeployOptions, desc string, promoted *charts.Values) (*change, *Result, error) {
	a := o.App
	res := &Result{}
	cur, err := m.current()
	if err != nil {
		return nil, nil, err
	}
	var prev *charts.Values
	if cur != nil {
		if prev, err = valuesOf(cur); err != nil {
			return nil, nil, err
		}
	}
	cfg, err := m.deployConfig(a, prev, o.Generate)
	if err != nil {
		return nil, nil, err
	}
	res.Generated = cfg.Generated
	formation, err := m.Kube.Formation(ctx, m.App)
	if err != nil {
		return nil, nil, err
	}
	opts := charts.Options{Environment: m.Environment, Tag: o.Image.Tag, Digest: o.Image.Digest, Version: o.Version, Replicas: formation}
	gen, err := charts.Generate(a, opts)
	if err != nil {
		return nil, nil, err
	}
	res.Warnings = gen.Warnings
	opts.IncludeSecrets, opts.Config = true, cfg
	v, _, err := charts.BuildValues(a, opts)
	if err != nil {
		return nil, nil, err
	}
	v.Image.Repository = o.Image.Repository
	if prev != nil {
		v.Config.Set, v.Config.Unset = prev.Config.Set, prev.Config.Unset
		// The formation is not part of a release: autoscaling set on the cluster stays.
		for k, p := range v.Processes {
			old, ok := prev.Processes[k]
			if !ok {
				continue
			}
			if old.Autoscale != p.Autoscale {
				res.Warnings = append(res.Warnings, app.Warning{Message: fmt.Sprintf(
					"process %s: autoscaling in the files (%s) differs from the environment's (%s), which stays; change it with 'slipway autoscale %s'",
					p.Name, describeAutoscale(p.Autoscale), describeAutoscale(old.Autoscale), p.Name)})
			}
			p.Autoscale = old.Autoscale
			v.Processes[k] = p
		}
	}
	if promoted != nil {
		if err := takeCode(v, promoted); err != nil {
			return nil, nil, err
		}
	}
	ch, err := gen.Load()
	if err != nil {
		return nil, nil, err
	}
	return &change{chart: ch, values: v, description: desc, timeout: o.Timeout, rollbackTo: cur}, res, nil
}

// takeCode makes v run what the promoted release ran: its process types, commands, release
// command and cron jobs, which belong to its image, keeping v's settings for each type.
func takeCode(v, from *charts.Values) error {
	procs := map[string]charts.ProcessValues{}
	for k, fp := range from.Processes {
		p, ok := v.Processes[k]
		if !ok {
			p = fp
		}
		p.Name, p.Command = fp.Name, fp.Command
		procs[k] = p
	}
	v.Processes = procs
	v.Release.Enabled, v.Release.Command = from.Release.Enabled, from.Release.Command
	v.Cron = from.Cron
	v.App.Version = from.App.Version
	return nil
}

func describeAutoscale(a charts.AutoscaleValues) string {
	if !a.Enabled {
		return "off"
	}
	return fmt.Sprintf("%d–%d pods at %d%% CPU", a.MinReplicas, a.MaxReplicas, a.TargetCPUUtilizationPercentage)
}

// deployConfig resolves the config vars of a deploy: app.json's defaults, the environment's
// env file, then what was set and unset on the cluster; generated secrets are kept.
func (m *Manager) deployConfig(a *app.App, prev *charts.Values, generate func() (string, error)) (*app.Config, error) {
	opts, err := a.EnvironmentConfig(m.Environment)
	if err != nil {
		return nil, err
	}
	c, err := a.ResolveConfig(opts)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		for _, k := range prev.Config.Unset {
			delete(c.Vars, k)
		}
		for _, k := range prev.Config.Set {
			if val, ok := prev.Config.Data[k]; ok {
				c.Vars[k], c.Origin[k] = val, "config set"
			}
		}
	}
	if generate == nil {
		generate = app.GenerateSecret
	}
	for _, name := range sortedVarNames(a) {
		v := a.Vars[name]
		if _, ok := c.Vars[name]; ok || !v.Generate {
			continue
		}
		if prev != nil {
			if val, ok := prev.Config.Data[name]; ok {
				c.Vars[name], c.Origin[name] = val, "generated"
				continue
			}
		}
		val, err := generate()
		if err != nil {
			return nil, fmt.Errorf("generate %s: %w", name, err)
		}
		c.Vars[name], c.Origin[name] = val, "generated"
		c.Generated = append(c.Generated, name)
	}
	var missing []app.Var
	for _, v := range c.Missing {
		if _, ok := c.Vars[v.Name]; !ok {
			missing = append(missing, v)
		}
	}
	c.Missing = missing
	env := a.Environments[m.Environment]
	if err := c.MissingError(fmt.Sprintf("set it in %s, or on the cluster with 'slipway config set -e %s NAME=VALUE'", env.EnvFile, m.Environment)); err != nil {
		return nil, err
	}
	return c, nil
}

func sortedVarNames(a *app.App) []string {
	names := make([]string, 0, len(a.Vars))
	for k := range a.Vars {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// apply makes the release described by ch and waits for it. On failure it restores
// ch.rollbackTo, when set, with the live formation.
func (m *Manager) apply(ctx context.Context, ch *change) (*release.Release, error) {
	rel, err := m.upgrade(ctx, ch)
	if err == nil {
		m.progress("Released v%d: %s", rel.Version, rel.Info.Description)
		return rel, nil
	}
	if rel == nil {
		return nil, err
	}
	fe := &FailedError{Revision: rel.Version, Reason: helmError(err)}
	timeout := ch.timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var refused *kube.Refusal
	switch {
	case ctx.Err() != nil:
		fe.Reason = errors.New("interrupted")
	case errors.As(err, &refused):
		fe.Reason, fe.Refused = refused, refused
	case isTimeout(err):
		fe.Reason = fmt.Errorf("not done within %s (--timeout)", timeout)
	}
	switch {
	case fe.Refused != nil && fe.Refused.Kind == "Job":
	case ch.values.Release.Enabled && strings.Contains(err.Error(), "hooks failed"):
		fe.Reason = fmt.Errorf("the release command did not succeed: %w", fe.Reason)
		fe.Output = m.Kube.JobOutput(context.WithoutCancel(ctx), m.App+"-release", 50)
	default:
		fe.Unready = m.unready(context.WithoutCancel(ctx), fe.Refused == nil)
	}
	if ch.rollbackTo == nil {
		return nil, fe
	}
	m.progress("v%d failed; restoring v%d", rel.Version, ch.rollbackTo.Version)
	back, err := m.restore(context.WithoutCancel(ctx), ch.rollbackTo, fmt.Sprintf("Rollback to v%d (v%d failed)", ch.rollbackTo.Version, rel.Version), ch.timeout)
	if err != nil {
		fe.RollbackErr = err
		return nil, fe
	}
	s := summary(back)
	fe.RolledBack = &s
	return nil, fe
}

// unready describes the pods of process types that are not fully ready and, with
// refusals, what the cluster says when it refuses to create a type's pods.
func (m *Manager) unready(ctx context.Context, refusals bool) string {
	procs, err := m.Kube.Processes(ctx, m.App)
	if err != nil {
		return ""
	}
	refused := map[string][]string{}
	if refusals {
		if rs, err := m.Kube.Refusals(ctx, m.App); err == nil {
			for _, r := range rs {
				refused[r.Process] = append(refused[r.Process], r.Reason)
			}
		}
	}
	var b strings.Builder
	for _, p := range procs {
		waiting := 0
		for _, pod := range p.Pods {
			if !pod.Ready {
				waiting++
			}
		}
		if p.Ready >= p.Desired && waiting == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s: %d/%d ready, %d/%d updated\n", p.Name, p.Ready, p.Desired, p.Updated, p.Desired)
		for _, r := range refused[p.Name] {
			fmt.Fprintf(&b, "  pods cannot be created: %s\n", r)
		}
		for _, pod := range p.Pods {
			if pod.Ready {
				continue
			}
			line := fmt.Sprintf("  %s %s", pod.Name, pod.Phase)
			if pod.Reason != "" {
				line += ": " + pod.Reason
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
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
	timeout := ch.timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	labels := map[string]string{LabelApp: m.App, LabelEnvironment: m.Environment}
	rels, err := m.history()
	if err != nil {
		return nil, err
	}
	m.progress("Releasing v%d: %s (image %s); waiting up to %s", nextVersion(rels), ch.description, imageRef(ch.values.Image), timeout)
	if len(rels) == 0 {
		in := action.NewInstall(cfg)
		in.Namespace, in.ReleaseName, in.Description, in.Labels = m.Kube.Namespace, m.App, ch.description, labels
		in.Wait, in.Timeout = true, timeout
		rel, err := m.unlessRefused(ctx, func(ctx context.Context) (*release.Release, error) {
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
	rel, err := m.unlessRefused(ctx, func(ctx context.Context) (*release.Release, error) {
		return up.RunWithContext(ctx, m.App, ch.chart, vals)
	})
	if err != nil {
		m.describeRefusal(cfg, rel, "Upgrade", err)
		return m.failed(rel, err)
	}
	return rel, nil
}

// unlessRefused runs an install or upgrade (run) while watching the app's ReplicaSets and
// release Job: when the cluster refuses to create their pods for longer than a retry
// takes, the wait is cancelled and the error is the *kube.Refusal, so the deploy fails
// at once with the cluster's reason instead of waiting out its timeout.
func (m *Manager) unlessRefused(ctx context.Context, run func(context.Context) (*release.Release, error)) (*release.Release, error) {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if r := m.Refusals.Await(wctx, m.Kube, m.App); r != nil {
			cancel(r)
		}
	}()
	rel, err := run(wctx)
	cancel(nil)
	<-watched
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
	return m.upgrade(ctx, &change{chart: target.Chart, values: v, description: desc, timeout: timeout})
}

// restoredValues are target's values with the live formation (cur is the deployed release)
// and no release command.
func (m *Manager) restoredValues(ctx context.Context, target, cur *release.Release) (*charts.Values, error) {
	v, err := valuesOf(target)
	if err != nil {
		return nil, err
	}
	if err := m.keepFormation(ctx, v, cur); err != nil {
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

func shortVersion(v string) string {
	if len(v) > 7 && !strings.ContainsAny(v, ".-") {
		return v[:7]
	}
	return v
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// multiError matches the "N errors occurred:\n\t* …" lists of hashicorp/go-multierror that
// Helm's errors carry.
var multiError = regexp.MustCompile(`\d+ errors? occurred:\s*\n\s*\* `)

func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timed out waiting for the condition")
}

// helmError flattens Helm's error lists into one line each.
func helmError(err error) error {
	var ue *kube.UnreachableError
	if errors.As(err, &ue) {
		return err
	}
	msg := multiError.ReplaceAllString(err.Error(), "")
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n\t* ", "; ")), " ")
	if msg == err.Error() {
		return err
	}
	return fmt.Errorf("%s", msg)
}

// unchanged tells whether ch would release what cur already runs: the same values (image,
// config, formation, settings) and the same chart.
func unchanged(ch *change, cur *release.Release) bool {
	if cur.Info == nil || cur.Info.Status != release.StatusDeployed || cur.Chart == nil || cur.Chart.Metadata == nil || ch.chart.Metadata == nil {
		return false
	}
	vals, err := valuesMap(ch.values)
	if err != nil || !reflect.DeepEqual(vals, cur.Config) {
		return false
	}
	if ch.chart.Metadata.AppVersion != cur.Chart.Metadata.AppVersion || ch.chart.Metadata.Version != cur.Chart.Metadata.Version || len(ch.chart.Templates) != len(cur.Chart.Templates) {
		return false
	}
	old := map[string][]byte{}
	for _, f := range cur.Chart.Templates {
		old[f.Name] = f.Data
	}
	for _, f := range ch.chart.Templates {
		if !bytes.Equal(old[f.Name], f.Data) {
			return false
		}
	}
	return true
}
