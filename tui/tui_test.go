package tui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/slipwayhq/slipway/platform/logs"
)

// updating says -update was given (the flag is teatest's golden package's).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestMain(m *testing.M) {
	time.Local = time.UTC // log lines show local time
	os.Exit(m.Run())
}

var stg = Target{App: "life", Environment: "staging", Namespace: "life-staging"}

// key is a key press as the terminal sends it.
func press(s string) tea.Msg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	r := []rune(s)
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

// screen is a run of the dashboard on fixed data: keys pressed one after the other, each
// after the screen shows what the one before led to.
type screen struct {
	name  string
	start bool
	setup func(*fake)
	// steps alternate: keys to press, then the text to wait for.
	steps [][2]string
}

// appReady is the app view once both environments' histories are read.
const appReady = `production (is|runs|differs)`

var screens = []screen{
	{name: "apps", steps: [][2]string{{"", `apps \(4\)`}}},
	{name: "apps-filter", steps: [][2]string{{"", `apps \(4\)`}, {"/ l i", "2 of 4"}}},
	{name: "app", start: true, steps: [][2]string{{"", appReady}}},
	{name: "pods", start: true, steps: [][2]string{{"", appReady}, {"j enter", "pods of web"}}},
	{name: "releases", start: true, steps: [][2]string{{"", appReady}, {"r", "Set config FOO"}}},
	{name: "rollback-confirm", start: true, steps: [][2]string{{"", appReady}, {"r", "Set config FOO"}, {"j j enter", "back to v2\\?"}}},
	{name: "rollback-done", start: true, steps: [][2]string{{"", appReady}, {"r", "Set config FOO"}, {"j j enter", "back to v2\\?"}, {"y", `Rollback to v2 \(image`}}},
	{name: "promote", start: true, steps: [][2]string{{"", appReady}, {"p", "Press enter"}}},
	{name: "scale-zero", start: true, steps: [][2]string{{"", appReady}, {"-", "to 0\\?"}}},
	{name: "autoscaled", start: true, steps: [][2]string{{"", appReady}, {"j +", "press b"}}},
	{name: "config", start: true, steps: [][2]string{{"", appReady}, {"c", "DATABASE_URL"}}},
	{name: "config-reveal", start: true, steps: [][2]string{{"", appReady}, {"c", "DATABASE_URL"}, {"j v", "bar"}}},
	{name: "config-error", start: true, setup: func(f *fake) {
		f.failSet = &hintErr{msg: `config var name "1X": must start with a letter or _`, hint: "names are letters, digits and _, as a shell's"}
	}, steps: [][2]string{{"", appReady}, {"c", "DATABASE_URL"}, {"s 1 X = 1 enter", "hint:"}}},
	{name: "logs", start: true, steps: [][2]string{{"", appReady}, {"L", "GET /slow"}}},
	{name: "logs-search", start: true, steps: [][2]string{{"", appReady}, {"L", "GET /slow"}, {"/ h e a l t h enter", "/health"}}},
	{name: "events", start: true, steps: [][2]string{{"", appReady}, {"e", "BackOff"}}},
	{name: "help", start: true, steps: [][2]string{{"", appReady}, {"?", "page up"}}},
	{name: "jump", steps: [][2]string{{"", `apps \(4\)`}, {": r e l enter", "Set config GREETING"}}},
	{name: "jump-unknown", start: true, steps: [][2]string{{"", appReady}, {": n o p e enter", "no view"}}},
	{name: "disconnected", setup: func(f *fake) {
		f.conn.Connected, f.conn.Err = false, "dial tcp 127.0.0.1:6443: connect: connection refused"
	}, steps: [][2]string{{"", "disconnected"}}},
}

// TestGoldenScreens renders every view on fixed data at 80×24 and 140×40 and compares the
// screen (without colours) with testdata/NAME-WxH.golden; -update rewrites them.
func TestGoldenScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {140, 40}} {
		for _, s := range screens {
			name := fmt.Sprintf("%s-%dx%d", s.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				got := run(t, s, size[0], size[1])
				lines := strings.Split(got, "\n")
				if len(lines) != size[1] {
					t.Errorf("the screen has %d lines, want %d", len(lines), size[1])
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w > size[0] {
						t.Errorf("line %d is %d cells wide, more than %d: %q", i+1, w, size[0], l)
					}
				}
				golden := filepath.Join("testdata", name+".golden")
				if updating() {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./tui -update)", err)
				}
				if got != string(want) {
					t.Errorf("screen differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
				}
			})
		}
	}
}

// run drives the dashboard through s's steps and returns its last screen, without colours.
func run(t *testing.T, s screen, w, h int) string {
	t.Helper()
	f := newFake()
	if s.setup != nil {
		s.setup(f)
	}
	o := Options{Backend: f, Now: func() time.Time { return now }, Cluster: "sandbox"}
	if s.start {
		o.Start = &stg
	}
	d := drive(t, New(o), w, h)
	for _, step := range s.steps {
		d.send(strings.Fields(step[0])...)
		d.wait(step[1])
	}
	return d.quit()
}

// driver runs the dashboard in a bubbletea program (teatest's) and reads its screen from
// inside the program's loop, after every message sent before.
type driver struct {
	t  *testing.T
	tm *teatest.TestModel
}

// probe asks the program's loop for the screen.
type probe struct{ screen chan string }

func drive(t *testing.T, m *Model, w, h int) *driver {
	filter := func(model tea.Model, msg tea.Msg) tea.Msg {
		if p, ok := msg.(probe); ok {
			p.screen <- model.(*Model).screen()
			return nil
		}
		return msg
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h), teatest.WithProgramOptions(tea.WithFilter(filter)))
	return &driver{t: t, tm: tm}
}

func (d *driver) send(keys ...string) {
	for _, k := range keys {
		d.tm.Send(press(k))
	}
}

// screen is the screen after every message sent so far.
func (d *driver) screen() string {
	p := probe{screen: make(chan string, 1)}
	d.tm.Send(p)
	select {
	case s := <-p.screen:
		return s
	case <-time.After(5 * time.Second):
		d.t.Fatal("the dashboard did not answer in 5s")
		return ""
	}
}

// wait waits until the screen matches want (a regular expression).
func (d *driver) wait(want string) string {
	d.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := d.screen()
		if regexp.MustCompile(want).MatchString(s) {
			return s
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("the screen did not show %q within 5s; it shows:\n%s", want, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// quit ends the program and returns its last screen.
func (d *driver) quit() string {
	d.tm.Send(tea.QuitMsg{})
	final := d.tm.FinalModel(d.t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	return final.screen()
}

// TestActionsReachTheBackend checks that keys become the backend's operations, with the
// counts and revisions the screen showed, and that stopping a type asks first.
func TestActionsReachTheBackend(t *testing.T) {
	f := newFake()
	d := drive(t, New(Options{Backend: f, Now: func() time.Time { return now }, Start: &stg}), 100, 30)
	wait, send := d.wait, d.send
	wait(appReady)
	send("+") // clock: 1 → 2
	wait("✓ scale clock to 2")
	// clock: 1 → 0 asks first; no cancels, yes goes ahead. Keys are handled in order, and
	// a confirmation opens in the same Update as its key.
	send("x", "-", "n", "-", "y")
	wait("✓ scale clock to 0")
	send("x", "r")
	wait("Set config FOO")
	send("j", "j", "enter")
	wait("back to v2\\?")
	send("y")
	wait(`✓ roll life \(staging\) back to v2`)
	d.quit()
	f.mu.Lock()
	defer f.mu.Unlock()
	if fmt.Sprint(f.scaled) != "[map[clock:2] map[clock:0]]" {
		t.Errorf("scaled %v, want clock to 2, then (after a no and a yes) to 0", f.scaled)
	}
	if fmt.Sprint(f.calls) != "[rollback]" {
		t.Errorf("calls %v, want one rollback", f.calls)
	}
}

// unreachable is what a read says while the API server is down.
var unreachable = &hintErr{msg: "cannot reach the Kubernetes API server at https://127.0.0.1:6443: connection refused", hint: "is the cluster running?"}

// TestReadsAgainAfterAFailure checks that data a view reads when it opens (the histories of
// the drift line, the releases, the config, a promotion's preview) is read again on the next
// change signal after the read failed, without a new release, and shown.
func TestReadsAgainAfterAFailure(t *testing.T) {
	cases := []struct {
		name string
		// fail is the read that fails; keys open the view once the app view is ready (none:
		// the app view itself, whose reads fail from the start).
		fail     string
		keys     []string
		wantFail string
		want     string
	}{
		{name: "drift line", fail: "history production", wantFail: "cannot read production's history: cannot reach the Kubernetes API server", want: "production is 2 releases behind staging"},
		{name: "releases", fail: "history staging", keys: []string{"r"}, wantFail: "(?m)^  hint: is the cluster running", want: "Set config FOO"},
		{name: "config", fail: "config", keys: []string{"c"}, wantFail: "(?m)^  hint: is the cluster running", want: "DATABASE_URL"},
		{name: "promote preview", fail: "preview promote", keys: []string{"p"}, wantFail: "(?m)^  hint: is the cluster running", want: "Press enter to promote"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			if tc.keys == nil {
				f.setFail(tc.fail, unreachable)
			}
			d := drive(t, New(Options{Backend: f, Now: func() time.Time { return now }, Start: &stg}), 100, 30)
			if tc.keys != nil {
				d.wait(appReady)
				f.setFail(tc.fail, unreachable)
				d.send(tc.keys...)
			}
			d.wait(tc.wantFail)
			// The API server answers again; nothing is read until the watches say so.
			f.setFail(tc.fail, nil)
			if s := d.screen(); !strings.Contains(s, "cannot reach") {
				t.Errorf("the view read again before a change signal:\n%s", s)
			}
			f.signal()
			if s := d.wait(tc.want); strings.Contains(s, "cannot reach") {
				t.Errorf("the failure is still on screen:\n%s", s)
			}
			d.quit()
		})
	}
}

// TestPromoteFollowsStaging checks that the promote view previews again when staging's
// release changes, saying so, and that the promotion is pinned to the release previewed:
// one confirmed before staging moved is refused, as the platform refuses it.
func TestPromoteFollowsStaging(t *testing.T) {
	cases := []struct {
		name string
		// confirmFirst opens the confirmation before staging moves, and confirms after.
		confirmFirst bool
		wantScreen   []string
		wantCalls    string
	}{
		{name: "staging moves before the confirmation", wantScreen: []string{`✓ promote life from staging to production`},
			wantCalls: "[promote v5]"},
		{name: "staging moves during the confirmation", confirmFirst: true,
			wantScreen: []string{`✗ promote life from staging to production failed`, `staging is at v5 now, not v4 as previewed`},
			wantCalls:  "[promote v4]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			d := drive(t, New(Options{Backend: f, Now: func() time.Time { return now }, Start: &stg}), 100, 30)
			d.wait(appReady)
			d.send("p")
			d.wait(`Promote life v4 from staging into production \(now v2\)`)
			if tc.confirmFirst {
				d.send("enter")
				d.wait(`Promote life v4 from staging into production \(now v2\)\?`)
			}
			f.deployStaging()
			f.signal()
			if tc.confirmFirst {
				d.send("y")
			} else {
				s := d.wait(`staging is at v5 \(deployed\) now: previewed again`)
				if !strings.Contains(s, "Promote life v5 from staging into production (now v2)") || !strings.Contains(s, "life@cccccccccccc") {
					t.Errorf("the preview is not of staging's v5:\n%s", s)
				}
				d.send("enter")
				d.wait(`Promote life v5 from staging into production \(now v2\)\?`)
				d.send("y")
			}
			for _, w := range tc.wantScreen {
				d.wait(w)
			}
			d.quit()
			if got := fmt.Sprint(f.calledWith()); got != tc.wantCalls {
				t.Errorf("calls %s, want %s", got, tc.wantCalls)
			}
		})
	}
}

// TestHelpBarShowsAllKeys checks that every view's help bar ends with "? all keys" and
// "q quit" at any width they fit in, the view's own keys giving way; modals and inputs,
// where '?' is typed, not pressed, and the full help are left out.
func TestHelpBarShowsAllKeys(t *testing.T) {
	skip := map[string]bool{"apps-filter": true, "rollback-confirm": true, "scale-zero": true, "help": true}
	for _, w := range []int{80, 100, 120, 140} {
		for _, s := range screens {
			if skip[s.name] {
				continue
			}
			t.Run(fmt.Sprintf("%s-%d", s.name, w), func(t *testing.T) {
				t.Parallel()
				lines := strings.Split(run(t, s, w, 30), "\n")
				last := lines[len(lines)-1]
				if !strings.HasSuffix(last, "? all keys • q quit") {
					t.Errorf("the help bar at %d columns is %q: no \"? all keys • q quit\" at its end", w, last)
				}
				if cw := ansi.StringWidth(last); cw > w {
					t.Errorf("the help bar is %d cells wide, more than %d: %q", cw, w, last)
				}
			})
		}
	}
}

// TestShortHelpCut checks the cut of the help bar at narrow widths: the view's keys give
// way first, then "? all keys • q quit" is cut itself.
func TestShortHelpCut(t *testing.T) {
	keys := []key.Binding{keyPods, keyScaleUp, keyScaleTo, keyBounds}
	cases := []struct {
		name  string
		width int
		want  string
	}{
		{"every key fits", 120, "enter pods • +/- scale • = set count • b autoscale bounds • ? all keys • q quit"},
		{"the last keys give way", 60, "enter pods • +/- scale • = set count … • ? all keys • q quit"},
		{"one key and the cut", 36, "enter pods … • ? all keys • q quit"},
		{"no key fits", 30, "? all keys • q quit"},
		{"just fits", 19, "? all keys • q quit"},
		{"narrower than what is always shown", 12, "? all keys …"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Options{Backend: newFake()})
			m.width = tc.width
			if got := ansi.Strip(m.shortHelp(keys, []key.Binding{keyHelp, keyQuit})); got != tc.want {
				t.Errorf("at %d columns: %q, want %q", tc.width, got, tc.want)
			}
		})
	}
}

// TestEditsReachTheBackend checks that config set and unset, and autoscale bounds, reach
// the backend with the keys, values and bounds typed, and that what is not one (no '=',
// not a number) or is declined reaches nothing.
func TestEditsReachTheBackend(t *testing.T) {
	config := [2]string{"c", "DATABASE_URL"}
	cases := []struct {
		name  string
		steps [][2]string
		want  string
	}{
		{name: "config set", steps: [][2]string{config, {"s G R E E T I N G = h e l l o space w o r l d enter", "✓ set config GREETING"}},
			want: "[set GREETING=hello world]"},
		{name: "config set, a value with =", steps: [][2]string{config, {"s U R L = a = b enter", "✓ set config URL"}},
			want: "[set URL=a=b]"},
		{name: "config set, spaces around the name", steps: [][2]string{config, {"s space K space = v enter", "✓ set config K"}},
			want: "[set K=v]"},
		{name: "config set without =", steps: [][2]string{config, {"s F O O enter", "write it as KEY=VALUE"}},
			want: "[]"},
		{name: "config unset", steps: [][2]string{config, {"j u", `Unset FOO in life \(staging\)\?`}, {"y", "✓ unset config FOO"}},
			want: "[unset FOO]"},
		{name: "config unset declined", steps: [][2]string{config, {"j u", `Unset FOO in life \(staging\)\?`}, {"n", "DATABASE_URL"}},
			want: "[]"},
		{name: "autoscale bounds", steps: [][2]string{{"j b", "web autoscale: min max"}, {"ctrl+u 3 space 8 enter", "✓ autoscale web"}},
			want: "[autoscale web 3–8 @70%]"},
		{name: "autoscale bounds and CPU target", steps: [][2]string{{"j b", "web autoscale: min max"}, {"ctrl+u 3 space 8 space 5 0 enter", "✓ autoscale web"}},
			want: "[autoscale web 3–8 @50%]"},
		{name: "autoscale off", steps: [][2]string{{"j b", "web autoscale: min max"}, {"ctrl+u o f f enter", "✓ autoscale web"}},
			want: "[autoscale web off]"},
		{name: "autoscale a type that is not", steps: [][2]string{{"b", "clock autoscale: min max"}, {"1 space 4 enter", "✓ autoscale clock"}},
			want: "[autoscale clock 1–4 @0%]"},
		{name: "autoscale bounds not a number", steps: [][2]string{{"j b", "web autoscale: min max"}, {"ctrl+u x space 3 enter", `"x" is not a number`}},
			want: "[]"},
		{name: "autoscale one bound", steps: [][2]string{{"j b", "web autoscale: min max"}, {"ctrl+u 5 enter", "give min and max pods"}},
			want: "[]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			d := drive(t, New(Options{Backend: f, Now: func() time.Time { return now }, Start: &stg}), 100, 30)
			d.wait(appReady)
			for _, step := range tc.steps {
				d.send(strings.Fields(step[0])...)
				d.wait(step[1])
			}
			d.quit()
			if got := fmt.Sprint(f.calledWith()); got != tc.want {
				t.Errorf("the backend was asked %s, want %s", got, tc.want)
			}
		})
	}
}

// logLines are n log lines, "line FROM" onwards.
func logLines(from, n int) []logs.Line {
	var out []logs.Line
	for i := from; i < from+n; i++ {
		out = append(out, logs.Line{Time: now, Instance: "web.1", Process: "web", Text: fmt.Sprintf("line %d", i)})
	}
	return out
}

// TestLogPane checks the log pane's following, pause, scroll-back and ring buffer: which
// lines it shows (4 at a time) and what its status line says, after keys and new lines.
func TestLogPane(t *testing.T) {
	cases := []struct {
		name string
		max  int
		// steps are keys, or "+N": N more lines arrive.
		steps []string
		// first and last are the texts of the lines shown; status is in the status line.
		first, last, status string
		// match is the current search match's text ("": none).
		match string
	}{
		{name: "follows the newest", max: 100, steps: []string{"+10"}, first: "line 7", last: "line 10", status: "following life · 10 lines"},
		{name: "pause holds the view", max: 100, steps: []string{"+10", "space", "+3"}, first: "line 7", last: "line 10", status: "paused (space resumes) · 13 lines"},
		{name: "space resumes following", max: 100, steps: []string{"+10", "space", "+3", "space"}, first: "line 10", last: "line 13", status: "following life · 13 lines"},
		{name: "scroll back a line", max: 100, steps: []string{"+10", "k"}, first: "line 6", last: "line 9", status: "scrolled back 1 line (G follows) · 10 lines"},
		{name: "scrolled back, the view stays as lines come", max: 100, steps: []string{"+10", "up", "+5"}, first: "line 6", last: "line 9", status: "scrolled back 6 lines"},
		{name: "page up", max: 100, steps: []string{"+10", "pgup"}, first: "line 3", last: "line 6", status: "scrolled back 4 lines"},
		{name: "the top, and no further", max: 100, steps: []string{"+10", "g", "up", "pgup"}, first: "line 1", last: "line 4", status: "scrolled back 6 lines"},
		{name: "G follows again", max: 100, steps: []string{"+10", "up", "up", "G", "+2"}, first: "line 9", last: "line 12", status: "following life · 12 lines"},
		{name: "the ring buffer keeps the newest", max: 5, steps: []string{"+8"}, first: "line 5", last: "line 8", status: "following life · 5 lines"},
		{name: "the ring buffer under a scrolled-back view", max: 6, steps: []string{"+6", "g", "+3"}, first: "line 4", last: "line 7", status: "scrolled back 2 lines (G follows) · 6 lines"},
		{name: "search from the newest", max: 100, steps: []string{"+10", "/", "l", "i", "n", "e", "enter"}, first: "line 7", last: "line 10", status: "following life · 10 lines · /line", match: "line 10"},
		{name: "a match dropped from the ring buffer", max: 5, steps: []string{"+5", "/", "l", "i", "n", "e", "enter", "n", "n", "n", "n", "+3", "N"},
			first: "line 4", last: "line 7", status: "· 5 lines · /line", match: "line 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Options{Backend: newFake()})
			v := newLogsView(stg, "")
			v.max = tc.max
			v.SetSize(80, 5)
			n := 1
			for _, s := range tc.steps {
				if c, ok := strings.CutPrefix(s, "+"); ok {
					k, _ := strconv.Atoi(c)
					v.add(logLines(n, k))
					n += k
					continue
				}
				v.Update(m, press(s))
			}
			lines := strings.Split(ansi.Strip(v.View()), "\n")
			if len(lines) != 5 {
				t.Fatalf("%d lines, want 4 and the status:\n%s", len(lines), strings.Join(lines, "\n"))
			}
			if !strings.HasSuffix(lines[0], "│ "+tc.first) || !strings.HasSuffix(lines[3], "│ "+tc.last) {
				t.Errorf("shows %q to %q, want %q to %q", lines[0], lines[3], tc.first, tc.last)
			}
			if !strings.Contains(lines[4], tc.status) {
				t.Errorf("status %q, want it to say %q", lines[4], tc.status)
			}
			match := ""
			if v.match >= 0 && v.match < len(v.lines) {
				match = v.lines[v.match].Text
			}
			if match != tc.match {
				t.Errorf("the current match is %q, want %q", match, tc.match)
			}
		})
	}
}

// TestLogLinesBound checks that Options.LogLines bounds the log pane of the dashboard.
func TestLogLinesBound(t *testing.T) {
	d := drive(t, New(Options{Backend: newFake(), Now: func() time.Time { return now }, Start: &stg, LogLines: 3}), 100, 30)
	d.wait(appReady)
	d.send("L")
	s := d.wait(`· 3 lines`)
	if strings.Contains(s, "listening on :5000") || !strings.Contains(s, "GET /slow") {
		t.Errorf("the pane should keep the 3 newest of the 5 lines:\n%s", s)
	}
	d.quit()
}
