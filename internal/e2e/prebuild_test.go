package e2e

import (
	"os"
	"testing"
)

// TestPrebuild builds what the end-to-end suites share and a fresh machine does not have —
// the sandbox's control plane, the real node's binaries and the helm CLI — into the cache,
// alone and before the suites run (make test runs it first, with SLIPWAY_PREBUILD=1), so that
// no suite's timeout includes a cold build of Kubernetes. On a machine that has them it
// only checks the cache.
func TestPrebuild(t *testing.T) {
	if os.Getenv("SLIPWAY_PREBUILD") != "1" {
		t.Skip("SLIPWAY_PREBUILD=1 builds the shared binaries (make test does)")
	}
	cache := RealNodeBinaries(t)
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("the cache %s: %v", cache, err)
	}
	if _, err := os.Stat(Helm(t)); err != nil {
		t.Fatalf("helm: %v", err)
	}
}
