package local

import (
	"bytes"
	"io"
	"os"
	"sync"
	"time"
)

// MaxLine is the longest line the log stream carries whole. A process that writes more
// without a newline has its output broken into MaxLine pieces, each its own line.
const MaxLine = 1 << 20

// readChunk is how much a process's output is read at once; every complete line in a chunk
// goes out in one write.
const readChunk = 64 << 10

// colours are the prefix colours, one per process instance in turn (foreman's palette).
var colours = []string{"36", "33", "32", "35", "34", "31", "96", "93", "92", "95", "94", "91"}

// mux writes every process's lines to one stream: "15:04:05 web.1 | line". Each write holds
// whole lines only, so a line is never split or interleaved with another.
type mux struct {
	mu    sync.Mutex
	w     io.Writer
	err   error // the first write error; later output is dropped
	width int   // prefix names are padded to this width
	color bool
	now   func() time.Time
	// broken is closed on the first write error: nobody reads the log any more.
	broken chan struct{}
}

func newMux(w io.Writer, width int, color bool, now func() time.Time) *mux {
	return &mux{w: w, width: width, color: color, now: now, broken: make(chan struct{})}
}

// source is one named writer into the mux.
type source struct {
	m      *mux
	name   string
	colour string
}

func (m *mux) source(name string, i int) *source {
	c := "1" // bold, for system
	if i >= 0 {
		c = colours[i%len(colours)]
	}
	return &source{m: m, name: name, colour: c}
}

// prefix appends "15:04:05 name   | " (coloured on a terminal) to b.
func (s *source) prefix(b []byte, now time.Time) []byte {
	if s.m.color {
		b = append(b, "\x1b["...)
		b = append(b, s.colour...)
		b = append(b, 'm')
	}
	b = now.AppendFormat(b, "15:04:05")
	b = append(b, ' ')
	b = append(b, s.name...)
	for i := len(s.name); i < s.m.width; i++ {
		b = append(b, ' ')
	}
	b = append(b, " |"...)
	if s.m.color {
		b = append(b, "\x1b[0m"...)
	}
	return append(b, ' ')
}

// lines appends each line of text (complete lines, each ending in '\n') with its prefix.
func (s *source) lines(b, text []byte) []byte {
	var pre [64]byte
	p := s.prefix(pre[:0], s.m.now())
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		b = append(b, p...)
		b = append(b, text[:i+1]...)
		text = text[i+1:]
	}
	return b
}

// say writes msg as one line from this source.
func (s *source) say(msg string) {
	s.m.write(s.lines(nil, []byte(msg+"\n")))
}

func (m *mux) write(b []byte) {
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

// copy reads r to its end, sending whole lines to the mux; a last line without a newline
// gets one. It returns when every holder of the pipe's write end has closed it.
func (s *source) copy(r *os.File) {
	buf := make([]byte, 0, readChunk)
	var out []byte
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			out = s.lines(out[:0], buf[:i+1])
			s.m.write(out)
			buf = buf[:copy(buf, buf[i+1:])]
		}
		if len(buf) == cap(buf) {
			if cap(buf) < MaxLine {
				buf = append(make([]byte, 0, min(2*cap(buf), MaxLine)), buf...)
			} else {
				s.m.write(s.lines(out[:0], append(buf, '\n')))
				buf = buf[:0]
			}
		}
		if err != nil {
			if len(buf) > 0 {
				s.m.write(s.lines(out[:0], append(buf, '\n')))
			}
			return
		}
		if cap(buf) > readChunk && len(buf) == 0 {
			buf = make([]byte, 0, readChunk) // a long line has gone: give its memory back
		}
	}
}
