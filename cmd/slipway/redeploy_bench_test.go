package main

import (
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
// namespace of its own — same engine, registry and cluster, same run, alternating. "one-line-change" commits a one-line
// change before each deploy; "no-op" deploys the unchanged tree. The ratio metric is
// slipway's time over the by-hand time (targets: ≤ 0.8 and ≤ 0.2).
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
	dir := b.TempDir()
	src := filepath.Join(e2e.ModuleRoot(b), "samples", "go")
	for _, f := range []string{"Procfile", "app.json", "slipway.yaml", "Dockerfile", "go.mod", "main.go", "web.go", "worker.go", "clock.go", "migrate.go"} {
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
	env := append(os.Environ(), "DOCKER_HOST="+host, "KUBECONFIG="+kubeconfig, "DOCKER_BUILDKIT=0", "NO_COLOR=1")
	run := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(t0)
		if err != nil {
			b.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
		return d
	}
	commit := func(n int) string {
		f, err := os.OpenFile(filepath.Join(dir, "web.go"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(f, "\n// change %d\n", n)
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
	byHand := func(tag string) time.Duration {
		ref := registry + "/bench-byhand:" + tag
		return run(docker, "build", "-q", "-t", ref, ".") +
			run(docker, "push", "-q", ref) +
			run(helm, "upgrade", "--install", "bench", chart, "-n", "bench-byhand", "--create-namespace",
				"--set", "image.repository="+registry+"/bench-byhand", "--set", "image.tag="+tag, "--wait", "--timeout", "3m")
	}
	n := 0
	b.Run("one-line-change", func(b *testing.B) {
		var ts, th time.Duration
		for b.Loop() {
			n++
			commit(n)
			ts += run(slipway, "deploy", "--timeout", "3m")
			n++
			th += byHand(commit(n))
		}
		report(b, ts, th)
	})
	b.Run("no-op", func(b *testing.B) {
		n++
		tag := commit(n)
		run(slipway, "deploy", "--timeout", "3m")
		byHand(tag)
		var ts, th time.Duration
		for b.Loop() {
			ts += run(slipway, "deploy", "--timeout", "3m")
			th += byHand(tag)
		}
		report(b, ts, th)
	})
}

func report(b *testing.B, slipway, byHand time.Duration) {
	n := float64(b.N)
	b.ReportMetric(float64(slipway.Milliseconds())/n, "slipway-ms/op")
	b.ReportMetric(float64(byHand.Milliseconds())/n, "byhand-ms/op")
	b.ReportMetric(float64(slipway)/float64(byHand), "ratio")
}
