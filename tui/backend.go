package tui

import (
	"context"

	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/logs"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
	"github.com/slipwayhq/slipway/platform/watch"
)

// Target is one app in one environment.
type Target struct {
	App, Environment, Namespace string
}

func (t Target) String() string { return t.App + " · " + t.Environment }

// Backend is what the dashboard reads and asks. The live one (Live) is the platform's
// watches and operations; tests give fixed data.
type Backend interface {
	// Changed receives after the data below changed (coalesced by the source).
	Changed() <-chan struct{}
	// Conn is the state of the connection to the cluster.
	Conn() watch.Conn
	// Apps lists every app × environment.
	Apps() []watch.AppEnv
	// Processes are the live process types of t.
	Processes(t Target) []kube.Process
	// Events are the cluster's events about t's objects, oldest first.
	Events(t Target) []watch.Event

	// History is t's releases, newest first.
	History(ctx context.Context, t Target) ([]release.Release, error)
	// Config is t's config vars.
	Config(ctx context.Context, t Target) (map[string]string, error)

	// Scale sets replica counts.
	Scale(ctx context.Context, t Target, counts map[string]int) error
	// Autoscale changes a type's autoscaling bounds (a release).
	Autoscale(ctx context.Context, t Target, o release.AutoscaleOptions, p progress.Func) (*release.Result, error)
	// PreviewRollback says what a rollback to revision to would change.
	PreviewRollback(ctx context.Context, t Target, to int) (*release.Change, error)
	// Rollback makes a release with revision to's image and config.
	Rollback(ctx context.Context, t Target, to int, p progress.Func) (*release.Result, error)
	// PreviewPromote says what promoting from's release into to would change.
	PreviewPromote(ctx context.Context, from, to Target) (*release.Change, error)
	// Promote deploys from's release into to, without a build. fromRevision pins it to
	// the release of from that was previewed: when another is deployed in from by then, it
	// is refused (a *release.SourceMovedError) before anything changes. 0: not pinned.
	Promote(ctx context.Context, from, to Target, fromRevision int, p progress.Func) (*release.Result, error)
	// SetConfig and UnsetConfig change config vars, each a release.
	SetConfig(ctx context.Context, t Target, vars map[string]string, p progress.Func) (*release.Result, error)
	UnsetConfig(ctx context.Context, t Target, keys []string, p progress.Func) (*release.Result, error)

	// Logs follows t's logs (one process type, or all with ""), calling lines with each
	// batch, until ctx ends.
	Logs(ctx context.Context, t Target, process string, lines func([]logs.Line)) error
}
