package e2e

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/sysproc"
)

func TestTmux(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		env  []string
		argv []string
		do   func(t *testing.T, m *Tmux)
	}{
		{"keys and literal text", nil, []string{"sh", "-c", `read x; echo "got [$x]"; read y; echo "then [$y]"; sleep 100`}, func(t *testing.T, m *Tmux) {
			m.Type("Enter C-c")
			m.Send("Enter")
			m.WaitFor(regexp.MustCompile(`got \[Enter C-c\]`), 5*time.Second)
			m.Send("hello", "Space", "world", "Enter")
			m.WaitFor(regexp.MustCompile(`then \[hello world\]`), 5*time.Second)
		}},
		{"environment, directory and terminal type", []string{"SLIPWAY_TMUX_TEST=yes"}, []string{"sh", "-c", `echo "var=$SLIPWAY_TMUX_TEST term=$TERM dir=$(pwd)"; sleep 100`}, func(t *testing.T, m *Tmux) {
			m.WaitFor(regexp.MustCompile(`var=yes term=tmux-256color dir=`+regexp.QuoteMeta(dir)), 5*time.Second)
		}},
		{"one argument runs the program itself", nil, []string{"cat"}, func(t *testing.T, m *Tmux) {
			m.Type("meow")
			m.Send("Enter")
			m.WaitFor(regexp.MustCompile(`(?m)^meow\nmeow$`), 5*time.Second)
			if cmd := sysproc.Cmdline(m.PID()); len(cmd) != 1 || cmd[0] != "cat" {
				t.Errorf("PID %d runs %q, want cat", m.PID(), cmd)
			}
		}},
		{"size and resize", nil, []string{"sh", "-c", `stty size; while read x; do stty size; done`}, func(t *testing.T, m *Tmux) {
			m.WaitFor(regexp.MustCompile(`(?m)^24 80$`), 5*time.Second)
			m.Resize(100, 30)
			m.Send("Enter")
			m.WaitFor(regexp.MustCompile(`(?m)^30 100$`), 5*time.Second)
			if rows := strings.Count(m.Screen(), "\n"); rows != 30 {
				t.Errorf("screen has %d rows after the resize, want 30", rows)
			}
		}},
		{"colours", nil, []string{"sh", "-c", `printf '\033[31mred\033[0m \033[1mbold\033[0m plain\n'; sleep 100`}, func(t *testing.T, m *Tmux) {
			m.WaitFor(regexp.MustCompile(`red bold plain`), 5*time.Second)
			ansi := m.ScreenANSI()
			if !strings.Contains(ansi, "\x1b[31mred") || !strings.Contains(ansi, "\x1b[1mbold") {
				t.Errorf("ScreenANSI lacks the red and bold SGR sequences: %q", ansi)
			}
		}},
		{"exit status", nil, []string{"sh", "-c", `echo bye; sleep 0.1; exit 7`}, func(t *testing.T, m *Tmux) {
			if got := m.WaitExit(5 * time.Second); got != 7 {
				t.Errorf("WaitExit = %d, want 7", got)
			}
			if !strings.Contains(m.Screen(), "bye") {
				t.Errorf("the screen of an exited program lost its output:\n%s", m.Screen())
			}
		}},
		{"killed by a signal", nil, []string{"sh", "-c", `kill -9 $$`}, func(t *testing.T, m *Tmux) {
			if got := m.WaitExit(5 * time.Second); got != 128+9 {
				t.Errorf("WaitExit = %d, want 137", got)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var pid int
			var start uint64
			t.Run("run", func(t *testing.T) {
				m := StartTmux(t, 80, 24, c.env, dir, c.argv...)
				pid, start = m.PID(), sysproc.StartTime(m.PID())
				c.do(t, m)
			})
			if sysproc.Running(pid, start) {
				t.Errorf("the program (pid %d) still runs after the cleanup", pid)
			}
		})
	}
}

// fatalTB records a Fatal and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func TestTmuxWaitFailures(t *testing.T) {
	for _, c := range []struct {
		name string
		argv []string
		wait func(m *Tmux)
		want []string
	}{
		{"timeout", []string{"sh", "-c", `echo waiting here; sleep 100`},
			func(m *Tmux) { m.WaitFor(regexp.MustCompile(`never`), 300*time.Millisecond) },
			[]string{`waited 300ms for the screen to match "never"`, "waiting here"}},
		{"exited before matching", []string{"sh", "-c", `echo bye; sleep 0.1; exit 3`},
			func(m *Tmux) { m.WaitFor(regexp.MustCompile(`never`), time.Minute) },
			// tmux may not say the status (see exited): the failure comes at once either way.
			[]string{`the program exited (status `, `) with a screen not matching "never"`, "bye"}},
		{"never gone", []string{"sh", "-c", `echo stays; sleep 100`},
			func(m *Tmux) { m.WaitGone(regexp.MustCompile(`stays`), 300*time.Millisecond) },
			[]string{`waited 300ms for "stays" to leave the screen`, "stays"}},
		{"never exits", []string{"sh", "-c", `echo running; sleep 100`},
			func(m *Tmux) { m.WaitExit(300 * time.Millisecond) },
			[]string{`waited 300ms for the program to exit`, "running"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := StartTmux(t, 80, 24, nil, "", c.argv...)
			m.WaitFor(regexp.MustCompile(`\w`), 5*time.Second) // started
			fake := &fatalTB{TB: t}
			m.t = fake
			done := make(chan struct{})
			go func() { defer close(done); c.wait(m) }()
			<-done
			m.t = t
			for _, w := range c.want {
				if !strings.Contains(fake.msg, w) {
					t.Errorf("failure message lacks %q:\n%s", w, fake.msg)
				}
			}
		})
	}
}
