package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// BenchmarkRedeploy compares `slipway deploy` of the Go sample on the real node with the
// by-hand sequence a user would otherwise script — `docker build`, `docker push`, `helm
// upgrade --install --wait` with the CLI tools, on the chart `slipway chart` wrote, into a
// namespace of its own — same engine, registry, cluster and Dockerfile, same run,
// alternating. "one-line-change" commits a one-line change before each deploy; "no-op"
// deploys the unchanged tree. The ratio metric is slipway's time over the by-hand time
// (targets: ≤ 0.8 and ≤ 0.2); the other metrics break each side down: slipway's build and
// push (until it says "built and pushed") and the rest (the release), and the by-hand
// build, push and helm.
//
// Both sides build with BuildKit on the same engine, so they share its cache (the sample's
// Go build cache mount among it): Slipway through the Engine API, the by-hand side with
// `docker build`, which on a machine with Docker's packages is buildx's; the docker CLI
// here has no buildx, so the harness builds the plugin (e2e.Buildx) and the by-hand side
// runs with it. Each side installs once before it is timed, and each change is new to the
// engine's cache: what is timed is a real build of the change and a rolling upgrade.
//
//	go test -run '^$' -bench Redeploy -benchtime 5x -timeout 30m ./cmd/slipway
func BenchmarkRedeploy(b *testing.B) {
	host := e2e.DockerEngine(b)
	e2e.BaseImages(b, host, "golang:1.26-bookworm", "debian:bookworm-slim")
	kubeconfig, registry := e2e.RealNodeSandbox(b)
	helm, slipway := e2e.Helm(b), e2e.Slipway(b)
	docker, err := exec.LookPath("docker")
	if err != nil {
		e2e.Missing(b, "no docker CLI for the by-hand side: %v", err)
	}
	dockerConfig := e2e.Buildx(b)
	dir := b.TempDir()
	src := filepath.Join(e2e.ModuleRoot(b), "samples", "go")
	for _, f := range []string{"Procfile", "app.json", "slipway.yaml", "Dockerfile", ".dockerignore", "go.mod", "main.go", "web.go", "worker.go", "clock.go", "migrate.go"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			b.Fatal(err)
		}
		s := strings.ReplaceAll(string(data), "sample-go", "bench")
		if f == "slipway.yaml" {
			s = strings.Replace(s, "localhost:5000/bench", registry+"/bench", 1)
			s = strings.Replace(s, "processes:\n", "processes:\n  web:\n    size: basic\n", 1)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	gitInit(b, dir)
	// DOCKER_BUILDKIT is unset (empty) for both sides: each chooses BuildKit, as docker does.
	env := append(os.Environ(), "DOCKER_HOST="+host, "KUBECONFIG="+kubeconfig, "DOCKER_CONFIG="+dockerConfig, "DOCKER_BUILDKIT=", "NO_COLOR=1")
	// runMarked runs a command and returns how long it took, and how long until its output
	// first held mark (0 without one, or when it never did).
	runMarked := func(mark, name string, args ...string) (total, marked time.Duration) {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		out := &markWriter{mark: mark}
		cmd.Stdout, cmd.Stderr = out, out
		t0 := time.Now()
		out.start = t0
		err := cmd.Run()
		d := time.Since(t0)
		if err != nil {
			b.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.buf.String())
		}
		return d, out.at
	}
	run := func(name string, args ...string) time.Duration {
		d, _ := runMarked("", name, args...)
		return d
	}
	// The engine keeps BuildKit's cache from run to run: a change seen in an earlier run
	// would come from its cache, so every change names this run.
	runID := time.Now().UnixNano()
	commit := func(n int) string {
		f, err := os.OpenFile(filepath.Join(dir, "web.go"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(f, "\n// change %d of run %d\n", n, runID)
		f.Close()
		run("git", "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qam", fmt.Sprint("change ", n))
		out, err := exec.Command("git", "-C", dir, "rev-parse", "--short=12", "HEAD").Output()
		if err != nil {
			b.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	chart := filepath.Join(b.TempDir(), "chart")
	run(slipway, "deploy", "--timeout", "3m")
	run(slipway, "chart", "-e", "staging", "--include-secrets", "-o", chart)
	// The by-hand side has a repository of its own: its image differs from Slipway's (no
	// labels), and the same tag in the same repository would make each side's push the
	// other's change.
	var t times
	byHand := func(tag string) time.Duration {
		ref := registry + "/bench-byhand:" + tag
		build := run(docker, "build", "-q", "-t", ref, ".")
		push := run(docker, "push", "-q", ref)
		helm := run(helm, "upgrade", "--install", "bench", chart, "-n", "bench-byhand", "--create-namespace",
			"--set", "image.repository="+registry+"/bench-byhand", "--set", "image.tag="+tag, "--wait", "--timeout", "3m")
		t.hBuild, t.hPush, t.hHelm = t.hBuild+build, t.hPush+push, t.hHelm+helm
		return build + push + helm
	}
	deploy := func() time.Duration {
		total, built := runMarked("built and pushed", slipway, "deploy", "--timeout", "3m")
		t.sBuild += built
		return total
	}
	// Each side installs once before it is timed: what is timed are upgrades (an install
	// starts every pod at once, where an upgrade rolls them one by one).
	n := 1
	byHand(commit(n))
	b.Run("one-line-change", func(b *testing.B) {
		t = times{}
		for b.Loop() {
			n++
			commit(n)
			t.slipway += deploy()
			n++
			t.byHand += byHand(commit(n))
		}
		t.report(b)
	})
	b.Run("no-op", func(b *testing.B) {
		n++
		tag := commit(n)
		deploy()
		byHand(tag)
		t = times{}
		for b.Loop() {
			t.slipway += deploy()
			t.byHand += byHand(tag)
		}
		t.report(b)
	})
}

// times adds up a benchmark's durations: each side's total, and their parts.
type times struct {
	slipway, byHand      time.Duration
	sBuild               time.Duration // slipway until "built and pushed"
	hBuild, hPush, hHelm time.Duration
}

func (t times) report(b *testing.B) {
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) / n }
	b.ReportMetric(ms(t.slipway), "slipway-ms/op")
	b.ReportMetric(ms(t.byHand), "byhand-ms/op")
	b.ReportMetric(float64(t.slipway)/float64(t.byHand), "ratio")
	b.ReportMetric(ms(t.sBuild), "slipway-build+push-ms/op")
	b.ReportMetric(ms(t.slipway-t.sBuild), "slipway-release-ms/op")
	b.ReportMetric(ms(t.hBuild), "byhand-build-ms/op")
	b.ReportMetric(ms(t.hPush), "byhand-push-ms/op")
	b.ReportMetric(ms(t.hHelm), "byhand-helm-ms/op")
}

// markWriter keeps a command's output and notes when a line holding mark first came.
type markWriter struct {
	mark  string
	start time.Time
	at    time.Duration
	buf   bytes.Buffer
}

func (w *markWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if w.mark != "" && w.at == 0 && bytes.Contains(w.buf.Bytes(), []byte(w.mark)) {
		w.at = time.Since(w.start)
	}
	return len(p), nil
}
