package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their paths.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TestServerWithoutCluster runs the real `slipway server` over TLS with no cluster behind
// it: real git clones and pushes through it, the real binary is the pre-receive hook, and a
// push that cannot deploy (no cluster, an unmapped branch, a tag) is refused with its
// reason, its ref unchanged. SIGTERM stops the server.
func TestServerWithoutCluster(t *testing.T) {
	bin := e2e.Slipway(t)
	if _, err := exec.LookPath("git"); err != nil {
		e2e.Missing(t, "git is not installed (apt-get install git)")
	}
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	slipway := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append(args, "--data", data)...).Output()
		if err != nil {
			t.Fatalf("slipway %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	slipway("server", "apps", "create", "shop")
	secret := slipway("server", "tokens", "create", "ci")
	cert, key := selfSigned(t, tmp)

	srv := exec.Command(bin, "server", "--data", data, "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
		"--kubeconfig", filepath.Join(tmp, "no-such-kubeconfig"), "--registry", "localhost:5999")
	srv.Env = append(os.Environ(), "NO_COLOR=1")
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	addr := make(chan string, 1)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := regexp.MustCompile(`git on (https://\S+)/APP\.git`).FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = srv.Process.Kill()
			_ = srv.Wait()
		}
		if t.Failed() {
			<-logged
			t.Logf("server log:\n%s", log.String())
		}
	})
	var base string
	select {
	case base = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not say where it serves within 30s")
	}
	url := strings.Replace(base, "https://", "https://slipway:"+secret+"@", 1) + "/shop.git"

	git := func(dir string, args ...string) (string, error) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_SSL_CAINFO="+cert)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	work := filepath.Join(tmp, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "Procfile"), []byte("web: ./server\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"commit", "-qm", "first"}, {"tag", "v1"}} {
		if out, err := git(work, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}

	// Over TLS, with the token: the (empty) repository answers.
	if out, err := git(work, "ls-remote", url); err != nil {
		t.Fatalf("ls-remote over TLS: %v\n%s", err, out)
	}
	// Without one, git is asked for credentials (a 401 challenge), which it may not prompt
	// for here; with a wrong one, authentication fails.
	if out, err := git(work, "ls-remote", base+"/shop.git"); err == nil || !strings.Contains(out, "could not read Username") {
		t.Errorf("ls-remote without a token should be challenged (%v):\n%s", err, out)
	}
	wrong := strings.Replace(base, "https://", "https://slipway:slp_wrong@", 1) + "/shop.git"
	if out, err := git(work, "ls-remote", wrong); err == nil || !strings.Contains(out, "Authentication failed") {
		t.Errorf("ls-remote with a wrong token should fail authentication (%v):\n%s", err, out)
	}

	for _, c := range []struct {
		name, refspec string
		want          []string
	}{
		{"no cluster", "main", []string{"remote: deploying shop ", " (branch main) to staging", "remote: error: ", "no-such-kubeconfig", "remote: push refused: main stays at nothing (not created)", "[remote rejected] main -> main (pre-receive hook declined)"}},
		{"unmapped branch", "HEAD:feature", []string{"remote: error: branch feature deploys to no environment; the branches that deploy: main → staging, master → staging", "remote: hint: push one of those, or set environments.ENV.branch: feature in slipway.yaml"}},
		{"a tag", "v1", []string{"remote: error: refs/tags/v1 is not a branch: only a push of a branch deploys", "remote: hint: push a branch, e.g. HEAD:main"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := git(work, "push", url, c.refspec)
			if err == nil {
				t.Fatalf("the push succeeded:\n%s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("the push's output lacks %q:\n%s", w, out)
				}
			}
			noStackTrace(t, out)
			if out, _ := git(work, "ls-remote", url); strings.TrimSpace(out) != "" {
				t.Errorf("a refused push left refs on the server:\n%s", out)
			}
		})
	}

	// The hook refuses to run outside the server.
	hook := exec.Command(bin, "server", "hook")
	hook.Stdin = strings.NewReader("0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 refs/heads/main\n")
	out, err := hook.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "runs under slipway server only") {
		t.Errorf("slipway server hook outside a server: %v\n%s", err, out)
	}

	// Nothing but the server's own directories under --data.
	entries, _ := os.ReadDir(data)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "apps hooks tmp tokens.json tokens.json.lock work" && got != "apps hooks tmp tokens.json tokens.json.lock" {
		t.Errorf("--data holds %q", got)
	}

	// SIGTERM: the server stops.
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("the server ended with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the server did not stop within 30s of SIGTERM")
	}
}
