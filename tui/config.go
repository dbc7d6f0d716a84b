package tui

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
)

// configView lists the config vars with masked values; one is revealed on request.
type configView struct {
	base
	t        Target
	tbl      table
	cfg      map[string]string
	names    []string
	revealed string
	err      error
	read     bool
	at       string
	rd       reads
}

var (
	keyReveal = key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "reveal"))
	keySet    = key.NewBinding(key.WithKeys("s", "a"), key.WithHelp("s", "set"))
	keyUnset  = key.NewBinding(key.WithKeys("u", "d"), key.WithHelp("u", "unset"))
)

const masked = "••••••••"

func newConfigView(t Target) *configView {
	return &configView{t: t, tbl: table{cols: []column{{title: "KEY", min: 8}, {title: "VALUE", min: 8, flex: true}}}}
}

func (v *configView) title() string { return "config" }

func (v *configView) SetSize(w, h int) { v.base.SetSize(w, h); v.tbl.SetSize(w, h) }

// configMsg is a config read.
type configMsg struct {
	t   Target
	id  int
	cfg map[string]string
	err error
}

func (v *configView) open(m *Model) tea.Cmd {
	t, b, ctx := v.t, m.o.Backend, m.ctx
	if a, ok := m.envOf(t.App, t.Environment); ok {
		v.at = releaseKey(a)
	}
	id := v.rd.start(m)
	return func() tea.Msg {
		cfg, err := b.Config(ctx, t)
		return configMsg{t: t, id: id, cfg: cfg, err: err}
	}
}

func (v *configView) actionDone(m *Model) tea.Cmd { return v.open(m) }

func (v *configView) keys() []key.Binding { return []key.Binding{keyReveal, keySet, keyUnset} }

func (v *configView) rows() {
	var rows []row
	for _, k := range v.names {
		val := masked
		if k == v.revealed {
			val = v.cfg[k]
		}
		rows = append(rows, row{cells: []string{k, val}})
	}
	v.tbl.setRows(rows)
}

func (v *configView) Update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case changedMsg:
		// A release made elsewhere changes the config; a read that failed is made again.
		if a, ok := m.envOf(v.t.App, v.t.Environment); ok && releaseKey(a) != v.at || v.rd.retry() {
			return v.open(m)
		}
	case configMsg:
		if msg.t != v.t || !v.rd.done(msg.id, msg.err) {
			return nil
		}
		v.cfg, v.err, v.read = msg.cfg, msg.err, true
		v.names = slices.Sorted(maps.Keys(v.cfg))
		v.rows()
	case tea.KeyPressMsg:
		if moveTable(&v.tbl, msg) {
			return nil
		}
		return v.key(m, msg)
	}
	return nil
}

func (v *configView) key(m *Model, k tea.KeyPressMsg) tea.Cmd {
	t, b := v.t, m.o.Backend
	switch {
	case key.Matches(k, keySet):
		return m.prompt("set KEY=VALUE: ", "", false, func(s string) tea.Cmd {
			name, val, ok := strings.Cut(s, "=")
			if !ok || strings.TrimSpace(name) == "" {
				m.flash = "write it as KEY=VALUE"
				return nil
			}
			name = strings.TrimSpace(name)
			return m.run("set config "+name, func(ctx context.Context, p progress.Func) (*release.Result, error) {
				return b.SetConfig(ctx, t, map[string]string{name: val}, p)
			}, nil)
		})
	}
	if len(v.names) == 0 {
		return nil
	}
	name := v.names[v.tbl.cursor]
	switch {
	case key.Matches(k, keyReveal):
		if v.revealed == name {
			v.revealed = ""
		} else {
			v.revealed = name
		}
		v.rows()
	case key.Matches(k, keyUnset):
		return m.confirm([]string{fmt.Sprintf("Unset %s in %s (%s)?", name, t.App, t.Environment),
			"This makes a new release: the pods restart without it."}, func() tea.Cmd {
			return m.run("unset config "+name, func(ctx context.Context, p progress.Func) (*release.Result, error) {
				return b.UnsetConfig(ctx, t, []string{name}, p)
			}, nil)
		})
	}
	return nil
}

func (v *configView) View() string {
	if s := read(v.err, v.read, "reading the config…", len(v.names) == 0, v.t.App+" has no config vars in "+v.t.Environment+". Press s to set one."); s != "" {
		return s
	}
	return v.tbl.View()
}
