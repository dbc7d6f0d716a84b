package e2e

import "testing"

// Kubectl builds upstream kubectl from the module graph (k8s.io/kubectl, which Helm brings)
// and returns its path.
func Kubectl(t testing.TB) string {
	t.Helper()
	return GoBuild(t, "./internal/e2e/kubectl", "kubectl", "")
}
