package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
	"github.com/slipwayhq/slipway/platform/watch"
)

// appView is one app in one environment: its process types, and staging beside production
// when the app has both.
type appView struct {
	base
	t     Target
	tbl   table
	procs []kube.Process
	// envs are the app's staging and production, when both exist; drift compares them.
	envs  []watch.AppEnv
	hist  map[string]histRead
	drift string
}

// histRead is an environment's history as read at its current release (revision and
// status: a release goes from pending to deployed without a new revision).
type histRead struct {
	at   string
	rels []release.Release
}

// releaseKey says which release an environment is at, for knowing when to read again.
func releaseKey(a watch.AppEnv) string { return fmt.Sprintf("v%d %s", a.Revision, a.Status) }

var (
	keyPods      = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "pods"))
	keyScaleUp   = key.NewBinding(key.WithKeys("+"), key.WithHelp("+/-", "scale"))
	keyScaleDown = key.NewBinding(key.WithKeys("-"))
	keyScaleTo   = key.NewBinding(key.WithKeys("="), key.WithHelp("=", "set count"))
	keyBounds    = key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "autoscale bounds"))
	keyReleases  = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "releases"))
	keyConfig    = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "config"))
	keyLogs      = key.NewBinding(key.WithKeys("l"), key.WithHelp("l/L", "logs type/app"))
	keyAppLogs   = key.NewBinding(key.WithKeys("L"))
	keyEvents    = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "events"))
	keyPromote   = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "promote"))
)

func newAppView(t Target) *appView {
	return &appView{t: t, hist: map[string]histRead{}, tbl: table{cols: []column{
		{title: "TYPE", min: 4}, {title: "DESIRED", min: 7}, {title: "READY", min: 5}, {title: "UPDATED", min: 7},
		{title: "RESTARTS", min: 8}, {title: "AUTOSCALE", min: 9}, {title: "STATUS", min: 10, flex: true},
	}}}
}

func (v *appView) title() string { return v.t.App + " (" + v.t.Environment + ")" }

func (v *appView) SetSize(w, h int) {
	v.base.SetSize(w, h)
	v.tbl.SetSize(w, h-v.headerHeight())
}

func (v *appView) headerHeight() int {
	if len(v.envs) == 2 {
		return 4
	}
	return 0
}

func (v *appView) refresh(m *Model) {
	v.procs = m.o.Backend.Processes(v.t)
	var rows []row
	for _, p := range v.procs {
		as := "-"
		if a := p.Autoscale; a != nil {
			as = fmt.Sprintf("%d–%d @%d%%", a.Min, a.Max, a.CPU)
		}
		rows = append(rows, row{cells: []string{p.Name, strconv.Itoa(p.Desired), strconv.Itoa(p.Ready), strconv.Itoa(p.Updated),
			strconv.Itoa(p.Restarts), as, p.Status}, trouble: p.InTrouble()})
	}
	v.tbl.setRows(rows)
	stg, okS := m.envOf(v.t.App, "staging")
	prod, okP := m.envOf(v.t.App, "production")
	v.envs = nil
	if okS && okP {
		v.envs = []watch.AppEnv{stg, prod}
	}
	v.SetSize(v.width, v.height)
}

// histMsg is an environment's history, read for the drift between staging and production.
type histMsg struct {
	env  string
	at   string
	rels []release.Release
	err  error
}

// open reads both environments' histories when the app has both (only this app's): each
// one not read yet at its current release, nor being read. A read that failed is not a
// read, so the next call (on the next change) makes it again.
func (v *appView) open(m *Model) tea.Cmd {
	if len(v.envs) != 2 {
		return nil
	}
	var cmds []tea.Cmd
	for _, e := range v.envs {
		at := releaseKey(e)
		if h, ok := v.hist[e.Environment]; ok && h.at == at {
			continue
		}
		v.hist[e.Environment] = histRead{at: at}
		t, b, ctx := target(e), m.o.Backend, m.ctx
		cmds = append(cmds, func() tea.Msg {
			rels, err := b.History(ctx, t)
			return histMsg{env: t.Environment, at: at, rels: rels, err: err}
		})
	}
	return tea.Batch(cmds...)
}

func (v *appView) selectedType() string {
	if len(v.procs) == 0 {
		return ""
	}
	return v.procs[v.tbl.cursor].Name
}

func (v *appView) keys() []key.Binding {
	return []key.Binding{keyPods, keyScaleUp, keyScaleTo, keyBounds, keyReleases, keyConfig, keyLogs, keyEvents, keyPromote}
}

func (v *appView) Update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case changedMsg:
		// Keep the histories current for the drift line.
		return v.open(m)
	case histMsg:
		if v.hist[msg.env].at != msg.at {
			return nil // an older read; a newer one is on its way
		}
		if msg.err != nil {
			// Not read: the next change (the connection coming back is one) reads again.
			m.o.Log("history of %s in %s: %v", v.t.App, msg.env, msg.err)
			delete(v.hist, msg.env)
			v.drift = fmt.Sprintf("cannot read %s's history: %s", msg.env, strings.ReplaceAll(errorText(msg.err), "\n", " — "))
			return nil
		}
		v.hist[msg.env] = histRead{at: msg.at, rels: msg.rels}
		v.computeDrift()
		return nil
	case tea.KeyPressMsg:
		return v.key(m, msg)
	}
	return nil
}

func (v *appView) actionDone(m *Model) tea.Cmd { return v.open(m) }

// computeDrift says how production stands against staging.
func (v *appView) computeDrift() {
	s, p := v.hist["staging"], v.hist["production"]
	if s.rels == nil || p.rels == nil {
		return
	}
	d := release.Compare(s.rels, p.rels)
	switch {
	case d.SameImage && d.Behind == 0:
		v.drift = "production runs staging's current image"
	case d.Behind > 0:
		v.drift = fmt.Sprintf("production is %d release%s behind staging", d.Behind, plural(d.Behind))
	default:
		v.drift = "production differs from staging by image"
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (v *appView) key(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if moveTable(&v.tbl, k) {
		return nil
	}
	switch {
	case key.Matches(k, keyReleases):
		return m.push(newReleasesView(v.t))
	case key.Matches(k, keyConfig):
		return m.push(newConfigView(v.t))
	case key.Matches(k, keyEvents):
		return m.push(newEventsView(v.t))
	case key.Matches(k, keyAppLogs):
		return m.push(newLogsView(v.t, ""))
	case key.Matches(k, keyPromote):
		return m.promote(v.t)
	}
	if len(v.procs) == 0 {
		return nil
	}
	p := v.procs[v.tbl.cursor]
	switch {
	case key.Matches(k, keyPods):
		return m.push(newPodsView(v.t, p.Name))
	case key.Matches(k, keyLogs):
		return m.push(newLogsView(v.t, p.Name))
	case key.Matches(k, keyScaleUp):
		return v.scale(m, p, p.Desired+1)
	case key.Matches(k, keyScaleDown):
		if p.Desired > 0 {
			return v.scale(m, p, p.Desired-1)
		}
	case key.Matches(k, keyScaleTo):
		if p.Autoscale != nil {
			return v.scale(m, p, p.Desired)
		}
		return m.prompt(fmt.Sprintf("%s pods: ", p.Name), strconv.Itoa(p.Desired), false, func(s string) tea.Cmd {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 0 {
				m.flash = fmt.Sprintf("%q is not a count of pods", s)
				return nil
			}
			return v.scale(m, p, n)
		})
	case key.Matches(k, keyBounds):
		return v.bounds(m, p)
	}
	return nil
}

// scale sets a type's count, asking first when it would stop the type.
func (v *appView) scale(m *Model, p kube.Process, n int) tea.Cmd {
	if p.Autoscale != nil {
		a := p.Autoscale
		m.flash = fmt.Sprintf("%s is autoscaled (%d–%d pods at %d%% CPU): press b to change its bounds", p.Name, a.Min, a.Max, a.CPU)
		return nil
	}
	t, b := v.t, m.o.Backend
	do := func() tea.Cmd {
		return m.run(fmt.Sprintf("scale %s to %d", p.Name, n), func(ctx context.Context, _ progress.Func) (*release.Result, error) {
			return nil, b.Scale(ctx, t, map[string]int{p.Name: n})
		}, nil)
	}
	if n == 0 && p.Desired > 0 {
		return m.confirm([]string{fmt.Sprintf("Scale %s of %s (%s) to 0?", p.Name, t.App, t.Environment),
			fmt.Sprintf("Its %d pod%s stop; nothing of it runs until it is scaled up again.", p.Desired, plural(p.Desired))}, do)
	}
	return do()
}

// bounds changes an autoscaled type's bounds (a release, as the CLI's autoscale).
func (v *appView) bounds(m *Model, p kube.Process) tea.Cmd {
	cur := ""
	if a := p.Autoscale; a != nil {
		cur = fmt.Sprintf("%d %d %d", a.Min, a.Max, a.CPU)
	}
	t, b := v.t, m.o.Backend
	return m.prompt(fmt.Sprintf("%s autoscale: min max [cpu%%], or off: ", p.Name), cur, false, func(s string) tea.Cmd {
		o := release.AutoscaleOptions{Type: p.Name}
		f := strings.Fields(s)
		switch {
		case len(f) == 1 && f[0] == "off":
			o.Off = true
		case len(f) == 2 || len(f) == 3:
			var err error
			nums := make([]int, len(f))
			for i := range f {
				if nums[i], err = strconv.Atoi(f[i]); err != nil {
					m.flash = fmt.Sprintf("%q is not a number", f[i])
					return nil
				}
			}
			o.Min, o.Max = nums[0], nums[1]
			if len(nums) == 3 {
				o.CPU = nums[2]
			} else if p.Autoscale != nil {
				o.CPU = p.Autoscale.CPU
			}
		default:
			m.flash = "give min and max pods (and a CPU target), or off"
			return nil
		}
		return m.run("autoscale "+p.Name, func(ctx context.Context, pf progress.Func) (*release.Result, error) {
			return b.Autoscale(ctx, t, o, pf)
		}, nil)
	})
}

func (v *appView) View() string {
	body := v.tbl.View()
	if len(v.procs) == 0 {
		body = "\n  Nothing of " + v.t.App + " runs in " + v.t.Environment + "."
	}
	if len(v.envs) != 2 {
		return body
	}
	return v.header() + "\n" + body
}

// header puts staging beside production, and how production stands.
func (v *appView) header() string {
	w := max((v.width-3)/2, 20)
	box := func(e watch.AppEnv) string {
		name := e.Environment
		if e.Environment == v.t.Environment {
			name = "▸ " + name
		}
		line1 := fmt.Sprintf("%s  v%d  %s  %d/%d", name, e.Revision, e.State, e.Ready, e.Desired)
		line2 := fmt.Sprintf("%s  %s", short(e.Image), release.ShortVersion(e.Source))
		return lipgloss.NewStyle().Width(w).Render(styleTitle.Render(line1) + "\n" + styleDim.Render(line2))
	}
	pair := lipgloss.JoinHorizontal(lipgloss.Top, box(v.envs[0]), " │ ", box(v.envs[1]))
	drift := v.drift
	if drift == "" {
		drift = "reading both histories…"
	}
	return pair + "\n" + styleWarn.Render(drift) + "\n"
}
