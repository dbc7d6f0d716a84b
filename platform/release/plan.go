package release

import (
	"context"
	"errors"
	"fmt"

	"helm.sh/helm/v3/pkg/release"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/app"
)

// plan is a deploy's change, computed against the releases and live formation as they were.
type plan struct {
	change *change
	// latest is the newest revision when the plan was made (0: none).
	latest    int
	generated []string
	warnings  []app.Warning
}

// checkDeploy checks a deploy's options against the manager, before anything is read.
func (m *Manager) checkDeploy(o DeployOptions) error {
	if o.App == nil || o.Image.Repository == "" {
		return errors.New("deploy: no app or no image")
	}
	if o.App.Name != m.App {
		return fmt.Errorf("deploy: the app is %s, the manager's %s", o.App.Name, m.App)
	}
	return nil
}

// plan computes a deploy's chart and values against the current release and live formation.
func (m *Manager) plan(ctx context.Context, o DeployOptions, desc string, promoted *charts.Values) (*plan, error) {
	rels, err := m.history()
	if err != nil {
		return nil, err
	}
	formation, err := m.Kube.Formation(ctx, m.App)
	if err != nil {
		return nil, err
	}
	p, err := m.planOver(o, desc, promoted, deployed(rels), formation)
	if err != nil {
		return nil, err
	}
	if len(rels) > 0 {
		p.latest = rels[len(rels)-1].Version
	}
	return p, nil
}

// planOver computes a deploy's chart and values over cur, the deployed release (nil: none),
// with formation as the replica counts by type (nil: the files'). It reads the app's files
// and nothing on the cluster: a preview runs it as the deploy does.
func (m *Manager) planOver(o DeployOptions, desc string, promoted *charts.Values, cur *release.Release, formation map[string]int) (*plan, error) {
	a := o.App
	p := &plan{}
	var prev *charts.Values
	if cur != nil {
		var err error
		if prev, err = valuesOf(cur); err != nil {
			return nil, err
		}
	}
	cfg, err := m.deployConfig(a, prev, o.Generate)
	if err != nil {
		return nil, err
	}
	p.generated = cfg.Generated
	opts := charts.Options{Environment: m.Environment, Tag: o.Image.Tag, Digest: o.Image.Digest, Version: o.Version, Replicas: formation}
	gen, err := charts.Generate(a, opts)
	if err != nil {
		return nil, err
	}
	p.warnings = gen.Warnings
	opts.IncludeSecrets, opts.Config = true, cfg
	v, _, err := charts.BuildValues(a, opts)
	if err != nil {
		return nil, err
	}
	v.Image.Repository = o.Image.Repository
	if prev != nil {
		v.Config.Set, v.Config.Unset = prev.Config.Set, prev.Config.Unset
		// The formation is not part of a release: autoscaling set on the cluster stays.
		for k, pv := range v.Processes {
			old, ok := prev.Processes[k]
			if !ok {
				continue
			}
			if old.Autoscale != pv.Autoscale {
				p.warnings = append(p.warnings, app.Warning{Message: fmt.Sprintf(
					"process %s: autoscaling in the files (%s) differs from the environment's (%s), which stays; change it with 'slipway autoscale %s'",
					pv.Name, describeAutoscale(pv.Autoscale), describeAutoscale(old.Autoscale), pv.Name)})
			}
			pv.Autoscale = old.Autoscale
			v.Processes[k] = pv
		}
	}
	if promoted != nil {
		if err := takeCode(v, promoted); err != nil {
			return nil, err
		}
	}
	ch, err := gen.Load()
	if err != nil {
		return nil, err
	}
	p.change = &change{chart: ch, values: v, description: desc, timeout: o.Timeout, rollbackTo: cur}
	return p, nil
}

func describeAutoscale(a charts.AutoscaleValues) string {
	if !a.Enabled {
		return "off"
	}
	return fmt.Sprintf("%d–%d pods at %d%% CPU", a.MinReplicas, a.MaxReplicas, a.TargetCPUUtilizationPercentage)
}
