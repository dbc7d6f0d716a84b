//go:build unix

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// sampleBinary builds the sample once per test run.
func sampleBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "slipway-sample-go-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sample")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// start runs `sample <cmd>` with extra environment and waits until url answers 200.
func start(t *testing.T, cmdName, url string, extraEnv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(sampleBinary(t), cmdName)
	cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "DATABASE_PATH="+filepath.Join(t.TempDir(), "db.json"))
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr // visible with go test -v
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became healthy: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends sig and asserts a clean exit 0 within 5 s.
func stop(t *testing.T, cmd *exec.Cmd, sig os.Signal) time.Duration {
	t.Helper()
	begin := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after %v: exit %v", sig, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after %v", sig)
	}
	return time.Since(begin)
}

func TestWebGracefulShutdown(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			port := freePort(t)
			cmd := start(t, "web", "http://127.0.0.1:"+port+"/healthz", "PORT="+port)
			took := stop(t, cmd, sig)
			t.Logf("exited 0 %v after %v", took, sig)
		})
	}
}

func TestWebFinishesInFlightRequest(t *testing.T) {
	port := freePort(t)
	base := "http://127.0.0.1:" + port
	cmd := start(t, "web", base+"/healthz", "PORT="+port)

	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(base + "/slow?ms=1000")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{string(b), err}
	}()
	time.Sleep(200 * time.Millisecond) // let the request arrive
	stop(t, cmd, syscall.SIGTERM)
	r := <-res
	if r.err != nil || !strings.HasPrefix(r.body, "slept 1s") {
		t.Fatalf("in-flight request: %q %v", r.body, r.err)
	}
}

func TestWorkerGracefulShutdown(t *testing.T) {
	port := freePort(t)
	cmd := start(t, "worker", "http://127.0.0.1:"+port+"/healthz", "HEALTH_PORT="+port)
	time.Sleep(1500 * time.Millisecond) // at least one job
	stop(t, cmd, syscall.SIGTERM)
}

func TestMigrateCommandExitCodes(t *testing.T) {
	bin := sampleBinary(t)
	db := filepath.Join(t.TempDir(), "db.json")
	run := func(extra ...string) (string, int) {
		cmd := exec.Command(bin, "migrate")
		cmd.Env = append(os.Environ(), append([]string{"DATABASE_PATH=" + db}, extra...)...)
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	if out, code := run("MIGRATION_FAIL=1"); code != 1 || !strings.Contains(out, "MIGRATION_FAIL") {
		t.Fatalf("MIGRATION_FAIL=1: exit %d\n%s", code, out)
	}
	if out, code := run(); code != 0 || !strings.Contains(out, "schema now at 3") {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	if out, code := run(); code != 0 || !strings.Contains(out, "schema already at 3, nothing to do") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
}
