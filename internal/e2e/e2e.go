// Package e2e is the test harness's access to real parts: the real helm CLI built from its
// Go module, the corpus of real Heroku apps, the slipway binary. A test that needs a part
// calls Require: when the part is missing the test skips with the reason, or fails when
// SLIPWAY_E2E=require (as in CI), so a missing prerequisite is never a silent pass there.
package e2e

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/platform/sandbox"
)

// Required reports whether SLIPWAY_E2E=require is set.
func Required() bool { return os.Getenv("SLIPWAY_E2E") == "require" }

// Missing skips t with reason, or fails it when end-to-end tests are required.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("SLIPWAY_E2E=require, but a prerequisite is missing: "+format, args...)
	}
	t.Skipf("skipped: "+format+" (set SLIPWAY_E2E=require to make this a failure)", args...)
}

// ModuleRoot returns the repository's root (the directory holding go.mod).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the module root")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Corpus returns the directory of real Heroku apps (../shared/corpus beside the repository,
// or $SLIPWAY_CORPUS), or calls Missing.
func Corpus(t testing.TB) string {
	t.Helper()
	dir := cmp.Or(os.Getenv("SLIPWAY_CORPUS"), filepath.Join(ModuleRoot(t), "..", "shared", "corpus"))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		Missing(t, "the corpus of real apps is not at %s", dir)
	}
	return dir
}

// CacheDir is where built tools are kept between runs: $SLIPWAY_CACHE, else the user cache.
func CacheDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SLIPWAY_CACHE")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("no cache directory: %v", err)
		}
		dir = filepath.Join(base, "slipway")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// GoBuild builds a main package of the module's build list (pkg) with ldflags into the
// cache as name, once per test binary; go's build cache makes a rebuild cheap. A package of
// this module (./…) is kept apart per checkout, so that two checkouts' tests on one machine
// never run each other's build.
func GoBuild(t testing.TB, pkg, name, ldflags string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[name]; ok {
		return p
	}
	if _, err := exec.LookPath("go"); err != nil {
		Missing(t, "no go toolchain on PATH to build %s", pkg)
	}
	file := name
	if strings.HasPrefix(pkg, "./") {
		sum := sha256.Sum256([]byte(ModuleRoot(t)))
		file += "-" + hex.EncodeToString(sum[:4])
	}
	out := filepath.Join(CacheDir(t), "bin", file)
	cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", out, pkg)
	cmd.Dir = ModuleRoot(t)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	built[name] = out
	return out
}

// Helm returns the real helm CLI, built from the helm.sh/helm/v3 module in go.mod with the
// version and Kubernetes version stamped as helm's own Makefile does.
func Helm(t testing.TB) string {
	t.Helper()
	ver := moduleVersion(t, "helm.sh/helm/v3")
	kmaj, kmin := "1", "36"
	ld := strings.Join([]string{
		"-X helm.sh/helm/v3/internal/version.version=" + ver,
		"-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=" + kmaj,
		"-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=" + kmin,
		"-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=" + kmaj,
		"-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=" + kmin,
	}, " ")
	return GoBuild(t, "helm.sh/helm/v3/cmd/helm", "helm-"+ver, ld)
}

// Slipway returns the slipway binary built from this checkout.
func Slipway(t testing.TB) string {
	t.Helper()
	return GoBuild(t, "./cmd/slipway", "slipway-test", "-X main.version=test")
}

func moduleVersion(t testing.TB, path string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", path)
	cmd.Dir = ModuleRoot(t)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", path, err)
	}
	return strings.TrimSpace(string(b))
}

// SandboxBinaries builds the sandbox's binaries into the cache (once per machine: minutes)
// and returns the cache directory, or calls Missing when they cannot be had. A build that
// would not finish before the test's deadline is refused up front, with what to do, rather
// than ended by go test's timeout panic.
func SandboxBinaries(t testing.TB, progress io.Writer) (cache string) {
	t.Helper()
	cache = CacheDir(t)
	b := &sandbox.Build{CacheDir: cache, Progress: progress}
	if missing := b.Binaries().Missing(); len(missing) > 0 {
		if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
			if dl, set := d.Deadline(); set && time.Until(dl) < 15*time.Minute {
				Missing(t, "the sandbox's binaries (%s) are not built in %s and the test deadline is under 15 minutes away; run 'slipway sandbox up' once or go test -timeout 30m", strings.Join(missing, ", "), cache)
			}
		}
	}
	if _, err := b.Run(context.Background()); err != nil {
		Missing(t, "the sandbox's binaries could not be built: %v", err)
	}
	return cache
}

// Sandbox starts a throwaway cluster with the real `slipway sandbox up` in a state
// directory of the test's own, stops it when the test ends, and returns its kubeconfig.
// The first use on a machine builds the control plane (minutes); a test that cannot have
// one calls Missing.
func Sandbox(t testing.TB) (kubeconfig string) {
	t.Helper()
	return StartSandbox(t).Kubeconfig
}

// SandboxCluster is a throwaway cluster of one test (see StartSandbox), driven through the
// real `slipway sandbox` commands.
type SandboxCluster struct {
	// Dir is the state directory: sandbox.json (the processes), logs/, kubeconfig.
	Dir string
	// Kubeconfig is the admin kubeconfig's path.
	Kubeconfig string

	t     testing.TB
	bin   string
	cache string
}

// StartSandbox is Sandbox returning the cluster, whose components the test can stop and
// start.
func StartSandbox(t testing.TB) *SandboxCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	c := &SandboxCluster{t: t, cache: SandboxBinaries(t, io.Discard), bin: Slipway(t), Dir: filepath.Join(t.TempDir(), "sandbox")}
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	t.Cleanup(func() {
		if _, err := c.Run("down"); err != nil {
			t.Errorf("stop the sandbox: %v", err)
		}
	})
	if _, err := c.Run("up"); err != nil {
		t.Fatal(err)
	}
	return c
}

// Run runs `slipway sandbox ARGS --state-dir DIR` and returns its output (stdout and
// stderr), or an error with it.
func (c *SandboxCluster) Run(args ...string) (string, error) {
	cmd := exec.Command(c.bin, append([]string{"sandbox"}, append(args, "--state-dir", c.Dir)...)...)
	cmd.Env = append(os.Environ(), "SLIPWAY_CACHE="+c.cache)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("slipway sandbox %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Stop stops one control-plane component (sandbox.KubeAPIServer, sandbox.Etcd, …) with
// `slipway sandbox stop`, or fails the test.
func (c *SandboxCluster) Stop(component string) {
	c.t.Helper()
	if _, err := c.Run("stop", component); err != nil {
		c.t.Fatal(err)
	}
}

// Kill ends one control-plane component at once, as a crash would, with `slipway sandbox
// stop --kill`, or fails the test. Stop gives the API server 5 seconds of graceful
// shutdown, during which its clients' watches stay open; Kill resets them.
func (c *SandboxCluster) Kill(component string) {
	c.t.Helper()
	if _, err := c.Run("stop", "--kill", component); err != nil {
		c.t.Fatal(err)
	}
}

// Start starts a stopped control-plane component again with `slipway sandbox start`, on
// its port and state, and returns once it serves, or fails the test.
func (c *SandboxCluster) Start(component string) {
	c.t.Helper()
	if _, err := c.Run("start", component); err != nil {
		c.t.Fatal(err)
	}
}
