package release

import (
	"fmt"
	"maps"
	"slices"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/app"
)

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
	for _, name := range slices.Sorted(maps.Keys(a.Vars)) {
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
	var missing []string
	for _, v := range c.Missing {
		if _, ok := c.Vars[v.Name]; !ok {
			missing = append(missing, v.Name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, &app.MissingConfigError{Names: missing, Fix: fmt.Sprintf("set it in %s, or on the cluster with 'slipway config set -e %s NAME=VALUE'", a.Environments[m.Environment].EnvFile, m.Environment)}
	}
	c.Missing = nil
	return c, nil
}

// configDiff compares two sets of config vars by name and value and returns only names,
// sorted: those in to and not in from, in from and not in to, and in both with different
// values.
func configDiff(from, to map[string]string) (added, removed, changed []string) {
	for k, v := range to {
		old, ok := from[k]
		switch {
		case !ok:
			added = append(added, k)
		case old != v:
			changed = append(changed, k)
		}
	}
	for k := range from {
		if _, ok := to[k]; !ok {
			removed = append(removed, k)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	slices.Sort(changed)
	return added, removed, changed
}
