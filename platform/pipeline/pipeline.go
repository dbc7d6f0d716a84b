// Package pipeline is the way from an app's source to a running release: build the one
// image (or take one already built), push it, resolve its digest, release it. slipway build
// and slipway deploy call it, and so does the git server on a push; each gives a progress
// function and renders the events its own way.
package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/build"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
)

// DefaultResolveTimeout is how long a registry may take to say which digest a tag has.
const DefaultResolveTimeout = 15 * time.Second

// Pipeline builds and releases apps. The zero value works with the process's environment.
type Pipeline struct {
	// Progress receives every step's events (nil drops them).
	Progress progress.Func
	// Getenv reads DOCKER_BUILDKIT (default os.Getenv).
	Getenv func(string) string
	// Connect reaches the Docker Engine (default build.Connect: DOCKER_HOST, as docker).
	Connect func() (client.APIClient, string, error)
	// Resolve asks a registry for a tag's digest (default image.Resolve).
	Resolve func(context.Context, image.Ref) (image.Ref, error)
	// ResolveTimeout bounds Resolve (default DefaultResolveTimeout).
	ResolveTimeout time.Duration
}

// NoRegistryError says an image cannot be pushed: its repository names no registry.
type NoRegistryError struct {
	App, Repository string
}

func (e *NoRegistryError) Error() string {
	return fmt.Sprintf("%s: image.repository %q names no registry to push to", app.ManifestFile, e.Repository)
}

// Hint says how to name one.
func (e *NoRegistryError) Hint() string {
	return fmt.Sprintf("set it to REGISTRY/NAME, e.g. localhost:5000/%s for the sandbox's registry", e.App)
}

// Built is what Build made.
type Built struct {
	*build.Result
	// Source is the source the image was built from (git commit, tag).
	Source *build.Source
}

// Version is the source version a release of the image records: the git commit, or the
// image's content tag when the tree was dirty or outside git.
func (b *Built) Version() string {
	if b.Source == nil {
		return ""
	}
	if b.Source.Dirty || b.Source.Commit == "" {
		return b.Source.Tag
	}
	return b.Source.Commit
}

func (p *Pipeline) getenv(k string) string {
	if p.Getenv == nil {
		return os.Getenv(k)
	}
	return p.Getenv(k)
}

func (p *Pipeline) send(e progress.Event) { p.Progress.Send(e) }

// GenerateOptions says what a generated Dockerfile may rely on: BuildKit, unless
// DOCKER_BUILDKIT asks for the classic builder.
func (p *Pipeline) GenerateOptions() (build.GenerateOptions, build.Backend, error) {
	backend, err := build.BackendFromEnv(p.getenv)
	return build.GenerateOptions{BuildKit: backend != build.BackendClassic}, backend, err
}

// Build builds a's image and, with push, pushes it to the app's registry. An image whose
// tag the registry (or, without push, the engine) has already is not built again.
func (p *Pipeline) Build(ctx context.Context, a *app.App, push bool) (*Built, error) {
	if push && !hasRegistry(a.Image.Repository) {
		return nil, &NoRegistryError{App: a.Name, Repository: a.Image.Repository}
	}
	gen, backend, err := p.GenerateOptions()
	if err != nil {
		return nil, err
	}
	b, err := build.ForApp(a, gen)
	if err != nil {
		return nil, err
	}
	p.contextNotes(b.Options.Context)
	for _, n := range b.Notes {
		p.send(progress.Event{Phase: progress.Prepare, Message: n})
	}
	if b.Plan != nil {
		what := "no Dockerfile"
		if b.Unused != "" {
			what = "generated Dockerfile"
		}
		p.send(progress.Event{Phase: progress.Detect, Message: fmt.Sprintf("%s: building for %s %s (%s)", what, b.Plan.Language, b.Plan.Version, strings.Join(b.Plan.Reasons, "; "))})
		for _, w := range b.Plan.Warnings {
			p.send(progress.Event{Phase: progress.Detect, Status: progress.Warning, Message: w})
		}
	}
	connect := p.Connect
	if connect == nil {
		connect = build.Connect
	}
	docker, host, err := connect()
	if err != nil {
		return nil, err
	}
	builder := &build.Builder{Docker: docker, Host: host, Backend: backend, Resolve: p.Resolve, Progress: p.Progress}
	b.Options.Push = push
	res, err := builder.Build(ctx, b.Options)
	if err != nil {
		return nil, err
	}
	var msg string
	switch ref := res.Image.Repository + ":" + res.Image.Tag; {
	case res.Reused && push:
		msg = fmt.Sprintf("%s is unchanged: the registry has %s already (%s); nothing built or pushed", a.Name, ref, res.Image.Digest)
	case res.Reused:
		msg = fmt.Sprintf("%s is unchanged: the engine has %s already; nothing built", a.Name, res.Image)
	case res.Pushed:
		msg = fmt.Sprintf("built and pushed %s@%s", ref, res.Image.Digest)
	default:
		msg = fmt.Sprintf("built %s", res.Image)
	}
	// The outcome is a note (Info): the builder's own events say how each step went.
	phase := progress.Build
	if push {
		phase = progress.Push
	}
	p.send(progress.Event{Phase: phase, Message: msg})
	return &Built{Result: res, Source: b.Source}, nil
}

// hasRegistry reports whether repository names a registry host (a dot or a port in its
// first part, or localhost/), as docker tells a registry from a Docker Hub user.
func hasRegistry(repository string) bool {
	host, _, _ := strings.Cut(repository, "/")
	return strings.ContainsAny(host, ".:") || strings.HasPrefix(repository, "localhost/")
}

// contextNotes says which local .env* files stay out of the image, and warns about those
// that go in; names only, never contents.
func (p *Pipeline) contextNotes(c *build.Context) {
	if c == nil {
		return
	}
	if n := len(c.LeftOutEnv); n > 0 {
		why := "git-ignored or .dockerignore'd"
		if !c.Git {
			why = "outside git, .env* files are never sent"
		}
		p.send(progress.Event{Phase: progress.Prepare, Message: fmt.Sprintf("%d local env file(s) left out of the image (%s): %s", n, why, strings.Join(c.LeftOutEnv, ", "))})
	}
	for _, w := range c.Warnings {
		p.send(progress.Event{Phase: progress.Prepare, Status: progress.Warning, Message: w})
	}
}

// DeployOptions say what to release.
type DeployOptions struct {
	// Image, when set, is released instead of building one; a tag is resolved to its
	// digest first.
	Image *image.Ref
	// Version is the source version (git sha); default the built source's.
	Version string
	// Description is the release's description (default: Deploy <version or image>).
	Description string
	// Timeout bounds the release command and the rollout (default release.DefaultTimeout).
	Timeout time.Duration
	// Force makes a release even when nothing changed.
	Force bool
}

// Deploy builds and pushes a's image (or takes o.Image), then releases it with m.
func (p *Pipeline) Deploy(ctx context.Context, a *app.App, m *release.Manager, o DeployOptions) (*release.Result, error) {
	ro := release.DeployOptions{App: a, Version: o.Version, Description: o.Description, Timeout: o.Timeout, Force: o.Force}
	if o.Image == nil {
		built, err := p.Build(ctx, a, true)
		if err != nil {
			return nil, err
		}
		ro.Image, ro.Version = built.Image, cmp.Or(o.Version, built.Version())
	} else {
		img, err := p.ResolveImage(ctx, *o.Image)
		if err != nil {
			return nil, err
		}
		ro.Image = img
	}
	return m.Deploy(ctx, ro)
}

// ResolveImage asks img's registry for its digest: releases refer to images by digest. An
// image the registry does not have is an error; a registry that cannot answer (offline,
// no credentials) leaves the tag, with a warning.
func (p *Pipeline) ResolveImage(ctx context.Context, img image.Ref) (image.Ref, error) {
	resolve := p.Resolve
	if resolve == nil {
		resolve = image.Resolve
	}
	rctx, cancel := context.WithTimeout(ctx, cmp.Or(p.ResolveTimeout, DefaultResolveTimeout))
	resolved, err := resolve(rctx, img)
	cancel()
	var nf *image.NotFoundError
	switch {
	case errors.As(err, &nf):
		return img, err
	case err != nil:
		p.send(progress.Event{Phase: progress.Resolve, Status: progress.Warning, Message: fmt.Sprintf("deploying %s by tag: %v", img, err)})
		return img, nil
	}
	return resolved, nil
}
