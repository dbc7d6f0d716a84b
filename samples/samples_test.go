package samples_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/e2e"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func interpreter(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	e2e.Missing(t, "none of %v on PATH", names)
	return ""
}

// serve starts a sample's web process on a loopback port, waits for /healthz, sends
// SIGTERM and checks a clean exit 0 within a few seconds.
func serve(t *testing.T, dir string, argv ...string) {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "HOST=127.0.0.1", "DATABASE_PATH="+filepath.Join(t.TempDir(), "db"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	defer func() { _ = cmd.Process.Kill() }()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				body = string(b)
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v: /healthz did not answer 200 within 10 s (last error %v)", argv, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(strings.ToLower(body), "ok") {
		t.Errorf("/healthz body = %q, want ok", body)
	}
	resp, err := http.Get(url + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /: %v %v", resp, err)
	}
	resp.Body.Close()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%v exited with %v after SIGTERM, want exit 0", argv, err)
		}
		t.Logf("%v stopped %v after SIGTERM", argv, time.Since(start).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Errorf("%v still running 5 s after SIGTERM", argv)
	}
}

func TestNodeWeb(t *testing.T) {
	node := interpreter(t, "node", "nodejs")
	serve(t, "node", node, "web.js")
}

func TestPythonWeb(t *testing.T) {
	py := interpreter(t, "python3", "python")
	serve(t, "python", py, "web.py")
}

// TestPythonRelease runs the Python sample's release command twice (it must be idempotent)
// and once with MIGRATION_FAIL=1 (it must fail).
func TestPythonRelease(t *testing.T) {
	py := interpreter(t, "python3", "python")
	db := filepath.Join(t.TempDir(), "app.sqlite3")
	run := func(extra ...string) (string, error) {
		cmd := exec.Command(py, "manage.py", "migrate")
		cmd.Dir = "python"
		cmd.Env = append(append(os.Environ(), "DATABASE_PATH="+db), extra...)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	first, err := run()
	if err != nil {
		t.Fatalf("first migrate: %v\n%s", err, first)
	}
	second, err := run()
	if err != nil {
		t.Fatalf("second migrate: %v\n%s", err, second)
	}
	if first == second {
		t.Errorf("the second run printed what the first did; want it to apply nothing:\n%s", second)
	}
	if out, err := run("MIGRATION_FAIL=1"); err == nil {
		t.Errorf("MIGRATION_FAIL=1 exited 0:\n%s", out)
	}
}
