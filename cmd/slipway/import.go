package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/env"
	"github.com/slipwayhq/slipway/platform/importer"
	"github.com/slipwayhq/slipway/platform/release"
)

type importOptions struct {
	config, addons, formation, domains string
	registry                           string
	force, keepAddonConfig             bool
	timeout                            time.Duration
	out                                output
}

func newImportCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "import",
		Short: "Move an app over from another platform (heroku)",
		Args:  noArgs,
	}
	c.AddCommand(newImportHerokuCmd(g))
	return c
}

func newImportHerokuCmd(g *globals) *cobra.Command {
	o := &importOptions{}
	c := &cobra.Command{
		Use:   "heroku [DIR]",
		Short: "Import a Heroku app: slipway.yaml, its config, and a migration report",
		Long: `Import reads the app's repository (Procfile, app.json, heroku.yml, .env files) and what
the Heroku CLI exports, writes slipway.yaml, carries the config vars over, and prints a
migration report: what was mapped and to what, what was left behind and why, and what
you must do yourself (each add-on, with the variables it provided).

The exports, each optional:
  --config FILE     heroku config --shell > FILE   (or heroku config --json)
  --addons FILE     heroku addons --json > FILE
  --formation FILE  heroku apps:info --json > FILE (the running dynos: quantity and size per
                    type), or the Platform API's formation list (GET /apps/APP/formation)
  --domains FILE    heroku domains --json > FILE

The app's name is --app (the Heroku app's name), else slipway.yaml's, else the
directory's; app.json's name is the Deploy button's title, not the app's.

Config values never go into the repository. With -e ENV, and the app deployed there, they
become one config release of ENV. Otherwise they go to the environment's env file
(.env.production by default; mode 0600, added to .gitignore and .dockerignore), which
the next deploy to that environment reads. Variables that only mean something on Heroku
(dyno metadata, buildpack URLs, PORT) are left out, and so are those of add-ons unless
--keep-addon-config.

Running it again is safe: what is already there is never replaced without --force. It
then says what it would change and changes nothing.`,
		Example: `  heroku config --shell -a myapp > heroku-config.sh
  heroku addons --json -a myapp > heroku-addons.json
  slipway import heroku --app myapp --config heroku-config.sh --addons heroku-addons.json
  slipway import heroku -e production --config heroku-config.sh   # into the cluster`,
		Args: argsBetween(0, 1, "at most one DIR"),
		RunE: func(c *cobra.Command, args []string) error {
			dir := g.dir
			if len(args) == 1 {
				dir = g.path(args[0])
			}
			return runImportHeroku(c, g, o, dir)
		},
	}
	f := c.Flags()
	f.StringVar(&o.config, "config", "", "the output of heroku config --shell or --json")
	f.StringVar(&o.addons, "addons", "", "the output of heroku addons --json")
	f.StringVar(&o.formation, "formation", "", "the output of heroku apps:info --json, or the Platform API's formation list")
	f.StringVar(&o.domains, "domains", "", "the output of heroku domains --json")
	f.StringVar(&o.registry, "registry", "", "the registry the image goes to, HOST[/PREFIX]: image.repository becomes HOST/PREFIX/APP")
	f.BoolVarP(&o.force, "force", "f", false, "replace what differs from what is there (slipway.yaml, the env file, config vars set in the cluster)")
	f.BoolVar(&o.keepAddonConfig, "keep-addon-config", false, "import the add-ons' variables too (they still point at Heroku's resources)")
	f.DurationVar(&o.timeout, "timeout", release.DefaultTimeout, "how long to wait for a config release's rollout")
	f.StringVarP(&o.out.format, "output", "o", "text", "the report's format: text or json")
	c.PreRunE = func(*cobra.Command, []string) error {
		if o.out.format != "text" && o.out.format != "json" {
			return usageError{fmt.Errorf("-o %s: expected text or json", o.out.format)}
		}
		return nil
	}
	return c
}

func runImportHeroku(c *cobra.Command, g *globals, o *importOptions, dir string) error {
	h := &importer.Heroku{Dir: dir, AppName: g.app, Environment: g.env, KeepAddonConfig: o.keepAddonConfig, Registry: o.registry}
	if err := readExports(g, o, h); err != nil {
		return err
	}
	m, err := h.Plan()
	if err != nil {
		return err
	}
	ao := importer.ApplyOptions{Force: o.force, Timeout: o.timeout}
	if g.env != "" && h.Config != nil {
		// The app's warnings are in the report already: not g.target, which prints them.
		t, err := env.Open(env.Options{Dir: dir, App: m.App, Environment: g.env, NeedApp: true, Kubeconfig: g.kubeconfig, Context: g.context})
		if err != nil {
			ao.ClusterErr = err
		} else {
			ao.Cluster = g.releaser(t)
		}
	}
	applyErr := m.Apply(c.Context(), dir, ao)
	if applyErr != nil && !errors.Is(applyErr, importer.ErrWouldChange) {
		return applyErr
	}
	if o.out.format == "json" {
		if err := o.out.print(g.streams.Out, m, nil); err != nil {
			return err
		}
	} else {
		writeMigration(g.streams.Out, m)
	}
	if applyErr != nil {
		return &withHint{fmt.Errorf("%w; nothing was changed", applyErr), "run it again with --force to make these changes"}
	}
	return nil
}

// readExports reads and parses each export named on the command line.
func readExports(g *globals, o *importOptions, h *importer.Heroku) error {
	read := func(name string, parse func([]byte, string) error) error {
		if name == "" {
			return nil
		}
		data, err := app.ReadNamedFile(g.path(name), name)
		if err != nil {
			return err
		}
		return parse(data, name)
	}
	return errors.Join(
		read(o.config, func(data []byte, file string) (err error) {
			h.Config, h.ConfigFile = nil, file
			h.Config, err = importer.ParseConfig(data, file)
			return err
		}),
		read(o.addons, func(data []byte, file string) (err error) {
			h.AddonsFile = file
			h.Addons, err = importer.ParseAddons(data, file)
			return err
		}),
		read(o.formation, func(data []byte, file string) (err error) {
			h.FormationFile = file
			h.Formation, h.FormationSource, err = importer.ParseFormation(data, file)
			return err
		}),
		read(o.domains, func(data []byte, file string) (err error) {
			h.DomainsFile = file
			h.Domains, err = importer.ParseDomains(data, file)
			return err
		}),
	)
}

// writeMigration prints the migration report: what was mapped, left behind, and to do.
func writeMigration(w io.Writer, m *importer.Migration) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("app %s (name from %s), environment %s\n", m.App, m.AppFrom, m.Environment)
	if len(m.Sources) > 0 {
		p("read: %s\n", strings.Join(m.Sources, ", "))
	}
	switch {
	case m.Build.Problem != "":
		p("build: cannot build the image: %s\n", m.Build.Problem)
	case m.Build.Generated:
		p("build: Slipway's generated Dockerfile for %s", m.Build.Language)
	default:
		p("build: %s", m.Build.Dockerfile)
	}
	if m.Build.Why != "" && m.Build.Problem == "" {
		p(" (%s)", m.Build.Why)
	}
	p("\n")
	for _, n := range m.Build.Notes {
		p("  note: %s\n", n)
	}
	p("\nprocesses:\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, pm := range m.Processes {
		size := "-"
		if pm.Size != "" {
			size = pm.Size + " → " + pm.Resources + " (" + pm.SizeFrom + ")"
		}
		fmt.Fprintf(tw, "  %s\t×%d (%s)\t%s\n", pm.Type, pm.Replicas, pm.ReplicasFrom, size)
	}
	tw.Flush()
	if m.Domain != "" {
		p("\ndomain: %s → environments.%s.domain\n", m.Domain, m.Environment)
	}
	if m.Config.File != "" {
		p("\nconfig from %s (%s): %d imported", m.Config.File, m.Config.Format, len(m.Config.Imported))
		switch m.Config.Destination {
		case "cluster":
			if m.Config.Release > 0 {
				p(" into the cluster: %s v%d", m.Environment, m.Config.Release)
			} else {
				p(" into the cluster's config of %s", m.Environment)
			}
		case "file":
			p(" into %s (mode 0600, ignored by git and docker; slipway deploy -e %s reads it)", m.Config.Target, m.Environment)
		}
		p("\n")
		if m.Config.Reason != "" {
			p("  not into the cluster: %s\n", m.Config.Reason)
		}
		if len(m.Config.Imported) > 0 {
			p("  %s\n", strings.Join(m.Config.Imported, " "))
		}
		for _, d := range m.Config.Notes {
			p("  note: %s: %s\n", d.What, d.Why)
		}
		if len(m.Config.Dropped) > 0 {
			p("  left out:\n")
			for _, d := range m.Config.Dropped {
				p("    %s: %s\n", d.What, d.Why)
			}
		}
	}
	if len(m.Dropped) > 0 {
		p("\nleft behind:\n")
		for _, d := range m.Dropped {
			p("  %s: %s\n", d.What, d.Why)
		}
	}
	if len(m.EnvFiles) > 0 {
		p("\nenv files:\n")
		for _, d := range m.EnvFiles {
			p("  %s: %s\n", d.What, d.Why)
		}
	}
	if len(m.Warnings) > 0 {
		p("\nwarnings:\n")
		for _, s := range m.Warnings {
			p("  %s\n", s)
		}
	}
	if len(m.Addons) > 0 || len(m.Todo) > 0 {
		p("\nto do:\n")
		for _, a := range m.Addons {
			p("  - %s (%s, %s): %s\n", a.Service, a.Name, a.Plan, a.Todo)
		}
		for _, t := range m.Todo {
			p("  - %s\n", t)
		}
	}
	p("\n")
	for _, f := range m.Files {
		verb := map[string]string{"create": "wrote", "update": "updated", "unchanged": "unchanged:"}[f.State]
		if !m.Applied {
			verb = map[string]string{"create": "would write", "update": "would update", "unchanged": "unchanged:"}[f.State]
		}
		p("%s %s\n", verb, f.Path)
		if f.State == "update" && !m.Applied {
			for _, l := range f.Diff {
				p("    %s\n", l)
			}
		}
	}
	if !m.Applied {
		for _, ch := range m.Changes {
			p("would change: %s\n", ch)
		}
	}
}
