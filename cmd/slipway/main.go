// Command slipway is a Heroku-style developer platform on Kubernetes: it reads a repository
// kept the Heroku way (Procfile, .env, app.json, heroku.yml) and runs, builds, charts and
// deploys it. This package only parses flags, calls the platform packages and prints.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first SIGINT or SIGTERM cancels the command's context (a deploy then stops waiting,
	// restores the previous release and releases its lock); a second one kills as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(MainContext(ctx, os.Args[1:], defaultStreams()))
}
