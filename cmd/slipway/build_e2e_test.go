package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// gitInit makes dir a git repository with one commit and returns the commit.
func gitInit(t testing.TB, dir string) string {
	t.Helper()
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"commit", "-qm", "first"}} {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestBuildAndDeployOnRealNode: `slipway deploy` with no --image builds the Go sample with
// its own Dockerfile on a real Docker Engine, pushes it to the sandbox's registry, and the
// real node runs it; a second deploy of the unchanged tree builds and pushes nothing.
func TestBuildAndDeployOnRealNode(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	host := e2e.DockerEngine(t)
	e2e.BaseImages(t, host, "golang:1.26-bookworm", "debian:bookworm-slim")
	kubeconfig, registry := e2e.RealNodeSandbox(t)
	c := clusterAt(t, kubeconfig)
	t.Setenv("DOCKER_HOST", host)

	dir := copyDir(t, filepath.Join(e2e.ModuleRoot(t), "samples", "go"))
	manifest := filepath.Join(dir, "slipway.yaml")
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "sample-go", "built")
	s = strings.Replace(s, "localhost:5000/built", registry+"/built", 1)
	s = strings.Replace(s, "processes:\n", "processes:\n  web:\n    size: basic\n", 1)
	if err := os.WriteFile(manifest, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	commit := gitInit(t, dir)

	r := c.ok(dir, "deploy", "--timeout", "3m")
	if !strings.Contains(r.stderr, "built and pushed "+registry+"/built:"+commit[:12]+"@sha256:") {
		t.Errorf("deploy should build and push the commit's tag:\n%s", r)
	}
	img := c.image("built-staging", "built-web")
	if !strings.HasPrefix(img, registry+"/built@sha256:") {
		t.Fatalf("the release runs %s, want the pushed digest", img)
	}
	svc, err := c.kc.CoreV1().Services("built-staging").Get(t.Context(), "built-web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	base := fmt.Sprintf("http://%s:%d", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
	if v := servedVersion(t, client, base); v != commit {
		t.Errorf("the web serves version %q, want the commit %s", v, commit)
	}

	r = c.ok(dir, "deploy", "--timeout", "3m")
	if !strings.Contains(r.stderr, "nothing built or pushed") || strings.Contains(r.stderr, "[build 1/") {
		t.Errorf("an unchanged tree should be neither built nor pushed:\n%s", r)
	}
	eq(t, "the same digest", c.image("built-staging", "built-web"), img)

	// A broken Dockerfile: the step's own error and output, nothing pushed, no release.
	before := len(c.revisions("built-staging", "built"))
	df := filepath.Join(dir, "Dockerfile")
	body, _ := os.ReadFile(df)
	if err := os.WriteFile(df, append(body, []byte("RUN echo broken step && false\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	r = c.fails(dir, []string{"build failed at [stage-1 5/5] RUN echo broken step && false: ", "exit code: 1"}, "deploy")
	if !strings.Contains(r.stderr, " > [stage-1 5/5] RUN echo broken step && false:\n") || !strings.Contains(r.stderr, " broken step\n") {
		t.Errorf("the failing step's output should be shown:\n%s", r)
	}
	eq(t, "a failed build makes no release", len(c.revisions("built-staging", "built")), before)
}

// TestSamplesBuild: every sample builds with BuildKit — the Go sample with its Dockerfile, the
// Node.js and Python samples with generated ones — and the Node.js one with the classic
// builder too (DOCKER_BUILDKIT=0), which refuses the Go sample's cache mount, naming the step.
func TestSamplesBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	host := e2e.DockerEngine(t)
	e2e.BaseImages(t, host, "golang:1.26-bookworm", "debian:bookworm-slim", "node:22-bookworm-slim", "python:3.11-slim-bookworm")
	buildKitStep := regexp.MustCompile(`(?m)^#\d+ \[[^\]]+\] RUN `)
	for _, tc := range []struct {
		sample  string
		classic bool
	}{{"go", false}, {"node", false}, {"python", false}, {"node", true}, {"go", true}} {
		name := tc.sample
		if tc.classic {
			name += "-classic"
		}
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, filepath.Join(e2e.ModuleRoot(t), "samples", tc.sample))
			// New content each run, so the engine really builds (the same content is reused).
			if err := os.WriteFile(filepath.Join(dir, "BUILD_ID"), fmt.Appendf(nil, "%d\n", time.Now().UnixNano()), 0o644); err != nil {
				t.Fatal(err)
			}
			gitInit(t, dir)
			cmd := exec.Command(e2e.Slipway(t), "build")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "NO_COLOR=1", "DOCKER_BUILDKIT=")
			if tc.classic {
				cmd.Env = append(cmd.Env, "DOCKER_BUILDKIT=0")
			}
			var stdout strings.Builder
			cmd.Stdout = &stdout
			cmd.Stderr = &stdout
			err := cmd.Run()
			out := stdout.String()
			noStackTrace(t, out)
			if tc.classic && tc.sample == "go" {
				// The sample's go build keeps Go's cache in a BuildKit cache mount.
				if err == nil || !regexp.MustCompile(`build failed at Step 8/\d+ : RUN --mount=type=cache`).MatchString(out) || !strings.Contains(out, "requires BuildKit") {
					t.Errorf("the classic builder should refuse the Go sample's cache mount, naming the step (%v):\n%s", err, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("slipway build: %v\n%s", err, out)
			}
			// The engine is shared and kept: remove the tag this build made.
			ref := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
			t.Cleanup(func() { _ = exec.Command("docker", "-H", host, "rmi", ref).Run() })
			if !strings.Contains(out, "built ") {
				t.Errorf("slipway build should say what it built:\n%s", out)
			}
			if tc.classic && (!strings.Contains(out, "Step 1/") || !strings.Contains(out, "Successfully built")) {
				t.Errorf("DOCKER_BUILDKIT=0: the classic builder's steps should be shown:\n%s", out)
			}
			if !tc.classic && (!buildKitStep.MatchString(out) || !strings.Contains(out, "exporting to image")) {
				t.Errorf("BuildKit's steps should be shown as docker build shows them off a terminal:\n%s", out)
			}
			if tc.sample != "go" && !strings.Contains(out, "no Dockerfile: building for") {
				t.Errorf("the %s sample has no Dockerfile: the build should say it generated one:\n%s", tc.sample, out)
			}
		})
	}
}
