// Command slipway is a Heroku-style developer platform on Kubernetes: it reads a repository
// kept the Heroku way (Procfile, .env, app.json, heroku.yml) and runs, builds, charts and
// deploys it. This package only parses flags, calls the platform packages and prints.
package main

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
)

func main() {
	// client-go logs through klog (a watch that ends when a wait is over, throttling): that is
	// library chatter on the user's terminal, and Slipway reports what matters itself.
	klog.SetLogger(logr.Discard())
	s := defaultStreams()
	ctx, cancel := context.WithCancel(context.Background())
	var cleansUp atomic.Bool
	s.CleansUp = func() { cleansUp.Store(true) }
	// The first SIGINT or SIGTERM ends the command at once (exit 130 or 143): reading
	// inputs, waiting on a pipe or on a server that does not answer stops there. A command
	// that has said it cleans up after itself (a deploy restores the previous release and
	// releases its lock; local stops its processes) gets its context cancelled instead. A
	// second signal kills, as usual.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		signal.Stop(sigs)
		if !cleansUp.Load() {
			os.Exit(128 + int(sig.(syscall.Signal)))
		}
		cancel()
	}()
	os.Exit(MainContext(ctx, os.Args[1:], s))
}
