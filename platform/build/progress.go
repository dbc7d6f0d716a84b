package build

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// BuildKit's progress is shown the way `docker build` shows it: plain lines (`#5 [build 3/4]
// RUN go build …`, the step's output, `#5 DONE 2.1s` or `#5 CACHED`) when the output is not
// a terminal, a compact view redrawn in place when it is.

// maxKept is how many of a step's output lines are kept to show when it fails.
const maxKept = 200

// vertex is what is known of one step.
type vertex struct {
	vertexUpdate
	// index is the step's number in the output (#N), 0 until it is shown.
	index int
	// seen orders the steps as they first started (or completed from the cache).
	seen int
	// partial is output not yet ended by a newline.
	partial []byte
	// lines are the last maxKept lines of output; dropped says how many went before.
	lines   []logLine
	dropped int
	// statuses are the step's tasks, in the order they appeared.
	statuses []*taskStatus

	// What the plain view has yet to print for this step.
	pendingHeader bool
	pendingLines  []logLine
	pendingTasks  []*taskStatus
	pendingEnd    bool
}

type logLine struct {
	at   time.Duration // since the step started
	text string
}

// taskStatus is the latest state of a task, and when the plain view last printed it (or
// first saw it).
type taskStatus struct {
	vertexStatus
	lastTime time.Time
}

func (v *vertex) running() bool { return v.started != nil && v.completed == nil }

func (v *vertex) canceled() bool {
	return v.err != "" && strings.HasSuffix(v.err, "context canceled")
}

// trace is the state of a build's steps, from BuildKit's status messages.
type trace struct {
	byDigest map[string]*vertex
	list     []*vertex // in the order seen
	seen     int
	warnings []vertexWarning
}

func newTrace() *trace { return &trace{byDigest: map[string]*vertex{}} }

func (t *trace) vertex(digest string) *vertex {
	v, ok := t.byDigest[digest]
	if !ok {
		v = &vertex{vertexUpdate: vertexUpdate{digest: digest}}
		t.byDigest[digest] = v
		t.list = append(t.list, v)
	}
	return v
}

// apply merges s into the trace and marks what the plain view has to print; it returns the
// steps s touched, in the order they should be printed: those that completed first (by
// completion time), then the others as they came.
func (t *trace) apply(s *status) []*vertex {
	var touched []*vertex
	touch := func(v *vertex) {
		for _, x := range touched {
			if x == v {
				return
			}
		}
		touched = append(touched, v)
	}
	for _, u := range s.vertexes {
		v := t.vertex(u.digest)
		startedNow := u.started != nil && (v.started == nil || !u.started.Equal(*v.started))
		completedNow := u.completed != nil && (v.completed == nil || !u.completed.Equal(*v.completed))
		if u.started == nil && v.started != nil {
			continue // the step announced again, as BuildKit does: not news
		}
		v.vertexUpdate = u
		if v.seen == 0 && (u.started != nil || u.completed != nil) {
			t.seen++
			v.seen = t.seen
		}
		if startedNow || completedNow {
			v.pendingHeader = true
			touch(v)
		}
		if completedNow {
			v.pendingEnd = true
		}
	}
	for _, st := range s.statuses {
		v := t.vertex(st.vertex)
		var ts *taskStatus
		for _, x := range v.statuses {
			if x.id == st.id {
				ts = x
			}
		}
		if ts == nil {
			ts = &taskStatus{}
			v.statuses = append(v.statuses, ts)
		}
		wasCompleted := ts.completed != nil
		ts.vertexStatus = st
		if ts.due(wasCompleted) {
			ts.lastTime = st.timestamp
			v.pendingTasks = appendOnce(v.pendingTasks, ts)
			touch(v)
		}
	}
	for _, l := range s.logs {
		v := t.vertex(l.vertex)
		if lines := v.addOutput(l.timestamp, l.msg); len(lines) > 0 {
			v.pendingLines = append(v.pendingLines, lines...)
			touch(v)
		}
	}
	t.warnings = append(t.warnings, s.warnings...)
	sort.SliceStable(touched, func(i, j int) bool {
		a, b := touched[i], touched[j]
		if a.pendingEnd != b.pendingEnd {
			return a.pendingEnd
		}
		return a.pendingEnd && a.completed.Before(*b.completed)
	})
	return touched
}

// due says whether a task's new state is worth a plain line: its completion, or 5 seconds
// since the last line (or since it was first seen). A task done in no time gets one line.
func (ts *taskStatus) due(wasCompleted bool) bool {
	switch {
	case ts.completed != nil:
		return !wasCompleted
	case ts.lastTime.IsZero():
		ts.lastTime = ts.timestamp
		return false
	}
	return ts.timestamp.Sub(ts.lastTime) >= 5*time.Second
}

func appendOnce(list []*taskStatus, ts *taskStatus) []*taskStatus {
	for _, x := range list {
		if x == ts {
			return list
		}
	}
	return append(list, ts)
}

// addOutput adds a step's output and returns the lines it completes.
func (v *vertex) addOutput(at time.Time, msg []byte) []logLine {
	var since time.Duration
	if v.started != nil {
		since = at.Sub(*v.started)
	}
	data := append(v.partial, msg...)
	var out []logLine
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		out = append(out, logLine{at: since, text: cleanLine(data[:i])})
		data = data[i+1:]
	}
	v.partial = append([]byte(nil), data...)
	v.keep(out)
	return out
}

// flushOutput ends the step's unterminated output, if any, as a line.
func (v *vertex) flushOutput() []logLine {
	if len(v.partial) == 0 {
		return nil
	}
	var since time.Duration
	if v.started != nil && v.completed != nil {
		since = v.completed.Sub(*v.started)
	}
	out := []logLine{{at: since, text: cleanLine(v.partial)}}
	v.partial = nil
	v.keep(out)
	return out
}

func (v *vertex) keep(lines []logLine) {
	v.lines = append(v.lines, lines...)
	if n := len(v.lines) - maxKept; n > 0 {
		v.lines = append([]logLine(nil), v.lines[n:]...)
		v.dropped += n
	}
}

// cleanLine makes one line of output printable: what a carriage return overwrote goes (a
// progress bar shows its last state), tabs become spaces, other control characters and
// invalid UTF-8 are replaced.
func cleanLine(b []byte) string {
	b = bytes.TrimRight(b, "\r")
	if i := bytes.LastIndexByte(b, '\r'); i >= 0 {
		b = b[i+1:]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return '\uFFFD'
		}
		return r
	}, s)
}

// failed returns the step that failed (not one canceled because another failed), or nil.
func (t *trace) failed() *vertex {
	var found *vertex
	for _, v := range t.list {
		if v.err != "" && !v.canceled() && (found == nil || v.seen < found.seen) {
			found = v
		}
	}
	return found
}

// progressView shows a BuildKit build's progress.
type progressView interface {
	// update shows what s changed.
	update(s *status)
	// text shows the engine's own text (not a step's output).
	text(s string)
	// finish shows the final state; the view prints nothing after.
	finish()
	// trace is what the view knows of the steps.
	steps() *trace
}

// plainView prints a line per event, as `docker build --progress=plain` does.
type plainView struct {
	w       io.Writer
	t       *trace
	current *vertex
	next    int
	any     bool
}

func newPlainView(w io.Writer) *plainView { return &plainView{w: w, t: newTrace()} }

func (p *plainView) steps() *trace { return p.t }

func (p *plainView) update(s *status) {
	var buf bytes.Buffer
	for _, v := range p.t.apply(s) {
		p.print(&buf, v)
	}
	_, _ = p.w.Write(buf.Bytes())
}

// print writes what is pending for v: its header when another step was printed last, its
// tasks and output lines, and its end.
func (p *plainView) print(buf *bytes.Buffer, v *vertex) {
	if !v.pendingHeader && len(v.pendingLines) == 0 && len(v.pendingTasks) == 0 && !v.pendingEnd {
		return
	}
	if v.index == 0 {
		p.next++
		v.index = p.next
	}
	if p.current != v {
		if c := p.current; c != nil {
			fmt.Fprintf(buf, "#%d ...\n", c.index)
		}
		if p.any {
			buf.WriteByte('\n')
		}
		fmt.Fprintf(buf, "#%d %s\n", v.index, v.name)
		p.current, p.any = v, true
	}
	for _, ts := range v.pendingTasks {
		fmt.Fprintf(buf, "#%d %s\n", v.index, taskLine(ts, time.Time{}))
	}
	lines := v.pendingLines
	if v.pendingEnd {
		lines = append(lines, v.flushOutput()...)
	}
	for _, l := range lines {
		fmt.Fprintf(buf, "#%d %.3f %s\n", v.index, l.at.Seconds(), l.text)
	}
	if v.pendingEnd {
		switch {
		case v.canceled():
			fmt.Fprintf(buf, "#%d CANCELED\n", v.index)
		case v.err != "":
			fmt.Fprintf(buf, "#%d ERROR: %s\n", v.index, v.err)
		case v.cached:
			fmt.Fprintf(buf, "#%d CACHED\n", v.index)
		case v.started != nil:
			fmt.Fprintf(buf, "#%d DONE %.1fs\n", v.index, v.completed.Sub(*v.started).Seconds())
		default:
			fmt.Fprintf(buf, "#%d DONE\n", v.index)
		}
		p.current = nil
	}
	v.pendingHeader, v.pendingLines, v.pendingTasks, v.pendingEnd = false, nil, nil, false
}

func (p *plainView) text(s string) { _, _ = io.WriteString(p.w, s) }

func (p *plainView) finish() {
	var buf bytes.Buffer
	for _, v := range p.t.list {
		p.print(&buf, v)
	}
	_, _ = p.w.Write(buf.Bytes())
}

// taskLine renders a task: its name, bytes done (of the total), time taken, done. now, when
// not zero, times a running task.
func taskLine(ts *taskStatus, now time.Time) string {
	var b strings.Builder
	b.WriteString(ts.id)
	switch {
	case ts.total != 0:
		fmt.Fprintf(&b, " %s / %s", humanBytes(ts.current), humanBytes(ts.total))
	case ts.current != 0:
		fmt.Fprintf(&b, " %s", humanBytes(ts.current))
	}
	end := ts.timestamp
	if ts.completed != nil {
		end = *ts.completed
	} else if !now.IsZero() {
		end = now
	}
	if ts.started != nil {
		if d := end.Sub(*ts.started).Seconds(); d > 0.01 {
			fmt.Fprintf(&b, " %.1fs", d)
		}
	}
	if ts.completed != nil {
		b.WriteString(" done")
	}
	return b.String()
}

// humanBytes is n in decimal units, as BuildKit shows transfers (2.35kB).
func humanBytes(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "kB", "MB", "GB", "TB"} {
		if f < 1000 || u == "TB" {
			if u == "B" {
				return fmt.Sprintf("%dB", n)
			}
			return fmt.Sprintf("%.2f%s", f, u)
		}
		f /= 1000
	}
	return "" // not reached
}

// liveView redraws a compact view of the build in place on a terminal: a line per step
// with its time, and the last lines of output of the steps that run.
type liveView struct {
	w     io.Writer
	now   func() time.Time
	size  func() (width, height int)
	start time.Time

	mu     sync.Mutex
	t      *trace
	height int // lines of the view on the screen
	stop   chan struct{}
	done   chan struct{}
}

// liveTail is how many lines of a running step's output the live view shows.
const liveTail = 6

func newLiveView(w io.Writer, size func() (int, int), now func() time.Time, every time.Duration) *liveView {
	v := &liveView{w: w, now: now, size: size, start: now(), t: newTrace(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(v.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-v.stop:
				return
			case <-tick.C:
				v.mu.Lock()
				v.draw(false)
				v.mu.Unlock()
			}
		}
	}()
	return v
}

func (v *liveView) steps() *trace { return v.t }

func (v *liveView) update(s *status) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, x := range v.t.apply(s) {
		if x.pendingEnd {
			x.flushOutput()
		}
		x.pendingHeader, x.pendingLines, x.pendingTasks, x.pendingEnd = false, nil, nil, false
	}
}

func (v *liveView) text(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.erase()
	_, _ = io.WriteString(v.w, s)
	v.draw(false)
}

func (v *liveView) finish() {
	close(v.stop)
	<-v.done
	v.mu.Lock()
	defer v.mu.Unlock()
	v.draw(true)
}

// erase removes the view from the screen, leaving the cursor where it began.
func (v *liveView) erase() {
	if v.height > 0 {
		fmt.Fprintf(v.w, "\x1b[%dA\r\x1b[J", v.height)
		v.height = 0
	}
}

// draw redraws the view over the last one.
func (v *liveView) draw(final bool) {
	width, height := v.size()
	if width < 20 {
		width = 80
	}
	if height < 5 {
		height = 24
	}
	lines := v.frame(final, width-1)
	if len(lines) > height-1 {
		lines = append(lines[:1], lines[len(lines)-(height-2):]...)
	}
	var buf bytes.Buffer
	if v.height > 0 {
		fmt.Fprintf(&buf, "\x1b[%dA\r", v.height)
	}
	for _, l := range lines {
		buf.WriteString(l)
		buf.WriteString("\x1b[K\n")
	}
	buf.WriteString("\x1b[J")
	v.height = len(lines)
	_, _ = v.w.Write(buf.Bytes())
}

// frame renders the view, each line at most width columns.
func (v *liveView) frame(final bool, width int) []string {
	now := v.now()
	var shown []*vertex
	done := 0
	for _, x := range v.t.list {
		if x.completed != nil {
			done++
		}
		if x.seen > 0 {
			shown = append(shown, x)
		}
	}
	sort.SliceStable(shown, func(i, j int) bool { return shown[i].seen < shown[j].seen })
	state := ""
	if final {
		state = " FINISHED"
	}
	lines := []string{fit(fmt.Sprintf("[+] Building %.1fs (%d/%d)%s", now.Sub(v.start).Seconds(), done, len(v.t.list), state), width)}
	for _, x := range shown {
		name := strings.ReplaceAll(x.name, "\n", " ")
		switch {
		case x.canceled():
			name = "CANCELED " + name
		case x.err != "":
			name = "ERROR " + name
		case x.cached:
			name = "CACHED " + name
		}
		var took time.Duration
		if x.started != nil {
			end := now
			if x.completed != nil {
				end = *x.completed
			}
			took = end.Sub(*x.started)
		}
		lines = append(lines, columns(" => "+name, fmt.Sprintf("%.1fs", took.Seconds()), width))
		for _, ts := range x.statuses {
			lines = append(lines, fit(" => => "+taskLine(ts, now), width))
		}
		if !final && x.running() {
			tail := x.lines
			if len(tail) > liveTail {
				tail = tail[len(tail)-liveTail:]
			}
			for _, l := range tail {
				lines = append(lines, fit(" => => # "+l.text, width))
			}
		}
	}
	return lines
}

// fit cuts s to width columns (runes: the names and output are mostly ASCII).
func fit(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	if width < 1 {
		return ""
	}
	return string(r[:width-1]) + "…"
}

// columns puts right at the end of a line of width columns, after left cut to fit.
func columns(left, right string, width int) string {
	room := width - utf8.RuneCountInString(right) - 1
	left = fit(left, room)
	pad := room - utf8.RuneCountInString(left)
	if pad < 0 {
		pad = 0
	}
	return left + strings.Repeat(" ", pad+1) + right
}

// summary writes what follows the progress of a build: the failed step's output (docker's
// box), and the frontend's warnings.
func summary(w io.Writer, t *trace) {
	var buf bytes.Buffer
	if v := t.failed(); v != nil {
		buf.WriteString("------\n")
		fmt.Fprintf(&buf, " > %s:\n", v.name)
		lines := v.lines
		dropped := v.dropped
		if n := len(lines) - 20; n > 0 {
			lines, dropped = lines[n:], dropped+n
		}
		if dropped > 0 {
			fmt.Fprintf(&buf, "[… %d lines before]\n", dropped)
		}
		for _, l := range lines {
			fmt.Fprintf(&buf, "%.3f %s\n", l.at.Seconds(), l.text)
		}
		buf.WriteString("------\n")
	}
	for _, wr := range t.warnings {
		fmt.Fprintf(&buf, "WARNING: %s\n", strings.TrimSpace(string(wr.short)))
		for _, d := range wr.detail {
			fmt.Fprintf(&buf, "  %s\n", strings.TrimSpace(string(d)))
		}
		if wr.url != "" {
			fmt.Fprintf(&buf, "  more info: %s\n", wr.url)
		}
	}
	_, _ = w.Write(buf.Bytes())
}
