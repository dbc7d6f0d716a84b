package tui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
)

// releasesView is the app's release history in one environment, with rollback.
type releasesView struct {
	base
	t    Target
	tbl  table
	rels []release.Release
	err  error
	read bool
	// at is the current release the history was read at.
	at string
	rd reads
}

var keyRollback = key.NewBinding(key.WithKeys("enter", "R"), key.WithHelp("enter/R", "roll back to"))

func newReleasesView(t Target) *releasesView {
	return &releasesView{t: t, tbl: table{cols: []column{
		{title: "VERSION", min: 7}, {title: "STATUS", min: 10}, {title: "DESCRIPTION", min: 16, flex: true},
		{title: "IMAGE", min: 12, flex: true}, {title: "AGE", min: 3},
	}}}
}

func (v *releasesView) title() string { return "releases" }

func (v *releasesView) SetSize(w, h int) { v.base.SetSize(w, h); v.tbl.SetSize(w, h) }

// releasesMsg is a history read.
type releasesMsg struct {
	t    Target
	id   int
	rels []release.Release
	err  error
}

func (v *releasesView) open(m *Model) tea.Cmd {
	t, b, ctx := v.t, m.o.Backend, m.ctx
	if a, ok := m.envOf(t.App, t.Environment); ok {
		v.at = releaseKey(a)
	}
	id := v.rd.start(m)
	return func() tea.Msg {
		rels, err := b.History(ctx, t)
		return releasesMsg{t: t, id: id, rels: rels, err: err}
	}
}

func (v *releasesView) refresh(m *Model) {
	now := m.o.Now()
	var rows []row
	for _, r := range v.rels {
		rows = append(rows, row{cells: []string{fmt.Sprintf("v%d", r.Revision), r.Status, r.Description, short(r.Image), age(r.Updated, now)},
			trouble: r.Status == "failed"})
	}
	v.tbl.setRows(rows)
}

func (v *releasesView) actionDone(m *Model) tea.Cmd { return v.open(m) }

func (v *releasesView) keys() []key.Binding { return []key.Binding{keyRollback} }

func (v *releasesView) Update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case changedMsg:
		// A release made elsewhere (the CLI, a push) shows up here, and a read that failed
		// (the API server unreachable) is made again.
		if a, ok := m.envOf(v.t.App, v.t.Environment); ok && releaseKey(a) != v.at || v.rd.retry() {
			return v.open(m)
		}
	case releasesMsg:
		if msg.t != v.t || !v.rd.done(msg.id, msg.err) {
			return nil
		}
		v.rels, v.err, v.read = msg.rels, msg.err, true
		v.refresh(m)
	case previewMsg:
		if msg.kind != "rollback" || msg.t != v.t {
			return nil
		}
		if msg.err != nil {
			m.flash = strings.ReplaceAll(errorText(msg.err), "\n", " — ")
			return nil
		}
		t, to, b := v.t, msg.to, m.o.Backend
		lines := append([]string{fmt.Sprintf("Roll %s (%s) back to v%d?", t.App, t.Environment, to)}, changeLines(msg.change)...)
		lines = append(lines, "The formation (scale, autoscale) stays; the release command does not run.")
		return m.confirm(lines, func() tea.Cmd {
			return m.run(fmt.Sprintf("roll %s (%s) back to v%d", t.App, t.Environment, to), func(ctx context.Context, p progress.Func) (*release.Result, error) {
				return b.Rollback(ctx, t, to, p)
			}, nil)
		})
	case tea.KeyPressMsg:
		if moveTable(&v.tbl, msg) || len(v.rels) == 0 {
			return nil
		}
		if key.Matches(msg, keyRollback) {
			r := v.rels[v.tbl.cursor]
			if r.Status == "deployed" {
				m.flash = fmt.Sprintf("v%d is the current release", r.Revision)
				return nil
			}
			t, b, ctx := v.t, m.o.Backend, m.ctx
			return func() tea.Msg {
				c, err := b.PreviewRollback(ctx, t, r.Revision)
				return previewMsg{kind: "rollback", t: t, to: r.Revision, change: c, err: err}
			}
		}
	}
	return nil
}

// previewMsg is what an operation would change.
type previewMsg struct {
	kind string
	// id is the view's read, when the view numbers them (reads).
	id     int
	t      Target
	to     int
	change *release.Change
	err    error
}

// changeLines says what a Change changes: image, source, process types, config names.
func changeLines(c *release.Change) []string {
	if c == nil {
		return nil
	}
	if c.Unchanged {
		return []string{"Nothing would change: the same image, process types and config."}
	}
	var out []string
	if c.ImageFrom != c.ImageTo {
		out = append(out, fmt.Sprintf("image    %s → %s", orNone(short(c.ImageFrom)), short(c.ImageTo)))
	} else {
		out = append(out, "image    unchanged ("+short(c.ImageTo)+")")
	}
	if c.VersionFrom != c.VersionTo {
		out = append(out, fmt.Sprintf("source   %s → %s", orNone(release.ShortVersion(c.VersionFrom)), orNone(release.ShortVersion(c.VersionTo))))
	}
	if len(c.TypesAdded) > 0 {
		out = append(out, "process types added:   "+strings.Join(c.TypesAdded, ", "))
	}
	if len(c.TypesRemoved) > 0 {
		out = append(out, "process types removed: "+strings.Join(c.TypesRemoved, ", "))
	}
	var cfg []string
	if len(c.ConfigAdded) > 0 {
		cfg = append(cfg, "added "+strings.Join(c.ConfigAdded, ", "))
	}
	if len(c.ConfigChanged) > 0 {
		cfg = append(cfg, "changed "+strings.Join(c.ConfigChanged, ", "))
	}
	if len(c.ConfigRemoved) > 0 {
		cfg = append(cfg, "removed "+strings.Join(c.ConfigRemoved, ", "))
	}
	if len(cfg) > 0 {
		out = append(out, "config   "+strings.Join(cfg, "; "))
	} else {
		out = append(out, "config   unchanged")
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (v *releasesView) View() string {
	if s := read(v.err, v.read, "reading the history…", len(v.rels) == 0, v.t.App+" has no releases in "+v.t.Environment+"."); s != "" {
		return s
	}
	return v.tbl.View()
}
