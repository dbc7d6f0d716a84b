package release

import (
	"fmt"
	"strings"
	"time"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/kube"
)

// DefaultTimeout bounds a deploy's wait for its release command and rollout.
const DefaultTimeout = 5 * time.Minute

// Image names what a release runs.
type Image = image.Ref

// DeployOptions is one deploy.
type DeployOptions struct {
	// App is the app, loaded with the environment's overrides.
	App *app.App
	// Image is what to run; Version the source version it was built from ("" if unknown).
	Image   Image
	Version string
	// Description overrides "Deploy <version or image>".
	Description string
	// Timeout bounds the wait for the release command and the rollout (default DefaultTimeout).
	Timeout time.Duration
	// Force makes a release even when nothing changed (same image, chart and config).
	Force bool
	// Generate makes values for app.json's generator: "secret" vars the first time they are
	// needed (default: 32 random bytes, hex); they are kept in the release afterwards.
	Generate func() (string, error)
}

// PromoteOptions is one promotion.
type PromoteOptions struct {
	// App is the app, loaded with this (the target) environment's overrides.
	App *app.App
	// From is the app loaded with the source environment's overrides; it says which
	// repository that environment configures. nil: unknown, as if it configured none.
	From *app.App
	// Timeout bounds the wait for the release command and the rollout (default DefaultTimeout).
	Timeout time.Duration
	// Force makes a release even when nothing changed.
	Force bool
	// FromRevision pins the promotion to the source environment's release it was previewed
	// at: when another release is deployed there now, the promotion is refused (a
	// *SourceMovedError) before anything changes. 0: not pinned (the source's deployed
	// release, whichever it is).
	FromRevision int
}

// SourceMovedError refuses a promotion pinned to a release of the source environment
// (PromoteOptions.FromRevision) that is no longer the one deployed there: what was
// previewed is not what would be promoted.
type SourceMovedError struct {
	// Environment is the source environment; Pinned the revision previewed, Current the
	// one deployed there now.
	Environment     string
	Pinned, Current int
}

func (e *SourceMovedError) Error() string {
	return fmt.Sprintf("%s is at v%d now, not v%d as previewed", e.Environment, e.Current, e.Pinned)
}

// Hint says what to do: look at what promoting the current release would change.
func (e *SourceMovedError) Hint() string {
	return fmt.Sprintf("preview again, to see what promoting v%d would change", e.Current)
}

// Result is what an operation that makes a release did.
type Result struct {
	Release Release
	// Recovered says which release left pending by a stopped client was recovered.
	Recovered string
	// NamespaceCreated is true when the deploy created the environment's namespace.
	NamespaceCreated bool
	// Unchanged is true when the deployed release already ran the same image, chart and
	// config, so no release was made (Release is the deployed one).
	Unchanged bool
	// Copied says which image a promotion copied between registries.
	Copied string
	// Generated lists the config vars generated for the first time.
	Generated []string
	Warnings  []app.Warning
}

// FailedError is a release that did not go out: the release command failed or the pods did
// not become ready in time. The previous release was restored when there was one.
type FailedError struct {
	Revision int
	// Reason is what failed: a *TimeoutError when the wait ran out, a *kube.Refusal when the
	// cluster refused to create the pods.
	Reason error
	// Output is the release command's output, when it was the release command that failed;
	// Unready describes pods that did not become ready.
	Output, Unready string
	// Refused is the cluster's refusal to create the release's pods, when that is what
	// failed (it is then the Reason too).
	Refused *kube.Refusal
	// RolledBack is the release that restored the previous one; RollbackErr why that failed.
	RolledBack  *Release
	RollbackErr error
}

func (e *FailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "release v%d failed: %v", e.Revision, e.Reason)
	if e.Output != "" {
		fmt.Fprintf(&b, "\nrelease command output:\n  %s", strings.ReplaceAll(strings.TrimRight(e.Output, "\n"), "\n", "\n  "))
	}
	if e.Unready != "" {
		fmt.Fprintf(&b, "\nnot ready:\n  %s", strings.ReplaceAll(strings.TrimRight(e.Unready, "\n"), "\n", "\n  "))
	}
	switch {
	case e.RolledBack != nil:
		fmt.Fprintf(&b, "\nrolled back: v%d (%s) now serves the previous release's image and config", e.RolledBack.Revision, e.RolledBack.Description)
	case e.RollbackErr != nil:
		fmt.Fprintf(&b, "\nthe rollback failed too: %v", e.RollbackErr)
	default:
		b.WriteString("\nnothing to roll back to: this was the first release")
	}
	return b.String()
}

func (e *FailedError) Unwrap() error { return e.Reason }

// TimeoutError says a release's release command or rollout did not finish within its
// timeout (DeployOptions.Timeout and the other operations' timeouts).
type TimeoutError struct {
	Timeout time.Duration
}

func (e *TimeoutError) Error() string { return fmt.Sprintf("not done within %s", e.Timeout) }
