package sandbox_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/internal/sysproc"
	"github.com/slipwayhq/slipway/platform/sandbox"
)

// TestStopStartAPIServer takes the API server of a running sandbox away with the real
// `slipway sandbox stop kube-apiserver` (then with --kill), sees a client fail, brings it
// back with `sandbox start`, sees the client work on the same data, and checks that
// `sandbox down` then leaves no process behind.
func TestStopStartAPIServer(t *testing.T) {
	c := e2e.StartSandbox(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	listNS := func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		_, err := kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		return err
	}
	s := &sandbox.Sandbox{Dir: c.Dir}
	status := func() map[string]sandbox.ComponentStatus {
		t.Helper()
		comps, err := s.Status()
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]sandbox.ComponentStatus{}
		for _, c := range comps {
			m[c.Name] = c
		}
		return m
	}
	var after map[string]sandbox.ComponentStatus
	for _, way := range []struct {
		name string
		stop func(string)
	}{
		{"stop", c.Stop},
		{"kill", c.Kill},
	} {
		ns := "before-" + way.name
		if _, err := kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		before := status()[sandbox.KubeAPIServer]
		start := time.Now()
		way.stop(sandbox.KubeAPIServer)
		t.Logf("%s kube-apiserver took %s", way.name, time.Since(start).Round(10*time.Millisecond))
		for name, cs := range status() {
			if cs.Running != (name != sandbox.KubeAPIServer) {
				t.Errorf("after %s of the API server, %s running: %v", way.name, name, cs.Running)
			}
		}
		if err := listNS(); err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("listing namespaces after %s of the API server: err = %v, want connection refused", way.name, err)
		}
		if out, err := c.Run("stop", sandbox.KubeAPIServer); err != nil || !strings.Contains(out, "kube-apiserver was not running") {
			t.Errorf("sandbox stop after %s: %v, %q; want exit 0 and \"was not running\"", way.name, err, out)
		}

		// Components that lost the API server keep running and reconnect.
		time.Sleep(2 * time.Second)
		start = time.Now()
		c.Start(sandbox.KubeAPIServer)
		t.Logf("start kube-apiserver after %s took %s", way.name, time.Since(start).Round(10*time.Millisecond))
		if err := listNS(); err != nil {
			t.Fatalf("listing namespaces after the restart: %v", err)
		}
		if _, err := kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err != nil {
			t.Errorf("the namespace made before the %s: %v", way.name, err)
		}
		after = status()
		for name, cs := range after {
			if !cs.Running {
				t.Errorf("after starting the API server again, %s is not running (log %s)", name, cs.Log)
			}
		}
		if now := after[sandbox.KubeAPIServer]; now.PID == before.PID {
			t.Errorf("kube-apiserver has the pid it had before the %s (%d)", way.name, now.PID)
		}
		checkNodesReady(t, kube)
	}

	if _, err := c.Run("down"); err != nil {
		t.Fatal(err)
	}
	if left := processesMentioning(c.Dir); len(left) > 0 {
		t.Errorf("after sandbox down, processes still run with the state directory in their command line:\n%s", strings.Join(left, "\n"))
	}
	for name, cs := range after {
		if p, err := sysproc.Stat(cs.PID); err == nil && !p.Exited() {
			t.Errorf("after sandbox down, %s (pid %d) still runs", name, cs.PID)
		}
	}
	if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
		t.Errorf("after sandbox down, the state directory is still there (err %v)", err)
	}
}

// checkNodesReady waits up to 30s for every node to be Ready.
func checkNodesReady(t *testing.T, kube kubernetes.Interface) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var notReady []string
	for time.Now().Before(deadline) {
		nodes, err := kube.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list nodes: %v", err)
		}
		notReady = notReady[:0]
		for _, n := range nodes.Items {
			ready := false
			for _, c := range n.Status.Conditions {
				ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
			}
			if !ready {
				notReady = append(notReady, n.Name)
			}
		}
		if len(nodes.Items) > 0 && len(notReady) == 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("nodes not Ready 30s after the API server came back: %v", notReady)
}
