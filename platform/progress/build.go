package progress

import "time"

// BuildUpdate is one piece of a build's or a push's own progress, as the engine reports it,
// decoded: BuildKit's solve status, or the engine's JSON messages (the classic builder's and a
// push's). It is filled by platform/build; front ends render it (docker's plain lines, a live
// view). Each stream of the engine's output is framed by an update with Begin and one with
// End, so that a renderer can set up its view and draw its last frame; every Begin has its
// End, even when the build fails (the End event's Status is Failed then, Err why).
type BuildUpdate struct {
	// Begin starts a stream of the engine's output, End ends it; the other fields are empty
	// in an update with either.
	Begin, End bool
	// BuildKit says the stream is a BuildKit build's: its updates carry Solve and Text. Else
	// the stream is the engine's JSON messages (the classic builder, a push): Message.
	BuildKit bool
	// Solve is one of BuildKit's status reports: what changed since the last.
	Solve *SolveStatus
	// Text is the engine's own text in a BuildKit build's stream, not a step's output.
	Text string
	// Message is one of the engine's JSON messages (never its aux data).
	Message *EngineMessage
}

// SolveStatus is one of BuildKit's status reports (a StatusResponse of its control API):
// the steps that changed, their tasks' progress, their output, and the frontend's warnings.
type SolveStatus struct {
	Vertexes []Vertex
	Statuses []VertexStatus
	Logs     []VertexLog
	Warnings []VertexWarning
}

// Vertex is a step of a BuildKit build (a Dockerfile instruction, or one of BuildKit's own,
// "[internal] load build context") in its latest state.
type Vertex struct {
	// Digest identifies the step in the other messages.
	Digest string
	// Inputs are the digests of the steps it depends on.
	Inputs []string
	// Name is how docker names the step ("[build 3/4] RUN go build ./...").
	Name string
	// Cached says the step's result came from the build cache.
	Cached bool
	// Started and Completed are when the step started and ended, if it has.
	Started, Completed *time.Time
	// Error is why the step failed, as BuildKit says it; a step canceled because another
	// failed ends with "context canceled".
	Error string
}

// VertexStatus is a step's progress on one of its tasks (a transfer, an export).
type VertexStatus struct {
	// ID names the task ("transferring context", "sha256:…"); Vertex is the step's digest.
	ID, Vertex, Name string
	// Current and Total are the units done and to do (bytes), Total 0 when not known.
	Current, Total int64
	// Timestamp is when this was reported; Started and Completed when the task did so.
	Timestamp          time.Time
	Started, Completed *time.Time
}

// VertexLog is output of a step's process: bytes, not necessarily whole lines.
type VertexLog struct {
	// Vertex is the step's digest.
	Vertex    string
	Timestamp time.Time
	// Stream is 1 for stdout, 2 for stderr.
	Stream int
	Data   []byte
}

// VertexWarning is a frontend's warning about the build definition (the Dockerfile).
type VertexWarning struct {
	// Vertex is the step's digest, if the warning is about one.
	Vertex string
	Level  int
	// Short is the warning; Detail its explanation, a line each; URL where to read more.
	Short  []byte
	Detail [][]byte
	URL    string
}

// EngineMessage is one of the Docker Engine's JSON messages: a line of the classic builder's
// output, or a layer's status in a push.
type EngineMessage struct {
	// ID names what the message is about (a layer), if anything.
	ID string
	// Status is a short status ("Pushing", "Layer already exists").
	Status string
	// Stream is text of the build's output, newlines included.
	Stream string
	// Progress is how far a layer's transfer is; present (not nil) when the engine sent
	// one, even empty.
	Progress *EngineProgress
	// ProgressText is the engine's own rendering of the progress (its "progress" field).
	ProgressText string
	// Error is the error the stream ends with, if any.
	Error *EngineError
}

// EngineProgress is the progress of a transfer in an EngineMessage.
type EngineProgress struct {
	// Current is how much is done of Total (0 when not known); Start is when it began
	// (seconds since the epoch).
	Current, Total, Start int64
	// HideCounts hides the counts; Units is what is counted (bytes when empty).
	HideCounts bool
	Units      string
}

// EngineError is the error in an EngineMessage.
type EngineError struct {
	Code    int
	Message string
}
