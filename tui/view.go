package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
)

// view is one screen of the dashboard: a component with its own Update, View and size.
type view interface {
	title() string
	SetSize(w, h int)
	// open returns the reads the view needs when it is opened.
	open(m *Model) tea.Cmd
	// refresh takes the backend's current data (after a change).
	refresh(m *Model)
	Update(m *Model, msg tea.Msg) tea.Cmd
	View() string
	// keys are the view's own keys, for the help bar.
	keys() []key.Binding
	// capturing says a text input of the view has the keyboard (a filter being typed).
	capturing() bool
	// actionDone re-reads what an action may have changed.
	actionDone(m *Model) tea.Cmd
	close()
}

// base gives a view the methods it does not need.
type base struct{ width, height int }

func (b *base) SetSize(w, h int)          { b.width, b.height = w, h }
func (b *base) open(*Model) tea.Cmd       { return nil }
func (b *base) refresh(*Model)            {}
func (b *base) capturing() bool           { return false }
func (b *base) actionDone(*Model) tea.Cmd { return nil }
func (b *base) close()                    {}

// reads is the state of the read a view makes when it opens (a history, the config, a
// preview): which read is the latest, whose answer is the one shown; whether it is in
// flight; and whether it failed, in which case the view reads again on the next change
// signal (the connection coming back is one), so an error does not stay on screen after
// the API server answers again. Nothing is polled.
type reads struct {
	id      int
	pending bool
	failed  bool
}

// start numbers a new read (unique in the dashboard, so no answer to another view's read
// is taken for this one's).
func (r *reads) start(m *Model) int {
	m.nextID++
	r.id, r.pending = m.nextID, true
	return r.id
}

// done takes the answer to read id, saying whether it is the latest (else it is dropped).
func (r *reads) done(id int, err error) bool {
	if id != r.id {
		return false
	}
	r.pending, r.failed = false, err != nil
	return true
}

// retry says the last read failed and none is in flight: read again.
func (r *reads) retry() bool { return r.failed && !r.pending }

// modal is a confirmation (y/n) or a one-line prompt over the current view.
type modal struct {
	lines  []string
	input  *textinput.Model
	yes    func() tea.Cmd
	submit func(string) tea.Cmd
}

var (
	keyYes = key.NewBinding(key.WithKeys("y", "enter"), key.WithHelp("y/enter", "confirm"))
	keyNo  = key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "cancel"))
)

// confirm asks before an action, saying what it will change.
func (m *Model) confirm(lines []string, yes func() tea.Cmd) tea.Cmd {
	m.modal = &modal{lines: lines, yes: yes}
	return nil
}

// prompt asks for one line of text.
func (m *Model) prompt(label, value string, mask bool, submit func(string) tea.Cmd) tea.Cmd {
	in := textinput.New()
	in.Prompt = label
	in.SetValue(value)
	in.CharLimit = 4096
	s := in.Styles()
	s.Cursor.Blink = false
	in.SetStyles(s)
	in.SetWidth(max(m.width-ansi.StringWidth(label)-2, 10))
	if mask {
		in.EchoMode = textinput.EchoPassword
	}
	m.modal = &modal{input: &in, submit: submit}
	return in.Focus()
}

func (d *modal) keys() []key.Binding {
	if d.input != nil {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	return []key.Binding{keyYes, keyNo}
}

func (d *modal) update(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if d.input != nil {
		switch msg.String() {
		case "esc", "ctrl+c":
			m.modal = nil
			return nil
		case "enter":
			m.modal = nil
			return d.submit(d.input.Value())
		}
		in, cmd := d.input.Update(msg)
		d.input = &in
		return cmd
	}
	switch {
	case key.Matches(msg, keyYes):
		m.modal = nil
		return d.yes()
	case key.Matches(msg, keyNo), msg.String() == "ctrl+c", msg.String() == "q":
		m.modal = nil
	}
	return nil
}

func (d *modal) view(w, h int) string {
	if d.input != nil {
		return "\n" + d.input.View()
	}
	var b strings.Builder
	b.WriteString("\n")
	for i, l := range d.lines {
		if i == 0 {
			l = styleTitle.Render(l)
		}
		b.WriteString("  " + l + "\n")
	}
	b.WriteString("\n  " + styleKey.Render("y") + " to go ahead, " + styleKey.Render("n") + " to cancel")
	return b.String()
}

// action is an operation in flight or just done, shown in a pane with its progress.
type action struct {
	id    int
	title string
	lines []string
	done  bool
	err   error
	// q carries the operation's progress events; it closes after res and err are set, so
	// the last batch brings the end, after every event.
	q     *queue[progress.Event]
	res   *release.Result
	after func(error) tea.Cmd
}

const actionLines = 5

// run starts an operation with its progress in the action pane; after, if set, runs when
// it ends (given its error). One runs at a time.
func (m *Model) run(title string, fn func(ctx context.Context, p progress.Func) (*release.Result, error), after func(error) tea.Cmd) tea.Cmd {
	if m.action != nil && !m.action.done {
		m.flash = fmt.Sprintf("wait for %q to finish", m.action.title)
		return nil
	}
	m.nextID++
	a := &action{id: m.nextID, title: title, q: newQueue[progress.Event](m.nextID, 1000), after: after}
	m.action = a
	m.layout()
	ctx := m.ctx
	m.running.Add(1)
	start := func() tea.Msg {
		defer m.running.Done()
		a.res, a.err = fn(ctx, func(e progress.Event) { a.q.push(e) })
		a.q.close()
		return nil
	}
	return tea.Batch(start, a.q.next())
}

// add takes a batch of events; the last batch ends the action.
func (a *action) add(b batchMsg[progress.Event]) tea.Cmd {
	for _, e := range b.items {
		if l := eventLine(e); l != "" {
			a.lines = append(a.lines, l)
		}
	}
	if !b.done {
		a.trim()
		return a.q.next()
	}
	a.done = true
	switch {
	case a.err != nil:
		a.lines = append(a.lines, strings.Split(errorText(a.err), "\n")...)
	case a.res != nil && a.res.Unchanged:
		a.lines = append(a.lines, fmt.Sprintf("nothing changed: v%d runs this already", a.res.Release.Revision))
	case a.res != nil:
		r := a.res.Release
		a.lines = append(a.lines, fmt.Sprintf("v%d: %s (image %s)", r.Revision, r.Description, short(r.Image)))
		for _, w := range a.res.Warnings {
			a.lines = append(a.lines, "warning: "+w.String())
		}
	}
	a.trim()
	return nil
}

func (a *action) trim() {
	if len(a.lines) > 200 {
		a.lines = a.lines[len(a.lines)-200:]
	}
}

func (a *action) height() int { return actionLines + 1 }

func (a *action) view(w int) string {
	head := "… " + a.title
	switch {
	case a.done && a.err != nil:
		head = styleTrouble.Render("✗ " + a.title + " failed")
	case a.done:
		head = styleOK.Render("✓ " + a.title)
	default:
		head = styleWarn.Render(head)
	}
	lines := a.lines
	if len(lines) > actionLines {
		lines = lines[len(lines)-actionLines:]
	}
	out := []string{ansi.Truncate(head, w, "…")}
	for _, l := range lines {
		out = append(out, "  "+ansi.Truncate(l, w-2, "…"))
	}
	for len(out) < a.height() {
		out = append(out, "")
	}
	return strings.Join(out, "\n")
}

// eventLine is a progress event in one line ("" for what the pane does not show: a
// build's own output).
func eventLine(e progress.Event) string {
	if e.Build != nil || e.Message == "" {
		return ""
	}
	s := e.Message
	if e.Status == progress.Failed && e.Err != nil {
		s += ": " + e.Err.Error()
	}
	switch e.Status {
	case progress.Failed:
		return "✗ " + s
	case progress.Warning:
		return "warning: " + s
	case progress.Done:
		return "✓ " + s
	}
	return s
}
