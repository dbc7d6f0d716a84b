package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/build"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/pipeline"
)

type buildOptions struct {
	push, dockerfile bool
}

func newBuildCmd(g *globals) *cobra.Command {
	o := &buildOptions{}
	c := &cobra.Command{
		Use:   "build",
		Short: "Build the app's one image through the Docker Engine (and push it)",
		Long: `Build makes the app's image: every process type runs from it. As on Heroku, an app is
built the way buildpacks would build it, with a Dockerfile Slipway generates for the detected
language, unless it is a container app: heroku.yml has build.docker (its Dockerfile is used),
or app.json's stack is "container" (./Dockerfile is used). slipway.yaml decides over both:
build.generate: true always generates, build.generate: false or build.dockerfile builds the
repository's Dockerfile. A ./Dockerfile left unused is named in a note; when nothing but
Heroku's rule chose to generate and no language is detected, ./Dockerfile is built instead.
--dockerfile prints the Dockerfile; a generated one is never written into the repository
(with BuildKit, a generated Go build keeps Go's build cache in a cache mount).

What goes into the image: inside a git work tree, what git would commit — tracked files and
untracked files that are not git-ignored — minus .dockerignore; a git-ignored .env never
enters it, and .git never does. Outside git: every file minus .dockerignore, and minus .git
and every .env* file. Links are sent as links. A .env* file git would commit is sent, with a
warning. The tag is the git commit's short sha; a dirty tree adds a hash of its
content, so the same content gets the same tag. An image whose tag the registry (with --push)
or the engine already has is not built again.

The engine is DOCKER_HOST's (default: the local socket); credentials come from
~/.docker/config.json, credential helpers included. The engine builds with BuildKit, as
docker build does; DOCKER_BUILDKIT=0 asks for its classic builder.`,
		Example: "  slipway build --push\n  slipway build --dockerfile",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a, err := app.Load(g.dir, app.Options{Environment: g.env, Name: g.app})
			if err != nil {
				return err
			}
			for _, w := range a.Warnings {
				g.warn(w.String())
			}
			if o.dockerfile {
				return printDockerfile(g, a)
			}
			built, err := g.pipeline().Build(c.Context(), a, o.push)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.streams.Out, built.Image.Repository+":"+built.Image.Tag+digestSuffix(built.Image))
			return nil
		},
	}
	c.Flags().BoolVar(&o.push, "push", false, "push the image to the app's registry (slipway.yaml image.repository)")
	c.Flags().BoolVar(&o.dockerfile, "dockerfile", false, "print the Dockerfile that would be used, and build nothing")
	return c
}

func digestSuffix(r image.Ref) string {
	if r.Digest == "" {
		return ""
	}
	return "@" + r.Digest
}

func printDockerfile(g *globals, a *app.App) error {
	gen, _, err := g.pipeline().GenerateOptions()
	if err != nil {
		return err
	}
	b, err := build.ForApp(a, gen)
	if err != nil {
		return err
	}
	for _, n := range b.Notes {
		fmt.Fprintf(g.streams.Err, "note: %s\n", n)
	}
	if b.Plan == nil {
		why := ""
		if len(b.Notes) == 0 && a.Build.Reason != "" {
			why = " (" + a.Build.Reason + ")"
		}
		fmt.Fprintf(g.streams.Err, "%s has its own Dockerfile (%s); Slipway builds with it%s\n", a.Name, b.Options.Dockerfile, why)
		df, err := app.ReadAppFile(b.Options.Dir, b.Options.Dockerfile)
		if err != nil {
			return err
		}
		_, err = g.streams.Out.Write(df)
		return err
	}
	fmt.Fprintf(g.streams.Err, "detected %s %s: %s\n", b.Plan.Language, b.Plan.Version, strings.Join(b.Plan.Reasons, "; "))
	for _, w := range b.Plan.Warnings {
		g.warn(w)
	}
	_, err = g.streams.Out.Write(b.Plan.Dockerfile)
	return err
}

// pipeline is the build→release pipeline with its progress on stderr.
func (g *globals) pipeline() *pipeline.Pipeline {
	return &pipeline.Pipeline{Progress: g.progress(), Getenv: g.streams.Getenv}
}
