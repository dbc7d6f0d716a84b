package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/watch"
	"github.com/slipwayhq/slipway/render"
)

// Options configure the dashboard.
type Options struct {
	// Context bounds every read and action (default context.Background()): when it ends,
	// actions in flight are cancelled (a release restores the previous one).
	Context context.Context
	Backend Backend
	// Start opens the dashboard on this app and environment, above the apps list.
	Start *Target
	// Cluster names the cluster (its kube context) in the title.
	Cluster string
	// Now is the clock of ages (default time.Now).
	Now func() time.Time
	// Log receives the dashboard's diagnostics (nil: dropped). It must not write to the
	// terminal the dashboard draws on.
	Log func(format string, args ...any)
	// LogLines bounds the log pane's ring buffer (default 5000 lines).
	LogLines int
}

// Model is the dashboard: a stack of views (apps → app → pods …), a status line, a help
// bar, and the modal prompts and action pane on top.
type Model struct {
	o      Options
	ctx    context.Context
	cancel context.CancelFunc

	width, height int
	conn          watch.Conn
	apps          []watch.AppEnv

	stack  []view
	modal  *modal
	action *action
	flash  string

	help     help.Model
	fullHelp bool
	nextID   int
	// running counts the actions in flight, which Close waits for.
	running sync.WaitGroup
}

// New makes the dashboard's model; run it with tea.NewProgram.
func New(o Options) *Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	if o.LogLines <= 0 {
		o.LogLines = 5000
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	ctx, cancel := context.WithCancel(o.Context)
	m := &Model{o: o, ctx: ctx, cancel: cancel, help: help.New(), width: 80, height: 24}
	m.help.Styles.ShortKey = styleKey
	m.help.Styles.FullKey = styleKey
	m.stack = []view{newAppsView()}
	if o.Start != nil {
		m.stack = append(m.stack, newAppView(*o.Start))
	}
	return m
}

// Close stops what the dashboard started (log streams, actions in flight) and waits for
// the actions to end: a release cancelled half-way restores the previous one first.
func (m *Model) Close() {
	m.cancel()
	m.running.Wait()
}

// changedMsg says the backend's data changed.
type changedMsg struct{}

func (m *Model) waitChanged() tea.Cmd {
	ch := m.o.Backend.Changed()
	return func() tea.Msg {
		<-ch
		return changedMsg{}
	}
}

// ageMsg comes once a minute: the ages on screen (in minutes at the finest) move on.
type ageMsg struct{}

func ageTick() tea.Cmd {
	return tea.Tick(time.Minute, func(time.Time) tea.Msg { return ageMsg{} })
}

// Init reads what the backend has and waits for changes.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.waitChanged(), ageTick()}
	m.refresh()
	for _, v := range m.stack {
		cmds = append(cmds, v.open(m))
	}
	return tea.Batch(cmds...)
}

func (m *Model) refresh() {
	m.conn = m.o.Backend.Conn()
	m.apps = m.o.Backend.Apps()
	for _, v := range m.stack {
		v.refresh(m)
	}
}

func (m *Model) top() view { return m.stack[len(m.stack)-1] }

// push opens a view above the current one.
func (m *Model) push(v view) tea.Cmd {
	m.flash = ""
	m.stack = append(m.stack, v)
	m.layout()
	v.refresh(m)
	return v.open(m)
}

// pop closes the current view (never the apps list).
func (m *Model) pop() {
	if len(m.stack) > 1 {
		m.top().close()
		m.stack = m.stack[:len(m.stack)-1]
		m.flash = ""
		m.layout()
	}
}

// views are the names ':' knows, with their aliases.
var views = map[string]string{
	"apps": "apps", "a": "apps", "app": "app", "ps": "app", "processes": "app", "pods": "pods", "po": "pods",
	"releases": "releases", "rel": "releases", "history": "releases", "config": "config", "cfg": "config",
	"env": "config", "logs": "logs", "log": "logs", "events": "events", "ev": "events", "promote": "promote",
	"q": "quit", "quit": "quit", "q!": "quit",
}

// jump opens the view named by a ':' command, on the app being looked at.
func (m *Model) jump(name string) tea.Cmd {
	view, ok := views[strings.TrimSpace(strings.ToLower(name))]
	switch {
	case !ok:
		m.flash = fmt.Sprintf("no view %q: apps, app, pods, releases, config, logs, events, promote", name)
		return nil
	case view == "quit":
		return m.quit()
	case view == "apps":
		for len(m.stack) > 1 {
			m.pop()
		}
		return nil
	}
	t, ok := m.current()
	if !ok {
		m.flash = "open an app first (enter on the apps list)"
		return nil
	}
	for len(m.stack) > 2 {
		m.pop()
	}
	var cmds []tea.Cmd
	if len(m.stack) == 1 {
		cmds = append(cmds, m.push(newAppView(t)))
	}
	switch view {
	case "pods":
		cmds = append(cmds, m.push(newPodsView(t, m.appView().selectedType())))
	case "releases":
		cmds = append(cmds, m.push(newReleasesView(t)))
	case "config":
		cmds = append(cmds, m.push(newConfigView(t)))
	case "logs":
		cmds = append(cmds, m.push(newLogsView(t, "")))
	case "events":
		cmds = append(cmds, m.push(newEventsView(t)))
	case "promote":
		cmds = append(cmds, m.promote(t))
	}
	return tea.Batch(cmds...)
}

// current is the app being looked at: the app view's, else the apps list's selection.
func (m *Model) current() (Target, bool) {
	if av := m.appView(); av != nil {
		return av.t, true
	}
	if av, ok := m.stack[0].(*appsView); ok {
		return av.selected()
	}
	return Target{}, false
}

func (m *Model) appView() *appView {
	for _, v := range m.stack {
		if av, ok := v.(*appView); ok {
			return av
		}
	}
	return nil
}

// envOf finds the app's environment in the apps list.
func (m *Model) envOf(app, env string) (watch.AppEnv, bool) {
	for _, a := range m.apps {
		if a.App == app && a.Environment == env {
			return a, true
		}
	}
	return watch.AppEnv{}, false
}

// promote opens the promotion of the app from staging into production.
func (m *Model) promote(t Target) tea.Cmd {
	from, okf := m.envOf(t.App, "staging")
	to, okt := m.envOf(t.App, "production")
	if !okf {
		m.flash = t.App + " has no staging release to promote"
		return nil
	}
	if !okt {
		to = watch.AppEnv{App: t.App, Environment: "production", Namespace: t.App + "-production"}
	}
	return m.push(newPromoteView(target(from), target(to)))
}

func target(a watch.AppEnv) Target {
	return Target{App: a.App, Environment: a.Environment, Namespace: a.Namespace}
}

func (m *Model) quit() tea.Cmd {
	for _, v := range m.stack {
		v.close()
	}
	m.cancel()
	return tea.Quit
}

// layout gives each view the body's size.
func (m *Model) layout() {
	m.help.SetWidth(m.width)
	for _, v := range m.stack {
		v.SetSize(m.width, m.bodyHeight())
	}
}

var (
	keyQuit  = key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit"))
	keyBack  = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	keyHelp  = key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys"))
	keyJump  = key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "jump to view"))
	keyClose = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "close pane"))
	keyUp    = key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up"))
	keyDown  = key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down"))
	keyTop   = key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top"))
	keyEnd   = key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom"))
	keyPgUp  = key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up"))
	keyPgDn  = key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down"))
	keyEnter = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open"))
)

// Update handles a message: global keys and modals first, then the current view.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case ageMsg:
		m.refresh()
		return m, ageTick()
	case changedMsg:
		m.refresh()
		cmds := []tea.Cmd{m.waitChanged()}
		for _, v := range m.stack {
			cmds = append(cmds, v.Update(m, msg))
		}
		return m, tea.Batch(cmds...)
	case batchMsg[progress.Event]:
		if m.action == nil || m.action.id != msg.id {
			return m, nil
		}
		cmd := m.action.add(msg)
		if !msg.done {
			return m, cmd
		}
		m.layout()
		var cmds []tea.Cmd
		if m.action.after != nil {
			cmds = append(cmds, m.action.after(m.action.err))
		}
		for _, v := range m.stack {
			cmds = append(cmds, v.actionDone(m))
		}
		return m, tea.Batch(cmds...)
	case tea.KeyPressMsg:
		if m.modal != nil {
			return m, m.modal.update(m, msg)
		}
		if m.top().capturing() {
			return m, m.top().Update(m, msg)
		}
		switch {
		case key.Matches(msg, keyQuit):
			return m, m.quit()
		case key.Matches(msg, keyBack):
			if m.fullHelp {
				m.fullHelp = false
				m.layout()
				return m, nil
			}
			if m.flash != "" {
				m.flash = ""
				m.layout()
				return m, nil
			}
			m.pop()
			return m, nil
		case key.Matches(msg, keyHelp):
			m.fullHelp = !m.fullHelp
			m.layout()
			return m, nil
		case key.Matches(msg, keyJump):
			return m, m.prompt("view (apps, app, pods, releases, config, logs, events, promote): ", "", false, m.jump)
		case key.Matches(msg, keyClose) && m.action != nil && m.action.done:
			m.action = nil
			m.layout()
			return m, nil
		}
		m.flash = ""
		return m, m.top().Update(m, msg)
	}
	// Results of a view's reads and actions go to every view: the one that asked may be
	// under another now.
	var cmds []tea.Cmd
	for _, v := range m.stack {
		cmds = append(cmds, v.Update(m, msg))
	}
	return m, tea.Batch(cmds...)
}

// View draws the title and status line, the current view, the action pane, and the help.
func (m *Model) View() tea.View {
	var parts []string
	parts = append(parts, m.titleLine())
	if m.flash != "" {
		parts = append(parts, styleWarn.Render(ansi.Truncate(m.flash, m.width, "…")))
	}
	body := m.top().View()
	if m.modal != nil {
		body = m.modal.view(m.width, m.bodyHeight())
	}
	parts = append(parts, fit(body, m.width, m.bodyHeight()))
	if m.action != nil {
		parts = append(parts, m.action.view(m.width))
	}
	parts = append(parts, m.helpLines()...)
	v := tea.NewView(strings.Join(parts, "\n"))
	v.AltScreen = true
	v.WindowTitle = "slipway"
	return v
}

// bodyHeight is what the title, the flash line, the action pane and the help leave.
func (m *Model) bodyHeight() int {
	h := m.height - 1 - len(m.helpLines())
	if m.flash != "" {
		h--
	}
	if m.action != nil {
		h -= m.action.height()
	}
	return max(h, 1)
}

func (m *Model) titleLine() string {
	var crumbs []string
	for _, v := range m.stack {
		crumbs = append(crumbs, v.title())
	}
	left := styleTitle.Render("slipway") + " " + strings.Join(crumbs, " › ")
	if m.o.Cluster != "" {
		left = styleTitle.Render("slipway") + " " + styleDim.Render("@"+m.o.Cluster) + "  " + strings.Join(crumbs, " › ")
	}
	var right string
	switch {
	case !m.conn.Connected && m.conn.Err != "":
		right = styleTrouble.Render("disconnected, retrying… " + m.conn.Err)
	case !m.conn.Synced:
		right = styleWarn.Render("loading…")
	default:
		right = styleOK.Render("● live")
	}
	right = ansi.Truncate(right, max(m.width/2, 10), "…")
	left = ansi.Truncate(left, max(m.width-ansi.StringWidth(right)-1, 0), "…")
	gap := max(m.width-ansi.StringWidth(left)-ansi.StringWidth(right), 1)
	return ansi.Truncate(left+strings.Repeat(" ", gap)+right, m.width, "")
}

func (m *Model) helpLines() []string {
	if m.modal != nil {
		return []string{m.help.ShortHelpView(m.modal.keys())}
	}
	if m.top().capturing() {
		return []string{m.help.ShortHelpView([]key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "done")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		})}
	}
	keys := m.top().keys()
	global := []key.Binding{keyBack, keyJump}
	if len(m.stack) == 1 {
		global = []key.Binding{keyJump}
	}
	if m.action != nil && m.action.done {
		global = append([]key.Binding{keyClose}, global...)
	}
	// '?' (which lists the rest) and q are always on the line.
	always := []key.Binding{keyHelp, keyQuit}
	if m.fullHelp {
		return strings.Split(m.help.FullHelpView([][]key.Binding{{keyUp, keyDown, keyTop, keyEnd, keyPgUp, keyPgDn}, keys, append(global, always...)}), "\n")
	}
	return []string{m.shortHelp(append(slices.Clone(keys), global...), always)}
}

// shortHelp is keys then always on one line: the last keys are left out (for "…") where
// they would leave always no room, so always is shown at any width it fits in.
func (m *Model) shortHelp(keys, always []key.Binding) string {
	h := m.help
	h.SetWidth(0) // cut here: the help's own cut keeps an item when "…" does not fit
	tail := h.ShortHelpView(always)
	sep := h.Styles.ShortSeparator.Inline(true).Render(h.ShortSeparator)
	more := " " + h.Styles.Ellipsis.Inline(true).Render(h.Ellipsis)
	room := m.width - ansi.StringWidth(sep+tail)
	for n := len(keys); n > 0; n-- {
		head := h.ShortHelpView(keys[:n])
		if n < len(keys) {
			head += more
		}
		if ansi.StringWidth(head) <= room {
			return head + sep + tail
		}
	}
	return ansi.Truncate(tail, m.width, "…")
}

// fit cuts or pads s to exactly h lines of at most w cells.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "")
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// errorText is an error as the platform words it, with its hint.
func errorText(err error) string {
	s := err.Error()
	if h := render.Hint(err); h != "" {
		s += "\nhint: " + h
	}
	return s
}

// read is what a view shows for data it reads on opening: the error in the platform's
// words, the reading message, the empty message, or "" when it has something to show.
func read(err error, done bool, reading string, empty bool, none string) string {
	switch {
	case err != nil:
		return "\n  " + strings.ReplaceAll(errorText(err), "\n", "\n  ")
	case !done:
		return "\n  " + reading
	case empty:
		return "\n  " + none
	}
	return ""
}

// release summary words shared by views.
func short(img string) string {
	if i := strings.Index(img, "@sha256:"); i >= 0 {
		d := img[i+len("@sha256:"):]
		return img[strings.LastIndex(img[:i], "/")+1:i] + "@" + d[:min(12, len(d))]
	}
	return img[strings.LastIndex(img, "/")+1:]
}

func age(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// screen is the current screen without colours (for tests and diagnostics).
func (m *Model) screen() string { return ansi.Strip(m.View().Content) }
