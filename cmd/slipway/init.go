package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/build"
	"github.com/slipwayhq/slipway/platform/safefile"
)

type initOptions struct {
	force bool
	print bool
}

func newInitCmd(g *globals) *cobra.Command {
	o := &initOptions{}
	c := &cobra.Command{
		Use:   "init",
		Short: "Detect the app's inputs and write slipway.yaml",
		Long: `Read the Procfile, app.json, heroku.yml and .env files, say what was found, and
write slipway.yaml with the app name, image repository, process settings and the
staging and production environments. Every field of slipway.yaml is optional: edit it
to add domains, health checks, sizes and autoscaling.

slipway.yaml is written to a temporary file and renamed into place; a slipway.yaml that
is a symlink is refused, with or without --force: Slipway never writes through one.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runInit(g, o) },
	}
	c.Flags().BoolVarP(&o.force, "force", "f", false, "overwrite an existing slipway.yaml")
	c.Flags().BoolVar(&o.print, "print", false, "print slipway.yaml to stdout instead of writing it")
	return c
}

func runInit(g *globals, o *initOptions) error {
	path := filepath.Join(g.dir, app.ManifestFile)
	var dir *safefile.Dir
	if !o.print {
		// Before anything is read: slipway.yaml must be a file init may replace, never a
		// symlink (a cloned repository's could point anywhere).
		var err error
		if dir, err = safefile.Open(g.dir); err != nil {
			return err
		}
		defer dir.Close()
		if err := dir.Check(app.ManifestFile); err != nil {
			return err
		}
		if _, err := dir.Lstat(app.ManifestFile); err == nil && !o.force {
			return fmt.Errorf("%s already exists; use --force to overwrite it (or --print to see what init would write)", path)
		}
	}
	a, err := app.Load(g.dir, app.Options{Name: g.app})
	if err != nil && o.force {
		// The file --force replaces may be what does not load: then start over without it.
		if fresh, ferr := app.Load(g.dir, app.Options{Name: g.app, IgnoreManifest: true}); ferr == nil {
			g.warn(fmt.Sprintf("the app does not load with its %s, which is replaced with what init detects:\n%v", app.ManifestFile, err))
			a, err = fresh, nil
		}
	}
	if err != nil {
		return err
	}
	for _, w := range a.Warnings {
		g.warn(w.String())
	}
	data, err := app.InitManifest(a)
	if err != nil {
		return err
	}
	if o.print {
		_, err := g.streams.Out.Write(data)
		return err
	}
	describe(g, a)
	if err := dir.WriteFile(app.ManifestFile, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(g.streams.Out, "wrote %s\n", path)
	return nil
}

// describe tells what init found, on stderr (stdout carries only the result).
func describe(g *globals, a *app.App) {
	w := g.streams.Err
	fmt.Fprintf(w, "app %s (from %s)\n", a.Name, strings.Join(a.Sources, ", "))
	if langs := app.DetectLanguages(a.Dir); len(langs) > 0 {
		fmt.Fprintf(w, "  language:  %s\n", strings.Join(langs, ", "))
	}
	if a.Release != nil {
		fmt.Fprintf(w, "  release:   %s  (%s)\n", a.Release.Command, a.Release.Source)
	}
	for _, p := range a.Processes {
		extra := []string{fmt.Sprintf("×%d", p.Replicas)}
		if p.Port != 0 {
			extra = append(extra, fmt.Sprintf("port %d", p.Port))
		}
		if p.Routed {
			extra = append(extra, "routed")
		}
		if p.Singleton {
			extra = append(extra, "singleton")
		}
		fmt.Fprintf(w, "  %-10s %s  (%s; %s)\n", p.Name+":", p.Command, p.Source, strings.Join(extra, ", "))
	}
	for _, c := range a.Cron {
		fmt.Fprintf(w, "  cron:      %s  %s\n", c.Schedule, c.Command)
	}
	if len(a.Vars) > 0 {
		fmt.Fprintf(w, "  config:    %d vars declared in app.json/heroku.yml\n", len(a.Vars))
	}
	if _, err := os.Stat(filepath.Join(a.Dir, ".env")); err == nil {
		fmt.Fprintf(w, "  env file:  .env (local runs)\n")
	}
	for _, n := range a.EnvironmentNames() {
		e := a.Environments[n]
		state := "not found yet"
		if _, err := os.Stat(filepath.Join(a.Dir, e.EnvFile)); err == nil {
			state = "found"
		} else if !errors.Is(err, fs.ErrNotExist) {
			state = err.Error()
		}
		fmt.Fprintf(w, "  %-10s namespace %s, env file %s (%s)\n", n+":", e.Namespace, e.EnvFile, state)
	}
	b, err := build.Choose(a, build.GenerateOptions{})
	switch {
	case err != nil:
		g.warn(fmt.Sprintf("the image cannot be built as the app is: %v", err))
		printHint(w, err)
	case b.Plan != nil:
		fmt.Fprintf(w, "  build:     a Dockerfile Slipway generates for %s %s", b.Plan.Language, b.Plan.Version)
	default:
		fmt.Fprintf(w, "  build:     %s", b.Options.Dockerfile)
	}
	if err == nil {
		// A note says why, where the reason alone would not.
		if len(b.Notes) == 0 && a.Build.Reason != "" {
			fmt.Fprintf(w, " (%s)", a.Build.Reason)
		}
		fmt.Fprintln(w)
		for _, n := range b.Notes {
			fmt.Fprintf(w, "  note:      %s\n", n)
		}
	}
}
