package render

import (
	"fmt"
	"io"

	"github.com/slipwayhq/slipway/platform/progress"
)

// EventOptions says how Events words what is not a build's own output.
type EventOptions struct {
	// Build says how to show a build (see Build).
	Build BuildOptions
	// Warn shows a warning (default: a "warning: " line on w).
	Warn func(msg string)
	// DetectSuffix follows the line saying how an app with a generated Dockerfile is built
	// (the CLI says how to see the generated Dockerfile).
	DetectSuffix string
}

// Events returns a progress.Func that writes every event to w as one line, as the CLI and
// the git server show an operation's progress: a build's own output as Build does, warnings
// through Warn, notes about the build context as "note:" lines, and the other events' messages
// as they are. The start and end of each build step are left to the build's output, which
// shows them already.
func Events(w io.Writer, o EventOptions) progress.Func {
	build := Build(w, o.Build)
	warn := o.Warn
	if warn == nil {
		warn = func(msg string) { fmt.Fprintf(w, "warning: %s\n", msg) }
	}
	return func(e progress.Event) {
		switch {
		case e.Build != nil:
			build(e)
		case e.Message == "":
		case e.Status == progress.Warning:
			warn(e.Message)
		case (e.Phase == progress.Build || e.Phase == progress.Push) && e.Status != progress.Info:
		case e.Phase == progress.Prepare:
			fmt.Fprintf(w, "note: %s\n", e.Message)
		case e.Phase == progress.Detect:
			fmt.Fprintf(w, "%s%s\n", e.Message, o.DetectSuffix)
		default:
			fmt.Fprintln(w, e.Message)
		}
	}
}

// Hint returns the first non-empty hint (a Hint() string method) in err's chain, depth
// first as errors.As looks: platform errors carry the fix there, and each front end words it
// ("hint:" under the error, a line of the push).
func Hint(err error) string {
	if err == nil {
		return ""
	}
	if h, ok := err.(interface{ Hint() string }); ok && h.Hint() != "" {
		return h.Hint()
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return Hint(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if h := Hint(e); h != "" {
				return h
			}
		}
	}
	return ""
}
