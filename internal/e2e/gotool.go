package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// GoTool is a program built from its Go module in a throwaway module of its own under
// CacheDir, never in the product's go.mod: a tool the tests or benchmarks compare Slipway
// with (buildx, stern).
type GoTool struct {
	// Name names the binary and the module directory.
	Name string
	// Module and Version are the Go module required; Package is the main package.
	Module, Version, Package string
	// GoMod is extra text for the throwaway go.mod (exclude directives the tool's own
	// go.mod has, which a requiring module ignores).
	GoMod string
	// LDFlags are passed to go build (a version stamp).
	LDFlags string
}

// Build returns the tool's binary, built once per machine (a few minutes cold); a machine
// that cannot build it calls Missing.
func (g GoTool) Build(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		Missing(t, "no go toolchain on PATH to build %s", g.Name)
	}
	cache := CacheDir(t)
	bin := filepath.Join(cache, "bin", g.Name+"-"+g.Version)
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	lock, err := flock(filepath.Join(cache, g.Name+".lock"), syscall.LOCK_EX)
	if err != nil {
		t.Fatalf("build %s: %v", g.Name, err)
	}
	defer lock.Close()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	start := time.Now()
	if err := g.build(filepath.Join(cache, g.Name+"-module"), bin); err != nil {
		Missing(t, "%s %s could not be built: %v", g.Name, g.Version, err)
	}
	t.Logf("built %s %s in %s", g.Name, g.Version, time.Since(start).Round(time.Second))
	return bin
}

func (g GoTool) build(dir, bin string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mod := fmt.Sprintf("// Made by slipway's test harness (internal/e2e) to build %s.\nmodule slipway.local/%s\n\ngo 1.23.0\n\nrequire %s %s\n%s", g.Name, g.Name, g.Module, g.Version, g.GoMod)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		return err
	}
	tmp := bin + ".tmp"
	args := []string{"build", "-mod=mod", "-trimpath"}
	if g.LDFlags != "" {
		args = append(args, "-ldflags", g.LDFlags)
	}
	cmd := exec.Command("go", append(args, "-o", tmp, g.Package)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", g.Package, err, tail(strings.TrimSpace(string(out)), 30))
	}
	return os.Rename(tmp, bin)
}

// SternVersion is the stern the logs benchmark compares `slipway logs -f` with.
const SternVersion = "v1.33.0"

// Stern returns the stern binary (github.com/stern/stern), built from its Go module.
func Stern(t testing.TB) string {
	return GoTool{Name: "stern", Module: "github.com/stern/stern", Version: SternVersion, Package: "github.com/stern/stern"}.Build(t)
}
