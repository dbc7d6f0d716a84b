package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/slipwayhq/slipway/platform/release"
	"github.com/slipwayhq/slipway/platform/watch"
)

// appsView lists every app × environment with its current release.
type appsView struct {
	base
	tbl       table
	all, show []watch.AppEnv
	filter    textinput.Model
	filtering bool
	synced    bool
}

var keyFilter = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter"))

func newAppsView() *appsView {
	f := textinput.New()
	f.Prompt = "/"
	s := f.Styles()
	s.Cursor.Blink = false
	f.SetStyles(s)
	return &appsView{filter: f, tbl: table{cols: []column{
		{title: "APP", min: 8, flex: true}, {title: "ENV", min: 7}, {title: "RELEASE", min: 7},
		{title: "IMAGE", min: 12, flex: true}, {title: "SOURCE", min: 7}, {title: "STATUS", min: 8},
		{title: "READY", min: 5}, {title: "AGE", min: 3},
	}}}
}

func (v *appsView) title() string {
	if f := v.filter.Value(); f != "" {
		return fmt.Sprintf("apps (%d of %d, /%s)", len(v.show), len(v.all), f)
	}
	return fmt.Sprintf("apps (%d)", len(v.all))
}

func (v *appsView) SetSize(w, h int) {
	v.base.SetSize(w, h)
	v.tbl.SetSize(w, h-v.filterHeight())
	v.filter.SetWidth(w - 2)
}

func (v *appsView) filterHeight() int {
	if v.filtering {
		return 1
	}
	return 0
}

func (v *appsView) refresh(m *Model) {
	v.all, v.synced = m.apps, m.conn.Synced
	v.apply(m)
}

// apply filters the list by the filter's words (all must appear in app or environment).
func (v *appsView) apply(m *Model) {
	words := strings.Fields(strings.ToLower(v.filter.Value()))
	v.show = v.show[:0]
	var rows []row
	now := m.o.Now()
	for _, a := range v.all {
		hay := strings.ToLower(a.App + " " + a.Environment + " " + a.Namespace)
		keep := true
		for _, w := range words {
			keep = keep && strings.Contains(hay, w)
		}
		if !keep {
			continue
		}
		v.show = append(v.show, a)
		rows = append(rows, row{
			cells: []string{a.App, a.Environment, fmt.Sprintf("v%d", a.Revision), short(a.Image), release.ShortVersion(a.Source),
				a.State, fmt.Sprintf("%d/%d", a.Ready, a.Desired), age(a.Modified, now)},
			trouble: a.State == "failed",
		})
	}
	v.tbl.setRows(rows)
}

func (v *appsView) selected() (Target, bool) {
	if len(v.show) == 0 {
		return Target{}, false
	}
	return target(v.show[v.tbl.cursor]), true
}

func (v *appsView) capturing() bool { return v.filtering }

func (v *appsView) keys() []key.Binding {
	return []key.Binding{keyEnter, keyFilter, keyPromote}
}

func (v *appsView) Update(m *Model, msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if v.filtering {
		switch k.String() {
		case "enter":
			v.filtering = false
			v.filter.Blur()
		case "esc":
			v.filtering = false
			v.filter.Blur()
			v.filter.SetValue("")
		default:
			var cmd tea.Cmd
			v.filter, cmd = v.filter.Update(k)
			v.apply(m)
			return cmd
		}
		v.apply(m)
		v.SetSize(v.width, v.height)
		return nil
	}
	if moveTable(&v.tbl, k) {
		return nil
	}
	switch {
	case key.Matches(k, keyFilter):
		v.filtering = true
		v.SetSize(v.width, v.height)
		return v.filter.Focus()
	case key.Matches(k, keyEnter):
		if t, ok := v.selected(); ok {
			return m.push(newAppView(t))
		}
	case key.Matches(k, keyPromote):
		if t, ok := v.selected(); ok {
			return m.promote(t)
		}
	}
	return nil
}

func (v *appsView) View() string {
	if len(v.all) == 0 && !v.synced {
		return "\n  reading the cluster…"
	}
	if len(v.all) == 0 {
		return "\n  No apps deployed yet. Deploy one with 'slipway deploy' in its directory."
	}
	s := v.tbl.View()
	if v.filtering {
		s = v.filter.View() + "\n" + s
	}
	return s
}

// moveTable handles the cursor keys every list shares.
func moveTable(t *table, k tea.KeyPressMsg) bool {
	switch {
	case key.Matches(k, keyUp):
		t.move(-1)
	case key.Matches(k, keyDown):
		t.move(1)
	case key.Matches(k, keyTop):
		t.home()
	case key.Matches(k, keyEnd):
		t.end()
	case key.Matches(k, keyPgUp):
		t.move(-max(t.height-2, 1))
	case key.Matches(k, keyPgDn):
		t.move(max(t.height-2, 1))
	default:
		return false
	}
	return true
}
