package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/slipwayhq/slipway/platform/env"
	"github.com/slipwayhq/slipway/platform/release"
)

// target is the app and environment a cluster command works on.
type target = env.Env

// target opens environment name (default staging) of the app in the working directory,
// or of the app --app names alone when the directory holds no app and needApp is false,
// and prints the app's warnings.
func (g *globals) target(name string, needApp bool) (*target, error) {
	t, err := env.Open(env.Options{Dir: g.dir, App: g.app, Environment: name, NeedApp: needApp, Kubeconfig: g.kubeconfig, Context: g.context})
	if err != nil {
		return nil, err
	}
	for _, w := range t.Warnings {
		g.warn(w.String())
	}
	return t, nil
}

// manager is the release manager of t, with progress on stderr: each event's message, a line.
func (g *globals) manager(t *target) *release.Manager {
	return t.Releases(g.progress())
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
		fmt.Fprintf(g.streams.Out, "%s v%d in %s (namespace %s) is unchanged: it runs this image, chart and config already (--force releases anyway)\n  image %s\n", t.Name, r.Revision, t.Environment, t.Kube.Namespace, r.Image)
		return nil
	}
	fmt.Fprintf(g.streams.Out, "%s v%d in %s (namespace %s): %s\n  image %s\n", t.Name, r.Revision, t.Environment, t.Kube.Namespace, r.Description, r.Image)
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

// list prints a list of n items: v as JSON or YAML, or the table; an empty table is a
// sentence on stderr instead (empty), so scripts reading stdout get nothing.
func (o *output) list(streams *Streams, n int, empty string, v any, table func(tw *tabwriter.Writer)) error {
	if n == 0 && o.format == "table" {
		fmt.Fprintln(streams.Err, empty)
		return nil
	}
	return o.print(streams.Out, v, table)
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
