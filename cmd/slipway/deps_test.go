package main

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestOneKubernetesRelease checks that every k8s.io module in go.mod that follows the
// Kubernetes release numbering (v0.X.Y) is at the same release: client-go, api, kubectl and
// friends are released together and mixing them builds but misbehaves.
func TestOneKubernetesRelease(t *testing.T) {
	f, err := os.Open("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	versions := map[string][]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(s.Text()), "require "))
		if len(fields) < 2 || !strings.HasPrefix(fields[0], "k8s.io/") {
			continue
		}
		mod, v := fields[0], fields[1]
		// klog, utils and kube-openapi have release lines of their own.
		if !strings.HasPrefix(v, "v0.") || strings.HasPrefix(v, "v0.0.0-") {
			continue
		}
		versions[v] = append(versions[v], mod)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(versions) == 0 {
		t.Fatal("go.mod names no k8s.io module at a v0.X.Y release")
	}
	if len(versions) > 1 {
		t.Errorf("k8s.io modules at %d releases, want one: %v", len(versions), versions)
	}
}
