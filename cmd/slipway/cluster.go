package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
)

// defaultEnv is the environment of cluster commands run without -e.
const defaultEnv = "staging"

// target is the app and environment a cluster command works on.
type target struct {
	// App is the loaded app; nil when only --app named it (no app directory).
	App       *app.App
	Name, Env string
	Kube      *kube.Client
}

// target loads the app in the working directory (or takes --app alone when the directory
// holds no app and needApp is false) and connects to the environment's cluster.
func (g *globals) target(env string, needApp bool) (*target, error) {
	if env == "" {
		env = defaultEnv
	}
	t := &target{Env: env}
	var ctxName, ns string
	if !needApp && g.app != "" && !hasAppFiles(g.dir) {
		t.Name, ns = g.app, g.app+"-"+env
	} else {
		a, err := app.Load(g.dir, app.Options{Environment: env, Name: g.app})
		if err != nil {
			return nil, err
		}
		e, ok := a.Environments[env]
		if !ok {
			return nil, usageError{fmt.Errorf("-e %s: %s has no environment %q (known: %s)", env, a.Name, env, strings.Join(a.EnvironmentNames(), ", "))}
		}
		for _, w := range a.Warnings {
			g.warn(w.String())
		}
		t.App, t.Name, ns, ctxName = a, a.Name, e.Namespace, e.Context
	}
	if g.context != "" {
		ctxName = g.context
	}
	k, err := kube.Connect(kube.Config{Kubeconfig: g.kubeconfig, Context: ctxName, Namespace: ns})
	if err != nil {
		return nil, err
	}
	t.Kube = k
	return t, nil
}

func hasAppFiles(dir string) bool {
	for _, f := range []string{app.ProcfileFile, "slipway.yaml", "app.json", "heroku.yml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// manager is the release manager of t, with progress on stderr: each event's message, a line.
func (g *globals) manager(t *target) *release.Manager {
	return &release.Manager{Kube: t.Kube, App: t.Name, Environment: t.Env, Progress: func(e progress.Event) {
		if e.Message != "" {
			fmt.Fprintln(g.streams.Err, e.Message)
		}
	}}
}

// releaser is manager for an operation that makes a release: from here on the first
// SIGINT or SIGTERM cancels it (it then restores the previous release and releases its
// lock) instead of ending Slipway at once.
func (g *globals) releaser(t *target) *release.Manager {
	g.cleansUp()
	return g.manager(t)
}

// reportResult prints what an operation that made a release did.
func (g *globals) reportResult(t *target, res *release.Result, err error) error {
	if res != nil {
		for _, w := range res.Warnings {
			g.warn(w.String())
		}
		if res.Copied != "" {
			fmt.Fprintf(g.streams.Err, "%s\n", res.Copied)
		}
		if res.Recovered != "" {
			fmt.Fprintf(g.streams.Err, "recovered: %s\n", res.Recovered)
		}
		if len(res.Generated) > 0 {
			fmt.Fprintf(g.streams.Err, "generated config vars (kept from now on): %s\n", strings.Join(res.Generated, ", "))
		}
	}
	var ae *release.AutoscaleError
	if errors.As(err, &ae) {
		return fmt.Errorf("--%s %d: %w", ae.Field, ae.Value, err)
	}
	if err != nil {
		return err
	}
	r := res.Release
	if res.Unchanged {
		fmt.Fprintf(g.streams.Out, "%s v%d in %s (namespace %s) is unchanged: it runs this image, chart and config already (--force releases anyway)\n  image %s\n", t.Name, r.Revision, t.Env, t.Kube.Namespace, r.Image)
		return nil
	}
	fmt.Fprintf(g.streams.Out, "%s v%d in %s (namespace %s): %s\n  image %s\n", t.Name, r.Revision, t.Env, t.Kube.Namespace, r.Description, r.Image)
	return nil
}

// output is the -o flag of listing commands.
type output struct{ format string }

// bind adds -o to c and checks its value before c runs.
func (o *output) bind(c *cobra.Command) {
	c.Flags().StringVarP(&o.format, "output", "o", "table", "output format: table, json or yaml")
	c.PreRunE = func(*cobra.Command, []string) error { return o.check() }
}

func (o *output) check() error {
	switch o.format {
	case "table", "json", "yaml":
		return nil
	}
	return usageError{fmt.Errorf("-o %s: expected table, json or yaml", o.format)}
}

// print writes v as JSON or YAML, or calls table with a tab writer.
func (o *output) print(w io.Writer, v any, table func(tw *tabwriter.Writer)) error {
	switch o.format {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// age is a short duration as kubectl prints it (45s, 12m, 3h, 5d).
func age(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
