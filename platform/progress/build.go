package progress

// BuildUpdate is one piece of a build's own progress, as the engine reports it. It is
// filled by platform/build; front ends render it (docker's plain lines, a live view).
type BuildUpdate struct {
	// Text is the engine's own text, not a step's output (the classic builder's stream).
	Text string
}
