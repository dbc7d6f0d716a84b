package gitpush

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/env"
	"github.com/slipwayhq/slipway/platform/pipeline"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
	"github.com/slipwayhq/slipway/render"
)

// Deployer is the Receiver that deploys a push, as slipway deploy does from a work tree:
// it checks the pushed commit out into a clean work tree of its own, finds the environment
// of the branch, builds and pushes the image and releases it, every step's progress going
// to the pusher. A failure refuses the push; the environment keeps its previous release.
type Deployer struct {
	// Git reads the pushed commit.
	Git Git
	// WorkDir holds the work trees of pushes being deployed, each removed after.
	WorkDir string
	// Registry is where the images of apps whose slipway.yaml names no image repository
	// go, as HOST[/PREFIX]: the app's image is HOST/PREFIX/APP.
	Registry string
	// Kubeconfig and Context choose the cluster, as kubectl's flags do.
	Kubeconfig, Context string
	// Timeout bounds each release's release command and rollout (default
	// release.DefaultTimeout).
	Timeout time.Duration
	// Pipeline makes the build→release pipeline with the given progress (default: the
	// process's Docker Engine and registries).
	Pipeline func(progress.Func) *pipeline.Pipeline
	// Open opens an app's environment (default env.Open).
	Open func(env.Options) (*env.Env, error)
}

var _ Receiver = (*Deployer)(nil)

// NoRegistryError says the server has nowhere to push an app's image.
type NoRegistryError struct{ App string }

func (e *NoRegistryError) Error() string {
	return fmt.Sprintf("%s names no image repository and the server has no registry for the images of such apps", e.App)
}

// Hint says how to give one.
func (e *NoRegistryError) Hint() string {
	return "set image.repository in " + app.ManifestFile + ", or ask the server's operator to give it a registry"
}

// NotBranchError is a push of a ref that is not a branch.
type NotBranchError struct{ Ref string }

func (e *NotBranchError) Error() string {
	return fmt.Sprintf("%s is not a branch: only a push of a branch deploys", e.Ref)
}

// Hint says how to push a branch.
func (e *NotBranchError) Hint() string { return "push a branch, e.g. HEAD:main" }

// Receive deploys each branch the push moves, in order, and stops at the first failure.
func (d *Deployer) Receive(ctx context.Context, p *Push, out io.Writer) error {
	for _, u := range p.Updates {
		if err := d.update(ctx, p, u, out); err != nil {
			writeError(out, err)
			fmt.Fprintf(out, "push refused: %s stays at %s\n", shortRef(u.Ref), orNothing(u.Old))
			return err
		}
	}
	return nil
}

func orNothing(oid string) string {
	if isZero(oid) {
		return "nothing (not created)"
	}
	return short(oid)
}

func (d *Deployer) update(ctx context.Context, p *Push, u Update, out io.Writer) error {
	branch, ok := strings.CutPrefix(u.Ref, "refs/heads/")
	if !ok {
		return &NotBranchError{Ref: u.Ref}
	}
	if u.Deletes() {
		fmt.Fprintf(out, "branch %s deleted: nothing is deployed or undeployed\n", branch)
		return nil
	}
	if err := os.MkdirAll(d.WorkDir, 0o700); err != nil {
		return fmt.Errorf("make the work tree: %w", err)
	}
	work, err := os.MkdirTemp(d.WorkDir, p.App+"-")
	if err != nil {
		return fmt.Errorf("make the work tree: %w", err)
	}
	defer os.RemoveAll(work)
	if err := d.Git.Checkout(ctx, p.Repo, p.Env, u.New, work); err != nil {
		return fmt.Errorf("check out %s: %w", short(u.New), err)
	}
	a, err := app.Load(work, app.Options{Name: p.App})
	if err != nil {
		return err
	}
	environment, err := a.EnvironmentOfBranch(branch)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "deploying %s %s (branch %s) to %s\n", p.App, short(u.New), branch, environment)
	open := d.Open
	if open == nil {
		open = env.Open
	}
	e, err := open(env.Options{Dir: work, App: p.App, Environment: environment, NeedApp: true, Kubeconfig: d.Kubeconfig, Context: d.Context})
	if err != nil {
		return err
	}
	for _, w := range e.Warnings {
		fmt.Fprintf(out, "warning: %s\n", w)
	}
	if !e.App.Image.Configured {
		if d.Registry == "" {
			return &NoRegistryError{App: p.App}
		}
		e.App.Image.Repository = path.Join(d.Registry, p.App)
	}
	show := render.Events(out, render.EventOptions{})
	m := e.Releases(show)
	cur, err := m.Current(ctx)
	if err == nil && cur.Version == u.New {
		fmt.Fprintf(out, "nothing to deploy: %s runs %s already (v%d, %s)\n", environment, short(u.New), cur.Revision, cur.Description)
		return nil
	}
	var nd *release.NotDeployedError
	if err != nil && !errors.As(err, &nd) {
		return err
	}
	pl := &pipeline.Pipeline{Progress: show}
	if d.Pipeline != nil {
		pl = d.Pipeline(show)
	}
	res, err := pl.Deploy(ctx, e.App, m, pipeline.DeployOptions{Timeout: d.Timeout})
	if res != nil {
		for _, w := range res.Warnings {
			fmt.Fprintf(out, "warning: %s\n", w)
		}
		if res.Recovered != "" {
			fmt.Fprintf(out, "recovered: %s\n", res.Recovered)
		}
		if len(res.Generated) > 0 {
			fmt.Fprintf(out, "generated config vars (kept from now on): %s\n", strings.Join(res.Generated, ", "))
		}
	}
	if err != nil {
		return err
	}
	r := res.Release
	if res.Unchanged {
		fmt.Fprintf(out, "nothing to deploy: %s v%d runs this image, chart and config already\n", environment, r.Revision)
		return nil
	}
	fmt.Fprintf(out, "deployed %s v%d to %s (namespace %s): %s\n  image %s\n", p.App, r.Revision, environment, e.Namespace, r.Description, r.Image)
	return nil
}
