package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// These tests run the real binary on real processes under /bin/sh, and check what is left
// from the process table: every process a test starts carries SLIPWAY_LOCAL_MARK=<test's
// mark> in its environment (inherited from slipway's), and noneLeft reads /proc/*/environ.

// TestMain lets the test binary serve as a process the tests run (see generate).
func TestMain(m *testing.M) {
	if mode := os.Getenv("SLIPWAY_LOCAL_GENERATOR"); mode != "" {
		generate(mode)
		return
	}
	os.Exit(m.Run())
}

// localApp writes files (name → content) into a new app directory.
func localApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// session is one running `slipway local`, its stdout read line by line.
type session struct {
	t      *testing.T
	cmd    *exec.Cmd
	mark   string
	stderr bytes.Buffer
	mu     sync.Mutex
	lines  []string
	more   chan struct{} // receives after each new line
	eof    chan struct{}
	// keep, when set, sees every line first; the session keeps those it returns true for.
	keep func(string) bool
}

var markSeq int

// startLocal starts slipway with args in dir; env is added to the test's environment.
func startLocal(t *testing.T, dir string, env []string, args ...string) *session {
	t.Helper()
	return startLocalKeeping(t, dir, env, nil, args...)
}

// startLocalKeeping is startLocal with a filter of the lines the session keeps.
func startLocalKeeping(t *testing.T, dir string, env []string, keep func(string) bool, args ...string) *session {
	t.Helper()
	markSeq++
	s := &session{t: t, mark: fmt.Sprintf("%s-%d-%d", t.Name(), os.Getpid(), markSeq), more: make(chan struct{}, 1), eof: make(chan struct{}), keep: keep}
	s.cmd = exec.Command(e2e.Slipway(t), args...)
	s.cmd.Dir = dir
	s.cmd.Env = append(append(os.Environ(), "NO_COLOR=1", "SLIPWAY_LOCAL_MARK="+s.mark), env...)
	s.cmd.Stderr = &s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
	go func() {
		defer close(s.eof)
		r := bufio.NewReaderSize(out, 1<<16)
		for {
			line, err := r.ReadString('\n')
			if line != "" && (s.keep == nil || s.keep(strings.TrimSuffix(line, "\n"))) {
				s.mu.Lock()
				s.lines = append(s.lines, squeeze(strings.TrimSuffix(line, "\n")))
				s.mu.Unlock()
				select {
				case s.more <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return s
}

// squeeze removes the padding of a log line's name: "web.1 | x" becomes "web.1 | x".
func squeeze(line string) string {
	if name, text, ok := splitLogLine(line); ok {
		return line[:9] + name + " | " + text
	}
	return line
}

// waitFor waits until n lines contain substr, failing after a minute.
func (s *session) waitFor(substr string, n int) {
	s.t.Helper()
	deadline := time.After(time.Minute)
	for {
		if s.count(substr) >= n {
			return
		}
		select {
		case <-s.more:
		case <-s.eof:
			if s.count(substr) >= n {
				return
			}
			s.t.Fatalf("slipway ended before %d lines held %q:\n%s\nstderr:\n%s", n, substr, s.output(), s.stderr.String())
		case <-deadline:
			s.t.Fatalf("no %d lines holding %q after a minute:\n%s", n, substr, s.output())
		}
	}
}

func (s *session) count(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.lines {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

func (s *session) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

func (s *session) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal slipway: %v", err)
	}
}

// wait waits (at most two minutes) for slipway to exit and returns its exit code.
func (s *session) wait() int {
	s.t.Helper()
	done := make(chan error, 1)
	go func() {
		<-s.eof
		done <- s.cmd.Wait()
	}()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			s.t.Fatalf("wait for slipway: %v", err)
		}
		return 0
	case <-time.After(2 * time.Minute):
		s.t.Fatalf("slipway did not exit within two minutes:\n%s", s.output())
	}
	return -1
}

// noneLeft fails t if any process with mark in its environment still exists.
func noneLeft(t *testing.T, mark string) {
	t.Helper()
	for _, pid := range markedProcs(mark) {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		t.Errorf("process %d (%s) is still running after slipway exited", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
	}
}

// markedProcs lists the processes with SLIPWAY_LOCAL_MARK=mark in their environment, from
// the process table.
func markedProcs(mark string) []int {
	entries, _ := os.ReadDir("/proc")
	needle := []byte("SLIPWAY_LOCAL_MARK=" + mark + "\x00")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ")); err == nil && bytes.Contains(env, needle) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// valueOf finds "KEY=value" among the space-separated words of the line naming who.
func valueOf(t *testing.T, s *session, who, key string) string {
	t.Helper()
	for _, l := range strings.Split(s.output(), "\n") {
		if !strings.Contains(l, " "+who+" ") || !strings.Contains(l, "| report") {
			continue
		}
		for _, w := range strings.Fields(l) {
			if v, ok := strings.CutPrefix(w, key+"="); ok {
				return v
			}
		}
	}
	t.Fatalf("no %s in %s's report:\n%s", key, who, s.output())
	return ""
}

const reportCmd = `echo report PORT=$PORT DYNO=$DYNO PS=$PS A=$A B=$B C=$C; exec sleep 60`

// TestLocalPortsAndEnv: PORT by position and instance from -p, .env's PORT or 5000 (never
// the shell's), DYNO and PS, and the env files over the shell's environment, later files
// winning.
func TestLocalPortsAndEnv(t *testing.T) {
	dir := localApp(t, map[string]string{
		// release first: it takes no position, so web still gets the base port.
		"Procfile":   "release: echo report PORT=$PORT DYNO=$DYNO\nweb: " + reportCmd + "\nworker: " + reportCmd + "\nclock: " + reportCmd + "\n",
		".env":       "B=dotenv\nC=dotenv\n",
		".env.local": "C=local\nPORT=7000\n",
	})
	shell := []string{"A=shell", "B=shell", "C=shell", "PORT=9999"}

	s := startLocal(t, dir, shell, "local", "-m", "web=2,worker=1")
	s.waitFor("| report", 4) // release, web.1, web.2, worker.1
	s.signal(syscall.SIGTERM)
	if code := s.wait(); code != 143 {
		t.Errorf("exit code after SIGTERM = %d, want 143", code)
	}
	noneLeft(t, s.mark)
	for who, want := range map[string]string{"web.1": "5000", "web.2": "5001", "worker.1": "5100"} {
		if got := valueOf(t, s, who, "PORT"); got != want {
			t.Errorf("%s PORT = %s, want %s", who, got, want)
		}
		if got := valueOf(t, s, who, "DYNO"); got != who {
			t.Errorf("%s DYNO = %s", who, got)
		}
		if got := valueOf(t, s, who, "PS"); got != who {
			t.Errorf("%s PS = %s", who, got)
		}
		if a, b, c := valueOf(t, s, who, "A"), valueOf(t, s, who, "B"), valueOf(t, s, who, "C"); a != "shell" || b != "dotenv" || c != "dotenv" {
			t.Errorf("%s A,B,C = %s,%s,%s, want shell,dotenv,dotenv", who, a, b, c)
		}
	}
	if strings.Contains(s.output(), "clock.1") {
		t.Errorf("-m web=2,worker=1 started clock:\n%s", s.output())
	}
	if !strings.Contains(s.output(), "release | exited with code 0") {
		t.Errorf("no release phase:\n%s", s.output())
	}

	// Later env files win, and PORT from them is the base.
	s = startLocal(t, dir, shell, "local", "-e", ".env,.env.local", "worker", "clock")
	s.waitFor("| report", 3)
	s.signal(syscall.SIGINT)
	if code := s.wait(); code != 130 {
		t.Errorf("exit code after SIGINT = %d, want 130", code)
	}
	noneLeft(t, s.mark)
	if got := valueOf(t, s, "worker.1", "PORT"); got != "7100" {
		t.Errorf("worker.1 PORT = %s with PORT=7000 in .env.local, want 7100", got)
	}
	if got := valueOf(t, s, "clock.1", "PORT"); got != "7200" {
		t.Errorf("clock.1 PORT = %s, want 7200", got)
	}
	if got := valueOf(t, s, "worker.1", "C"); got != "local" {
		t.Errorf("C = %s, want .env.local's value", got)
	}
	if strings.Contains(s.output(), "web.1") {
		t.Errorf("naming worker and clock started web:\n%s", s.output())
	}

	// -p wins over the env files; --no-release skips the release.
	s = startLocal(t, dir, shell, "local", "-e", ".env.local", "-p", "6000", "--no-release", "-m", "all=1,web=0")
	s.waitFor("| report", 2)
	s.signal(syscall.SIGTERM)
	s.wait()
	noneLeft(t, s.mark)
	if got := valueOf(t, s, "clock.1", "PORT"); got != "6200" {
		t.Errorf("clock.1 PORT = %s with -p 6000, want 6200", got)
	}
	if strings.Contains(s.output(), "release") {
		t.Errorf("--no-release ran the release:\n%s", s.output())
	}
}

// TestLocalReleaseFails: a failing release starts nothing and its code is slipway's.
func TestLocalReleaseFails(t *testing.T) {
	dir := localApp(t, map[string]string{
		"Procfile": "web: touch web-started; exec sleep 60\nrelease: echo migrating; echo broken >&2; exit 4\n",
	})
	s := startLocal(t, dir, nil, "local")
	if code := s.wait(); code != 4 {
		t.Errorf("exit code = %d, want the release's 4\n%s", code, s.output())
	}
	noneLeft(t, s.mark)
	if _, err := os.Stat(filepath.Join(dir, "web-started")); err == nil {
		t.Error("web started after the release failed")
	}
	for _, want := range []string{"release | migrating", "release | broken", "release | exited with code 4"} {
		if !strings.Contains(s.output(), want) {
			t.Errorf("output lacks %q:\n%s", want, s.output())
		}
	}
	if !strings.Contains(s.stderr.String(), "release command failed (exit code 4)") {
		t.Errorf("stderr = %q", s.stderr.String())
	}
}

// TestLocalStopEscalation: SIGTERM, then SIGKILL after -t for a process that ignores it;
// a second Ctrl-C kills at once.
func TestLocalStopEscalation(t *testing.T) {
	dir := localApp(t, map[string]string{
		"Procfile": "stubborn: trap '' TERM; echo ready; sleep 60\npolite: echo ready; exec sleep 60\n",
	})
	s := startLocal(t, dir, nil, "local", "-t", "1s")
	s.waitFor("| ready", 2)
	s.signal(syscall.SIGTERM)
	if code := s.wait(); code != 143 {
		t.Errorf("exit code = %d, want 143", code)
	}
	noneLeft(t, s.mark)
	for _, want := range []string{"system | sending SIGTERM to all processes", "polite.1 | terminated by SIGTERM", "system | sending SIGKILL to all processes", "stubborn.1 | terminated by SIGKILL"} {
		if !strings.Contains(s.output(), want) {
			t.Errorf("output lacks %q:\n%s", want, s.output())
		}
	}

	// A minute's timeout, and a second Ctrl-C: killed without waiting for it.
	s = startLocal(t, dir, nil, "local", "-t", "60")
	s.waitFor("| ready", 2)
	s.signal(syscall.SIGINT)
	s.waitFor("sending SIGTERM", 1)
	t0 := time.Now()
	s.signal(syscall.SIGINT)
	if code := s.wait(); code != 130 {
		t.Errorf("exit code = %d, want 130", code)
	}
	if d := time.Since(t0); d > 30*time.Second {
		t.Errorf("slipway took %v to exit after the second Ctrl-C, with -t 60: it waited for the timeout", d)
	}
	noneLeft(t, s.mark)
	if !strings.Contains(s.output(), "stubborn.1 | terminated by SIGKILL") {
		t.Errorf("stubborn was not killed:\n%s", s.output())
	}
}

// TestLocalExitCodes: the first process to exit ends the run with its code; local run
// passes its command's code through.
func TestLocalExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name, procfile string
		want           int
		stderr         string
	}{
		{"code", "a: sleep 0.2; exit 7\nb: exec sleep 60\n", 7, "a.1 exited with code 7; the other processes were stopped"},
		{"signal", "a: sleep 0.2; kill -USR1 $$\nb: exec sleep 60\n", 128 + int(syscall.SIGUSR1), "a.1 exited with code 138"},
		{"clean exit", "a: sleep 0.2; exit 0\nb: exec sleep 60\n", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startLocal(t, localApp(t, map[string]string{"Procfile": tc.procfile}), nil, "local")
			if code := s.wait(); code != tc.want {
				t.Errorf("exit code = %d, want %d\n%s", code, tc.want, s.output())
			}
			noneLeft(t, s.mark)
			if !strings.Contains(s.stderr.String(), tc.stderr) || (tc.stderr == "" && s.stderr.Len() > 0) {
				t.Errorf("stderr = %q, want %q", s.stderr.String(), tc.stderr)
			}
			if !strings.Contains(s.output(), "b.1 | terminated by SIGTERM") {
				t.Errorf("b was not stopped:\n%s", s.output())
			}
		})
	}

	dir := localApp(t, map[string]string{"Procfile": "web: exec sleep 60\n", ".env": "FOO=bar\n"})
	stdout, stderr, code := run(t, dir, "local", "run", "sh", "-c", `echo "$DYNO $FOO $PORT"; exit 5`)
	if code != 5 || stdout != "run.1 bar 5000\n" {
		t.Errorf("local run: code %d, stdout %q, stderr %q; want 5 and \"run.1 bar 5000\"", code, stdout, stderr)
	}
	stdout, _, code = run(t, dir, "local:run", "-e", ".env", "-p", "8000", "env")
	if code != 0 || !strings.Contains(stdout, "\nPORT=8000\n") || !strings.Contains(stdout, "\nFOO=bar\n") {
		t.Errorf("local:run env: code %d:\n%s", code, stdout)
	}
	_, stderr, code = run(t, dir, "local", "run", "no-such-command-here")
	if code != 127 || !strings.Contains(stderr, "no-such-command-here") {
		t.Errorf("missing command: code %d, stderr %q; want 127", code, stderr)
	}
	noStackTrace(t, stderr)
}

// TestLocalCyclesLeaveNothing: 100 start/stop cycles of processes that start daemons, leave
// orphans and ignore SIGTERM; after each, the process table holds none of them.
func TestLocalCyclesLeaveNothing(t *testing.T) {
	dir := localApp(t, map[string]string{
		"Procfile": strings.Join([]string{
			"web: exec sleep 60",
			"daemon: setsid sh -c 'exec sleep 60' & echo ready; exec sleep 60", // leaves its group
			"orphan: (setsid sleep 60 &); echo ready; exec sleep 60",           // its parent is gone: adopted
			"group: sleep 60 & sleep 60 & echo ready; wait",                    // children in its group
			"stubborn: trap '' TERM; echo ready; sleep 60",                     // SIGKILL after -t
			"quick: sleep 0.3; exit 3",                                         // ends the run itself
		}, "\n") + "\n",
	})
	for i := range 100 {
		args := []string{"local", "-t", "300ms", "-m", "all=1,quick=0"}
		want := 143
		sig := syscall.SIGTERM
		switch {
		case i%5 == 4:
			args, want, sig = []string{"local", "-t", "300ms"}, 3, 0
		case i%2 == 1:
			want, sig = 130, syscall.SIGINT
		}
		s := startLocal(t, dir, nil, args...)
		s.waitFor("| ready", 4)
		if sig != 0 {
			s.signal(sig)
		}
		if code := s.wait(); code != want {
			t.Fatalf("cycle %d: exit code %d, want %d\n%s\n%s", i, code, want, s.output(), s.stderr.String())
		}
		noneLeft(t, s.mark)
		if t.Failed() {
			t.Fatalf("cycle %d left processes behind:\n%s", i, s.output())
		}
	}
}

// TestLocalMillionLines: 1,000,000 lines from 4 processes, written in chunks that split lines
// and alternate stdout and stderr, arrive complete, in order and unbroken.
func TestLocalMillionLines(t *testing.T) {
	const perProcess = 250_000
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var procfile strings.Builder
	for g := 1; g <= 4; g++ {
		fmt.Fprintf(&procfile, "g%d: SLIPWAY_LOCAL_GENERATOR=lines:%d:%d %q\n", g, g, perProcess, self)
	}
	next := map[string]int{"g1.1": 1, "g2.1": 1, "g3.1": 1, "g4.1": 1}
	var bad []string
	check := func(line string) (keep bool) {
		name, text, ok := splitLogLine(line)
		if !ok {
			bad = append(bad, fmt.Sprintf("not a log line: %.80q", line))
			return false
		}
		k, tracked := next[name]
		if !tracked || text == "done" || !strings.HasPrefix(text, "g") {
			return true
		}
		if want := genLine(name[1:2], k); text != want && len(bad) < 10 {
			bad = append(bad, fmt.Sprintf("%s line %d: got %.80q, want %.80q", name, k, text, want))
		}
		next[name] = k + 1
		return false
	}
	s := startLocalKeeping(t, localApp(t, map[string]string{"Procfile": procfile.String()}), nil, check, "local")
	s.waitFor("| done", 4)
	s.signal(syscall.SIGTERM)
	s.wait()
	noneLeft(t, s.mark)
	for _, b := range bad {
		t.Error(b)
	}
	for name, k := range next {
		if k-1 != perProcess {
			t.Errorf("%s: %d lines arrived in order, want %d", name, k-1, perProcess)
		}
	}
}

func splitLogLine(line string) (name, text string, ok bool) {
	// "15:04:05 name    | text"
	if len(line) < 9 || line[2] != ':' || line[5] != ':' || line[8] != ' ' {
		return "", "", false
	}
	head, text, ok := strings.Cut(line[9:], " | ")
	return strings.TrimRight(head, " "), text, ok
}

// genLine is line k of generator g: lengths vary from 0 to 2,000 characters, so some lines
// are longer than a pipe's atomic write.
func genLine(g string, k int) string {
	n := (k * 7919) % 2000
	if k%50 != 0 {
		n %= 40
	}
	return "g" + g + " " + strconv.Itoa(k) + " " + strings.Repeat(string(rune('a'+k%26)), n)
}

// generate is the test binary acting as a process under slipway local:
//
//	lines:G:N  writes genLine(G, 1…N) then "done", in chunks of odd sizes that split lines,
//	           alternating stdout and stderr, then sleeps until stopped;
//	long       writes a 100,000-character line, a 2,500,000-character line and a last line
//	           without a newline, then exits 0.
func generate(mode string) {
	if mode == "long" {
		os.Stdout.WriteString(strings.Repeat("x", 100_000) + "\n")
		os.Stdout.WriteString(strings.Repeat("y", 2_500_000) + "\n")
		os.Stdout.WriteString("the end, without a newline")
		return
	}
	parts := strings.Split(mode, ":")
	g := parts[1]
	n, _ := strconv.Atoi(parts[2])
	var buf []byte
	outs := []io.Writer{os.Stdout, os.Stderr}
	w := 0
	flush := func(all bool) {
		for len(buf) > 0 && (all || len(buf) > 9000) {
			size := min(len(buf), 1+(len(buf)*37+w*4099)%8191)
			if all {
				size = len(buf)
			}
			if _, err := outs[w%2].Write(buf[:size]); err != nil {
				os.Exit(1)
			}
			buf = buf[size:]
			w++
		}
		buf = append([]byte(nil), buf...)
	}
	for k := 1; k <= n; k++ {
		buf = append(buf, genLine(g, k)...)
		buf = append(buf, '\n')
		flush(false)
	}
	buf = append(buf, "done\n"...)
	flush(true)
	time.Sleep(10 * time.Minute)
}

// TestLocalLongAndPartialLines: long lines arrive whole up to 1 MiB and in 1 MiB pieces
// beyond; a last line without a newline arrives as a line.
func TestLocalLongAndPartialLines(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := startLocal(t, localApp(t, map[string]string{"Procfile": fmt.Sprintf("long: SLIPWAY_LOCAL_GENERATOR=long %q\n", self)}), nil, "local")
	if code := s.wait(); code != 0 {
		t.Fatalf("exit code %d: %s", code, s.stderr.String())
	}
	var texts []string
	for _, l := range strings.Split(s.output(), "\n") {
		if name, text, ok := splitLogLine(l); ok && name == "long.1" && !strings.HasPrefix(text, "started with") && !strings.HasPrefix(text, "exited with") {
			texts = append(texts, text)
		}
	}
	want := []string{strings.Repeat("x", 100_000), strings.Repeat("y", 1<<20), strings.Repeat("y", 1<<20), strings.Repeat("y", 2_500_000-2<<20), "the end, without a newline"}
	if len(texts) != len(want) {
		t.Fatalf("got %d lines, want %d", len(texts), len(want))
	}
	for i := range want {
		if texts[i] != want[i] {
			t.Errorf("line %d: %d characters starting %.20q, want %d starting %.20q", i, len(texts[i]), texts[i], len(want[i]), want[i])
		}
	}
}

// TestLocalBadInput: each mistake is an error naming what and where; nothing starts.
func TestLocalBadInput(t *testing.T) {
	good := "web: touch started; exec sleep 60\n"
	for _, tc := range []struct {
		name   string
		files  map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"malformed .env", map[string]string{"Procfile": good, ".env": "A=1\nB\nC=3\n"}, nil, 1, ".env:2"},
		{"unterminated quote", map[string]string{"Procfile": good, ".env": "A=1\nB=\"open\n"}, nil, 1, `.env:2: B: the value's opening " is never closed`},
		{"later env file", map[string]string{"Procfile": good, ".env": "A=1\n", "x.env": "\n\nMY-VAR=3\n"}, []string{"-e", ".env,x.env"}, 1, "x.env:3"},
		{"missing env file", map[string]string{"Procfile": good}, []string{"-e", "nope.env"}, 1, "nope.env: no such file"},
		{"bad PORT", map[string]string{"Procfile": good, ".env": "PORT=http\n"}, nil, 1, `.env:1: PORT is not a port number`},
		{"bad Procfile", map[string]string{"Procfile": "web: ok\nworker : x\n"}, nil, 1, "Procfile:2"},
		{"no Procfile", map[string]string{"README": "hi"}, nil, 1, "no Procfile"},
		{"missing -f", map[string]string{"Procfile": good}, []string{"-f", "Procfile.dev"}, 1, "Procfile.dev: no such file"},
		{"unknown type", map[string]string{"Procfile": good}, []string{"worker"}, 2, `process type "worker": the Procfile has no such process type (it has web)`},
		{"unknown formation", map[string]string{"Procfile": good}, []string{"-m", "wrker=2"}, 2, `formation "wrker"`},
		{"bad count", map[string]string{"Procfile": good}, []string{"-m", "web=two"}, 2, `formation "web=two"`},
		{"nothing", map[string]string{"Procfile": good}, []string{"-m", "web=0"}, 2, "nothing to run"},
		{"bad timeout", map[string]string{"Procfile": good}, []string{"-t", "soon"}, 2, `--timeout "soon"`},
		{"bad port", map[string]string{"Procfile": good}, []string{"-p", "70000"}, 2, "--port 70000"},
		{"ports past 65535", map[string]string{"Procfile": good}, []string{"-p", "65535", "-m", "web=2"}, 2, "past 65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := localApp(t, tc.files)
			_, stderr, code := run(t, dir, append([]string{"local"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
			noStackTrace(t, stderr)
			if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
				t.Error("a process started")
			}
		})
	}
}

// TestLocalColour: colours on a real terminal (a pty from script(1)), none with NO_COLOR or
// when stdout is not a terminal.
func TestLocalColour(t *testing.T) {
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		e2e.Missing(t, "no script(1) to give slipway a terminal: %v", err)
	}
	dir := localApp(t, map[string]string{"Procfile": "web: echo hello\n"})
	bin := e2e.Slipway(t)
	for _, tc := range []struct {
		name   string
		env    []string
		colour bool
	}{{"terminal", nil, true}, {"NO_COLOR", []string{"NO_COLOR=1"}, false}} {
		cmd := exec.Command(scriptBin, "-qec", bin+" local", "/dev/null")
		cmd.Dir = dir
		cmd.Env = append(withoutEnv(os.Environ(), "NO_COLOR"), tc.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, out)
		}
		if !bytes.Contains(out, []byte("hello")) || bytes.Contains(out, []byte("\x1b[")) != tc.colour {
			t.Errorf("%s: colour %v wanted, got %q", tc.name, tc.colour, out)
		}
	}
	cmd := exec.Command(bin, "local")
	cmd.Dir = dir
	cmd.Env = withoutEnv(os.Environ(), "NO_COLOR")
	out, err := cmd.Output()
	if err != nil || bytes.Contains(out, []byte("\x1b[")) || !bytes.Contains(out, []byte("web.1  | hello")) {
		t.Errorf("to a pipe: err %v, output %q; want plain lines", err, out)
	}
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// TestLocalOutputClosed: when the reader of the log goes away (| head), slipway stops the
// processes and exits rather than dying of SIGPIPE with them left behind.
func TestLocalOutputClosed(t *testing.T) {
	dir := localApp(t, map[string]string{"Procfile": "web: while :; do echo line; sleep 0.01; done\nother: exec sleep 60\n"})
	mark := "closed-" + strconv.Itoa(os.Getpid())
	cmd := exec.Command("sh", "-c", e2e.Slipway(t)+" local | head -n 5")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "SLIPWAY_LOCAL_MARK="+mark)
	done := make(chan []byte, 1)
	go func() {
		out, _ := cmd.CombinedOutput()
		done <- out
	}()
	select {
	case out := <-done:
		if n := bytes.Count(out, []byte("\n")); n < 5 {
			t.Errorf("head saw %d lines:\n%s", n, out)
		}
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("slipway local | head did not end")
	}
	noneLeft(t, mark)
}

// TestLocalGoSample runs the README's first command on a copy of the Go sample: the
// release builds and migrates, then web answers on its PORT.
func TestLocalGoSample(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		e2e.Missing(t, "no go toolchain to build the sample: %v", err)
	}
	src := filepath.Join(e2e.ModuleRoot(t), "samples", "go")
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := freePorts(t, 0, 100, 200)
	s := startLocal(t, dir, nil, "local", "-f", "Procfile.dev", "-p", strconv.Itoa(base))
	s.waitFor("web.1 | web listening", 1)
	s.waitFor("worker.1 | worker started", 1)
	s.waitFor("clock.1 | clock started", 1)
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", base))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "schema version 3") {
		t.Errorf("GET / = %q, want the migrated schema's version", body)
	}
	resp, err = http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", base+100))
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("worker health on its PORT: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	s.signal(syscall.SIGINT)
	if code := s.wait(); code != 130 {
		t.Errorf("exit code %d after Ctrl-C, want 130", code)
	}
	noneLeft(t, s.mark)
	for _, want := range []string{"release | schema now at 3", "web.1 | web stopped cleanly", "worker.1 | exited with code 0"} {
		if !strings.Contains(s.output(), want) {
			t.Errorf("output lacks %q:\n%s", want, s.output())
		}
	}
}

// freePorts finds a base port such that base+offset is free on loopback for every offset.
func freePorts(t *testing.T, offsets ...int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		ok := base+offsets[len(offsets)-1] < 65536
		for _, off := range offsets {
			if !ok {
				break
			}
			l, err := net.Listen("tcp", ":"+strconv.Itoa(base+off))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}
