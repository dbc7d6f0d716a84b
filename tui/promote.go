package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
)

// promoteView previews a promotion from one environment into another and runs it. The
// preview is made again when either environment's release changes, and the promotion is
// pinned to the source release previewed: it is refused if another is deployed there by
// the time it runs.
type promoteView struct {
	base
	from, to Target
	change   *release.Change
	err      error
	read     bool
	rd       reads
	// atFrom and atTo are the environments' releases the preview was asked at ("": none).
	atFrom, atTo string
	// moved says the source environment's release changed while the view was open.
	moved string
}

var keyGo = key.NewBinding(key.WithKeys("enter", "y"), key.WithHelp("enter", "promote"))

func newPromoteView(from, to Target) *promoteView { return &promoteView{from: from, to: to} }

func (v *promoteView) title() string {
	return "promote " + v.from.Environment + " → " + v.to.Environment
}

// releaseOf is the release t's environment is at, as the apps list has it ("": none).
func releaseOf(m *Model, t Target) string {
	if a, ok := m.envOf(t.App, t.Environment); ok {
		return releaseKey(a)
	}
	return ""
}

func (v *promoteView) open(m *Model) tea.Cmd {
	v.atFrom, v.atTo = releaseOf(m, v.from), releaseOf(m, v.to)
	from, to, b, ctx := v.from, v.to, m.o.Backend, m.ctx
	id := v.rd.start(m)
	return func() tea.Msg {
		c, err := b.PreviewPromote(ctx, from, to)
		return previewMsg{kind: "promote", id: id, t: to, change: c, err: err}
	}
}

func (v *promoteView) actionDone(m *Model) tea.Cmd { return v.open(m) }

func (v *promoteView) keys() []key.Binding { return []key.Binding{keyGo} }

func (v *promoteView) Update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case changedMsg:
		from, to := releaseOf(m, v.from), releaseOf(m, v.to)
		if from == v.atFrom && to == v.atTo {
			if v.rd.retry() {
				return v.open(m)
			}
			return nil
		}
		// The preview is of releases that are no longer the current ones: it is not shown
		// (nor can it be confirmed) until it is made again.
		if from != v.atFrom {
			v.moved = v.from.Environment + " changed"
			if a, ok := m.envOf(v.from.App, v.from.Environment); ok {
				v.moved = fmt.Sprintf("%s is at v%d (%s) now", v.from.Environment, a.Revision, a.Status)
			}
		}
		v.change, v.err, v.read = nil, nil, false
		return v.open(m)
	case previewMsg:
		if msg.kind == "promote" && msg.t == v.to && v.rd.done(msg.id, msg.err) {
			v.change, v.err, v.read = msg.change, msg.err, true
		}
	case tea.KeyPressMsg:
		if !key.Matches(msg, keyGo) || v.change == nil {
			return nil
		}
		from, to, b := v.from, v.to, m.o.Backend
		// The promotion is of the release previewed, or of none.
		rev := 0
		if v.change.Source != nil {
			rev = v.change.Source.Revision
		}
		lines := append([]string{v.question()}, changeLines(v.change)...)
		return m.confirm(lines, func() tea.Cmd {
			return m.run(fmt.Sprintf("promote %s from %s to %s", from.App, from.Environment, to.Environment), func(ctx context.Context, p progress.Func) (*release.Result, error) {
				return b.Promote(ctx, from, to, rev, p)
			}, nil)
		})
	}
	return nil
}

func (v *promoteView) question() string {
	src := ""
	if v.change != nil && v.change.Source != nil {
		src = fmt.Sprintf(" v%d", v.change.Source.Revision)
	}
	cur := " (nothing deployed there yet)"
	if v.change != nil && v.change.From != nil {
		cur = fmt.Sprintf(" (now v%d)", v.change.From.Revision)
	}
	return fmt.Sprintf("Promote %s%s from %s into %s%s?", v.from.App, src, v.from.Environment, v.to.Environment, cur)
}

func (v *promoteView) View() string {
	var b strings.Builder
	switch {
	case v.moved != "" && !v.read:
		b.WriteString("\n  " + styleWarn.Render(v.moved+": previewing again…") + "\n")
	case v.moved != "":
		b.WriteString("\n  " + styleWarn.Render(v.moved+": previewed again") + "\n")
	}
	if s := read(v.err, v.read, "comparing "+v.from.Environment+" and "+v.to.Environment+"…", false, ""); s != "" {
		return b.String() + s
	}
	b.WriteString("\n  " + styleTitle.Render(strings.TrimSuffix(v.question(), "?")) + "\n\n")
	for _, l := range changeLines(v.change) {
		b.WriteString("  " + l + "\n")
	}
	note := "Nothing is built: " + v.to.Environment + " runs the same image digest, with its own config vars and formation."
	b.WriteString("\n" + lipgloss.NewStyle().Width(max(v.width-2, 20)).PaddingLeft(2).Render(note) + "\n")
	if !v.change.Unchanged {
		b.WriteString("  Press " + styleKey.Render("enter") + " to promote.")
	}
	return b.String()
}
