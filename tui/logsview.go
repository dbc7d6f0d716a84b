package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/slipwayhq/slipway/platform/logs"
)

// logsView follows the logs of an app or one of its process types (the stream of
// `slipway logs -f`), keeping the last lines in a bounded buffer, with pause, scroll-back
// and search.
type logsView struct {
	base
	t   Target
	typ string
	max int

	lines []logs.Line
	// offset is how many lines the view is above the newest (0: following).
	offset int
	paused bool

	input     textinput.Model
	searching bool
	search    string
	match     int // index into lines of the current match, -1 none

	id     int
	q      *queue[logs.Line]
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error
	ended  bool
}

var (
	keyPause  = key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "pause"))
	keySearch = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search"))
	keyNext   = key.NewBinding(key.WithKeys("n"), key.WithHelp("n/N", "next/prev match"))
	keyPrev   = key.NewBinding(key.WithKeys("N"))
	keyFollow = key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "follow"))
)

func newLogsView(t Target, typ string) *logsView {
	in := textinput.New()
	in.Prompt = "/"
	s := in.Styles()
	s.Cursor.Blink = false
	in.SetStyles(s)
	return &logsView{t: t, typ: typ, input: in, match: -1}
}

func (v *logsView) title() string {
	if v.typ == "" {
		return "logs"
	}
	return "logs of " + v.typ
}

func (v *logsView) open(m *Model) tea.Cmd {
	v.max = m.o.LogLines
	m.nextID++
	v.id = m.nextID
	// Unread lines beyond the buffer are dropped before they reach the model.
	v.q = newQueue[logs.Line](v.id, v.max)
	ctx, cancel := context.WithCancel(m.ctx)
	v.cancel = cancel
	b, t, typ, q := m.o.Backend, v.t, v.typ, v.q
	go func() {
		err := b.Logs(ctx, t, typ, func(ls []logs.Line) { q.push(ls...) })
		if ctx.Err() == nil {
			v.mu.Lock()
			v.err = err
			v.mu.Unlock()
		}
		q.close()
	}()
	return q.next()
}

func (v *logsView) close() {
	if v.cancel != nil {
		v.cancel()
	}
}

func (v *logsView) capturing() bool { return v.searching }

func (v *logsView) keys() []key.Binding {
	return []key.Binding{keyPause, keySearch, keyNext, keyFollow}
}

func (v *logsView) visible() int { return max(v.height-1, 1) }

func (v *logsView) add(ls []logs.Line) {
	v.lines = append(v.lines, ls...)
	if over := len(v.lines) - v.max; over > 0 {
		v.lines = append(v.lines[:0], v.lines[over:]...)
		if v.match >= 0 {
			// A match dropped with the oldest lines is none: N looks from the oldest kept.
			v.match = max(v.match-over, -1)
		}
	}
	if v.paused || v.offset > 0 {
		v.offset = min(v.offset+len(ls), max(len(v.lines)-v.visible(), 0))
	}
}

func (v *logsView) Update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case batchMsg[logs.Line]:
		if msg.id != v.id {
			return nil
		}
		v.add(msg.items)
		if msg.done {
			v.ended = true
			return nil
		}
		return v.q.next()
	case tea.KeyPressMsg:
		if v.searching {
			switch msg.String() {
			case "enter":
				v.searching = false
				v.search = v.input.Value()
				v.match = len(v.lines)
				v.find(-1)
			case "esc":
				v.searching = false
			default:
				var cmd tea.Cmd
				v.input, cmd = v.input.Update(msg)
				return cmd
			}
			return nil
		}
		return v.key(msg)
	}
	return nil
}

func (v *logsView) key(k tea.KeyPressMsg) tea.Cmd {
	top := max(len(v.lines)-v.visible(), 0)
	switch {
	case key.Matches(k, keyPause):
		if v.paused {
			// Resuming follows the newest lines again, as the status line says.
			v.offset, v.paused = 0, false
		} else {
			v.paused = true
		}
	case key.Matches(k, keyUp):
		v.offset = min(v.offset+1, top)
	case key.Matches(k, keyDown):
		v.offset = max(v.offset-1, 0)
	case key.Matches(k, keyPgUp):
		v.offset = min(v.offset+v.visible(), top)
	case key.Matches(k, keyPgDn):
		v.offset = max(v.offset-v.visible(), 0)
	case key.Matches(k, keyTop):
		v.offset = top
	case key.Matches(k, keyFollow):
		v.offset, v.paused = 0, false
	case key.Matches(k, keySearch):
		v.searching = true
		v.input.SetValue("")
		return v.input.Focus()
	case key.Matches(k, keyNext):
		v.find(-1)
	case key.Matches(k, keyPrev):
		v.find(1)
	}
	return nil
}

// find moves to the next match of the search going back in time (dir -1) or forward (1),
// and scrolls it into view.
func (v *logsView) find(dir int) {
	if v.search == "" {
		return
	}
	needle := strings.ToLower(v.search)
	for i := v.match + dir; i >= 0 && i < len(v.lines); i += dir {
		if strings.Contains(strings.ToLower(v.lines[i].Text), needle) {
			v.match = i
			// Put the match in the middle of the view.
			v.offset = max(min(len(v.lines)-1-i-v.visible()/2, len(v.lines)-v.visible()), 0)
			return
		}
	}
}

func (v *logsView) View() string {
	n := v.visible()
	end := len(v.lines) - v.offset
	start := max(end-n, 0)
	var out []string
	for i := start; i < end; i++ {
		out = append(out, v.line(i))
	}
	if len(v.lines) == 0 {
		out = append(out, "  waiting for log lines…")
	}
	for len(out) < n {
		out = append(out, "")
	}
	return strings.Join(out, "\n") + "\n" + v.status()
}

func (v *logsView) line(i int) string {
	l := v.lines[i]
	prefix := l.Time.Local().Format("15:04:05") + " " + l.Instance + " │ "
	if l.Event {
		prefix = l.Time.Local().Format("15:04:05") + " event │ "
	}
	text := ansi.Strip(l.Text)
	if v.search != "" {
		text = highlight(text, v.search, i == v.match)
	}
	s := ansi.Truncate(styleDim.Render(prefix)+text, v.width, "…")
	if l.Event {
		s = styleWarn.Render(ansi.Strip(s))
	}
	return s
}

// highlight marks every occurrence of needle in s (case-insensitive).
func highlight(s, needle string, current bool) string {
	low, n := strings.ToLower(s), strings.ToLower(needle)
	var b strings.Builder
	for {
		i := strings.Index(low, n)
		if i < 0 || n == "" {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		st := styleMatch
		if !current {
			st = styleKey.Underline(true)
		}
		b.WriteString(st.Render(s[i : i+len(n)]))
		s, low = s[i+len(n):], low[i+len(n):]
	}
}

func (v *logsView) status() string {
	if v.searching {
		return v.input.View()
	}
	what := v.t.App
	if v.typ != "" {
		what = v.typ + " of " + v.t.App
	}
	state := "following " + what
	switch {
	case v.ended:
		v.mu.Lock()
		err := v.err
		v.mu.Unlock()
		state = "stream ended"
		if err != nil {
			state = "stream ended: " + strings.ReplaceAll(errorText(err), "\n", " — ")
		}
	case v.paused:
		state = "paused (space resumes)"
	case v.offset > 0:
		state = fmt.Sprintf("scrolled back %d line%s (G follows)", v.offset, plural(v.offset))
	}
	s := fmt.Sprintf("%s · %d lines", state, len(v.lines))
	if v.search != "" {
		s += " · /" + v.search
	}
	return styleDim.Render(ansi.Truncate(s, v.width, "…"))
}
