package env_test

import (
	"context"
	"fmt"
	"time"

	"github.com/slipwayhq/slipway/platform/env"
	"github.com/slipwayhq/slipway/platform/pipeline"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
)

// Example is what a front end (the CLI, the terminal UI, the git server) does: open an
// environment, read its processes and releases, scale, roll back, promote, and run the
// build→release pipeline, rendering progress events its own way. Errors are facts; a
// front end words the hints (errors with a Hint method) for its users.
func Example() {
	ctx := context.Background()
	show := func(e progress.Event) { fmt.Println(e.Phase, e.Process, e.Message) }

	staging, err := env.Open(env.Options{Dir: ".", Environment: "staging"})
	if err != nil {
		fmt.Println(err)
		return
	}
	releases := staging.Releases(show)
	procs, _ := staging.Kube.Processes(ctx, staging.Name) // types, pods, reasons
	history, _ := releases.History(ctx)
	fmt.Println(len(procs), len(history))

	_, _ = staging.Kube.Scale(ctx, staging.Name, map[string]int{"web": 3})
	_, _ = releases.Rollback(ctx, 0, 5*time.Minute) // the formation stays

	production, err := env.Open(env.Options{Dir: ".", Environment: "production"})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = production.Releases(show).Promote(ctx, releases, release.PromoteOptions{App: production.App, From: staging.App})

	p := &pipeline.Pipeline{Progress: show}
	_, _ = p.Deploy(ctx, staging.App, releases, pipeline.DeployOptions{Timeout: 5 * time.Minute})
}
