package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// refusedTimeout is the --timeout of the deploys the cluster refuses: each must fail far
// sooner, with the cluster's reason.
const refusedTimeout = 2 * time.Minute

// TestDeployRefused: a deploy whose pods the cluster refuses to create (Pod Security
// admission, a ResourceQuota; for the processes' ReplicaSets and for the release command's
// Job) fails within seconds, not at its timeout, says the cluster's own reason, and the
// previous release keeps serving.
func TestDeployRefused(t *testing.T) {
	c := newCluster(t)
	dir := sampleApp(t, "refused", nil)
	const ns = "refused-staging"
	img := func(b byte) string { return "localhost:5000/refused@" + digest(b) }
	// No release command at first: the processes' ReplicaSets are refused.
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: ./bin/sample web\nworker: ./bin/sample worker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok(dir, "deploy", "--image", img('a'))

	// refused deploys imgNew, wants it to fail soon with want on stderr, and checks that v1's
	// image still runs and that releases shows the failure and the rollback.
	refused := func(t *testing.T, imgNew string, want ...string) {
		c := c.on(t)
		before := len(c.revisions(ns, "refused"))
		start := time.Now()
		r := c.fails(dir, append([]string{fmt.Sprintf("release v%d failed", before+1), "pods cannot be created: ", fmt.Sprintf("rolled back: v%d", before+2)}, want...),
			"deploy", "--image", imgNew, "--timeout", refusedTimeout.String())
		took := time.Since(start)
		t.Logf("refused deploy failed after %s (--timeout %s):\n%s", took.Round(100*time.Millisecond), refusedTimeout, r.stderr)
		if took > 30*time.Second {
			t.Errorf("the refused deploy took %s to fail (--timeout %s); want it to fail as soon as the cluster refuses", took, refusedTimeout)
		}
		if strings.Contains(r.stderr, "not done within") {
			t.Errorf("the refused deploy timed out instead of saying why:\n%s", r.stderr)
		}
		for _, d := range []string{"refused-web", "refused-worker"} {
			eq(t, d+" image", c.image(ns, d), img('a'))
		}
		var rels []releaseJSON
		if err := json.Unmarshal([]byte(c.ok(dir, "releases", "-o", "json").stdout), &rels); err != nil {
			t.Fatal(err)
		}
		// Newest first: the rollback, then the refused release, which says why.
		if len(rels) < 2 || rels[0].Status != "deployed" || !strings.HasPrefix(rels[0].Description, "Rollback to") ||
			rels[1].Status != "failed" || rels[1].Image != imgNew || !strings.Contains(rels[1].Description, "pods cannot be created: ") {
			t.Errorf("releases after the refused deploy: %+v", rels)
		}
	}
	label := func(t *testing.T, value string) {
		patch := fmt.Sprintf(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":%s}}}`, value)
		if _, err := c.kc.CoreV1().Namespaces().Patch(t.Context(), ns, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("pod security", func(t *testing.T) {
		label(t, `"restricted"`)
		defer label(t, "null")
		refused(t, img('b'), `is forbidden: violates PodSecurity "restricted:latest"`)
	})

	t.Run("resource quota", func(t *testing.T) {
		pods, err := c.kc.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "no-more-pods"},
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: *resource.NewQuantity(int64(len(pods.Items)), resource.DecimalSI)}}}
		if _, err := c.kc.CoreV1().ResourceQuotas(ns).Create(t.Context(), q, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := c.kc.CoreV1().ResourceQuotas(ns).Delete(context.Background(), q.Name, metav1.DeleteOptions{}); err != nil {
				t.Error(err)
			}
		}()
		waitFor(t, "the quota to count the pods", func() bool {
			got, err := c.kc.CoreV1().ResourceQuotas(ns).Get(t.Context(), q.Name, metav1.GetOptions{})
			return err == nil && got.Status.Used.Pods().Value() == int64(len(pods.Items))
		})
		refused(t, img('c'), "exceeded quota: no-more-pods")
	})

	t.Run("release command", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("release: ./bin/sample migrate\nweb: ./bin/sample web\nworker: ./bin/sample worker\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		label(t, `"restricted"`)
		defer label(t, "null")
		refused(t, img('d'), `release: pods cannot be created: `, `violates PodSecurity "restricted:latest"`)
	})

	// Once nothing refuses, the same deploy goes out.
	c.ok(dir, "deploy", "--image", img('d'))
	eq(t, "web image after the refusals", c.image(ns, "refused-web"), img('d'))
}

// TestPromoteSameReference: staging runs an image CI pushed to a registry of its own, and
// no environment configures a registry: promote releases the very same reference into
// production and copies nothing. When production configures a repository of its own, the
// image is copied there, same digest.
func TestPromoteSameReference(t *testing.T) {
	c := newCluster(t)
	reg := httptest.NewServer(registry.New())
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	push := func(repo string) string {
		im, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, err := im.Digest()
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.NewDigest(host+"/"+repo+"@"+d.String(), name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, im); err != nil {
			t.Fatal(err)
		}
		return ref.String()
	}
	ciImg := push("ci-built/app")
	dir := sampleApp(t, "promo", func(s string) string {
		out := strings.Replace(s, "image:\n  repository: localhost:5000/promo\n", "", 1)
		if out == s {
			t.Fatalf("the sample's slipway.yaml has no image section to remove:\n%s", s)
		}
		return out
	})
	const stg, prod = "promo-staging", "promo-production"
	c.ok(dir, "deploy", "--image", ciImg)
	eq(t, "staging image", c.image(stg, "promo-web"), ciImg)

	// Any registry other than the test's would be reached through a proxy that is not
	// there: nothing leaves this machine, and a copy attempt fails.
	promote := func(t *testing.T) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		defer cancel()
		cmd, o, e := c.command(ctx, dir, "promote", "staging", "production")
		cmd.Env = append(cmd.Env, "HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1,localhost")
		err := cmd.Run()
		r := result{stdout: o.String(), stderr: e.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		noStackTrace(t, r.stdout+r.stderr)
		return r
	}

	t.Run("no registry configured", func(t *testing.T) {
		r := promote(t)
		if r.code != 0 {
			t.Fatalf("promote: %s", r)
		}
		if strings.Contains(r.stderr, "opying") || strings.Contains(r.stderr, "copied") {
			t.Errorf("promote copied the image although no environment configures a registry:\n%s", r.stderr)
		}
		eq(t, "production web image", c.image(prod, "promo-web"), ciImg)
		var rels []releaseJSON
		if err := json.Unmarshal([]byte(c.ok(dir, "releases", "-e", "production", "-o", "json").stdout), &rels); err != nil {
			t.Fatal(err)
		}
		if len(rels) != 1 || rels[0].Image != ciImg || rels[0].Description != "Promote v1 from staging" {
			t.Errorf("production releases: %+v", rels)
		}
	})

	t.Run("production configures its own repository", func(t *testing.T) {
		cfg := filepath.Join(dir, "slipway.yaml")
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), "    namespace: promo-production\n", "    namespace: promo-production\n    image:\n      repository: "+host+"/prod/promo\n", 1)
		if s == string(b) {
			t.Fatalf("no production environment in:\n%s", b)
		}
		if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		next := push("ci-built/app")
		c.ok(dir, "deploy", "--image", next)
		r := promote(t)
		if r.code != 0 {
			t.Fatalf("promote: %s", r)
		}
		want := host + "/prod/promo@" + strings.SplitN(next, "@", 2)[1]
		if !strings.Contains(r.stderr, "copied "+next+" to "+want) {
			t.Errorf("promote does not say it copied %s to %s:\n%s", next, want, r.stderr)
		}
		eq(t, "production web image", c.image(prod, "promo-web"), want)
	})
}

// TestEmptyKubeconfig: an empty kubeconfig file is named as empty, not "no kubeconfig found".
func TestEmptyKubeconfig(t *testing.T) {
	dir := sampleApp(t, "nokube", nil)
	empty := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, how := range [][]string{{"--kubeconfig", empty}, {"KUBECONFIG=" + empty}} {
		args := []string{"releases"}
		cmd := exec.Command(e2e.Slipway(t), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		if strings.HasPrefix(how[0], "KUBECONFIG=") {
			cmd.Env = append(cmd.Env, how[0])
		} else {
			cmd.Args = append(cmd.Args, how...)
		}
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("slipway %v succeeded with an empty kubeconfig:\n%s", cmd.Args[1:], out)
		}
		if !strings.Contains(string(out), "kubeconfig "+empty+" is empty") || strings.Contains(string(out), "no kubeconfig found") {
			t.Errorf("slipway %v with %v says:\n%s\nwant it to name %s as empty", cmd.Args[1:], how, out, empty)
		}
	}
}
