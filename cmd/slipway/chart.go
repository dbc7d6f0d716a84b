package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/safefile"
)

type chartOptions struct {
	out            string
	template       bool
	includeSecrets bool
	tag, digest    string
	lint           bool
}

func newChartCmd(g *globals) *cobra.Command {
	o := &chartOptions{}
	c := &cobra.Command{
		Use:   "chart [-o DIR]",
		Short: "Write the app's Helm chart",
		Long: `Write the Helm chart of the app: a Deployment per Procfile process type, Services,
Ingress, the release Job, CronJobs, PDBs and HPAs, as a plain chart that helm lint,
helm template and helm install accept.

No config value is written unless --include-secrets is given: the chart refers to the
Secret "<app>-config", which slipway deploy creates (or you do). With -e ENV the
environment's overrides, domain and TLS settings from slipway.yaml apply.

The first line of every file Slipway writes says so. Over a chart it wrote before, Slipway
replaces those files, removes the ones it no longer generates, and keeps every other file,
listing each on stderr ("kept templates/extra.yaml: not written by Slipway"). It refuses,
changing nothing, a non-empty directory that holds no chart of its own, a file of a name
it writes that it did not write, and a symlink where it would write a file or directory:
it never writes through a symlink. -o DIR itself may be a symlink to a directory (you named
it); below the app directory, the default .slipway/chart may contain none. Files are
written to temporary names and renamed into place, so an interrupted run leaves the old
files or the new ones; values.yaml with --include-secrets is created with mode 0600.`,
		Example: `  slipway chart -o chart/            # write the chart
  slipway chart --template | less     # print the rendered manifests (like helm template)
  slipway chart -e production --include-secrets -o /tmp/prod   # self-contained, with values`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runChart(g, o) },
	}
	f := c.Flags()
	f.StringVarP(&o.out, "output", "o", "", "directory to write the chart into, relative to the app directory unless absolute; it may be a symlink to a directory (default: .slipway/chart in the app directory)")
	f.BoolVar(&o.template, "template", false, "print the rendered manifests to stdout instead of writing the chart")
	f.BoolVar(&o.includeSecrets, "include-secrets", false, "write the config values into the chart (values.yaml, mode 0600) and render the Secret")
	f.StringVar(&o.tag, "tag", "", "image tag (default: latest)")
	f.StringVar(&o.digest, "digest", "", "image digest (sha256:…), used instead of the tag")
	f.BoolVar(&o.lint, "lint", false, "run Helm's linter (strict) on the result and fail on any finding")
	return c
}

func runChart(g *globals, o *chartOptions) error {
	if o.template && o.out != "" {
		return usageError{errors.New("--template prints the manifests; it does not go with -o")}
	}
	if o.digest != "" && !strings.HasPrefix(o.digest, "sha256:") {
		return usageError{fmt.Errorf("--digest %q: expected sha256:<hex>", o.digest)}
	}
	a, err := app.Load(g.dir, app.Options{Environment: g.env, Name: g.app})
	if err != nil {
		return err
	}
	cfg, err := resolveChartConfig(a, g.env, o.includeSecrets)
	if err != nil {
		return err
	}
	ch, err := charts.Generate(a, charts.Options{Environment: g.env, IncludeSecrets: o.includeSecrets, Config: cfg, Tag: o.tag, Digest: o.digest})
	if err != nil {
		return err
	}
	for _, w := range append(a.Warnings, ch.Warnings...) {
		g.warn(w.String())
	}
	if !o.includeSecrets && cfg != nil && len(cfg.Missing) > 0 {
		err := cfg.MissingError(setHint(g.env))
		g.warn(fmt.Sprintf("%v\n  hint: %s", err, hint(err)))
	}
	if o.lint {
		findings, err := ch.Lint()
		if err != nil {
			return err
		}
		if len(findings) > 0 {
			return fmt.Errorf("helm lint --strict:\n  %s", strings.Join(findings, "\n  "))
		}
	}
	if o.template {
		out, err := ch.Render(a.Name, namespaceOf(a, g.env))
		if err != nil {
			return err
		}
		_, err = fmt.Fprint(g.streams.Out, out)
		return err
	}
	d, err := chartDir(g, o.out)
	if err != nil {
		return err
	}
	defer d.Close()
	dir := d.Path(".")
	res, err := ch.WriteTo(d)
	var notChart *charts.NotChartError
	if errors.As(err, &notChart) {
		return fmt.Errorf("%w: choose another -o or remove it", err)
	}
	if err != nil {
		return err
	}
	for _, p := range res.Kept {
		fmt.Fprintf(g.streams.Err, "kept %s: not written by Slipway\n", p)
	}
	for _, p := range res.Removed {
		fmt.Fprintf(g.streams.Err, "removed %s: an earlier Slipway wrote it and the chart no longer has it\n", p)
	}
	fmt.Fprintf(g.streams.Out, "wrote chart %s (%d files) to %s\n", ch.Name, len(ch.Files), dir)
	if o.includeSecrets {
		g.warn(filepath.Join(dir, "values.yaml") + " holds config values: keep it out of version control")
	}
	return nil
}

// chartDir opens the directory the chart goes into: -o as the user named it (a symlink to
// a directory included), or .slipway/chart in the app directory, where a cloned repository
// could hold a symlink to anywhere: no component below the app directory may be one.
func chartDir(g *globals, out string) (*safefile.Dir, error) {
	if out != "" {
		return safefile.Create(g.path(out))
	}
	return safefile.CreateBelow(g.dir, filepath.Join(".slipway", "chart"))
}

// resolveChartConfig reads the config the chart would carry. Without --include-secrets the
// values are only checked (a required var missing is a warning: it may be set in the cluster).
func resolveChartConfig(a *app.App, env string, include bool) (*app.Config, error) {
	opts := app.ConfigOptions{EnvFiles: []string{".env"}}
	if env != "" {
		var err error
		if opts, err = a.EnvironmentConfig(env); err != nil {
			return nil, err
		}
	}
	if include {
		opts.Generate = app.GenerateSecret
	}
	cfg, err := a.ResolveConfig(opts)
	if err != nil {
		return nil, err
	}
	if include {
		if err := cfg.MissingError(setHint(env)); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func setHint(env string) string {
	if env == "" {
		return "set it in .env, or pass -e ENV to use that environment's env file"
	}
	return fmt.Sprintf("set it in .env.%s or with `slipway config:set NAME=VALUE -e %s`", env, env)
}

func namespaceOf(a *app.App, env string) string {
	if e, ok := a.Environments[env]; ok {
		return e.Namespace
	}
	return "default"
}
