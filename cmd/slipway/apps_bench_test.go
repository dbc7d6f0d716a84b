package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipwayhq/slipway/internal/e2e"
	slipwayrelease "github.com/slipwayhq/slipway/platform/release"
)

// BenchmarkAppsVsHelmList compares `slipway apps` with `helm list -A`, the command a Helm
// user runs for the same overview, on one sandbox holding 300 releases (150 apps × staging
// and production, one namespace each) of 10 revisions each. Every revision is a copy of a
// real release of the Go sample, so each record decodes like a real one. Each iteration
// runs both binaries once; the ratio metric is slipway's time over helm's (target ≤ 0.5).
//
//	go test -run '^$' -bench AppsVsHelmList -benchtime 10x ./cmd/slipway
func BenchmarkAppsVsHelmList(b *testing.B) {
	const apps, envs, revisions = 150, 2, 10
	kubeconfig := e2e.Sandbox(b)
	helm, slipway := e2e.Helm(b), e2e.Slipway(b)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	seed := seedRelease(b, kubeconfig, kc)
	start := time.Now()
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(16)
	for i := range apps {
		for _, env := range []string{"staging", "production"}[:envs] {
			g.Go(func() error {
				name := fmt.Sprintf("bench-%03d", i)
				ns := name + "-" + env
				if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
					return err
				}
				store := driver.NewSecrets(kc.CoreV1().Secrets(ns))
				for v := 1; v <= revisions; v++ {
					rel := *seed
					info := *seed.Info
					rel.Info, rel.Name, rel.Namespace, rel.Version = &info, name, ns, v
					info.Status = release.StatusSuperseded
					if v == revisions {
						info.Status = release.StatusDeployed
					}
					info.Description = fmt.Sprintf("Deploy %07d", v)
					rel.Labels = map[string]string{slipwayrelease.LabelApp: name, slipwayrelease.LabelEnvironment: env}
					if err := store.Create(fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, v), &rel); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d releases × %d revisions in %s", apps*envs, revisions, time.Since(start).Round(time.Millisecond))

	env := append(os.Environ(), "KUBECONFIG="+kubeconfig)
	timed := func(b *testing.B, bin string, args ...string) (time.Duration, []byte) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		t0 := time.Now()
		out, err := cmd.Output()
		d := time.Since(t0)
		if err != nil {
			b.Fatalf("%s %v: %v", bin, args, err)
		}
		return d, out
	}
	want := apps*envs + 1 // and the seed
	b.Run("300x10", func(b *testing.B) {
		var ts, th time.Duration
		for b.Loop() {
			d, out := timed(b, slipway, "apps", "-o", "json")
			var got []appJSON
			if err := json.Unmarshal(out, &got); err != nil || len(got) != want {
				b.Fatalf("slipway apps listed %d apps (%v), want %d", len(got), err, want)
			}
			ts += d
			d, out = timed(b, helm, "list", "-A", "-o", "json", "--max", "0")
			var hl []map[string]any
			if err := json.Unmarshal(out, &hl); err != nil || len(hl) != want {
				b.Fatalf("helm list -A listed %d releases (%v), want %d", len(hl), err, want)
			}
			th += d
		}
		n := float64(b.N)
		b.ReportMetric(float64(ts.Milliseconds())/n, "slipway-ms/op")
		b.ReportMetric(float64(th.Milliseconds())/n, "helm-ms/op")
		b.ReportMetric(float64(ts)/float64(th), "ratio")
	})
}

// seedRelease deploys the Go sample once with the real binary and returns its release record.
func seedRelease(b *testing.B, kubeconfig string, kc kubernetes.Interface) *release.Release {
	dir := b.TempDir()
	src := e2e.ModuleRoot(b) + "/samples/go/"
	for _, f := range []string{"Procfile", "app.json", "slipway.yaml"} {
		data, err := os.ReadFile(src + f)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(dir+"/"+f, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	cmd := exec.Command(e2e.Slipway(b), "deploy", "--image", "localhost:5000/sample-go@"+digest('a'))
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "KUBECONFIG="+kubeconfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("seed deploy: %v\n%s", err, out)
	}
	rel, err := driver.NewSecrets(kc.CoreV1().Secrets("sample-go-staging")).Get("sh.helm.release.v1.sample-go.v1")
	if err != nil {
		b.Fatal(err)
	}
	return rel
}
