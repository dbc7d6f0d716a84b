package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// cluster is a sandbox the deploy tests share, and the ways to look at it: the real slipway
// binary with KUBECONFIG pointing at it, and client-go for checks that do not trust
// Slipway's own output.
type cluster struct {
	t          testing.TB
	kubeconfig string
	kc         kubernetes.Interface
}

func newCluster(t *testing.T) *cluster {
	return clusterAt(t, e2e.Sandbox(t))
}

// clusterAt is the cluster of a kubeconfig.
func clusterAt(t testing.TB, kubeconfig string) *cluster {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &cluster{t: t, kubeconfig: kubeconfig, kc: kc}
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// command is the slipway binary run in dir against the sandbox.
func (c *cluster) command(ctx context.Context, dir string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, e2e.Slipway(c.t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "KUBECONFIG="+c.kubeconfig)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	return cmd, &o, &e
}

func (c *cluster) run(dir string, args ...string) result {
	c.t.Helper()
	return c.runFor(3*time.Minute, dir, args...)
}

// runFor is run with a deadline of d.
func (c *cluster) runFor(d time.Duration, dir string, args ...string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), d)
	defer cancel()
	cmd, o, e := c.command(ctx, dir, args...)
	err := cmd.Run()
	r := result{stdout: o.String(), stderr: e.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("run slipway %v: %v", args, err)
	}
	noStackTrace(c.t, r.stdout+r.stderr)
	return r
}

// ok runs slipway and fails the test unless it exits 0.
func (c *cluster) ok(dir string, args ...string) result {
	c.t.Helper()
	r := c.run(dir, args...)
	if r.code != 0 {
		c.t.Fatalf("slipway %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// on returns the cluster for a subtest.
func (c *cluster) on(t *testing.T) *cluster {
	cp := *c
	cp.t = t
	return &cp
}

// fails runs slipway, wants exit code 1 and every string in want on stderr.
func (c *cluster) fails(dir string, want []string, args ...string) result {
	c.t.Helper()
	return c.exits(1, dir, want, args...)
}

// exits runs slipway, wants the exit code and every string in want on stderr.
func (c *cluster) exits(code int, dir string, want []string, args ...string) result {
	c.t.Helper()
	r := c.run(dir, args...)
	if r.code != code {
		c.t.Fatalf("slipway %s: want exit %d, got %s", strings.Join(args, " "), code, r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			c.t.Errorf("slipway %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, r.stderr)
		}
	}
	return r
}

// revisions reads Helm's release records of app in ns through the API: status by revision.
func (c *cluster) revisions(ns, app string) map[int]string {
	c.t.Helper()
	list, err := c.kc.CoreV1().Secrets(ns).List(c.t.Context(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + app})
	if err != nil {
		c.t.Fatal(err)
	}
	out := map[int]string{}
	for _, s := range list.Items {
		v, _ := strconv.Atoi(s.Labels["version"])
		out[v] = s.Labels["status"]
	}
	return out
}

func (c *cluster) deployment(ns, name string) *appsv1.Deployment {
	c.t.Helper()
	d, err := c.kc.AppsV1().Deployments(ns).Get(c.t.Context(), name, metav1.GetOptions{})
	if err != nil {
		c.t.Fatalf("Deployment %s/%s: %v", ns, name, err)
	}
	return d
}

func (c *cluster) replicas(ns, name string) int {
	c.t.Helper()
	return int(*c.deployment(ns, name).Spec.Replicas)
}

func (c *cluster) image(ns, name string) string {
	c.t.Helper()
	return c.deployment(ns, name).Spec.Template.Spec.Containers[0].Image
}

// config reads the config vars Secret.
func (c *cluster) config(ns, app string) map[string]string {
	c.t.Helper()
	s, err := c.kc.CoreV1().Secrets(ns).Get(c.t.Context(), app+"-config", metav1.GetOptions{})
	if err != nil {
		c.t.Fatalf("config Secret of %s in %s: %v", app, ns, err)
	}
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	return out
}

func (c *cluster) namespaceExists(ns string) bool {
	_, err := c.kc.CoreV1().Namespaces().Get(c.t.Context(), ns, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		c.t.Fatal(err)
	}
	return err == nil
}

// sampleApp copies the Go sample's app files (no sources: kwok runs no image) under a new
// name, with its environments in namespaces of their own; edit, when set, changes its
// slipway.yaml.
func sampleApp(t testing.TB, name string, edit func(string) string) string {
	t.Helper()
	src := filepath.Join(e2e.ModuleRoot(t), "samples", "go")
	dir := t.TempDir()
	for _, f := range []string{"Procfile", "app.json", "slipway.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), "sample-go", name)
		if f == "slipway.yaml" && edit != nil {
			s = edit(s)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func digest(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// TestGoSampleLife is the Go sample's whole life on a real API server with kwok nodes:
// deploy, config set, deploy again, scale, promote, rollback, autoscale; each step checked
// through the API, then Helm's and kubectl's view of what Slipway made.
func TestGoSampleLife(t *testing.T) {
	c := newCluster(t)
	dir := sampleApp(t, "life", nil)
	const stg, prod = "life-staging", "life-production"
	repo := "localhost:5000/life"
	imgA, imgB := repo+"@"+digest('a'), repo+"@"+digest('b')

	// v1: the first deploy creates the namespace and the release.
	r := c.ok(dir, "deploy", "--image", imgA, "--version", "aaaaaaa1234")
	if !strings.Contains(r.stdout, "life v1 in staging") || !strings.Contains(r.stdout, "Deploy aaaaaaa") {
		t.Errorf("deploy v1 says:\n%s", r)
	}
	eq(t, "v1 status", c.revisions(stg, "life")[1], "deployed")
	eq(t, "v1 web image", c.image(stg, "life-web"), imgA)
	eq(t, "v1 web replicas (app.json formation)", c.replicas(stg, "life-web"), 2)
	eq(t, "clock strategy", string(c.deployment(stg, "life-clock").Spec.Strategy.Type), "Recreate")
	cfg1 := c.config(stg, "life")
	eq(t, "GREETING from app.json", cfg1["GREETING"], "hello from Slipway")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(cfg1["SECRET_KEY"]) {
		t.Errorf("SECRET_KEY was not generated: %q", cfg1["SECRET_KEY"])
	}
	if strings.Contains(r.stdout+r.stderr, cfg1["SECRET_KEY"]) || !strings.Contains(r.stderr, "SECRET_KEY") {
		t.Errorf("deploy should name the generated SECRET_KEY and never print it:\n%s", r)
	}
	sum1 := c.deployment(stg, "life-web").Spec.Template.Annotations["checksum/config"]

	// The sandbox's simulated nodes serve no logs: logs says so for each pod, and fails.
	r = c.fails(dir, []string{"no logs of life could be read"}, "logs", "-p", "web")
	if !regexp.MustCompile(`(?m)^-- pod life-web-\S+: its node kwok-node-\d+ is simulated \(kwok\) and serves no logs$`).MatchString(r.stderr) {
		t.Errorf("logs on kwok nodes should name each pod and why:\n%s", r)
	}

	// v2: config set is a release that rolls the pods; values masked unless asked.
	c.ok(dir, "config:set", "GREETING=hi there", "FOO=bar")
	eq(t, "v2 status", c.revisions(stg, "life")[2], "deployed")
	cfg2 := c.config(stg, "life")
	eq(t, "GREETING set", cfg2["GREETING"], "hi there")
	eq(t, "FOO set", cfg2["FOO"], "bar")
	eq(t, "SECRET_KEY kept", cfg2["SECRET_KEY"], cfg1["SECRET_KEY"])
	if sum2 := c.deployment(stg, "life-web").Spec.Template.Annotations["checksum/config"]; sum2 == sum1 {
		t.Errorf("config set did not change the pods' config checksum (%s)", sum2)
	}
	list := c.ok(dir, "config")
	if strings.Contains(list.stdout, "hi there") || strings.Contains(list.stdout, cfg1["SECRET_KEY"]) || !strings.Contains(list.stdout, "FOO") {
		t.Errorf("config should list keys with masked values:\n%s", list)
	}
	eq(t, "config get FOO", c.ok(dir, "config", "get", "FOO").stdout, "bar\n")
	if rev := c.ok(dir, "config", "--reveal").stdout; !strings.Contains(rev, "hi there") {
		t.Errorf("config --reveal should show values:\n%s", rev)
	}

	// v3: a deploy keeps what config set stored over app.json and the env file.
	c.ok(dir, "deploy", "--image", imgB, "--version", "bbbbbbb5678")
	eq(t, "v3 web image", c.image(stg, "life-web"), imgB)
	eq(t, "v3 GREETING (set wins)", c.config(stg, "life")["GREETING"], "hi there")
	eq(t, "v3 SECRET_KEY kept", c.config(stg, "life")["SECRET_KEY"], cfg1["SECRET_KEY"])
	// The same deploy again changes nothing and makes no release, unless forced.
	same := c.ok(dir, "deploy", "--image", imgB, "--version", "bbbbbbb5678")
	if !strings.Contains(same.stdout, "life v3 in staging (namespace life-staging) is unchanged") {
		t.Errorf("a repeated deploy should say nothing changed:\n%s", same)
	}
	eq(t, "no release for an unchanged deploy", len(c.revisions(stg, "life")), 3)

	// scale: instant, no release; kept by the next deploy.
	c.ok(dir, "scale", "web=3", "worker=0")
	eq(t, "web scaled", c.replicas(stg, "life-web"), 3)
	eq(t, "worker scaled to 0", c.replicas(stg, "life-worker"), 0)
	eq(t, "scale made no release", len(c.revisions(stg, "life")), 3)
	c.ok(dir, "deploy", "--image", imgB, "--version", "bbbbbbb5678", "--description", "Redeploy")
	eq(t, "v4 kept web's scale", c.replicas(stg, "life-web"), 3)
	eq(t, "v4 kept worker's scale", c.replicas(stg, "life-worker"), 0)
	var ps []processJSON
	if err := json.Unmarshal([]byte(c.ok(dir, "ps", "-o", "json").stdout), &ps); err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[1].Type != "web" || ps[1].Desired != 3 || ps[1].Image != imgB {
		t.Errorf("ps -o json: %+v", ps)
	}
	c.fails(dir, []string{`unknown process type "webb" (known: clock, web, worker)`}, "scale", "webb=1")

	// promote --preview: what production would get, config by name only; nothing changes.
	values := []string{"hi there", "hello from Slipway", "/tmp/slipway-sample/db.json", cfg1["SECRET_KEY"]}
	noValues := func(what string, r result) {
		t.Helper()
		for _, v := range values {
			if strings.Contains(r.stdout+r.stderr, v) {
				t.Errorf("%s printed the config value %q:\n%s", what, v, r)
			}
		}
	}
	stgRevs := len(c.revisions(stg, "life"))
	r = c.ok(dir, "promote", "staging", "production", "--preview")
	for _, want := range []string{
		"Promoting life v4 from staging to production (nothing deployed there yet):\n",
		"\n  image  localhost:5000/life@sha256:bbbbbbbbbbbb…\n",
		"\n  source bbbbbbb\n",
		"\n  process types added: clock, web, worker\n",
		"\n  config added: DATABASE_PATH, GREETING, SECRET_KEY\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("promote --preview lacks %q:\n%s", want, r)
		}
	}
	noValues("promote --preview", r)
	eq(t, "promote --preview made no release in production", len(c.revisions(prod, "life")), 0)
	eq(t, "promote --preview made no release in staging", len(c.revisions(stg, "life")), stgRevs)

	// promote: staging's digest into production, production's own config and formation.
	r = c.ok(dir, "promote", "staging", "production")
	eq(t, "production v1", c.revisions(prod, "life")[1], "deployed")
	eq(t, "promoted image", c.image(prod, "life-web"), imgB)
	pcfg := c.config(prod, "life")
	eq(t, "production GREETING is its own", pcfg["GREETING"], "hello from Slipway")
	if pcfg["SECRET_KEY"] == "" || pcfg["SECRET_KEY"] == cfg1["SECRET_KEY"] {
		t.Errorf("production should get a SECRET_KEY of its own")
	}
	if _, err := c.kc.AutoscalingV2().HorizontalPodAutoscalers(prod).Get(t.Context(), "life-web", metav1.GetOptions{}); err != nil {
		t.Errorf("production web autoscales (slipway.yaml): %v", err)
	}
	var rels []releaseJSON
	if err := json.Unmarshal([]byte(c.ok(dir, "releases", "-e", "production", "-o", "json").stdout), &rels); err != nil {
		t.Fatal(err)
	}
	if len(rels) != 1 || rels[0].Description != "Promote v4 from staging" || rels[0].Image != imgB || rels[0].Source != "bbbbbbb5678" {
		t.Errorf("production releases: %+v", rels)
	}

	// Promoting again would change nothing: the preview says so, as JSON too.
	r = c.ok(dir, "promote", "--dry-run")
	eq(t, "promote --dry-run after the promotion", r.stdout, "Promoting life v4 from staging to production (v1):\n  nothing would change\n")
	var ch changeJSON
	if err := json.Unmarshal([]byte(c.ok(dir, "promote", "--preview", "-o", "json").stdout), &ch); err != nil {
		t.Fatal(err)
	}
	if !ch.Unchanged || ch.Release || ch.From == nil || ch.From.Version != 1 || ch.Source == nil || ch.Source.Version != 4 || ch.Image.From != imgB || ch.Image.To != imgB {
		t.Errorf("promote --preview -o json: %+v", ch)
	}

	// rollback --preview: v1 had the image before and none of what config set changed.
	r = c.ok(dir, "rollback", "v1", "--preview")
	eq(t, "rollback --preview v1", r.stdout, "Rolling back life in staging from v4 to v1:\n"+
		"  image  localhost:5000/life@sha256:bbbbbbbbbbbb… → …@sha256:aaaaaaaaaaaa…\n"+
		"  source bbbbbbb → aaaaaaa\n"+
		"  config changed: GREETING; removed: FOO\n")
	noValues("rollback --preview", r)
	if err := json.Unmarshal([]byte(c.ok(dir, "rollback", "--dry-run", "-o", "json").stdout), &ch); err != nil {
		t.Fatal(err)
	}
	if ch.Operation != "rollback" || ch.Source == nil || ch.Source.Version != 3 || !ch.Unchanged || !ch.Release || len(ch.Config.Changed)+len(ch.Config.Added)+len(ch.Config.Removed) != 0 {
		t.Errorf("rollback --dry-run -o json (to v3: the same image and config, a release all the same): %+v", ch)
	}
	eq(t, "rollback --preview made no release", len(c.revisions(stg, "life")), stgRevs)
	eq(t, "nor did promote --preview", len(c.revisions(prod, "life")), 1)
	c.fails(dir, []string{"no release v9 (releases: v1 to v4)"}, "rollback", "v9", "--preview")

	// rollback: image and config of the release before, the formation stays.
	c.ok(dir, "rollback", "v2")
	eq(t, "v5 status", c.revisions(stg, "life")[5], "deployed")
	eq(t, "rolled back image", c.image(stg, "life-web"), imgA)
	eq(t, "rolled back config", c.config(stg, "life")["GREETING"], "hi there")
	eq(t, "rollback kept web's scale", c.replicas(stg, "life-web"), 3)
	c.ok(dir, "rollback", "v1")
	eq(t, "v1's config restored", c.config(stg, "life")["GREETING"], "hello from Slipway")
	if _, ok := c.config(stg, "life")["FOO"]; ok {
		t.Errorf("FOO should be gone after rolling back to v1")
	}
	eq(t, "second rollback kept worker's scale", c.replicas(stg, "life-worker"), 0)
	if err := json.Unmarshal([]byte(c.ok(dir, "releases", "-o", "json").stdout), &rels); err != nil {
		t.Fatal(err)
	}
	if len(rels) != 6 || rels[0].Description != "Rollback to v1" || rels[1].Description != "Rollback to v2" || rels[0].Status != "deployed" {
		t.Errorf("staging releases: %+v", rels)
	}

	// autoscale and scale do not fight.
	c.ok(dir, "autoscale", "web", "--min", "2", "--max", "5", "--cpu", "60")
	hpa, err := c.kc.AutoscalingV2().HorizontalPodAutoscalers(stg).Get(t.Context(), "life-web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("autoscale made no HPA: %v", err)
	}
	eq(t, "hpa max", hpa.Spec.MaxReplicas, int32(5))
	eq(t, "autoscale kept the count within bounds", c.replicas(stg, "life-web"), 3)
	c.fails(dir, []string{"web is autoscaled", "slipway autoscale web --off"}, "scale", "web=1")
	c.ok(dir, "deploy", "--image", imgA, "--version", "aaaaaaa1234")
	if _, err := c.kc.AutoscalingV2().HorizontalPodAutoscalers(stg).Get(t.Context(), "life-web", metav1.GetOptions{}); err != nil {
		t.Errorf("a deploy removed the autoscaler: %v", err)
	}
	c.ok(dir, "autoscale", "web", "--off")
	if _, err := c.kc.AutoscalingV2().HorizontalPodAutoscalers(stg).Get(t.Context(), "life-web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("autoscale --off left the HPA: %v", err)
	}
	c.ok(dir, "scale", "web=1")
	eq(t, "scale after autoscale --off", c.replicas(stg, "life-web"), 1)

	// Interop: helm and kubectl see ordinary releases and Deployments.
	helm, kubectl := e2e.Helm(t), e2e.Kubectl(t)
	tool := func(bin string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), bin, append(args, "--kubeconfig", c.kubeconfig)...)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	hist := tool(helm, "history", "life", "-n", stg)
	for _, want := range []string{"Deploy aaaaaaa", "Set config FOO, GREETING", "Rollback to v2", "Autoscale web off"} {
		if !strings.Contains(hist, want) {
			t.Errorf("helm history lacks %q:\n%s", want, hist)
		}
	}
	if st := tool(helm, "status", "life", "-n", stg); !strings.Contains(st, "STATUS: deployed") {
		t.Errorf("helm status:\n%s", st)
	}
	tool(kubectl, "rollout", "status", "deployment/life-web", "-n", stg, "--timeout", "60s")
	tool(helm, "rollback", "life", "4", "-n", stg, "--wait", "--timeout", "60s")
	eq(t, "helm rollback restored v4's image", c.image(stg, "life-web"), imgB)
	eq(t, "helm rollback restored v4's config", c.config(stg, "life")["GREETING"], "hi there")
	if err := json.Unmarshal([]byte(c.ok(dir, "releases", "-o", "json").stdout), &rels); err != nil {
		t.Fatal(err)
	}
	if rels[0].Description != "Rollback to 4" || rels[0].Image != imgB {
		t.Errorf("slipway releases after helm rollback: %+v", rels[0])
	}

	// apps: both environments with their current release.
	var apps []appJSON
	if err := json.Unmarshal([]byte(c.ok(t.TempDir(), "apps", "-o", "json").stdout), &apps); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, a := range apps {
		if a.App == "life" {
			got[a.Environment] = a.Current.Version
		}
	}
	eq(t, "apps: staging's current release", got["staging"], len(rels))
	eq(t, "apps: production's current release", got["production"], 1)
}

// TestDeployFailures: what goes wrong leaves the cluster as it was, or puts it back, and
// says why.
func TestDeployFailures(t *testing.T) {
	c := newCluster(t)
	dir := sampleApp(t, "fail", nil)
	const ns = "fail-staging"
	imgA := "localhost:5000/fail@" + digest('a')
	imgB := "localhost:5000/fail@" + digest('b')

	t.Run("unreachable API server", func(t *testing.T) {
		c := c.on(t)
		cfg := filepath.Join(t.TempDir(), "kubeconfig")
		kc := "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\nusers:\n- name: u\n  user:\n    token: x\ncurrent-context: gone\n"
		if err := os.WriteFile(cfg, []byte(kc), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"deploy", "--image", imgA}, {"releases"}, {"ps"}, {"apps"}, {"scale", "web=1"}} {
			c.fails(dir, []string{"cannot reach the Kubernetes API server at https://127.0.0.1:1", "connection refused"}, append(args, "--kubeconfig", cfg)...)
		}
	})

	t.Run("kubeconfig as kubectl reads it", func(t *testing.T) {
		c := c.on(t)
		// KUBECONFIG is a list: a missing file is skipped, the files are merged.
		orig, err := clientcmd.LoadFromFile(c.kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		// A second context whose cluster is unreachable, named by the environment.
		broken := orig.DeepCopy()
		for _, cl := range broken.Clusters {
			cl.Server = "https://127.0.0.1:1"
			broken.Clusters = map[string]*clientcmdapi.Cluster{"broken": cl}
			break
		}
		for _, ctx := range broken.Contexts {
			ctx.Cluster = "broken"
			broken.Contexts = map[string]*clientcmdapi.Context{"broken": ctx}
			break
		}
		broken.CurrentContext = ""
		second := filepath.Join(t.TempDir(), "broken")
		if err := clientcmd.WriteToFile(*broken, second); err != nil {
			t.Fatal(err)
		}
		list := strings.Join([]string{filepath.Join(t.TempDir(), "missing"), c.kubeconfig, second}, string(os.PathListSeparator))
		app := sampleApp(t, "fail", func(s string) string {
			return strings.Replace(s, "  staging:\n", "  staging:\n    context: broken\n", 1)
		})
		merged := *c
		merged.kubeconfig = list // KUBECONFIG
		merged.fails(app, []string{"cannot reach the Kubernetes API server at https://127.0.0.1:1 (context broken)"}, "releases")
		merged.ok(app, "releases", "--context", orig.CurrentContext)
		c.fails(dir, []string{`kubeconfig has no context "nope" (known: `}, "releases", "--context", "nope")
		missing := filepath.Join(t.TempDir(), "none")
		c.fails(dir, []string{"read kubeconfig: stat " + missing + ": no such file or directory"}, "releases", "--kubeconfig", missing)
		empty := filepath.Join(t.TempDir(), "empty")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		c.fails(dir, []string{"no Kubernetes cluster configured", "slipway sandbox up"}, "releases", "--kubeconfig", empty)
	})

	t.Run("bad input changes nothing", func(t *testing.T) {
		c := c.on(t)
		bad := sampleApp(t, "fail", nil)
		if err := os.WriteFile(filepath.Join(bad, "Procfile"), []byte("web: ./bin/sample web\nworker ./bin/sample worker\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c.fails(bad, []string{"Procfile:2:"}, "deploy", "--image", imgA)
		if c.namespaceExists(ns) {
			t.Fatalf("a failed load created namespace %s", ns)
		}
		c.fails(t.TempDir(), []string{"no Procfile"}, "deploy", "--image", imgA)
		c.run(dir, "deploy", "--image", imgA) // v1, the good one
		eq(t, "v1", c.revisions(ns, "fail")[1], "deployed")
		yml := sampleApp(t, "fail", func(s string) string {
			return strings.Replace(s, "processes:\n", "processes:\n  web:\n    replicas: many\n", 1)
		})
		c.fails(yml, []string{"slipway.yaml:"}, "deploy", "--image", imgB)
		c.exits(2, dir, []string{"--image", "deploy --help"}, "deploy", "--image", "Not A Ref")
		c.fails(dir, []string{"nothing to promote", "has no deployed release in production"}, "promote", "production", "staging")
		c.fails(dir, []string{"config var NOPE not set"}, "config", "unset", "NOPE")
		eq(t, "bad input made no release", len(c.revisions(ns, "fail")), 1)
		eq(t, "image unchanged", c.image(ns, "fail-web"), imgA)
	})

	// A worker that cannot be scheduled never becomes ready: the deploy fails within its
	// timeout and restores the previous release.
	unready := sampleApp(t, "fail", func(s string) string {
		return strings.Replace(s, "  worker:\n", "  worker:\n    resources:\n      cpu: \"100\"\n", 1)
	})

	t.Run("pods never ready", func(t *testing.T) {
		c := c.on(t)
		before := len(c.revisions(ns, "fail"))
		c.fails(unready, []string{fmt.Sprintf("release v%d failed", before+1), "not scheduled", "Insufficient cpu", fmt.Sprintf("rolled back: v%d", before+2)}, "deploy", "--image", imgB, "--timeout", "15s")
		revs := c.revisions(ns, "fail")
		eq(t, "the failed release", revs[before+1], "failed")
		eq(t, "the rollback", revs[before+2], "deployed")
		eq(t, "the old image serves", c.image(ns, "fail-web"), imgA)
	})

	t.Run("two deploys at once", func(t *testing.T) {
		c := c.on(t)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		slow, _, slowErr := c.command(ctx, unready, "deploy", "--image", imgB, "--timeout", "20s")
		if err := slow.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the first deploy to take the lock", func() bool {
			_, err := c.kc.CoordinationV1().Leases(ns).Get(ctx, "slipway-deploy-fail", metav1.GetOptions{})
			return err == nil
		})
		c.fails(dir, []string{"another deploy is in progress", fmt.Sprintf("pid %d", slow.Process.Pid)}, "deploy", "--image", imgA)
		err := slow.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("the first deploy should fail on its own (unschedulable): %v\n%s", err, slowErr)
		}
		eq(t, "one deploy's outcome: the old image", c.image(ns, "fail-web"), imgA)
	})

	t.Run("deploy interrupted", func(t *testing.T) {
		c := c.on(t)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd, _, stderr := c.command(ctx, unready, "deploy", "--image", imgB, "--timeout", "90s")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pending := c.waitPending(ns, "fail")
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("an interrupted deploy should exit 1: %v\n%s", err, stderr)
		}
		for _, want := range []string{fmt.Sprintf("release v%d failed: interrupted", pending), fmt.Sprintf("rolled back: v%d", pending+1)} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		revs := c.revisions(ns, "fail")
		eq(t, "the interrupted release", revs[pending], "failed")
		eq(t, "the restoring release", revs[pending+1], "deployed")
		eq(t, "the old image serves", c.image(ns, "fail-web"), imgA)
		if _, err := c.kc.CoordinationV1().Leases(ns).Get(t.Context(), "slipway-deploy-fail", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the interrupted deploy left its lock: %v", err)
		}
	})

	t.Run("deploy killed mid-upgrade", func(t *testing.T) {
		c := c.on(t)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		killed, _, _ := c.command(ctx, unready, "deploy", "--image", imgB, "--timeout", "90s")
		if err := killed.Start(); err != nil {
			t.Fatal(err)
		}
		pending := c.waitPending(ns, "fail")
		if err := killed.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = killed.Wait()
		r := c.ok(dir, "deploy", "--image", imgA, "--description", "After the kill")
		if !strings.Contains(r.stderr, fmt.Sprintf("recovered: v%d", pending)) || !strings.Contains(r.stderr, "pending-upgrade") {
			t.Errorf("the next deploy should say what it recovered:\n%s", r)
		}
		revs := c.revisions(ns, "fail")
		eq(t, "the killed release", revs[pending], "failed")
		eq(t, "the next release", revs[pending+1], "deployed")
	})
}

// waitPending waits for a release of app in ns to be pending-upgrade and returns it.
func (c *cluster) waitPending(ns, app string) int {
	c.t.Helper()
	pending := 0
	waitFor(c.t, "a pending-upgrade release", func() bool {
		for v, s := range c.revisions(ns, app) {
			if s == "pending-upgrade" {
				pending = v
				return true
			}
		}
		return false
	})
	return pending
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
