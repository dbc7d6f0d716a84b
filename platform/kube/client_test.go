package kube

import (
	"os"
	"path/filepath"
	"strings"
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
