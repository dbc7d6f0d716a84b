// Command slipway is a Heroku-style developer platform on Kubernetes: it reads a repository
// kept the Heroku way (Procfile, .env, app.json, heroku.yml) and runs, builds, charts and
// deploys it. This package only parses flags, calls the platform packages and prints.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
)

func main() {
	// client-go logs through klog (a watch that ends when a wait is over, throttling): that is
	// library chatter on the user's terminal, and Slipway reports what matters itself.
	klog.SetLogger(logr.Discard())
	// The first SIGINT or SIGTERM cancels the command's context (a deploy then stops waiting,
	// restores the previous release and releases its lock); a second one kills as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(MainContext(ctx, os.Args[1:], defaultStreams()))
}
