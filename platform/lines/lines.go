// Package lines merges the output of many sources (processes, pods, build steps) into one
// stream of whole lines: every write holds complete lines only, each with its source's
// prefix, so a line is never split or interleaved with another. slipway local, logs -f, the
// git server's "remote:" lines and the terminal UI's log pane all write through it. What a
// prefix looks like (padding, colour) is the front end's choice.
package lines

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"time"
)

// MaxLine is the longest line carried whole. A source that writes more without a newline
// has its output broken into MaxLine pieces, each its own line.
const MaxLine = 1 << 20

// readChunk is how much of a source is read at once; every complete line in a chunk goes
// out in one write.
const readChunk = 64 << 10

// Prefix appends what goes before each line of a source to b: name is the source's name,
// index its place among the sources (-1 for the system's own messages), width the longest
// name's length, now the time of the line.
type Prefix func(b []byte, name string, index, width int, now time.Time) []byte

// TimeName is the plain prefix "15:04:05 name   | ", the name padded to width (foreman's).
func TimeName(b []byte, name string, _, width int, now time.Time) []byte {
	b = now.AppendFormat(b, "15:04:05")
	b = append(b, ' ')
	b = append(b, name...)
	for i := len(name); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, " | "...)
}

// Mux writes the lines of its sources to one writer.
type Mux struct {
	mu  sync.Mutex
	w   io.Writer
	err error // the first write error; later output is dropped
	// broken is closed on the first write error: nobody reads the stream any more.
	broken chan struct{}

	prefix Prefix
	width  int
	now    func() time.Time
}

// Options shape a Mux's prefixes.
type Options struct {
	// Prefix writes each line's prefix (default TimeName).
	Prefix Prefix
	// Width is the longest source name, for padding.
	Width int
	// Now is the clock of the prefixes (default time.Now).
	Now func() time.Time
}

// New returns a Mux writing to w.
func New(w io.Writer, o Options) *Mux {
	m := &Mux{w: w, broken: make(chan struct{}), prefix: o.Prefix, width: o.Width, now: o.Now}
	if m.prefix == nil {
		m.prefix = TimeName
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m
}

// Broken is closed when a write fails: nobody reads the stream any more (a closed pipe).
func (m *Mux) Broken() <-chan struct{} { return m.broken }

// Err is the first write error, if any.
func (m *Mux) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

func (m *Mux) write(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return
	}
	if _, err := m.w.Write(b); err != nil {
		m.err = err
		close(m.broken)
	}
}

// Source is one named source of lines.
type Source struct {
	m     *Mux
	name  string
	index int
}

// Source returns the source called name, the index-th (-1 for the system's messages).
func (m *Mux) Source(name string, index int) *Source {
	return &Source{m: m, name: name, index: index}
}

// Name is the source's name.
func (s *Source) Name() string { return s.name }

// appendLines appends each line of text (complete lines, each ending in '\n') with the
// source's prefix.
func (s *Source) appendLines(b, text []byte) []byte {
	var pre [96]byte
	p := s.m.prefix(pre[:0], s.name, s.index, s.m.width, s.m.now())
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		b = append(b, p...)
		b = append(b, text[:i+1]...)
		text = text[i+1:]
	}
	return b
}

// Line writes text as one line of this source (a newline is added; a text that holds
// newlines is written as that many lines, in one write).
func (s *Source) Line(text string) {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	s.m.write(s.appendLines(nil, []byte(text)))
}

// Copy reads r to its end, writing whole lines; a last line without a newline gets one. A
// line longer than MaxLine is cut into MaxLine pieces.
func (s *Source) Copy(r io.Reader) {
	buf := make([]byte, 0, readChunk)
	var out []byte
	cut := false // a line was just cut at MaxLine: a newline right after it ends that line
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if cut && len(buf) > 0 {
			if buf[0] == '\n' {
				buf = buf[:copy(buf, buf[1:])]
			}
			cut = false
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			out = s.appendLines(out[:0], buf[:i+1])
			s.m.write(out)
			buf = buf[:copy(buf, buf[i+1:])]
		}
		if len(buf) == cap(buf) {
			if cap(buf) < MaxLine {
				buf = append(make([]byte, 0, min(2*cap(buf), MaxLine)), buf...)
			} else {
				s.m.write(s.appendLines(out[:0], append(buf, '\n')))
				buf, cut = buf[:0], true
			}
		}
		if err != nil {
			if len(buf) > 0 {
				s.m.write(s.appendLines(out[:0], append(buf, '\n')))
			}
			return
		}
		if cap(buf) > readChunk && len(buf) == 0 {
			buf = make([]byte, 0, readChunk) // a long line has gone: give its memory back
		}
	}
}
