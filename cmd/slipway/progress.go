package main

import (
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
	return render.Events(g.streams.Err, render.EventOptions{
		Build:        render.BuildOptions{Terminal: g.streams.ErrTTY && term.IsTerminal(fd), Size: func() (int, int, error) { return term.GetSize(fd) }},
		Warn:         g.warn,
		DetectSuffix: "; see it with 'slipway build --dockerfile'",
	})
}
