package main

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// TestBuildContextLeavesOutSecrets: `slipway build` of the Node.js sample with a local .env
// holding a (fake) secret ships neither the .env nor .git in the image — in a git repository
// where .env is git-ignored, and outside git, where .env* is left out by default — while the
// app's files are in it; and the tag does not change when only the left-out .env changes.
func TestBuildContextLeavesOutSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	host := e2e.DockerEngine(t)
	e2e.BaseImages(t, host, "node:22-bookworm-slim")
	const secret = "sk_live_FAKE0123456789"
	for _, inGit := range []bool{true, false} {
		name := "git"
		if !inGit {
			name = "no-git"
		}
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, filepath.Join(e2e.ModuleRoot(t), "samples", "node"))
			writeFiles(t, dir, map[string]string{
				// New content each run, so the engine really builds.
				"BUILD_ID": fmt.Sprintf("%d\n", time.Now().UnixNano()),
			})
			if inGit {
				appendFile(t, filepath.Join(dir, ".gitignore"), ".env\n")
				gitInit(t, dir)
			} else {
				writeFiles(t, dir, map[string]string{".git/config": "[core]\n", ".git/HEAD": "ref: refs/heads/main\n"})
			}
			writeFiles(t, dir, map[string]string{
				".env":               "SECRET_KEY=" + secret + "\n",
				"untracked-note.txt": "untracked, not ignored: shipped\n",
			})

			ref, out := slipwayBuild(t, host, dir)
			if strings.Contains(out, secret) {
				t.Errorf("the build output shows the .env's secret:\n%s", out)
			}
			if !strings.Contains(out, "left out of the image") || !strings.Contains(out, ".env") {
				t.Errorf("the build should say the local .env is left out of the image:\n%s", out)
			}
			files := imageFiles(t, host, ref)
			for _, f := range []string{"app/package.json", "app/web.js", "app/Procfile", "app/untracked-note.txt"} {
				if !files[f] {
					t.Errorf("%s should be in the image (a file of the app git would commit); the image's /app has: %v", f, appFiles(files))
				}
			}
			for f := range files {
				if f == "app/.env" || f == "app/.git" || strings.HasPrefix(f, "app/.git/") {
					t.Errorf("%s is in the image: a local .env and .git must never be shipped", f)
				}
			}

			// Only the left-out .env changes: same content tag, nothing built.
			writeFiles(t, dir, map[string]string{".env": "SECRET_KEY=" + secret + "-rotated\n"})
			ref2, out2 := slipwayBuild(t, host, dir)
			if ref2 != ref || !strings.Contains(out2, "is unchanged") {
				t.Errorf("changing only the left-out .env changed the tag: %s then %s\n%s", ref, ref2, out2)
			}
		})
	}
}

// slipwayBuild runs `slipway build` in dir and returns the image it names and its output.
func slipwayBuild(t *testing.T, host, dir string) (string, string) {
	t.Helper()
	cmd := exec.Command(e2e.Slipway(t), "build")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "NO_COLOR=1", "DOCKER_BUILDKIT=")
	b, err := cmd.CombinedOutput()
	out := string(b)
	noStackTrace(t, out)
	if err != nil {
		t.Fatalf("slipway build: %v\n%s", err, out)
	}
	ref := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	t.Cleanup(func() { _ = exec.Command("docker", "-H", host, "rmi", ref).Run() })
	return ref, out
}

// imageFiles lists the paths in ref's filesystem (docker create + docker export).
func imageFiles(t *testing.T, host, ref string) map[string]bool {
	t.Helper()
	id, err := exec.Command("docker", "-H", host, "create", ref).Output()
	if err != nil {
		t.Fatalf("docker create %s: %v", ref, err)
	}
	cid := strings.TrimSpace(string(id))
	defer exec.Command("docker", "-H", host, "rm", cid).Run()
	exp := exec.Command("docker", "-H", host, "export", cid)
	stdout, err := exp.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	tr := tar.NewReader(stdout)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("docker export %s: %v", ref, err)
		}
		files[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = true
	}
	if err := exp.Wait(); err != nil {
		t.Fatalf("docker export %s: %v", ref, err)
	}
	return files
}

// appFiles lists the top level of /app, for messages.
func appFiles(files map[string]bool) []string {
	var out []string
	for f := range files {
		if rest, ok := strings.CutPrefix(f, "app/"); ok && !strings.Contains(rest, "/") {
			out = append(out, rest)
		}
	}
	return out
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
