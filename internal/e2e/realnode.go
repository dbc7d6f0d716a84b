package e2e

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/platform/sandbox"
)

// realNodeLock serialises the real-node sandboxes of every test binary on the machine:
// there is one real node (one bridge) per machine.
var realNodeLock = filepath.Join(os.TempDir(), "slipway-sandbox-real-node.lock")

// RealNodeSandbox starts a throwaway cluster with a real node, with the real `slipway
// sandbox up --real-node`, in a state directory of the test's own, and stops it when the
// test ends. It returns the kubeconfig and the registry (localhost:PORT) the node pulls
// from. Tests of all packages take turns (one real node per machine). A machine without
// root, docker.io or containernetworking-plugins calls Missing.
func RealNodeSandbox(t testing.TB) (kubeconfig, registry string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	if err := sandbox.CheckRealNode(); err != nil {
		var pe *sandbox.PrerequisiteError
		if errors.As(err, &pe) && pe.Hint() != "" {
			Missing(t, "%v (%s)", err, pe.Hint())
		}
		Missing(t, "%v", err)
	}
	cache := RealNodeBinaries(t)
	bin := Slipway(t)
	unlock := LockRealNode(t)
	dir := filepath.Join(t.TempDir(), "sandbox")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"sandbox"}, append(args, "--state-dir", dir)...)...)
		cmd.Env = append(os.Environ(), "SLIPWAY_CACHE="+cache)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return out.String(), fmt.Errorf("slipway sandbox %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String(), nil
	}
	t.Cleanup(func() {
		defer unlock()
		if _, err := run("down"); err != nil {
			t.Errorf("stop the real-node sandbox: %v", err)
		}
	})
	out, err := run("up", "--real-node")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok {
			env[k] = strings.Trim(v, "'")
		}
	}
	kubeconfig, registry = env["KUBECONFIG"], env["SLIPWAY_SANDBOX_REGISTRY"]
	if kubeconfig == "" || registry == "" {
		t.Fatalf("slipway sandbox up --real-node printed %q: want export lines for KUBECONFIG and SLIPWAY_SANDBOX_REGISTRY", out)
	}
	return kubeconfig, registry
}

// RealNodeBinaries builds the sandbox's binaries with the real node's (kubelet, kube-proxy,
// registry, pause) into the cache and returns the cache directory, or calls Missing.
func RealNodeBinaries(t testing.TB) string {
	t.Helper()
	cache := SandboxBinaries(t, io.Discard)
	b := &sandbox.Build{CacheDir: cache, RealNode: true}
	if _, err := b.Run(context.Background()); err != nil {
		Missing(t, "the real node's binaries could not be built: %v", err)
	}
	return cache
}

// LockRealNode waits for this machine's real node to be free (a real-node sandbox of
// another test binary to end) and takes it; unlock gives it back.
func LockRealNode(t testing.TB) (unlock func()) {
	t.Helper()
	path := realNodeLock
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("open the machine lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("take the machine lock %s: %v", path, err)
	}
	stopOrphanedSandbox(t)
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		})
	}
}

// stopOrphanedSandbox stops the real-node sandbox of a test binary that died without
// stopping it (ended by go test's timeout: the sandbox's daemons run in sessions of their
// own and outlive it), which would hold the machine's bridge. With the lock held, a
// sandbox in a test's temporary directory is no running test's.
func stopOrphanedSandbox(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile("/sys/class/net/slipway0/ifalias")
	if err != nil {
		return
	}
	owner := strings.TrimSpace(string(b))
	rel, err := filepath.Rel(os.TempDir(), owner)
	if owner == "" || err != nil || !strings.HasPrefix(rel, "Test") {
		return
	}
	t.Logf("stopping the real-node sandbox a test left running in %s", owner)
	s := &sandbox.Sandbox{Dir: owner, Binaries: (&sandbox.Build{CacheDir: CacheDir(t)}).Binaries()}
	if _, err := s.Down(false); err != nil {
		t.Logf("stop the real-node sandbox in %s: %v", owner, err)
	}
}

// SampleGoPort is the port the Go sample's web process listens on in its image ($PORT).
const SampleGoPort = 5000

// PushGoSample builds the Go sample (samples/go, a static binary) into an image with
// /bin/sh from Debian's busybox-static, laid out as the sample's Dockerfile does (/app,
// ./bin/sample, the Procfile, PORT=5000, user 10001), and pushes it to registry as
// sample-go:version. It returns the reference by digest, registry/sample-go@sha256:….
// Different versions give different digests (the version is a label of the image).
func PushGoSample(t testing.TB, registry, version string) (ref string) {
	t.Helper()
	sample := filepath.Join(ModuleRoot(t), "samples", "go")
	binary := goSampleBinary(t, sample)
	procfile, err := os.ReadFile(filepath.Join(sample, "Procfile"))
	if err != nil {
		t.Fatal(err)
	}
	files := append(busyboxFiles(t),
		sandbox.ImageFile{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		sandbox.ImageFile{Path: "/app/bin/sample", Mode: 0o755, Data: binary},
		sandbox.ImageFile{Path: "/app/Procfile", Mode: 0o644, Data: procfile},
	)
	cfg := sandbox.ImageConfig{
		Cmd:        []string{"./bin/sample", "web"},
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", fmt.Sprintf("PORT=%d", SampleGoPort), "DATABASE_PATH=/tmp/slipway-sample/db.json"},
		WorkingDir: "/app",
		User:       "10001",
		Labels:     map[string]string{"org.opencontainers.image.title": "slipway-sample-go", "org.opencontainers.image.version": version},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ref, err = sandbox.PushImage(ctx, registry, "sample-go", version, files, cfg)
	if err != nil {
		t.Fatalf("push the Go sample: %v", err)
	}
	return ref
}

var (
	sampleOnce   sync.Once
	sampleBinary []byte
	sampleErr    error
)

// goSampleBinary builds the sample once per test binary.
func goSampleBinary(t testing.TB, dir string) []byte {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		Missing(t, "no go toolchain on PATH to build the Go sample")
	}
	sampleOnce.Do(func() {
		out := filepath.Join(CacheDir(t), "bin", "sample-go-linux")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false", "GOWORK=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			sampleErr = fmt.Errorf("go build the Go sample: %v\n%s", err, b)
			return
		}
		sampleBinary, sampleErr = os.ReadFile(out)
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleBinary
}

// busyboxFiles returns /bin/busybox from Debian's busybox-static and a /bin link per applet
// (sh, ls, cat, wget, …).
func busyboxFiles(t testing.TB) []sandbox.ImageFile {
	t.Helper()
	path, err := exec.LookPath("busybox")
	if err != nil {
		Missing(t, "busybox is not installed (apt-get install busybox-static)")
	}
	if f, err := elf.Open(path); err == nil {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				f.Close()
				Missing(t, "%s is dynamically linked and would not run in an image of its own (apt-get install busybox-static)", path)
			}
		}
		f.Close()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "--list").Output()
	if err != nil {
		t.Fatalf("busybox --list: %v", err)
	}
	files := []sandbox.ImageFile{{Path: "/bin/busybox", Mode: 0o755, Data: data}}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		name := strings.TrimSpace(sc.Text())
		if name == "" || name == "busybox" || strings.Contains(name, "/") {
			continue
		}
		files = append(files, sandbox.ImageFile{Path: "/bin/" + name, Mode: fs.ModeSymlink | 0o777, Link: "busybox"})
	}
	return files
}
