package app

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// Config is a resolved set of config vars and where each came from.
type Config struct {
	Vars map[string]string
	// Origin says where each var's value came from ("app.json", ".env.staging").
	Origin map[string]string
	// Missing are required vars with no value.
	Missing []Var
	// Generated are vars whose value was generated (generator: "secret").
	Generated []string
}

// ConfigOptions controls ResolveConfig.
type ConfigOptions struct {
	// EnvFiles are read in order, later files winning; a missing file is skipped unless
	// it was named explicitly (Explicit).
	EnvFiles []string
	Explicit bool
	// Generate makes values for generator: "secret" vars that have none; nil leaves them
	// unset (the deployer generates them once and keeps them in the cluster).
	Generate func() (string, error)
}

// EnvironmentConfig returns the options for an environment's env file.
func (a *App) EnvironmentConfig(env string) (ConfigOptions, error) {
	e, ok := a.Environments[env]
	if !ok {
		return ConfigOptions{}, fmt.Errorf("unknown environment %q (known: %s)", env, strings.Join(a.EnvironmentNames(), ", "))
	}
	return ConfigOptions{EnvFiles: []string{e.EnvFile}}, nil
}

// ResolveConfig merges app.json's defaults with the env files. Values set in the cluster
// (slipway config set) win over both; the deployer merges those on top.
func (a *App) ResolveConfig(opts ConfigOptions) (*Config, error) {
	c := &Config{Vars: map[string]string{}, Origin: map[string]string{}}
	for _, name := range sortedKeys(a.Vars) {
		v := a.Vars[name]
		if v.HasValue {
			c.Vars[name], c.Origin[name] = v.Value, AppJSONFile
		}
	}
	for _, f := range opts.EnvFiles {
		ef, found, err := ReadAppEnvFile(a.Dir, f)
		if err != nil {
			return nil, err
		}
		if !found {
			if opts.Explicit {
				return nil, fmt.Errorf("%s: no such file", f)
			}
			continue
		}
		for k, v := range ef.Vars {
			c.Vars[k], c.Origin[k] = v, f
		}
	}
	for _, name := range sortedKeys(a.Vars) {
		v := a.Vars[name]
		if _, set := c.Vars[name]; set {
			continue
		}
		if v.Generate && opts.Generate != nil {
			val, err := opts.Generate()
			if err != nil {
				return nil, fmt.Errorf("generate %s: %w", name, err)
			}
			c.Vars[name], c.Origin[name] = val, "generated"
			c.Generated = append(c.Generated, name)
			continue
		}
		if v.Required && !v.Generate {
			c.Missing = append(c.Missing, v)
		}
	}
	return c, nil
}

// MissingConfigError says which of app.json's required config vars have no value.
type MissingConfigError struct {
	Names []string
	// Fix says where to set them; see Hint.
	Fix string
}

func (e *MissingConfigError) Error() string {
	vars := "var"
	if len(e.Names) > 1 {
		vars = "vars"
	}
	return fmt.Sprintf("%s: required config %s %s not set", AppJSONFile, vars, strings.Join(e.Names, ", "))
}

// Hint says where to set them.
func (e *MissingConfigError) Hint() string { return e.Fix }

// MissingError says which required vars have no value (nil when none), with fix saying
// where to set them.
func (c *Config) MissingError(fix string) error {
	if len(c.Missing) == 0 {
		return nil
	}
	names := make([]string, len(c.Missing))
	for i, v := range c.Missing {
		names[i] = v.Name
	}
	sort.Strings(names)
	return &MissingConfigError{Names: names, Fix: fix}
}

// GenerateSecret makes a value for app.json's generator: "secret": 32 random bytes as 64 hex
// digits, as Heroku does.
func GenerateSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
