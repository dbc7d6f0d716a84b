// Package progress is what the engine says while it works: a small typed value per step
// (a build step, a push, the release command, one process type's rollout), sent to a function
// the front end gives. The engine never draws: the CLI prints events as lines or as a live
// view, the git server as "remote:" lines, the terminal UI in its panes.
package progress

import "time"

// Phase is the part of an operation an event belongs to.
type Phase string

// The phases of a build, a deploy, a promotion and a rollback, in the order they happen.
const (
	// Prepare covers what comes before any work: the build context, detection notes.
	Prepare Phase = "prepare"
	// Detect is the language detection of an app Slipway writes the Dockerfile for.
	Detect Phase = "detect"
	// Build is the image build on the Docker Engine.
	Build Phase = "build"
	// Push is the push of the built image to its registry.
	Push Phase = "push"
	// Resolve is the registry lookup of an image's digest.
	Resolve Phase = "resolve"
	// Copy is an image copy between registries (a promotion).
	Copy Phase = "copy"
	// Release is the new Helm release: planned, applied, recorded.
	Release Phase = "release"
	// ReleaseCommand is the release process (the Procfile's release) run as a Job.
	ReleaseCommand Phase = "release-command"
	// Rollout is the rolling update of the process types.
	Rollout Phase = "rollout"
	// Restore is the restore of the previous release after a failure.
	Restore Phase = "restore"
)

// Status says where a step is.
type Status int

const (
	// Info is a note that starts or ends nothing.
	Info Status = iota
	// Running says a step started or moved on.
	Running
	// Done says a step ended well.
	Done
	// Failed says a step ended badly; Event.Err says why.
	Failed
	// Warning is something the user should know that does not stop the operation.
	Warning
)

func (s Status) String() string {
	switch s {
	case Running:
		return "running"
	case Done:
		return "done"
	case Failed:
		return "failed"
	case Warning:
		return "warning"
	}
	return "info"
}

// Event is one thing that happened.
type Event struct {
	Phase  Phase
	Status Status
	// Process is the process type the event is about (web), if any.
	Process string
	// Pod is the pod the event is about, if any.
	Pod string
	// Message says what happened in plain words: one line, no terminal control sequences,
	// never a config value.
	Message string
	// Err is why a step failed (Status Failed).
	Err error
	// Build carries a build's own progress (BuildKit's steps, the classic builder's and a
	// push's messages) for a front end that shows them; Message is empty then.
	Build *BuildUpdate
	// Time is when it happened.
	Time time.Time
}

// Func receives events. It is called from the goroutine doing the work, one event at a time;
// it must not block for long.
type Func func(Event)

// Send calls f with e, stamping its time; a nil f drops it.
func (f Func) Send(e Event) {
	if f == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	f(e)
}
