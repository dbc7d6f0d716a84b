package tui

import (
	"fmt"
	"slices"
	"strconv"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/slipwayhq/slipway/platform/kube"
)

// podsView lists the pods of one process type.
type podsView struct {
	base
	t    Target
	typ  string
	tbl  table
	pods []kube.Pod
}

func newPodsView(t Target, typ string) *podsView {
	return &podsView{t: t, typ: typ, tbl: table{cols: []column{
		{title: "INSTANCE", min: 8}, {title: "PHASE", min: 7}, {title: "READY", min: 5}, {title: "RESTARTS", min: 8},
		{title: "LAST EXIT / REASON", min: 12, flex: true}, {title: "AGE", min: 3}, {title: "NODE", min: 6}, {title: "POD", min: 8, flex: true},
	}}}
}

func (v *podsView) title() string { return "pods of " + v.typ }

func (v *podsView) SetSize(w, h int) { v.base.SetSize(w, h); v.tbl.SetSize(w, h) }

func (v *podsView) refresh(m *Model) {
	v.pods = nil
	for _, p := range m.o.Backend.Processes(v.t) {
		if p.Name == v.typ || p.Type == v.typ {
			v.pods = slices.Clone(p.Pods)
		}
	}
	// Instances are numbered by age, oldest first, as web.1, web.2 …
	slices.SortStableFunc(v.pods, func(a, b kube.Pod) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return compareStrings(a.Name, b.Name)
	})
	now := m.o.Now()
	var rows []row
	for i, p := range v.pods {
		ready := "no"
		if p.Ready {
			ready = "yes"
		}
		node := p.Node
		if node == "" {
			node = "-"
		}
		reason := p.Reason
		if reason == "" {
			reason = "-"
		}
		rows = append(rows, row{cells: []string{fmt.Sprintf("%s.%d", v.typ, i+1), p.Phase, ready, strconv.Itoa(p.Restarts),
			reason, age(p.Created, now), node, p.Name}, trouble: p.Crashed && !p.Ready})
	}
	v.tbl.setRows(rows)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (v *podsView) keys() []key.Binding { return []key.Binding{keyLogs, keyEvents} }

func (v *podsView) Update(m *Model, msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || moveTable(&v.tbl, k) {
		return nil
	}
	switch {
	case key.Matches(k, keyLogs), key.Matches(k, keyAppLogs):
		return m.push(newLogsView(v.t, v.typ))
	case key.Matches(k, keyEvents):
		return m.push(newEventsView(v.t))
	}
	return nil
}

func (v *podsView) View() string {
	if len(v.pods) == 0 {
		return "\n  " + v.typ + " has no pods."
	}
	return v.tbl.View()
}
