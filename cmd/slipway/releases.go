package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/release"
)

func newReleasesCmd(g *globals) *cobra.Command {
	out := &output{}
	var limit int
	c := &cobra.Command{
		Use:     "releases",
		Aliases: []string{"history"},
		Short:   "List the app's releases in an environment, newest first",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			rels, err := g.manager(t).History(c.Context())
			if err != nil {
				return err
			}
			if limit > 0 && len(rels) > limit {
				rels = rels[:limit]
			}
			empty := fmt.Sprintf("%s has no releases in %s (namespace %s)", t.Name, t.Environment, t.Kube.Namespace)
			now := time.Now()
			return out.list(g.streams, len(rels), empty, jsonReleases(rels), func(tw *tabwriter.Writer) {
				fmt.Fprintln(tw, "VERSION\tSTATUS\tDESCRIPTION\tIMAGE\tAGE")
				for _, r := range rels {
					fmt.Fprintf(tw, "v%d\t%s\t%s\t%s\t%s\n", r.Revision, r.Status, r.Description, r.Image, age(r.Updated, now))
				}
			})
		},
	}
	out.bind(c)
	c.Flags().IntVarP(&limit, "num", "n", 0, "show only the newest N releases")
	return c
}

type releaseJSON struct {
	Version     int       `json:"version"`
	Status      string    `json:"status"`
	Description string    `json:"description"`
	Image       string    `json:"image"`
	Source      string    `json:"source,omitempty"`
	Updated     time.Time `json:"updated"`
}

func jsonRelease(r release.Release) releaseJSON {
	return releaseJSON{Version: r.Revision, Status: r.Status, Description: r.Description, Image: r.Image, Source: r.Version, Updated: r.Updated.UTC()}
}

func jsonReleases(rels []release.Release) []releaseJSON {
	out := make([]releaseJSON, 0, len(rels))
	for _, r := range rels {
		out = append(out, jsonRelease(r))
	}
	return out
}

func newRollbackCmd(g *globals) *cobra.Command {
	var timeout time.Duration
	pf := &previewFlags{}
	c := &cobra.Command{
		Use:   "rollback [vN]",
		Short: "Go back to an earlier release's image and config (the formation stays)",
		Long: `Rollback makes a new release with the image and config vars of release vN (default: the
one before the current release), as Heroku does. The formation (scale, autoscale) stays and
the release command does not run.

--preview (or --dry-run) prints what the rollback would change and changes nothing: the
image and source version, the process types added or removed, and the names (never the
values) of the config vars added, changed or removed. -o json or yaml prints it for scripts.`,
		Example: "  slipway rollback\n  slipway rollback v7 -e production\n  slipway rollback v7 --preview",
		Args:    argsBetween(0, 1, "at most one release (vN)"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			to := 0
			if len(args) == 1 {
				n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(args[0], "v"), "V"))
				if err != nil || n < 1 {
					return usageError{fmt.Errorf("rollback %q: expected a release like v7", args[0])}
				}
				to = n
			}
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			if pf.on {
				ch, err := g.manager(t).PreviewRollback(c.Context(), to)
				if err != nil {
					return err
				}
				heading := fmt.Sprintf("Rolling back %s in %s from %s to %s:", t.Name, t.Environment, revision(ch.From, "?"), revision(ch.Source, "?"))
				return pf.showChange(g.streams, jsonChange("rollback", t.Name, t.Environment, t.Environment, ch), heading, ch)
			}
			res, err := g.releaser(t).Rollback(c.Context(), to, timeout)
			return g.reportResult(t, res, err)
		},
	}
	c.Flags().DurationVar(&timeout, "timeout", release.DefaultTimeout, "how long to wait for the rollout")
	pf.bind(c)
	return c
}
