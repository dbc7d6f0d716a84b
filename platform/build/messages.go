package build

import (
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/slipwayhq/slipway/platform/progress"
)

// engineMessage is one of the Docker Engine's JSON messages, as it sends them in a build's
// and a push's response (docker's jsonmessage.JSONMessage, less the fields engines no longer
// set).
type engineMessage struct {
	Stream   string `json:"stream"`
	Status   string `json:"status"`
	Progress *struct {
		Current    int64  `json:"current"`
		Total      int64  `json:"total"`
		Start      int64  `json:"start"`
		HideCounts bool   `json:"hidecounts"`
		Units      string `json:"units"`
	} `json:"progressDetail"`
	ProgressText string `json:"progress"`
	ID           string `json:"id"`
	Error        *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux *json.RawMessage `json:"aux"`
}

// message is m for Progress.
func (m *engineMessage) message() *progress.EngineMessage {
	em := &progress.EngineMessage{ID: m.ID, Status: m.Status, Stream: m.Stream, ProgressText: m.ProgressText}
	if p := m.Progress; p != nil {
		em.Progress = &progress.EngineProgress{Current: p.Current, Total: p.Total, Start: p.Start, HideCounts: p.HideCounts, Units: p.Units}
	}
	if e := m.Error; e != nil {
		em.Error = &progress.EngineError{Code: e.Code, Message: e.Message}
	}
	return em
}

// readMessages reads the engine's JSON messages in r until its end, as docker reads them:
// aux data goes to aux, every other message to Progress and then to each; an error from each
// ends the reading, as does a message that is not JSON.
func (b *Builder) readMessages(r io.Reader, phase progress.Phase, aux func(json.RawMessage), each func(*engineMessage) error) error {
	dec := json.NewDecoder(r)
	for {
		var m engineMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Aux != nil {
			aux(*m.Aux)
			continue
		}
		b.update(phase, &progress.BuildUpdate{Message: m.message()})
		if err := each(&m); err != nil {
			return err
		}
	}
}

// update sends a piece of the engine's output.
func (b *Builder) update(phase progress.Phase, u *progress.BuildUpdate) {
	b.Progress.Send(progress.Event{Phase: phase, Status: progress.Running, Build: u})
}

// end ends a stream of the engine's output that began with a Begin update.
func (b *Builder) end(phase progress.Phase, buildKit bool, err error) {
	e := progress.Event{Phase: phase, Status: progress.Done, Build: &progress.BuildUpdate{End: true, BuildKit: buildKit}}
	if err != nil {
		e.Status, e.Err = progress.Failed, err
	}
	b.Progress.Send(e)
}

// oneLine is s up to its first newline, for an event's Message.
func oneLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
