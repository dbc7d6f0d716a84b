package release

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/release"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/kube"
)

// Rollback makes a new release with the image and config of revision to (0: the release
// before the deployed one), keeping the live formation. The release command does not run.
func (m *Manager) Rollback(ctx context.Context, to int, timeout time.Duration) (*Result, error) {
	// Checked before the lock too: a wrong vN changes nothing.
	if _, _, err := m.rollbackTo(to); err != nil {
		return nil, err
	}
	res := &Result{}
	var err error
	res.Recovered, err = m.locked(ctx, func(ctx context.Context) error {
		cur, target, err := m.rollbackTo(to)
		if err != nil {
			return err
		}
		v, err := m.restoredValues(ctx, target, cur)
		if err != nil {
			return err
		}
		rel, err := m.apply(ctx, &change{chart: target.Chart, values: v, description: fmt.Sprintf("Rollback to v%d", target.Version), timeout: timeout, rollbackTo: cur})
		if err != nil {
			return err
		}
		res.Release = summary(rel)
		return nil
	})
	return res, err
}

// rollbackTo returns the deployed release and the one to roll back to.
func (m *Manager) rollbackTo(to int) (cur, target *release.Release, err error) {
	rels, err := m.history()
	if err != nil {
		return nil, nil, err
	}
	if cur, err = m.current(); err != nil {
		return nil, nil, err
	}
	if cur == nil {
		return nil, nil, m.notDeployed()
	}
	target, err = rollbackTarget(rels, cur, to)
	return cur, target, err
}

func rollbackTarget(rels []*release.Release, cur *release.Release, to int) (*release.Release, error) {
	if to == 0 {
		for i := len(rels) - 1; i >= 0; i-- {
			r := rels[i]
			if r.Version < cur.Version && (r.Info.Status == release.StatusSuperseded || r.Info.Status == release.StatusDeployed) {
				return r, nil
			}
		}
		return nil, fmt.Errorf("nothing to roll back to: v%d is the first release that went out", cur.Version)
	}
	for _, r := range rels {
		if r.Version != to {
			continue
		}
		if r.Info.Status == release.StatusFailed || r.Info.Status.IsPending() {
			return nil, fmt.Errorf("v%d %s (%s); roll back to a release that went out", to, r.Info.Status, r.Info.Description)
		}
		return r, nil
	}
	return nil, fmt.Errorf("no release v%d (releases: v%d to v%d)", to, rels[0].Version, rels[len(rels)-1].Version)
}

// Config returns the deployed release's config vars.
func (m *Manager) Config(ctx context.Context) (map[string]string, error) {
	cur, err := m.current()
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, m.notDeployed()
	}
	v, err := valuesOf(cur)
	if err != nil {
		return nil, err
	}
	return v.Config.Data, nil
}

// SetConfig sets config vars in a new release, which rolls every process's pods (and runs
// the release command, as on Heroku). The values stay in the environment: later deploys
// keep them over the env file's.
func (m *Manager) SetConfig(ctx context.Context, vars map[string]string, timeout time.Duration) (*Result, error) {
	keys := slices.Sorted(maps.Keys(vars))
	if err := checkNames(keys); err != nil {
		return nil, err
	}
	return m.edit(ctx, "Set config "+strings.Join(keys, ", "), timeout, true, func(v *charts.Values) error {
		for _, k := range keys {
			v.Config.Data[k] = vars[k]
			v.Config.Set = addKey(v.Config.Set, k)
			v.Config.Unset = removeKey(v.Config.Unset, k)
		}
		return nil
	})
}

// UnsetConfig removes config vars in a new release; an env file that sets them no longer
// brings them back on later deploys. Removing a var that is not set is an error.
func (m *Manager) UnsetConfig(ctx context.Context, keys []string, timeout time.Duration) (*Result, error) {
	keys = slices.Sorted(slices.Values(keys))
	if err := checkNames(keys); err != nil {
		return nil, err
	}
	return m.edit(ctx, "Unset config "+strings.Join(keys, ", "), timeout, true, func(v *charts.Values) error {
		var missing []string
		for _, k := range keys {
			if _, ok := v.Config.Data[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("config %s %s not set in %s", plural(len(missing), "var", "vars"), strings.Join(missing, ", "), m.Environment)
		}
		for _, k := range keys {
			delete(v.Config.Data, k)
			v.Config.Set = removeKey(v.Config.Set, k)
			v.Config.Unset = addKey(v.Config.Unset, k)
		}
		return nil
	})
}

// AutoscaleOptions turns a process type's autoscaling on (Min, Max, CPU) or off.
type AutoscaleOptions struct {
	Type          string
	Off           bool
	Min, Max, CPU int
	Timeout       time.Duration
}

// AutoscaleError says an autoscaling bound is out of range.
type AutoscaleError struct {
	// Field is the bound: "min", "max" or "cpu" (AutoscaleOptions.Min, Max, CPU).
	Field string
	// Value is the value given; Min the minimum, for a maximum below it.
	Value, Min int
}

func (e *AutoscaleError) Error() string {
	switch e.Field {
	case "min":
		return fmt.Sprintf("minimum replicas must be at least 1, got %d", e.Value)
	case "max":
		return fmt.Sprintf("maximum replicas (%d) must be at least the minimum (%d)", e.Value, e.Min)
	}
	return fmt.Sprintf("target CPU utilisation must be 1 to 100 percent, got %d", e.Value)
}

// check checks the bounds of autoscaling turned on.
func (o AutoscaleOptions) check() error {
	switch {
	case o.Min < 1:
		return &AutoscaleError{Field: "min", Value: o.Min}
	case o.Max < o.Min:
		return &AutoscaleError{Field: "max", Value: o.Max, Min: o.Min}
	case o.CPU < 1 || o.CPU > 100:
		return &AutoscaleError{Field: "cpu", Value: o.CPU}
	}
	return nil
}

// Autoscale changes a process type's HorizontalPodAutoscaler in a new release, which
// changes nothing else. Turning it off keeps the type's current replica count.
func (m *Manager) Autoscale(ctx context.Context, o AutoscaleOptions) (*Result, error) {
	if !o.Off {
		if err := o.check(); err != nil {
			return nil, err
		}
	}
	var desc string
	return m.editWith(ctx, func(v *charts.Values) (string, error) {
		k, ok := processKey(v, o.Type)
		if !ok {
			return "", &kube.UnknownTypeError{Type: o.Type, Known: processNames(v)}
		}
		p := v.Processes[k]
		if o.Off {
			if !p.Autoscale.Enabled {
				return "", fmt.Errorf("%s is not autoscaled", p.Name)
			}
			p.Autoscale = charts.AutoscaleValues{}
			desc = fmt.Sprintf("Autoscale %s off", p.Name)
		} else {
			if p.Singleton {
				return "", fmt.Errorf("%s is a singleton (one pod at most, like a clock): it cannot autoscale", p.Name)
			}
			if p.Resources == nil || p.Resources.Requests.Cpu().IsZero() {
				return "", fmt.Errorf("%s requests no CPU, so a CPU target means nothing; give it a size or resources.cpu in slipway.yaml and deploy", p.Name)
			}
			p.Autoscale = charts.AutoscaleValues{Enabled: true, MinReplicas: o.Min, MaxReplicas: o.Max, TargetCPUUtilizationPercentage: o.CPU}
			p.Replicas = p.Autoscale.Clamp(p.Replicas)
			desc = fmt.Sprintf("Autoscale %s: %s", p.Name, describeAutoscale(p.Autoscale))
		}
		v.Processes[k] = p
		return desc, nil
	}, o.Timeout, false)
}

// edit makes a new release from the deployed one with values changed by fn.
func (m *Manager) edit(ctx context.Context, desc string, timeout time.Duration, runRelease bool, fn func(*charts.Values) error) (*Result, error) {
	return m.editWith(ctx, func(v *charts.Values) (string, error) { return desc, fn(v) }, timeout, runRelease)
}

func (m *Manager) editWith(ctx context.Context, fn func(*charts.Values) (string, error), timeout time.Duration, runRelease bool) (*Result, error) {
	res := &Result{}
	var err error
	// Check against the current release before taking the lock: bad input changes nothing.
	cur, err := m.current()
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, m.notDeployed()
	}
	if v, err := valuesOf(cur); err != nil {
		return nil, err
	} else if _, err := fn(v); err != nil {
		return nil, err
	} else if err := v.Config.CheckSize(); err != nil {
		return nil, err
	}
	res.Recovered, err = m.locked(ctx, func(ctx context.Context) error {
		cur, err := m.current()
		if err != nil {
			return err
		}
		if cur == nil {
			return m.notDeployed()
		}
		v, err := valuesOf(cur)
		if err != nil {
			return err
		}
		if err := m.keepFormation(ctx, v, cur); err != nil {
			return err
		}
		desc, err := fn(v)
		if err != nil {
			return err
		}
		if err := v.Config.CheckSize(); err != nil {
			return err
		}
		v.Release.Enabled = runRelease && v.Release.Command != ""
		rel, err := m.apply(ctx, &change{chart: cur.Chart, values: v, description: desc, timeout: timeout, rollbackTo: cur})
		if err != nil {
			return err
		}
		res.Release = summary(rel)
		return nil
	})
	return res, err
}

// checkNames checks config var names with the app's rule, before anything changes.
func checkNames(keys []string) error {
	if len(keys) == 0 {
		return errors.New("no config var named")
	}
	for _, k := range keys {
		if err := app.CheckVarName(k); err != nil {
			return err
		}
	}
	return nil
}

func addKey(keys []string, k string) []string {
	if slices.Contains(keys, k) {
		return keys
	}
	keys = append(keys, k)
	slices.Sort(keys)
	return keys
}

func removeKey(keys []string, k string) []string {
	return slices.DeleteFunc(slices.Clone(keys), func(s string) bool { return s == k })
}
