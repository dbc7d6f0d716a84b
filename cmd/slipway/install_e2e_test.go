package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// TestChartsInstallOnSandbox installs each sample's chart, as `slipway chart
// --include-secrets` writes it, with the real helm CLI on a real API server (the sandbox,
// kwok nodes), upgrades it with changed config, and checks the objects through the API:
// the server accepts every object, the release hook Job runs after its Secret exists, and a
// config change rolls the pods.
func TestChartsInstallOnSandbox(t *testing.T) {
	kubeconfig := e2e.Sandbox(t)
	helm := e2e.Helm(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root := e2e.ModuleRoot(t)
	cases := []struct {
		sample, env, app string
		deployments      []string
		release          bool
	}{
		{"go", "staging", "sample-go", []string{"web", "worker", "clock"}, true},
		{"go", "production", "sample-go", []string{"web", "worker", "clock"}, true},
		{"node", "production", "sample-node", []string{"web", "worker"}, false},
		{"python", "staging", "sample-python", []string{"web", "worker"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.sample+"/"+tc.env, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			// A copy of the sample, so that the test can change its env file.
			dir := copyDir(t, filepath.Join(root, "samples", tc.sample))
			ns := tc.app + "-" + tc.env
			install := func(rev int) {
				t.Helper()
				out := filepath.Join(t.TempDir(), "chart")
				if _, stderr, code := run(t, dir, "chart", "-e", tc.env, "--include-secrets", "-o", out); code != 0 {
					t.Fatalf("slipway chart: exit %d\n%s", code, stderr)
				}
				cmd := exec.CommandContext(ctx, helm, "upgrade", "--install", tc.app, out, "-n", ns, "--create-namespace",
					"--wait", "--timeout", "120s", "--kubeconfig", kubeconfig)
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("helm upgrade --install (revision %d): %v\n%s", rev, err, b)
				}
			}
			checksums := func() map[string]string {
				sums := map[string]string{}
				for _, d := range tc.deployments {
					dep, err := kc.AppsV1().Deployments(ns).Get(ctx, tc.app+"-"+d, metav1.GetOptions{})
					if err != nil {
						t.Fatalf("Deployment %s-%s: %v", tc.app, d, err)
					}
					if dep.Status.AvailableReplicas < 1 {
						t.Errorf("Deployment %s has %d available replicas", dep.Name, dep.Status.AvailableReplicas)
					}
					sums[d] = dep.Spec.Template.Annotations["checksum/config"]
				}
				return sums
			}

			install(1)
			first := checksums()
			sec, err := kc.CoreV1().Secrets(ns).Get(ctx, tc.app+"-config", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("config Secret: %v", err)
			}
			if len(sec.Data) == 0 {
				t.Errorf("config Secret %s is empty", sec.Name)
			}
			if tc.release {
				job, err := kc.BatchV1().Jobs(ns).Get(ctx, tc.app+"-release", metav1.GetOptions{})
				if err != nil {
					t.Fatalf("release Job: %v", err)
				}
				if job.Status.Succeeded != 1 {
					t.Errorf("release Job: %d succeeded, want 1", job.Status.Succeeded)
				}
			}

			// A config change is a new revision and rolls every process type's pods.
			envFile := filepath.Join(dir, ".env."+tc.env)
			f, err := os.OpenFile(envFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString("\nFEATURE_FLAG=on\n"); err != nil {
				t.Fatal(err)
			}
			f.Close()
			install(2)
			second := checksums()
			for d := range first {
				if first[d] == second[d] {
					t.Errorf("%s: config changed but checksum/config stayed %s", d, first[d])
				}
			}
			sec, err = kc.CoreV1().Secrets(ns).Get(ctx, tc.app+"-config", metav1.GetOptions{})
			if err != nil || string(sec.Data["FEATURE_FLAG"]) != "on" {
				t.Errorf("config Secret after the change: FEATURE_FLAG=%q, err %v", sec.Data["FEATURE_FLAG"], err)
			}
			hist, err := exec.CommandContext(ctx, helm, "history", tc.app, "-n", ns, "--kubeconfig", kubeconfig).CombinedOutput()
			if err != nil || strings.Count(string(hist), "deployed")+strings.Count(string(hist), "superseded") != 2 {
				t.Errorf("helm history: want 2 revisions (err %v):\n%s", err, hist)
			}

			// helm rollback goes back to revision 1's config as well as its pods.
			if b, err := exec.CommandContext(ctx, helm, "rollback", tc.app, "1", "-n", ns, "--wait", "--timeout", "120s", "--kubeconfig", kubeconfig).CombinedOutput(); err != nil {
				t.Fatalf("helm rollback: %v\n%s", err, b)
			}
			sec, err = kc.CoreV1().Secrets(ns).Get(ctx, tc.app+"-config", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := sec.Data["FEATURE_FLAG"]; ok {
				t.Errorf("after helm rollback to revision 1 the config Secret still has FEATURE_FLAG (revision 2's config)")
			}
			third := checksums()
			for d := range first {
				if third[d] != first[d] {
					t.Errorf("%s: after rollback checksum/config = %s, want revision 1's %s", d, third[d], first[d])
				}
			}
		})
	}
}

// copyDir copies a sample's files (not its subdirectories' build output) into a temp dir.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			if rel == "bin" || rel == "data" || rel == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
