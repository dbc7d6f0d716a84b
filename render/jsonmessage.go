package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/go-units"

	"github.com/slipwayhq/slipway/platform/progress"
)

// The engine's JSON messages (the classic builder's output, a push's layers) are shown as
// docker shows them (github.com/docker/docker/pkg/jsonmessage, DisplayJSONMessagesStream):
// on a terminal, a line per layer updated in place with a progress bar; otherwise the
// messages without progress, a line each.

// messageView shows one stream of the engine's JSON messages.
type messageView struct {
	w        io.Writer
	terminal bool
	// width is the terminal's width, for progress bars.
	width func() int
	now   func() time.Time
	// ids are the lines of the layers shown with progress, from the first.
	ids map[string]uint
}

// show shows m, as DisplayJSONMessagesStream shows a message that is not aux data.
func (v *messageView) show(m *progress.EngineMessage) {
	var buf bytes.Buffer
	var diff uint
	if m.ID != "" && (m.Progress != nil || m.ProgressText != "") {
		line, ok := v.ids[m.ID]
		if !ok {
			// A new layer gets a line below the others.
			line = uint(len(v.ids))
			v.ids[m.ID] = line
			if v.terminal {
				buf.WriteString("\n")
			}
		}
		diff = uint(len(v.ids)) - line
		if v.terminal {
			cursorUp(&buf, diff)
		}
	} else {
		// Anything else ends the layers' lines: none of them is updated again.
		v.ids = map[string]uint{}
	}
	v.display(&buf, m)
	if m.ID != "" && v.terminal {
		cursorDown(&buf, diff)
	}
	_, _ = v.w.Write(buf.Bytes())
}

func cursorUp(buf *bytes.Buffer, n uint) {
	if n > 0 {
		fmt.Fprintf(buf, "\x1b[%dA", n)
	}
}

func cursorDown(buf *bytes.Buffer, n uint) {
	if n > 0 {
		fmt.Fprintf(buf, "\x1b[%dB", n)
	}
}

// display writes m as JSONMessage.Display does; a message with an error shows nothing.
func (v *messageView) display(buf *bytes.Buffer, m *progress.EngineMessage) {
	if m.Error != nil {
		return
	}
	var endl string
	if v.terminal && m.Stream == "" && m.Progress != nil {
		buf.WriteString("\x1b[2K\r") // clear the line
		endl = "\r"
	} else if m.Progress != nil && v.progressBar(m.Progress) != "" {
		return // no progress bars off a terminal
	}
	if m.ID != "" {
		fmt.Fprintf(buf, "%s: ", m.ID)
	}
	switch {
	case m.Progress != nil && v.terminal:
		fmt.Fprintf(buf, "%s %s%s", m.Status, v.progressBar(m.Progress), endl)
	case m.ProgressText != "":
		fmt.Fprintf(buf, "%s %s%s", m.Status, m.ProgressText, endl)
	case m.Stream != "":
		fmt.Fprintf(buf, "%s%s", m.Stream, endl)
	default:
		fmt.Fprintf(buf, "%s%s\n", m.Status, endl)
	}
}

// progressBar renders p as JSONProgress.String does: a bar when the terminal is wider than
// 110 columns, the counts, and the time left when it is wider than 50.
func (v *messageView) progressBar(p *progress.EngineProgress) string {
	width := v.width()
	var bar, numbers string
	if p.Current <= 0 && p.Total <= 0 {
		return ""
	}
	if p.Total <= 0 {
		if p.Units == "" {
			return fmt.Sprintf("%8v", units.HumanSize(float64(p.Current)))
		}
		return fmt.Sprintf("%d %s", p.Current, p.Units)
	}
	percentage := min(int(float64(p.Current)/float64(p.Total)*100)/2, 50)
	if width > 110 {
		bar = fmt.Sprintf("[%s>%s] ", strings.Repeat("=", percentage), strings.Repeat(" ", max(50-percentage, 0)))
	}
	switch {
	case p.HideCounts:
	case p.Units == "":
		current := units.HumanSize(float64(p.Current))
		numbers = fmt.Sprintf("%8v/%v", current, units.HumanSize(float64(p.Total)))
		if p.Current > p.Total {
			numbers = fmt.Sprintf("%8v", current) // the engine's count is off: no total
		}
	default:
		numbers = fmt.Sprintf("%d/%d %s", p.Current, p.Total, p.Units)
		if p.Current > p.Total {
			numbers = fmt.Sprintf("%d %s", p.Current, p.Units)
		}
	}
	var left string
	if width > 50 && p.Current > 0 && p.Start > 0 && percentage < 50 {
		perEntry := v.now().Sub(time.Unix(p.Start, 0)) / time.Duration(p.Current)
		left = " " + (time.Duration(p.Total-p.Current) * perEntry).Round(time.Second).String()
	}
	return bar + numbers + left
}
