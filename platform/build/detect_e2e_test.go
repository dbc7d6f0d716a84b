package build

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/render"
)

// TestGeneratedDockerfilesBuild builds the Dockerfile Detect writes for each sample on a real
// Docker Engine (with the harness's locally made base images: nothing is pulled), then runs
// a shell in the image to check what the Procfile's commands rely on: the non-root user, a
// writable /app, and the language's programs on PATH. Each is built twice: for the classic
// builder with docker build, and for BuildKit (Go's build cache in a cache mount) with
// Slipway's builder.
func TestGeneratedDockerfilesBuild(t *testing.T) {
	host := e2e.DockerEngine(t)
	root := e2e.ModuleRoot(t)
	cases := []struct {
		sample string
		check  string // run in the image with /bin/sh -c; must print ok
	}{
		{"go", `test "$(id -u)" = 10001 && touch /app/probe && command -v sample >/dev/null && test "$PORT" = 5000 && echo ok`},
		{"node", `test "$(id -u)" = 10001 && touch /app/probe && node -e 'require("fs").accessSync("/app/web.js")' && test "$NODE_ENV" = production && echo ok`},
		{"python", `test "$(id -u)" = 10001 && touch /app/probe && test "$(python -c 'import sys; print(sys.prefix)')" = /opt/venv && echo ok`},
	}
	for _, tc := range cases {
		t.Run(tc.sample, func(t *testing.T) {
			dir := filepath.Join(root, "samples", tc.sample)
			p, err := Detect(dir)
			if err != nil {
				t.Fatalf("Detect(%s): %v", dir, err)
			}
			e2e.BaseImages(t, host, p.BaseImages...)
			tag := "slipway-detect-e2e/" + tc.sample + ":test"
			docker := func(stdin []byte, args ...string) string {
				t.Helper()
				cmd := exec.Command("docker", args...)
				cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "DOCKER_BUILDKIT=0")
				cmd.Stdin = bytes.NewReader(stdin)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("docker %s: %v\n%s\nDockerfile:\n%s", strings.Join(args, " "), err, out, p.Dockerfile)
				}
				return string(out)
			}
			docker(p.Dockerfile, "build", "-q", "-t", tag, "-f", "-", dir)
			t.Cleanup(func() {
				cmd := exec.Command("docker", "rmi", "-f", tag)
				cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
				_ = cmd.Run()
			})
			out := docker(nil, "run", "--rm", "--network", "none", tag, "/bin/sh", "-c", tc.check)
			if strings.TrimSpace(out) != "ok" {
				t.Errorf("check in the %s image (classic builder) printed %q, want ok", tc.sample, out)
			}

			bk, err := DetectFor(dir, GenerateOptions{BuildKit: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Setenv("DOCKER_HOST", host)
			client, h, err := Connect()
			if err != nil {
				t.Fatal(err)
			}
			var progress bytes.Buffer
			b := &Builder{Docker: client, Host: h, Progress: render.Build(&progress, render.BuildOptions{}), Backend: BackendBuildKit}
			bkTag := "buildkit-" + tc.sample
			src, err := ReadSource(mustContext(t, dir, GeneratedDockerfile), bk.Dockerfile)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Build(context.Background(), Options{Dir: dir, Generated: bk.Dockerfile, NeedsBuildKit: bk.BuildKit,
				Repository: "slipway-detect-e2e/" + bkTag, Tag: src.Tag}); err != nil {
				t.Fatalf("build for BuildKit: %v\n%s\nDockerfile:\n%s", err, progress.String(), bk.Dockerfile)
			}
			ref := "slipway-detect-e2e/" + bkTag + ":" + src.Tag
			t.Cleanup(func() {
				cmd := exec.Command("docker", "rmi", "-f", ref)
				cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
				_ = cmd.Run()
			})
			out = docker(nil, "run", "--rm", "--network", "none", ref, "/bin/sh", "-c", tc.check)
			if strings.TrimSpace(out) != "ok" {
				t.Errorf("check in the %s image (BuildKit) printed %q, want ok", tc.sample, out)
			}
		})
	}
}
