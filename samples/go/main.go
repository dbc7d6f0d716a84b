// Command sample is the Go sample app for Slipway: one binary, one subcommand
// per Procfile process type (web, worker, clock), plus the release command
// (migrate) and a one-shot task (report). Standard library only.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: sample <command>

commands:
  web      HTTP server on $PORT (default 5000)
  worker   background job loop, health server on $HEALTH_PORT (default 8081)
  clock    scheduler logging a tick every $CLOCK_INTERVAL (default 10s)
  migrate  apply migrations to the JSON store at $DATABASE_PATH (release command)
  report   one-shot task: print a line and exit
`

func main() {
	log.SetOutput(os.Stdout)
	log.SetFlags(0)
	if len(os.Args) != 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "web":
		err = runWeb(signalContext())
	case "worker":
		err = runWorker(signalContext())
	case "clock":
		err = runClock(signalContext())
	case "migrate":
		err = runMigrate()
	case "report":
		err = runReport()
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// signalContext is cancelled on the first SIGTERM or SIGINT. After that the
// default handling is restored, so a second signal kills the process at once.
func signalContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
	go func() {
		sig := <-ch
		signal.Stop(ch)
		log.Printf("received %v, shutting down", sig)
		cancel()
	}()
	return ctx
}

// env returns the value of key, or def when it is unset or empty.
func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
