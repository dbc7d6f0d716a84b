package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/sysproc"
)

// Tmux is a program running in a real terminal: a pane of a tmux server of the test's
// own, detached, of a fixed size, with no status line. Its screen stays readable after the
// program exits (remain-on-exit), so a crash's last words can be seen, with one caveat:
// what a program writes in the instant before it exits may never reach the screen (tmux
// 3.3a on Linux lost the "bye" of sh -c 'echo bye; exit 3' in 4 of 30 runs; none was lost
// with 50ms between the two).
//
// The pane runs the program under a small sh that waits for it and writes its exit status
// to a file: tmux 3.3a was seen, under load, never marking a pane dead after its program
// had gone, so tmux's own pane_dead_status cannot be relied on.
type Tmux struct {
	t        testing.TB
	tmux     string
	socket   string
	status   string // the file the wrapper writes the exit status to
	pid      int
	gone     time.Time // when the process table first lacked the program and its wrapper
	start    uint64
	interval time.Duration
}

// tmuxWrapper runs "$@" (after two file names) as a child whose PID it writes to the first
// file before the child execs the program, waits for it, and writes its status (128+N for
// signal N, as sh says it) to the second, renamed into place so it is never read half
// written. INT and QUIT are caught rather than ignored, so the program gets them with their
// default meaning while the wrapper outlives a Ctrl-C to record the status.
const tmuxWrapper = `pidfile=$1 statusfile=$2; shift 2
trap : INT QUIT
sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@"
st=$?
echo $st >"$statusfile.tmp" && mv "$statusfile.tmp" "$statusfile"`

// tmuxTarget is the one pane of the session StartTmux creates.
const tmuxTarget = "main:0.0"

// tmuxConf makes the pane exactly the window's size and keeps it after its program exits,
// its screen untouched (no "Pane is dead" line, which would scroll the top row away).
// TERM inside is tmux-256color unless env sets TERM.
const tmuxConf = `set -g status off
set -g remain-on-exit on
set -g remain-on-exit-format ""
set -g history-limit 10000
set -g escape-time 0
set -g default-terminal %q
`

// StartTmux runs argv (executed directly, no shell) in directory dir (the test's
// directory when empty) in a terminal width columns by height rows, with this process's
// environment plus env ("NAME=value"; a TERM there sets the terminal type). Cleanup stops
// the tmux server and the program, and logs the last screen when the test failed. A
// machine without tmux calls Missing.
func StartTmux(t testing.TB, width, height int, env []string, dir string, argv ...string) *Tmux {
	t.Helper()
	if len(argv) == 0 {
		t.Fatal("StartTmux: no program to run")
	}
	bin, err := exec.LookPath("tmux")
	if err != nil {
		Missing(t, "tmux is not installed (apt-get install tmux)")
	}
	// A socket path must fit in 108 bytes: t.TempDir's may not.
	sockDir, err := os.MkdirTemp("", "slipway-tmux-")
	if err != nil {
		t.Fatal(err)
	}
	m := &Tmux{t: t, tmux: bin, socket: filepath.Join(sockDir, "s"), status: filepath.Join(sockDir, "status"), interval: 50 * time.Millisecond}
	term := "tmux-256color"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TERM="); ok {
			term = v
		}
	}
	conf := filepath.Join(sockDir, "tmux.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, tmuxConf, term), 0o600); err != nil {
		t.Fatal(err)
	}
	name := argv[0]
	t.Cleanup(func() {
		if t.Failed() {
			if screen, err := m.capture(); err == nil {
				t.Logf("last screen of %s:\n%s", name, frame(screen))
			}
		}
		m.stop()
		_ = os.RemoveAll(sockDir)
	})
	if dir == "" {
		dir = "."
	}
	if dir, err = filepath.Abs(dir); err != nil {
		t.Fatal(err)
	}
	// The server's environment is the panes' environment. Outside any tmux of the caller's.
	base := sysproc.Env("TMUX", "TMUX_PANE")
	pidFile := filepath.Join(sockDir, "pid")
	args := []string{"-f", conf, "new-session", "-d", "-s", "main", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), "-c", dir, "--",
		"sh", "-c", tmuxWrapper, "sh", pidFile, m.status}
	cmd := exec.Command(bin, append([]string{"-S", m.socket}, append(args, argv...)...)...)
	cmd.Env = append(base, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session %s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	m.pid, m.start = waitExec(t, pidFile, argv)
	return m
}

// waitExec returns the PID the wrapper wrote to pidFile, and its start time, once that
// process runs argv: what a test reads of the PID (its command line, CPU time, memory) is
// then the program's, not the wrapper's.
func waitExec(t testing.TB, pidFile string, argv []string) (int, uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(pidFile)
		if err == nil {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("tmux: the program's pid: %q: %v", b, err)
			}
			start := sysproc.StartTime(pid)
			if slices.Equal(sysproc.Cmdline(pid), argv) || !sysproc.Running(pid, start) {
				return pid, start
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tmux: %s did not start within 10s (pid file: %v)", strings.Join(argv, " "), err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// run runs one tmux command against the server.
func (m *Tmux) run(args ...string) (string, error) {
	cmd := exec.Command(m.tmux, append([]string{"-S", m.socket}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func (m *Tmux) must(args ...string) string {
	m.t.Helper()
	out, err := m.run(args...)
	if err != nil {
		m.t.Fatal(err)
	}
	return out
}

// Send presses keys, each a tmux key name (Enter, Escape, Tab, BSpace, Up, PageDown, Space,
// F1, C-c, M-x…) or, when no key is so named, typed as its characters ("q", "hello").
func (m *Tmux) Send(keys ...string) {
	m.t.Helper()
	m.must(append([]string{"send-keys", "-t", tmuxTarget}, keys...)...)
}

// Type types text literally, even words that name keys ("Enter").
func (m *Tmux) Type(text string) {
	m.t.Helper()
	m.must("send-keys", "-t", tmuxTarget, "-l", "--", text)
}

// Screen returns the visible screen as text: one line per row, without trailing blanks.
func (m *Tmux) Screen() string {
	m.t.Helper()
	s, err := m.capture()
	if err != nil {
		m.t.Fatal(err)
	}
	return s
}

func (m *Tmux) capture() (string, error) { return m.run("capture-pane", "-p", "-t", tmuxTarget) }

// ScreenANSI returns the visible screen with its colours and attributes as SGR escape
// sequences (capture-pane -e), the input Screenshot renders.
func (m *Tmux) ScreenANSI() string {
	m.t.Helper()
	return m.must("capture-pane", "-p", "-e", "-t", tmuxTarget)
}

// WaitFor polls the screen until re matches it and returns that screen. It fails the test
// when timeout passes first, or when the program exits with a screen that does not match,
// showing the pattern and the last screen.
func (m *Tmux) WaitFor(re *regexp.Regexp, timeout time.Duration) string {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		exited, status := m.exited()
		var screen string
		if exited {
			screen = m.settled()
		} else {
			screen = m.Screen()
		}
		if re.MatchString(screen) {
			return screen
		}
		if exited {
			m.t.Fatalf("the program exited (%s) with a screen not matching %q:\n%s", statusWords(status), re, frame(screen))
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("waited %s for the screen to match %q; last screen:\n%s", timeout, re, frame(screen))
		}
		time.Sleep(m.interval)
	}
}

// WaitGone polls the screen until re no longer matches it, or fails the test when timeout
// passes first, showing the pattern and the last screen.
func (m *Tmux) WaitGone(re *regexp.Regexp, timeout time.Duration) {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		screen := m.Screen()
		if !re.MatchString(screen) {
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("waited %s for %q to leave the screen; last screen:\n%s", timeout, re, frame(screen))
		}
		time.Sleep(m.interval)
	}
}

// WaitExit waits until the program exits and its last output is on the screen, and returns
// its exit status (128+N when killed by signal N, -1 when tmux did not say), or fails the test when timeout passes
// first.
func (m *Tmux) WaitExit(timeout time.Duration) int {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if exited, status := m.exited(); exited {
			m.settled()
			return status
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("waited %s for the program to exit; last screen:\n%s", timeout, frame(m.Screen()))
		}
		time.Sleep(m.interval)
	}
}

// settled returns the screen of an exited program once tmux has shown all its output: tmux
// may report the exit before it has read the end of the output.
func (m *Tmux) settled() string {
	m.t.Helper()
	prev := m.Screen()
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		screen := m.Screen()
		if screen == prev {
			return screen
		}
		prev = screen
	}
	return prev
}

// exited reports whether the program has exited, and its status (-1: not known): the
// status the wrapper wrote. Should the wrapper itself die first (killed from outside), a
// program the process table no longer holds for 10 s counts as exited, status unknown.
func (m *Tmux) exited() (bool, int) {
	m.t.Helper()
	if b, err := os.ReadFile(m.status); err == nil {
		if status, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			return true, status
		}
		m.t.Fatalf("tmux: the program's exit status: %q", b)
	}
	if sysproc.Running(m.pid, m.start) {
		return false, 0
	}
	if m.gone.IsZero() {
		m.gone = time.Now()
	}
	return time.Since(m.gone) > 10*time.Second, -1
}

// statusWords is an exit status as WaitFor's failures say it.
func statusWords(status int) string {
	if status < 0 {
		return "status unknown"
	}
	return fmt.Sprintf("status %d", status)
}

// Resize makes the terminal width columns by height rows (the program gets SIGWINCH).
func (m *Tmux) Resize(width, height int) {
	m.t.Helper()
	m.must("resize-window", "-t", tmuxTarget, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height))
}

// PID returns the program's process ID, for reading its CPU time and memory in /proc.
func (m *Tmux) PID() int { return m.pid }

// stop ends the server, which hangs up on the program, then kills the program if it
// ignored that.
func (m *Tmux) stop() {
	_, _ = m.run("kill-server")
	if m.start == 0 { // gone before its start time was read: the PID may be another's now
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for sysproc.Running(m.pid, m.start) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(m.pid, syscall.SIGKILL)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// frame draws a screen between rules, so that its blank lines and edges show in a log.
func frame(screen string) string {
	rule := strings.Repeat("─", 40)
	return rule + "\n" + strings.TrimRight(screen, "\n") + "\n" + rule
}
