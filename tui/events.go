package tui

import (
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// eventsView lists the cluster's events about the app, newest first.
type eventsView struct {
	base
	t     Target
	tbl   table
	count int
}

func newEventsView(t Target) *eventsView {
	return &eventsView{t: t, tbl: table{cols: []column{
		{title: "AGE", min: 3}, {title: "TYPE", min: 7}, {title: "REASON", min: 10}, {title: "OBJECT", min: 10, flex: true},
		{title: "COUNT", min: 5}, {title: "MESSAGE", min: 20, flex: true},
	}}}
}

func (v *eventsView) title() string { return "events" }

func (v *eventsView) SetSize(w, h int) { v.base.SetSize(w, h); v.tbl.SetSize(w, h) }

func (v *eventsView) refresh(m *Model) {
	evs := m.o.Backend.Events(v.t)
	now := m.o.Now()
	rows := make([]row, 0, len(evs))
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		rows = append(rows, row{cells: []string{age(e.Time, now), e.Type, e.Reason, e.Object, strconv.Itoa(e.Count), e.Message},
			trouble: e.Type == "Warning"})
	}
	v.count = len(evs)
	v.tbl.setRows(rows)
}

func (v *eventsView) keys() []key.Binding { return nil }

func (v *eventsView) Update(m *Model, msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		moveTable(&v.tbl, k)
	}
	return nil
}

func (v *eventsView) View() string {
	if v.count == 0 {
		return "\n  No events about " + v.t.App + " in " + v.t.Namespace + " (the cluster keeps them for an hour)."
	}
	return v.tbl.View()
}
