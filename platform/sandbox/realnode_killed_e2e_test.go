package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/internal/sysproc"
	"github.com/slipwayhq/slipway/platform/sandbox"
)

// TestRealNodeAfterSIGKILL kills every process of a real-node sandbox with SIGKILL (as a
// test run killed with its cluster would leave it: the bridge, containers, mounts and
// iptables rules stay), then starts another real-node sandbox in a new state directory,
// which must take the machine over. Down in the killed sandbox's directory must then leave
// the new one alone; down in the new one leaves nothing of either. Last, a sandbox killed
// and its state file removed is cleaned up by down in its directory.
func TestRealNodeAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	if err := sandbox.CheckRealNode(); err != nil {
		e2e.Missing(t, "%v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Minute)
	defer cancel()
	cache := e2e.RealNodeBinaries(t)
	bin := e2e.Slipway(t)
	unlock := e2e.LockRealNode(t)
	defer unlock()

	base := t.TempDir()
	killed, next := filepath.Join(base, "killed"), filepath.Join(base, "next")
	slipway := func(dir string, args ...string) (string, error) {
		// Not ended with ctx: the cleanup's downs run after it.
		cmd := exec.Command(bin, append([]string{"sandbox"}, append(args, "--state-dir", dir)...)...)
		cmd.Env = append(os.Environ(), "SLIPWAY_CACHE="+cache)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	t.Cleanup(func() {
		for _, dir := range []string{next, killed} {
			_, _ = slipway(dir, "down")
		}
	})
	before := hostSnapshot(t)

	if out, err := slipway(killed, "up", "--real-node"); err != nil {
		t.Fatalf("sandbox up --real-node: %v\n%s", err, out)
	}
	registry, err := (&sandbox.Sandbox{Dir: killed}).Registry()
	if err != nil {
		t.Fatal(err)
	}
	// A pod, so that containers, their shims, mounts and host-port rules are there too.
	runSample(ctx, t, kubeFor(t, killed), e2e.PushGoSample(t, registry, "v1"))
	killAll(t, killed)

	if out, err := slipway(next, "up", "--real-node"); err != nil {
		t.Fatalf("sandbox up --real-node after another was killed: %v\n%s", err, out)
	}
	checkNodes(ctx, t, kubeFor(t, next))
	// Down where the killed sandbox was leaves the new one's bridge and rules alone.
	if out, err := slipway(killed, "down"); err != nil {
		t.Errorf("sandbox down in the killed sandbox's directory: %v\n%s", err, out)
	}
	if alias, _ := os.ReadFile("/sys/class/net/slipway0/ifalias"); strings.TrimSpace(string(alias)) != next {
		t.Errorf("after down in the killed sandbox's directory, the bridge's owner is %q, want %s", strings.TrimSpace(string(alias)), next)
	}
	checkNodes(ctx, t, kubeFor(t, next))
	registry, err = (&sandbox.Sandbox{Dir: next}).Registry()
	if err != nil {
		t.Fatal(err)
	}
	runSample(ctx, t, kubeFor(t, next), e2e.PushGoSample(t, registry, "v1"))
	if out, err := slipway(next, "down"); err != nil {
		t.Fatalf("sandbox down: %v\n%s", err, out)
	}
	checkNothingLeft(t, next, filepath.Join(next, "node"), before)
	checkNothingLeft(t, killed, filepath.Join(killed, "node"), before)

	// Killed, and its state file gone: down in its directory still cleans up.
	if out, err := slipway(killed, "up", "--real-node"); err != nil {
		t.Fatalf("sandbox up --real-node: %v\n%s", err, out)
	}
	if registry, err = (&sandbox.Sandbox{Dir: killed}).Registry(); err != nil {
		t.Fatal(err)
	}
	runSample(ctx, t, kubeFor(t, killed), e2e.PushGoSample(t, registry, "v1"))
	killAll(t, killed)
	if err := os.Remove(filepath.Join(killed, "sandbox.json")); err != nil {
		t.Fatal(err)
	}
	if out, err := slipway(killed, "down"); err != nil {
		t.Fatalf("sandbox down after its state went: %v\n%s", err, out)
	}
	// Without the state file, down cannot know which host directories up created; the
	// rest must be gone.
	if _, err := os.Stat("/sys/class/net/slipway0"); err == nil {
		t.Error("after down without the state file, the bridge slipway0 is still there")
	}
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); bytes.Contains(mounts, []byte(killed)) {
		t.Errorf("after down without the state file, still mounted under %s", killed)
	}
	if cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/k8s.io/*/cgroup.procs"); len(cgroups) > 0 {
		t.Errorf("after down without the state file, the pods' cgroups are still there: %v", cgroups)
	}
	after := hostSnapshot(t)
	for family, rules := range after.iptables {
		if rules != before.iptables[family] {
			t.Errorf("after down without the state file, %s rules differ from before up:\nbefore:\n%s\nafter:\n%s", family, before.iptables[family], rules)
		}
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("after down without the state file, %s is still there (err %v)", killed, err)
	}
}

func kubeFor(t *testing.T, dir string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kube
}

// killAll sends SIGKILL to the sandbox's daemons and to every process naming its state
// directory (containerd's shims), and waits for them to be gone.
func killAll(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "sandbox.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Processes []struct {
			PID int `json:"pid"`
		} `json:"processes"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, p := range st.Processes {
		pids = append(pids, p.PID)
	}
	pids = append(pids, sysproc.WithArg(func(a string) bool { return strings.Contains(a, dir) })...)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for sysproc.Running(pid, 0) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if left := processesMentioning(dir); len(left) > 0 {
		t.Fatalf("after SIGKILL, processes of the sandbox still run:\n%s", strings.Join(left, "\n"))
	}
}

// TestRealNodeOrphanedByATest leaves a real-node sandbox running in a test's temporary
// directory, as a test binary ended by go test's timeout does, and wants the next test
// that takes the machine's real node to stop it.
func TestRealNodeOrphanedByATest(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	if err := sandbox.CheckRealNode(); err != nil {
		e2e.Missing(t, "%v", err)
	}
	cache := e2e.RealNodeBinaries(t)
	bin := e2e.Slipway(t)
	unlock := e2e.LockRealNode(t)
	base, err := os.MkdirTemp("", "TestOrphaned")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "sandbox")
	defer os.RemoveAll(base)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"sandbox"}, append(args, "--state-dir", dir)...)...)
		cmd.Env = append(os.Environ(), "SLIPWAY_CACHE="+cache)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	defer run("down")
	if out, err := run("up", "--real-node"); err != nil {
		unlock()
		t.Fatalf("sandbox up --real-node: %v\n%s", err, out)
	}
	unlock()

	e2e.LockRealNode(t)()
	if _, err := os.Stat("/sys/class/net/slipway0"); err == nil {
		t.Error("the orphaned sandbox's bridge is still there")
	}
	if left := processesMentioning(dir); len(left) > 0 {
		t.Errorf("the orphaned sandbox's processes still run:\n%s", strings.Join(left, "\n"))
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the orphaned sandbox's state directory %s is still there (err %v)", dir, err)
	}
}
