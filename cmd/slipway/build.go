package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/build"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/render"
)

type buildOptions struct {
	push, dockerfile bool
}

func newBuildCmd(g *globals) *cobra.Command {
	o := &buildOptions{}
	c := &cobra.Command{
		Use:   "build",
		Short: "Build the app's one image through the Docker Engine (and push it)",
		Long: `Build makes the app's image: every process type runs from it. The Dockerfile is the one
slipway.yaml or heroku.yml names, else ./Dockerfile, else one generated for the detected
language (--dockerfile prints it; it is never written into the repository; with BuildKit,
a generated Go build keeps Go's build cache in a cache mount).

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
			res, _, err := g.buildImage(c.Context(), a, o.push)
			if err != nil {
				return err
			}
			fmt.Fprintln(g.streams.Out, res.Image.Repository+":"+res.Image.Tag+digestSuffix(res.Image))
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
	gen, err := generateOptions()
	if err != nil {
		return err
	}
	b, err := build.ForApp(a, gen)
	if err != nil {
		return err
	}
	if b.Plan == nil {
		fmt.Fprintf(g.streams.Err, "%s has its own Dockerfile (%s); Slipway builds with it\n", a.Name, b.Options.Dockerfile)
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

// generateOptions says what a generated Dockerfile may rely on: BuildKit, unless
// DOCKER_BUILDKIT asks for the classic builder.
func generateOptions() (build.GenerateOptions, error) {
	backend, err := build.BackendFromEnv(os.Getenv)
	return build.GenerateOptions{BuildKit: backend != build.BackendClassic}, err
}

// buildImage builds (and pushes) a's image, with the engine's progress on stderr.
func (g *globals) buildImage(ctx context.Context, a *app.App, push bool) (*build.Result, *build.Source, error) {
	if push && !strings.ContainsAny(strings.SplitN(a.Image.Repository, "/", 2)[0], ".:") && !strings.HasPrefix(a.Image.Repository, "localhost/") {
		return nil, nil, fmt.Errorf("slipway.yaml: image.repository %q names no registry to push to\n  hint: set it to REGISTRY/NAME, e.g. localhost:5000/%s for the sandbox's registry", a.Image.Repository, a.Name)
	}
	gen, err := generateOptions()
	if err != nil {
		return nil, nil, err
	}
	b, err := build.ForApp(a, gen)
	if err != nil {
		return nil, nil, err
	}
	printContextNotes(g, b.Options.Context)
	if b.Plan != nil {
		fmt.Fprintf(g.streams.Err, "no Dockerfile: building for %s %s (%s); see it with 'slipway build --dockerfile'\n", b.Plan.Language, b.Plan.Version, strings.Join(b.Plan.Reasons, "; "))
		for _, w := range b.Plan.Warnings {
			g.warn(w)
		}
	}
	backend, _ := build.BackendFromEnv(os.Getenv) // checked by generateOptions
	docker, host, err := build.Connect()
	if err != nil {
		return nil, nil, err
	}
	fd := int(os.Stderr.Fd())
	view := render.BuildOptions{Terminal: g.streams.ErrTTY && term.IsTerminal(fd), Size: func() (int, int, error) { return term.GetSize(fd) }}
	builder := &build.Builder{Docker: docker, Host: host, Progress: render.Build(g.streams.Err, view), Backend: backend}
	b.Options.Push = push
	res, err := builder.Build(ctx, b.Options)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case res.Reused && push:
		fmt.Fprintf(g.streams.Err, "%s is unchanged: the registry has %s already (%s); nothing built or pushed\n", a.Name, res.Image.Repository+":"+res.Image.Tag, res.Image.Digest)
	case res.Reused:
		fmt.Fprintf(g.streams.Err, "%s is unchanged: the engine has %s already; nothing built\n", a.Name, res.Image)
	case res.Pushed:
		fmt.Fprintf(g.streams.Err, "built and pushed %s@%s\n", res.Image.Repository+":"+res.Image.Tag, res.Image.Digest)
	default:
		fmt.Fprintf(g.streams.Err, "built %s\n", res.Image)
	}
	return res, b.Source, nil
}

// printContextNotes says which local .env* files stay out of the image, and warns about
// those that go in; names only, never contents.
func printContextNotes(g *globals, c *build.Context) {
	if c == nil {
		return
	}
	if n := len(c.LeftOutEnv); n > 0 {
		why := "git-ignored or .dockerignore'd"
		if !c.Git {
			why = "outside git, .env* files are never sent"
		}
		fmt.Fprintf(g.streams.Err, "note: %d local env file(s) left out of the image (%s): %s\n", n, why, strings.Join(c.LeftOutEnv, ", "))
	}
	for _, w := range c.Warnings {
		g.warn(w)
	}
}
