package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/internal/sysproc"
	"github.com/slipwayhq/slipway/platform/sandbox"
)

// TestSandboxEndToEnd runs the real `slipway sandbox up`, schedules a Deployment on the
// simulated nodes, and checks that `slipway sandbox down` leaves no process behind. The
// first run builds the control plane from the upstream Go modules (minutes).
func TestSandboxEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	cache := e2e.SandboxBinaries(t, &lineLogger{t: t, prefix: "build: "})
	t.Logf("binaries ready in %s", time.Since(start).Round(time.Second))

	bin := e2e.Slipway(t)
	dir := filepath.Join(t.TempDir(), "state")
	slipway := func(args ...string) (string, string, error) {
		cmd := exec.CommandContext(ctx, bin, append([]string{"sandbox"}, append(args, "--state-dir", dir)...)...)
		cmd.Env = append(os.Environ(), "SLIPWAY_CACHE="+cache)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	t.Cleanup(func() {
		// Whatever happened, leave no daemon behind.
		if _, err := os.Stat(filepath.Join(dir, "sandbox.json")); err == nil {
			_, _, _ = slipway("down", "--keep")
		}
	})

	start = time.Now()
	out, errOut, err := slipway("up")
	if err != nil {
		t.Fatalf("slipway sandbox up: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	t.Logf("sandbox up took %s", time.Since(start).Round(100*time.Millisecond))
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if want := "export KUBECONFIG=" + kubeconfig + "\n"; out != want {
		t.Errorf("sandbox up printed %q on stdout, want %q", out, want)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("load %s: %v", kubeconfig, err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	ready := map[string]bool{}
	for _, n := range nodes.Items {
		if cpu := n.Status.Allocatable.Cpu(); cpu.Value() != 32 {
			t.Errorf("node %s: allocatable cpu %s, want 32", n.Name, cpu)
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready[n.Name] = true
			}
		}
	}
	if len(nodes.Items) != 2 || len(ready) != 2 {
		t.Fatalf("want 2 Ready nodes, got %d nodes of which Ready: %v", len(nodes.Items), ready)
	}

	checkDeployment(ctx, t, kube, ready)

	// A second up changes nothing and says so.
	out, errOut, err = slipway("up")
	if err != nil || !strings.Contains(errOut, "already running") || out != "export KUBECONFIG="+kubeconfig+"\n" {
		t.Errorf("second sandbox up: err %v, stdout %q, stderr %q; want exit 0, the export line and \"already running\"", err, out, errOut)
	}
	out, _, err = slipway("env")
	if err != nil || out != "export KUBECONFIG="+kubeconfig+"\n" {
		t.Errorf("sandbox env: err %v, stdout %q", err, out)
	}
	out, _, err = slipway("status")
	if err != nil || strings.Count(out, " running ") != len(sandbox.Components) {
		t.Errorf("sandbox status: err %v, want %d components running, got:\n%s", err, len(sandbox.Components), out)
	}

	pids := recordedPIDs(t, dir)
	start = time.Now()
	out, errOut, err = slipway("down")
	if err != nil {
		t.Fatalf("slipway sandbox down: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	t.Logf("sandbox down took %s", time.Since(start).Round(100*time.Millisecond))
	if left := processesMentioning(dir); len(left) > 0 {
		t.Errorf("after sandbox down, processes still run with the state directory in their command line:\n%s", strings.Join(left, "\n"))
	}
	for name, pid := range pids {
		if p, err := sysproc.Stat(pid); err == nil && !p.Exited() {
			t.Errorf("after sandbox down, %s (pid %d) still runs: %+v", name, pid, p)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after sandbox down, the state directory %s is still there (err %v)", dir, err)
	}
}

// checkDeployment creates a 3-replica Deployment and waits for 3 Running pods on the nodes.
func checkDeployment(ctx context.Context, t *testing.T, kube kubernetes.Interface, nodes map[string]bool) {
	t.Helper()
	replicas := int32(3)
	labels := map[string]string{"app": "hello"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:    "web",
					Image:   "registry.invalid/hello:1", // kwok runs nothing; never pulled
					Command: []string{"/bin/sh", "-c", "exec sleep infinity"},
				}}},
			},
		},
	}
	if _, err := kube.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Deployment: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var summary []string
	for time.Now().Before(deadline) {
		pods, err := kube.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=hello"})
		if err != nil {
			t.Fatalf("list pods: %v", err)
		}
		running := 0
		summary = summary[:0]
		for _, p := range pods.Items {
			summary = append(summary, fmt.Sprintf("%s node=%q phase=%s", p.Name, p.Spec.NodeName, p.Status.Phase))
			if p.Status.Phase == corev1.PodRunning && nodes[p.Spec.NodeName] {
				running++
			}
		}
		if running == 3 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("want 3 pods Running on the sandbox's nodes within 60s, got:\n%s", strings.Join(summary, "\n"))
}

func recordedPIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "sandbox.json"))
	if err != nil {
		t.Fatalf("read the sandbox state: %v", err)
	}
	var st struct {
		Processes []struct {
			Name string `json:"name"`
			PID  int    `json:"pid"`
		} `json:"processes"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	for _, p := range st.Processes {
		pids[p.Name] = p.PID
	}
	if len(pids) != len(sandbox.Components) {
		t.Fatalf("state records %v, want one process per component %v", pids, sandbox.Components)
	}
	return pids
}

// processesMentioning lists the running processes whose command line contains s.
func processesMentioning(s string) []string {
	var out []string
	for _, pid := range sysproc.WithArg(func(a string) bool { return strings.Contains(a, s) }) {
		out = append(out, fmt.Sprintf("%d %s", pid, strings.Join(sysproc.Cmdline(pid), " ")))
	}
	return out
}

// lineLogger sends the build's progress to the test log, a line at a time.
type lineLogger struct {
	t      *testing.T
	prefix string
	buf    []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := string(l.buf[:i]); !strings.HasPrefix(line, "go: downloading") {
			l.t.Log(l.prefix + line)
		}
		l.buf = l.buf[i+1:]
	}
}
