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

// promoteView previews a promotion from one environment into another and runs it.
type promoteView struct {
	base
	from, to Target
	change   *release.Change
	err      error
	read     bool
}

var keyGo = key.NewBinding(key.WithKeys("enter", "y"), key.WithHelp("enter", "promote"))

func newPromoteView(from, to Target) *promoteView { return &promoteView{from: from, to: to} }

func (v *promoteView) title() string {
	return "promote " + v.from.Environment + " → " + v.to.Environment
}

func (v *promoteView) open(m *Model) tea.Cmd {
	from, to, b, ctx := v.from, v.to, m.o.Backend, m.ctx
	return func() tea.Msg {
		c, err := b.PreviewPromote(ctx, from, to)
		return previewMsg{kind: "promote", t: to, change: c, err: err}
	}
}

func (v *promoteView) actionDone(m *Model) tea.Cmd { return v.open(m) }

func (v *promoteView) keys() []key.Binding { return []key.Binding{keyGo} }

func (v *promoteView) Update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case previewMsg:
		if msg.kind == "promote" && msg.t == v.to {
			v.change, v.err, v.read = msg.change, msg.err, true
		}
	case tea.KeyPressMsg:
		if !key.Matches(msg, keyGo) || v.change == nil {
			return nil
		}
		from, to, b := v.from, v.to, m.o.Backend
		lines := append([]string{v.question()}, changeLines(v.change)...)
		return m.confirm(lines, func() tea.Cmd {
			return m.run(fmt.Sprintf("promote %s from %s to %s", from.App, from.Environment, to.Environment), func(ctx context.Context, p progress.Func) (*release.Result, error) {
				return b.Promote(ctx, from, to, p)
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
	if s := read(v.err, v.read, "comparing "+v.from.Environment+" and "+v.to.Environment+"…", false, ""); s != "" {
		return s
	}
	var b strings.Builder
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
