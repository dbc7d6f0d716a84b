package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NodeForemanVersion is the npm package `foreman` (node-foreman, the engine of `heroku local`)
// the local benchmark compares with.
const NodeForemanVersion = "3.0.1"

// Foreman returns Debian's foreman (the ruby-foreman package), or calls Missing.
func Foreman(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("foreman")
	if err != nil {
		Missing(t, "no foreman on PATH (apt-get install ruby-foreman): %v", err)
	}
	return p
}

// NodeForeman returns node-foreman's nf, installed from the npm registry into the cache on
// first use, or calls Missing when npm is not there.
func NodeForeman(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(CacheDir(t), "node-foreman-"+NodeForemanVersion)
	nf := filepath.Join(dir, "node_modules", ".bin", "nf")
	if _, err := os.Stat(nf); err == nil {
		return nf
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		Missing(t, "no npm to install node-foreman: %v", err)
	}
	cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "foreman@"+NodeForemanVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install foreman@%s: %v\n%s", NodeForemanVersion, err, out)
	}
	return nf
}
