package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/pipeline"
	"github.com/slipwayhq/slipway/platform/release"
)

type deployOptions struct {
	image, version, description string
	timeout                     time.Duration
	force                       bool
}

func newDeployCmd(g *globals) *cobra.Command {
	o := &deployOptions{}
	c := &cobra.Command{
		Use:   "deploy",
		Short: "Release the app into an environment and wait for it",
		Long: `Deploy builds and pushes the app's image (see 'slipway build'; --image deploys an existing
one instead), then makes a new release in the environment (-e, default staging): a Helm
upgrade (or install) of the app's chart into the environment's namespace, created if missing.
The release command runs first; then every process type rolls out. If either fails in time
(--timeout), the previous release is restored and the old version keeps serving.

The environment's config vars are app.json's defaults, its env file (.env.<env>), and what
'slipway config set' stored there, which wins. The formation (scale, autoscale) stays as it is.
One deploy per app and environment runs at a time. A deploy that would release the image,
chart and config the environment runs already makes no release (--force makes one).`,
		Example: `  slipway deploy
  slipway deploy --image localhost:5000/sample-go@sha256:…
  slipway deploy -e production --image registry.example.com/shop:3f2a1c9`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runDeploy(c.Context(), g, o) },
	}
	f := c.Flags()
	f.StringVar(&o.image, "image", "", "deploy this image instead of building: REPOSITORY[:TAG][@sha256:DIGEST]")
	f.StringVar(&o.version, "version", "", "the source version (git sha) the image was built from")
	f.StringVar(&o.description, "description", "", "the release's description (default: Deploy <version or image>)")
	f.DurationVar(&o.timeout, "timeout", release.DefaultTimeout, "how long to wait for the release command and the rollout")
	f.BoolVar(&o.force, "force", false, "make a release even when the image, chart and config are those of the current one")
	return c
}

func runDeploy(ctx context.Context, g *globals, o *deployOptions) error {
	po := pipeline.DeployOptions{Version: o.version, Description: o.description, Timeout: o.timeout, Force: o.force}
	if o.image != "" {
		img, err := image.Parse(o.image)
		if err != nil {
			return usageError{fmt.Errorf("--image: %w", err)}
		}
		po.Image = &img
	}
	t, err := g.target(g.env, true)
	if err != nil {
		return err
	}
	res, err := g.pipeline().Deploy(ctx, t.App, g.releaser(t), po)
	return g.reportResult(t, res, err)
}

func newPromoteCmd(g *globals) *cobra.Command {
	var timeout time.Duration
	pf := &previewFlags{}
	c := &cobra.Command{
		Use:   "promote [FROM TO]",
		Short: "Deploy the image running in one environment into another, without a build",
		Long: `Promote deploys the image of FROM's current release (default staging) into TO (default
production): the same digest and process commands, TO's own config vars, domain and
formation. Nothing is built or pushed. The release says "Promote vN from FROM".

--preview (or --dry-run) prints what the promotion would change in TO and changes nothing:
the image and source version, the process types added or removed, and the names (never the
values) of the config vars added, changed or removed. -o json or yaml prints it for scripts.`,
		Example: "  slipway promote\n  slipway promote staging production\n  slipway promote --preview\n  slipway promote --dry-run -o json",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 0 && len(args) != 2 {
				return usageError{fmt.Errorf("%s takes FROM and TO, or nothing (staging production)", c.CommandPath())}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := pf.check(); err != nil {
				return err
			}
			from, to := "staging", "production"
			if len(args) == 2 {
				from, to = args[0], args[1]
			}
			if from == to {
				return usageError{fmt.Errorf("promote %s to itself: name two environments", from)}
			}
			src, err := g.target(from, true)
			if err != nil {
				return err
			}
			dst, err := g.target(to, true)
			if err != nil {
				return err
			}
			po := release.PromoteOptions{App: dst.App, From: src.App, Timeout: timeout}
			if pf.on {
				ch, err := g.manager(dst).PreviewPromote(c.Context(), g.manager(src), po)
				if err != nil {
					return err
				}
				heading := fmt.Sprintf("Promoting %s %s from %s to %s (%s):", dst.Name, revision(ch.Source, "?"), from, to, revision(ch.From, "nothing deployed there yet"))
				return pf.showChange(g.streams, jsonChange("promote", dst.Name, to, from, ch), heading, ch)
			}
			res, err := g.releaser(dst).Promote(c.Context(), g.manager(src), po)
			return g.reportResult(dst, res, err)
		},
	}
	c.Flags().DurationVar(&timeout, "timeout", release.DefaultTimeout, "how long to wait for the release command and the rollout")
	pf.bind(c)
	return c
}
