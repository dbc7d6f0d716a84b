package main

import (
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/render"
)

// progress is how a command shows the engine's events on stderr: a build's own output as
// docker shows it (a live view on a terminal, plain lines elsewhere), warnings as warnings,
// everything else as one line each.
func (g *globals) progress() progress.Func {
	fd := int(os.Stderr.Fd())
	view := render.BuildOptions{Terminal: g.streams.ErrTTY && term.IsTerminal(fd), Size: func() (int, int, error) { return term.GetSize(fd) }}
	build := render.Build(g.streams.Err, view)
	return func(e progress.Event) {
		switch {
		case e.Build != nil:
			build(e)
		case e.Message == "":
		case e.Status == progress.Warning:
			g.warn(e.Message)
		case (e.Phase == progress.Build || e.Phase == progress.Push) && e.Status != progress.Info:
			// A build step's start and end: the build view shows them already.
		case e.Phase == progress.Prepare:
			fmt.Fprintf(g.streams.Err, "note: %s\n", e.Message)
		case e.Phase == progress.Detect:
			fmt.Fprintf(g.streams.Err, "%s; see it with 'slipway build --dockerfile'\n", e.Message)
		default:
			fmt.Fprintln(g.streams.Err, e.Message)
		}
	}
}
