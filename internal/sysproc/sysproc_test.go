package sysproc

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	stat := "4242 (a (weird) name) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
	p, err := ParseStat([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	want := Proc{PID: 4242, PPID: 1, PGRP: 4240, Comm: "a (weird) name", State: 'S', StartTime: 987654}
	if p != want {
		t.Errorf("ParseStat = %+v, want %+v", p, want)
	}
	if p.Exited() {
		t.Error("a sleeping process counts as exited")
	}
	for _, bad := range []string{"", "1 (x", "1 (x) S 1", "x (y) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5"} {
		if _, err := ParseStat([]byte(bad)); err == nil {
			t.Errorf("ParseStat(%q) = nil error", bad)
		}
	}
}

func TestSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	p, err := Stat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if p.PID != os.Getpid() || p.PPID != os.Getppid() || p.StartTime == 0 || p.Exited() {
		t.Errorf("Stat(self) = %+v", p)
	}
	if !Running(p.PID, p.StartTime) || Running(p.PID, p.StartTime+1) || Running(0, 0) {
		t.Error("Running misjudges this process")
	}
	if got := Cmdline(os.Getpid()); !slices.Equal(got, os.Args) {
		t.Errorf("Cmdline(self) = %q, want %q", got, os.Args)
	}
	if !slices.Contains(PIDs(), os.Getpid()) {
		t.Error("PIDs lacks this process")
	}

	cmd := exec.Command("sh", "-c", "sleep 30; :", "sysproc-test-marker")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	var got []int
	// Until sh has forked and its child has exec'd sleep: between the fork and the exec,
	// the child is a copy of sh, marker and all.
	for range 300 {
		if got = WithArg(func(a string) bool { return a == "sysproc-test-marker" }); slices.Equal(got, []int{cmd.Process.Pid}) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !slices.Equal(got, []int{cmd.Process.Pid}) {
		t.Errorf("WithArg = %v, want [%d]", got, cmd.Process.Pid)
	}
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
	if got := WithArg(func(a string) bool { return a == "sysproc-test-marker" }); len(got) > 0 {
		t.Errorf("WithArg after the process ended = %v", got)
	}
}

func TestLookAndEnv(t *testing.T) {
	t.Setenv("PATH", "/nowhere:/usr/bin")
	t.Setenv("DOCKER_HOST", "unix:///x")
	if _, err := Look("sh"); err != nil {
		t.Errorf("Look(sh): %v", err)
	}
	_, err := Look("no-such-program-anywhere")
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Name != "no-such-program-anywhere" || !strings.Contains(err.Error(), "/usr/sbin") {
		t.Errorf("Look(missing) = %v", err)
	}
	env := Env("DOCKER_")
	var path string
	for _, kv := range env {
		if strings.HasPrefix(kv, "DOCKER_") {
			t.Errorf("Env kept %s", kv)
		}
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			if path != "" {
				t.Error("two PATHs")
			}
			path = v
		}
	}
	if want := "/nowhere:/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin"; path != want {
		t.Errorf("PATH = %q, want %q", path, want)
	}
	if !slices.Contains(Env(), "DOCKER_HOST=unix:///x") {
		t.Error("Env() dropped DOCKER_HOST")
	}
}
