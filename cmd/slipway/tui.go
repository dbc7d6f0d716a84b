package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/env"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/watch"
	"github.com/slipwayhq/slipway/tui"
)

func newTUICmd(g *globals) *cobra.Command {
	var logFile string
	c := &cobra.Command{
		Use:     "tui",
		Aliases: []string{"dash"},
		Short:   "The dashboard: apps, processes, releases, scale, rollback, promote, config, logs",
		Long: `The dashboard opens on the app of the current directory (-C, -a, -e) when there is one,
else on the list of every app Slipway deployed in the cluster. It reads the cluster through
watches (nothing is polled) and acts through the same operations as the commands: scale,
rollback, promote, config set/unset, autoscale bounds; each change that makes a release asks
first and shows its progress in a pane.

Keys: arrows or j/k move, enter opens, esc goes back, ':' jumps to a view (apps, app, pods,
releases, config, logs, events, promote), '?' lists every key of the view, q quits.
Its own diagnostics go to --log-file, never to the screen.`,
		Example: "  slipway tui\n  slipway dash -a myapp -e production",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if !g.streams.OutTTY {
				return errors.New("the dashboard needs a terminal: stdout is not one (for scripts, use ps, releases, logs)")
			}
			logPath := g.path(logFile)
			if logPath == "" {
				dir, err := os.UserCacheDir()
				if err != nil {
					return fmt.Errorf("no place for the dashboard's log: %w (give one with --log-file)", err)
				}
				logPath = filepath.Join(dir, "slipway", "tui.log")
			}
			if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
				return fmt.Errorf("dashboard log: %w", err)
			}
			lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return fmt.Errorf("dashboard log: %w", err)
			}
			defer lf.Close()
			logger := log.New(lf, "", log.LstdFlags|log.Lmicroseconds)

			// The app of the directory (or -a), if any, is where the dashboard opens.
			var start *tui.Target
			if g.app != "" || env.HasAppFiles(g.dir) {
				t, err := g.target(g.env, false)
				if err != nil {
					return err
				}
				start = &tui.Target{App: t.Name, Environment: t.Environment, Namespace: t.Kube.Namespace}
			}
			all, err := kube.Connect(kube.Config{Kubeconfig: g.kubeconfig, Context: g.context})
			if err != nil {
				return err
			}
			ctx := c.Context()
			src := &watch.Source{Kube: all, Log: logger.Printf}
			// A user who may not watch every namespace (a namespaced Role) sees the app's
			// namespace only, rather than a dashboard stuck on "forbidden".
			if start != nil {
				ok, err := all.CanWatchEverywhere(ctx)
				if err != nil {
					logger.Printf("could not ask whether every namespace can be watched: %v", err)
				}
				if !ok && err == nil {
					logger.Printf("not allowed to watch every namespace: watching %s only", start.Namespace)
					src.Namespace = start.Namespace
				}
			}
			src.Start(ctx)
			dirApp := ""
			if start != nil {
				dirApp = start.App
			}
			backend := &tui.Live{Source: src, Open: func(t tui.Target) (*env.Env, error) {
				return env.Open(env.Options{Dir: g.dir, App: t.App, Environment: t.Environment, NameOnly: t.App != dirApp,
					Namespace: t.Namespace, Kubeconfig: g.kubeconfig, Context: g.context})
			}}
			// A signal cancels ctx instead of ending Slipway at once: an action in flight
			// (a release) restores what it changed before the dashboard exits.
			g.cleansUp()
			m := tui.New(tui.Options{Context: ctx, Backend: backend, Start: start, Cluster: all.Context, Log: logger.Printf})
			defer m.Close()
			var model tea.Model = m
			if trace := g.path(g.streams.Getenv("SLIPWAY_TUI_TRACE")); trace != "" {
				tf, err := os.OpenFile(trace, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
				if err != nil {
					return fmt.Errorf("dashboard trace: %w", err)
				}
				defer tf.Close()
				model = &keyTrace{Model: m, w: tf}
			}
			opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(g.streams.In), tea.WithOutput(g.streams.Out)}
			opts = append(opts, tea.WithColorProfile(dashboardColours(g)))
			logger.Printf("dashboard starts (cluster %s, app %v)", all.Server, start)
			_, err = tea.NewProgram(model, opts...).Run()
			logger.Printf("dashboard ends: %v", err)
			if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
				return nil
			}
			return err
		},
	}
	c.Flags().StringVar(&logFile, "log-file", "", "where the dashboard writes its diagnostics (default: the user cache dir's slipway/tui.log)")
	return c
}

// dashboardColours is the dashboard's colour profile: no colours with --no-color, NO_COLOR
// or a terminal without colours (TERM=dumb), but attributes kept (reverse video marks the
// selected row and the current search match, bold and underline the rest); else the 16 ANSI
// colours, which are all its styles use. Saying so spares bubbletea asking the terminal (a
// round trip of about 20 ms inside tmux before the first screen).
func dashboardColours(g *globals) colorprofile.Profile {
	switch {
	case g.noColor || g.streams.Getenv("NO_COLOR") != "", g.streams.Getenv("TERM") == "dumb":
		// Not NoTTY, which drops the attributes too: the selection would not show.
		return colorprofile.ASCII
	}
	return colorprofile.ANSI
}
