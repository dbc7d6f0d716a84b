package main

import (
	"fmt"

	"github.com/slipwayhq/slipway/platform/progress"
)

// progress is how a command shows the engine's events on stderr: a build's own output as
// docker shows it (a live view on a terminal, plain lines elsewhere), warnings as warnings,
// everything else as one line each.
func (g *globals) progress() progress.Func {
	build := g.buildView()
	return func(e progress.Event) {
		switch {
		case e.Build != nil:
			build(e)
		case e.Message == "":
		case e.Status == progress.Warning:
			g.warn(e.Message)
		case e.Phase == progress.Prepare:
			fmt.Fprintf(g.streams.Err, "note: %s\n", e.Message)
		case e.Phase == progress.Detect:
			fmt.Fprintf(g.streams.Err, "%s; see it with 'slipway build --dockerfile'\n", e.Message)
		default:
			fmt.Fprintln(g.streams.Err, e.Message)
		}
	}
}
