package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// BenchmarkPushVsDeploy compares the two ways of shipping a one-line change of the Go sample
// on the real node — `git push slipway main` to the real `slipway server`, and `slipway
// deploy` from the work tree — on the same app, engine, registry and cluster, in the same
// run, alternating. Each is timed from the command's start until the new version answers
// through the web's Service. The ratio metric is the push's time over the deploy's. The
// push's time is broken down from when its remote: lines came: transfer and checkout (until
// "deploying"), build and push (until "built and pushed"), release and rollout (until git
// ends), and the wait for the Service to answer with the new version; the deploy's build
// and push likewise.
//
// Both sides build with BuildKit on the same engine and share its cache; every change is
// new to that cache (it names the run), so each is a real build of the change and a rolling
// upgrade. Each side deploys once before it is timed.
//
//	go test -run '^$' -bench PushVsDeploy -benchtime 2x -timeout 30m ./cmd/slipway
func BenchmarkPushVsDeploy(b *testing.B) {
	host := e2e.DockerEngine(b)
	e2e.BaseImages(b, host, "golang:1.26-bookworm", "debian:bookworm-slim")
	kubeconfig, registry := e2e.RealNodeSandbox(b)
	c := clusterAt(b, kubeconfig)
	srv := startPushServer(b, host, kubeconfig, registry)
	g := newGitClient(b)
	const app, ns = "benchpush", "benchpush-staging"
	srv.admin(b, "apps", "create", app)
	token := strings.TrimSpace(srv.admin(b, "tokens", "create", "bench"))

	// The same image repository for both sides: slipway deploy needs one in slipway.yaml,
	// and the server then uses it too.
	dir := copyDir(b, filepath.Join(e2e.ModuleRoot(b), "samples", "go"))
	manifest := filepath.Join(dir, "slipway.yaml")
	m, err := os.ReadFile(manifest)
	if err != nil {
		b.Fatal(err)
	}
	s := strings.ReplaceAll(string(m), "sample-go", app)
	s = strings.Replace(s, "localhost:5000/"+app, registry+"/"+app, 1)
	s = strings.Replace(s, "processes:\n", "processes:\n  web:\n    size: basic\n", 1)
	if err := os.WriteFile(manifest, []byte(s), 0o644); err != nil {
		b.Fatal(err)
	}
	gitInit(b, dir)
	g.git(b, dir, "branch", "-M", "main")
	g.remoteAdd(b, dir, srv.url+"/"+app+".git", token)
	deployEnv := append(append([]string(nil), g.env...), "KUBECONFIG="+kubeconfig, "DOCKER_HOST="+host, "DOCKER_BUILDKIT=")
	client := &http.Client{Timeout: 5 * time.Second}

	runID := time.Now().UnixNano()
	n := 0
	change := func() string {
		n++
		return g.change(b, dir, "web.go", fmt.Sprintf("// change %d of run %d", n, runID))
	}
	var base string
	serves := func(want string) {
		if base == "" {
			svc, err := c.kc.CoreV1().Services(ns).Get(b.Context(), app+"-web", metav1.GetOptions{})
			if err != nil {
				b.Fatalf("web Service: %v", err)
			}
			base = fmt.Sprintf("http://%s:%d", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
		}
		waitServes(b, client, base, want)
	}
	var t pushTimes
	push := func() {
		commit := change()
		t0 := time.Now()
		r := g.push(b, dir, "push", "slipway", "main")
		r.ok(b)
		gitDone := time.Since(t0)
		serves(commit)
		total := time.Since(t0)
		deploying, ok1 := r.firstLine("remote: deploying ")
		built, ok2 := r.firstLine("built and pushed")
		if !ok1 || !ok2 {
			b.Fatalf("the push lacks its deploying or built and pushed line:\n%s", r.out)
		}
		t.push += total
		t.pushCheckout += deploying
		t.pushBuild += built - deploying
		t.pushRelease += gitDone - built
		t.pushServe += total - gitDone
	}
	deploy := func() {
		commit := change()
		t0 := time.Now()
		cmd := g.command(dir, e2e.Slipway(b), "deploy", "--timeout", "3m")
		cmd.Env = deployEnv
		out := &lineClock{start: t0}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			b.Fatalf("slipway deploy: %v\n%s", err, out.String())
		}
		serves(commit)
		total := time.Since(t0)
		built, ok := out.first("built and pushed")
		if !ok {
			b.Fatalf("slipway deploy lacks its built and pushed line:\n%s", out.String())
		}
		t.deploy += total
		t.deployBuild += built
	}
	// Each side once, untimed: the app is installed, and each path warmed.
	push()
	deploy()
	t = pushTimes{}
	for b.Loop() {
		push()
		deploy()
	}
	t.report(b)
}

// pushTimes adds up the benchmark's durations.
type pushTimes struct {
	push, pushCheckout, pushBuild, pushRelease, pushServe time.Duration
	deploy, deployBuild                                   time.Duration
}

func (t pushTimes) report(b *testing.B) {
	n := float64(b.N)
	sec := func(d time.Duration) float64 { return d.Seconds() / n }
	b.ReportMetric(sec(t.push), "push_s/op")
	b.ReportMetric(sec(t.deploy), "deploy_s/op")
	b.ReportMetric(float64(t.push)/float64(t.deploy), "ratio")
	b.ReportMetric(sec(t.pushCheckout), "push_transfer+checkout_s/op")
	b.ReportMetric(sec(t.pushBuild), "push_build+push_s/op")
	b.ReportMetric(sec(t.pushRelease), "push_release_s/op")
	b.ReportMetric(sec(t.pushServe), "push_until_served_s/op")
	b.ReportMetric(sec(t.deployBuild), "deploy_build+push_s/op")
	b.ReportMetric(sec(t.deploy-t.deployBuild), "deploy_release+served_s/op")
}
