package release

import (
	"bytes"
	"cmp"
	"context"
	"reflect"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/progress"
)

// change is one new release: its chart and values, and how to make it.
type change struct {
	chart       *chart.Chart
	values      *charts.Values
	description string
	timeout     time.Duration
	// rollbackTo is the release to restore if this one fails (nil: none).
	rollbackTo *release.Release
	// phase is the progress phase of the release (default progress.Release).
	phase progress.Phase
}

// Deploy makes a new release of o.App running o.Image: upgrade, or install the first time,
// into the environment's namespace (created if missing), then wait for the release command
// and the rollout; on failure the previous release is restored.
func (m *Manager) Deploy(ctx context.Context, o DeployOptions) (*Result, error) {
	desc := cmp.Or(o.Description, "Deploy "+cmp.Or(ShortVersion(o.Version), o.Image.String()))
	return m.deploy(ctx, o, desc, nil)
}

func (m *Manager) deploy(ctx context.Context, o DeployOptions, desc string, promoted *charts.Values) (*Result, error) {
	if err := m.checkDeploy(o); err != nil {
		return nil, err
	}
	// Everything that can be checked without the cluster changing is checked first.
	p, err := m.plan(ctx, o, desc, promoted)
	if err != nil {
		return nil, err
	}
	ch := p.change
	if !o.Force && ch.rollbackTo != nil && unchanged(ch, ch.rollbackTo) {
		m.send(progress.Release, progress.Done, "Nothing changed: v%d already runs %s with this chart and config", ch.rollbackTo.Version, imageRef(ch.values.Image))
		return &Result{Release: summary(ch.rollbackTo), Unchanged: true}, nil
	}
	res := &Result{}
	created, err := m.Kube.EnsureNamespace(ctx)
	if err != nil {
		return nil, err
	}
	res.NamespaceCreated = created
	if created {
		m.send(progress.Release, progress.Info, "Created namespace %s", m.Kube.Namespace)
	}
	res.Recovered, err = m.locked(ctx, func(ctx context.Context) error {
		// The plan stands unless another release came in since it was made.
		latest, err := m.latest()
		if err != nil {
			return err
		}
		if latest != p.latest {
			if p, err = m.plan(ctx, o, desc, promoted); err != nil {
				return err
			}
		}
		res.Generated, res.Warnings = p.generated, p.warnings
		rel, err := m.apply(ctx, p.change)
		if err != nil {
			return err
		}
		res.Release = summary(rel)
		return nil
	})
	return res, err
}

// latest is the newest revision of the app in the environment, whatever its status (0: none).
func (m *Manager) latest() (int, error) {
	rels, err := m.history()
	if err != nil || len(rels) == 0 {
		return 0, err
	}
	return rels[len(rels)-1].Version, nil
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

// ShortVersion is a source version as releases and front ends show it: a commit sha cut to
// 7 characters as git does; a version with dots or dashes (v1.2.3, a tag) kept whole.
func ShortVersion(v string) string {
	if len(v) > 7 && !strings.ContainsAny(v, ".-") {
		return v[:7]
	}
	return v
}
