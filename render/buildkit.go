package render

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/slipwayhq/slipway/platform/progress"
)

// BuildKit's progress is shown the way `docker build` shows it: plain lines (`#5 [build 3/4]
// RUN go build …`, the step's output, `#5 DONE 2.1s` or `#5 CACHED`) when the output is not
// a terminal, a compact view redrawn in place when it is.

// maxKept is how many of a step's output lines are kept to show when it fails.
const maxKept = 200

// vertex is what is known of one step.
type vertex struct {
	progress.Vertex
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
	progress.VertexStatus
	lastTime time.Time
}

func (v *vertex) running() bool { return v.Started != nil && v.Completed == nil }

func (v *vertex) canceled() bool {
	return v.Error != "" && strings.HasSuffix(v.Error, "context canceled")
}

// trace is the state of a build's steps, from BuildKit's status messages.
type trace struct {
	byDigest map[string]*vertex
	list     []*vertex // in the order seen
	seen     int
	warnings []progress.VertexWarning
}

func newTrace() *trace { return &trace{byDigest: map[string]*vertex{}} }

func (t *trace) vertex(digest string) *vertex {
	v, ok := t.byDigest[digest]
	if !ok {
		v = &vertex{Vertex: progress.Vertex{Digest: digest}}
		t.byDigest[digest] = v
		t.list = append(t.list, v)
	}
	return v
}

// apply merges s into the trace and marks what the plain view has to print; it returns the
// steps s touched, in the order they should be printed: those that completed first (by
// completion time), then the others as they came.
func (t *trace) apply(s *progress.SolveStatus) []*vertex {
	var touched []*vertex
	touch := func(v *vertex) {
		for _, x := range touched {
			if x == v {
				return
			}
		}
		touched = append(touched, v)
	}
	for _, u := range s.Vertexes {
		v := t.vertex(u.Digest)
		startedNow := u.Started != nil && (v.Started == nil || !u.Started.Equal(*v.Started))
		completedNow := u.Completed != nil && (v.Completed == nil || !u.Completed.Equal(*v.Completed))
		if u.Started == nil && v.Started != nil {
			continue // the step announced again, as BuildKit does: not news
		}
		v.Vertex = u
		if v.seen == 0 && (u.Started != nil || u.Completed != nil) {
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
	for _, st := range s.Statuses {
		v := t.vertex(st.Vertex)
		var ts *taskStatus
		for _, x := range v.statuses {
			if x.ID == st.ID {
				ts = x
			}
		}
		if ts == nil {
			ts = &taskStatus{}
			v.statuses = append(v.statuses, ts)
		}
		wasCompleted := ts.Completed != nil
		ts.VertexStatus = st
		if ts.due(wasCompleted) {
			ts.lastTime = st.Timestamp
			v.pendingTasks = appendOnce(v.pendingTasks, ts)
			touch(v)
		}
	}
	for _, l := range s.Logs {
		v := t.vertex(l.Vertex)
		if lines := v.addOutput(l.Timestamp, l.Data); len(lines) > 0 {
			v.pendingLines = append(v.pendingLines, lines...)
			touch(v)
		}
	}
	t.warnings = append(t.warnings, s.Warnings...)
	sort.SliceStable(touched, func(i, j int) bool {
		a, b := touched[i], touched[j]
		if a.pendingEnd != b.pendingEnd {
			return a.pendingEnd
		}
		return a.pendingEnd && a.Completed.Before(*b.Completed)
	})
	return touched
}

// due says whether a task's new state is worth a plain line: its completion, or 5 seconds
// since the last line (or since it was first seen). A task done in no time gets one line.
func (ts *taskStatus) due(wasCompleted bool) bool {
	switch {
	case ts.Completed != nil:
		return !wasCompleted
	case ts.lastTime.IsZero():
		ts.lastTime = ts.Timestamp
		return false
	}
	return ts.Timestamp.Sub(ts.lastTime) >= 5*time.Second
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
	if v.Started != nil {
		since = at.Sub(*v.Started)
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
	if v.Started != nil && v.Completed != nil {
		since = v.Completed.Sub(*v.Started)
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
		if v.Error != "" && !v.canceled() && (found == nil || v.seen < found.seen) {
			found = v
		}
	}
	return found
}

// progressView shows a BuildKit build's progress.
type progressView interface {
	// update shows what s changed.
	update(s *progress.SolveStatus)
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

func (p *plainView) update(s *progress.SolveStatus) {
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
		fmt.Fprintf(buf, "#%d %s\n", v.index, v.Name)
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
		case v.Error != "":
			fmt.Fprintf(buf, "#%d ERROR: %s\n", v.index, v.Error)
		case v.Cached:
			fmt.Fprintf(buf, "#%d CACHED\n", v.index)
		case v.Started != nil:
			fmt.Fprintf(buf, "#%d DONE %.1fs\n", v.index, v.Completed.Sub(*v.Started).Seconds())
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
	b.WriteString(ts.ID)
	switch {
	case ts.Total != 0:
		fmt.Fprintf(&b, " %s / %s", humanBytes(ts.Current), humanBytes(ts.Total))
	case ts.Current != 0:
		fmt.Fprintf(&b, " %s", humanBytes(ts.Current))
	}
	end := ts.Timestamp
	if ts.Completed != nil {
		end = *ts.Completed
	} else if !now.IsZero() {
		end = now
	}
	if ts.Started != nil {
		if d := end.Sub(*ts.Started).Seconds(); d > 0.01 {
			fmt.Fprintf(&b, " %.1fs", d)
		}
	}
	if ts.Completed != nil {
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

func (v *liveView) update(s *progress.SolveStatus) {
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
		if x.Completed != nil {
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
		name := strings.ReplaceAll(x.Name, "\n", " ")
		switch {
		case x.canceled():
			name = "CANCELED " + name
		case x.Error != "":
			name = "ERROR " + name
		case x.Cached:
			name = "CACHED " + name
		}
		var took time.Duration
		if x.Started != nil {
			end := now
			if x.Completed != nil {
				end = *x.Completed
			}
			took = end.Sub(*x.Started)
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
		fmt.Fprintf(&buf, " > %s:\n", v.Name)
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
		fmt.Fprintf(&buf, "WARNING: %s\n", strings.TrimSpace(string(wr.Short)))
		for _, d := range wr.Detail {
			fmt.Fprintf(&buf, "  %s\n", strings.TrimSpace(string(d)))
		}
		if wr.URL != "" {
			fmt.Fprintf(&buf, "  more info: %s\n", wr.URL)
		}
	}
	_, _ = w.Write(buf.Bytes())
}
