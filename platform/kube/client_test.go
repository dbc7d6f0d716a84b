package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestConnectNoCluster: a kubeconfig that exists but configures nothing is named, with
// what is wrong with it.
func TestConnectNoCluster(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	cases := []struct{ name, path, want string }{
		{"empty", write("empty", ""), "kubeconfig " + filepath.Join(dir, "empty") + " is empty"},
		{"blank", write("blank", "\n  \n"), "kubeconfig " + filepath.Join(dir, "blank") + " is empty"},
		{"no clusters", write("bare", "apiVersion: v1\nkind: Config\n"), "kubeconfig " + filepath.Join(dir, "bare") + " defines no cluster"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Connect(Config{Kubeconfig: tc.path})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "no kubeconfig found") {
				t.Errorf("Connect: %v; want %q", err, tc.want)
			}
		})
	}
}

// TestNoClusterHint: the error states the fact; how to get a cluster is its hint.
func TestNoClusterHint(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOME", t.TempDir())
	_, err := Connect(Config{})
	var nc *NoClusterError
	if !errors.As(err, &nc) || err.Error() != "no Kubernetes cluster configured: no kubeconfig found ($KUBECONFIG, ~/.kube/config)" {
		t.Fatalf("Connect = %v", err)
	}
	if !strings.Contains(nc.Hint(), "slipway sandbox up") {
		t.Errorf("Hint() = %q", nc.Hint())
	}
}

// TestExplain: transport failures become an UnreachableError naming the server, with its
// root cause and a hint apart; other errors are left alone.
func TestExplain(t *testing.T) {
	c := &Client{Server: "https://127.0.0.1:6443", Context: "sandbox"}
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	err := c.Explain(fmt.Errorf("list deployments in shop: %w", &url.Error{Op: "Get", URL: "https://127.0.0.1:6443/apis", Err: dial}))
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("Explain = %v (%T)", err, err)
	}
	if want := "cannot reach the Kubernetes API server at https://127.0.0.1:6443 (context sandbox): connection refused"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if strings.Contains(err.Error(), "hint") || !strings.Contains(ue.Hint(), "slipway sandbox up") {
		t.Errorf("Error() %q, Hint() %q: the hint belongs in Hint only", err, ue.Hint())
	}
	if again := c.Explain(err); again != err {
		t.Errorf("Explain twice = %v", again)
	}
	for _, other := range []error{errors.New("forbidden"), context.DeadlineExceeded} {
		if got := c.Explain(other); got != other {
			t.Errorf("Explain(%v) = %v", other, got)
		}
	}
	if c.Explain(nil) != nil {
		t.Error("Explain(nil) != nil")
	}
}
