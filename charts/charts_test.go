package charts_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/platform/app"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// sampleCases are the samples' charts, for no environment and for each environment.
var sampleCases = []struct {
	name, sample, env string
}{
	{"go", "go", ""},
	{"go-staging", "go", "staging"},
	{"go-production", "go", "production"},
	{"node", "node", ""},
	{"node-production", "node", "production"},
	{"python", "python", ""},
}

func sampleDir(t *testing.T, name string) string {
	return filepath.Join(e2e.ModuleRoot(t), "samples", name)
}

func generate(t *testing.T, dir, env string, opts charts.Options) *charts.Chart {
	t.Helper()
	a, err := app.Load(dir, app.Options{Environment: env})
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	opts.Environment = env
	ch, err := charts.Generate(a, opts)
	if err != nil {
		t.Fatalf("generate %s: %v", dir, err)
	}
	return ch
}

// TestSamplesGolden compares every sample's values.yaml and rendered manifests with the
// files under testdata/golden (go test ./charts -update rewrites them).
func TestSamplesGolden(t *testing.T) {
	for _, tc := range sampleCases {
		t.Run(tc.name, func(t *testing.T) {
			ch := generate(t, sampleDir(t, tc.sample), tc.env, charts.Options{Tag: "v1", Version: "abc1234"})
			ns := "default"
			if tc.env != "" {
				ns = "sample-" + tc.sample + "-" + tc.env
			}
			out, err := ch.Render(ch.Name, ns)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			golden(t, filepath.Join("testdata", "golden", tc.name+".values.yaml"), string(ch.Files["values.yaml"]))
			golden(t, filepath.Join("testdata", "golden", tc.name+".yaml"), out)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./charts -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from what the generator makes now (go test ./charts -update rewrites it after review):\n%s", path, diff(string(want), got))
	}
}

// diff shows the first differing lines, enough to see what changed.
func diff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w, g)
		}
	}
	return "(same lines, different line endings?)"
}

// TestSamplesLintStrict runs Helm's linter, strict, on every sample chart and environment.
func TestSamplesLintStrict(t *testing.T) {
	for _, tc := range sampleCases {
		t.Run(tc.name, func(t *testing.T) {
			ch := generate(t, sampleDir(t, tc.sample), tc.env, charts.Options{})
			findings, err := ch.Lint()
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) > 0 {
				t.Errorf("helm lint --strict found:\n  %s", strings.Join(findings, "\n  "))
			}
		})
	}
}

// TestEmbeddedChartLints lints the chart as embedded, with its default values.
func TestEmbeddedChartLints(t *testing.T) {
	findings, err := charts.Lint(filepath.Join(e2e.ModuleRoot(t), "charts", "app"))
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) > 0 {
		t.Errorf("helm lint --strict charts/app found:\n  %s", strings.Join(findings, "\n  "))
	}
}

// objects parses a rendered stream into objects keyed "Kind/name".
func objects(t *testing.T, stream string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, doc := range strings.Split(stream, "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, doc)
		}
		if obj == nil {
			continue
		}
		meta, _ := obj["metadata"].(map[string]any)
		out[obj["kind"].(string)+"/"+meta["name"].(string)] = obj
	}
	return out
}

func dig(obj any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := obj.(map[string]any)
			if !ok {
				return nil
			}
			obj = m[k]
		case int:
			l, ok := obj.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			obj = l[k]
		}
	}
	return obj
}

// TestGoSampleObjects checks, object by object, what DESIGN.md's "Cluster objects" promises.
func TestGoSampleObjects(t *testing.T) {
	ch := generate(t, sampleDir(t, "go"), "production", charts.Options{Digest: "sha256:" + strings.Repeat("ab", 32)})
	out, err := ch.Render("sample-go", "sample-go-production")
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, out)
	want := []string{
		"Deployment/sample-go-web", "Deployment/sample-go-worker", "Deployment/sample-go-clock",
		"Service/sample-go-web", "Ingress/sample-go", "Job/sample-go-release",
		"PodDisruptionBudget/sample-go-web", "HorizontalPodAutoscaler/sample-go-web",
	}
	for _, k := range want {
		if objs[k] == nil {
			t.Errorf("missing %s; rendered: %v", k, keys(objs))
		}
	}
	for _, k := range []string{"Service/sample-go-worker", "Service/sample-go-clock", "Secret/sample-go-config", "PodDisruptionBudget/sample-go-worker"} {
		if objs[k] != nil {
			t.Errorf("unexpected %s", k)
		}
	}
	cron := 0
	for k, o := range objs {
		if strings.HasPrefix(k, "CronJob/") {
			cron++
			if got := dig(o, "spec", "successfulJobsHistoryLimit"); got != float64(3) {
				t.Errorf("%s successfulJobsHistoryLimit = %v, want 3", k, got)
			}
		}
	}
	if cron != 1 {
		t.Errorf("got %d CronJobs, want 1", cron)
	}

	web := objs["Deployment/sample-go-web"]
	c := dig(web, "spec", "template", "spec", "containers", 0)
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"web image by digest", dig(c, "image"), "localhost:5000/sample-go@sha256:" + strings.Repeat("ab", 32)},
		{"web command", dig(c, "command", 2), "exec ./bin/sample web"},
		{"web shell", dig(c, "command", 0), "/bin/sh"},
		{"web PORT", dig(c, "env", 0, "value"), "5000"},
		{"web envFrom", dig(c, "envFrom", 0, "secretRef", "name"), "sample-go-config"},
		{"web maxUnavailable", dig(web, "spec", "strategy", "rollingUpdate", "maxUnavailable"), float64(0)},
		{"web grace", dig(web, "spec", "template", "spec", "terminationGracePeriodSeconds"), float64(30)},
		{"web preStop", dig(c, "lifecycle", "preStop", "sleep", "seconds"), float64(5)},
		{"web startup probe path", dig(c, "startupProbe", "httpGet", "path"), "/healthz"},
		{"web readiness probe path", dig(c, "readinessProbe", "httpGet", "path"), "/healthz"},
		{"web has no liveness probe", dig(c, "livenessProbe"), nil},
		{"web replicas set within the HPA's bounds (deploys pass the live count)", dig(web, "spec", "replicas"), float64(3)},
		{"web spread", dig(web, "spec", "template", "spec", "topologySpreadConstraints", 0, "topologyKey"), "kubernetes.io/hostname"},
		{"web component label", dig(web, "metadata", "labels", "app.kubernetes.io/component"), "web"},
		{"web managed-by", dig(web, "metadata", "labels", "app.kubernetes.io/managed-by"), "Helm"},
		{"no service links", dig(web, "spec", "template", "spec", "enableServiceLinks"), false},
		{"worker liveness port", dig(objs["Deployment/sample-go-worker"], "spec", "template", "spec", "containers", 0, "livenessProbe", "httpGet", "port"), float64(8081)},
		{"worker no readiness", dig(objs["Deployment/sample-go-worker"], "spec", "template", "spec", "containers", 0, "readinessProbe"), nil},
		{"worker no PORT", dig(objs["Deployment/sample-go-worker"], "spec", "template", "spec", "containers", 0, "env"), nil},
		{"clock Recreate", dig(objs["Deployment/sample-go-clock"], "spec", "strategy", "type"), "Recreate"},
		{"clock one replica", dig(objs["Deployment/sample-go-clock"], "spec", "replicas"), float64(1)},
		{"release hook", dig(objs["Job/sample-go-release"], "metadata", "annotations", "helm.sh/hook"), "pre-install,pre-upgrade"},
		{"release kept for reading", dig(objs["Job/sample-go-release"], "metadata", "annotations", "helm.sh/hook-delete-policy"), "before-hook-creation"},
		{"release no retries", dig(objs["Job/sample-go-release"], "spec", "backoffLimit"), float64(0)},
		{"release command", dig(objs["Job/sample-go-release"], "spec", "template", "spec", "containers", 0, "command", 2), "exec ./bin/sample migrate"},
		{"ingress host", dig(objs["Ingress/sample-go"], "spec", "rules", 0, "host"), "sample-go.example.com"},
		{"ingress tls", dig(objs["Ingress/sample-go"], "spec", "tls", 0, "secretName"), "sample-go-tls"},
		{"ingress issuer", dig(objs["Ingress/sample-go"], "metadata", "annotations", "cert-manager.io/cluster-issuer"), "letsencrypt"},
		{"hpa cpu", dig(objs["HorizontalPodAutoscaler/sample-go-web"], "spec", "metrics", 0, "resource", "target", "averageUtilization"), float64(70)},
		{"pdb", dig(objs["PodDisruptionBudget/sample-go-web"], "spec", "maxUnavailable"), float64(1)},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %#v, want %#v", ck.what, ck.got, ck.want)
		}
	}
}

func keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSecretsStayOut: without IncludeSecrets no config value reaches the chart; with it,
// the values are in values.yaml and the Secret renders as a hook that runs before the
// release Job.
func TestSecretsStayOut(t *testing.T) {
	dir := sampleDir(t, "python")
	a, err := app.Load(dir, app.Options{Environment: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := a.ResolveConfig(app.ConfigOptions{EnvFiles: []string{".env.staging"}})
	if err != nil {
		t.Fatal(err)
	}
	secret := cfg.Vars["ADMIN_EMAIL"]
	if secret == "" {
		t.Fatal("samples/python/.env.staging should set ADMIN_EMAIL")
	}
	without, err := charts.Generate(a, charts.Options{Environment: "staging", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for p, data := range without.Files {
		if strings.Contains(string(data), secret) {
			t.Errorf("%s contains a config value without IncludeSecrets", p)
		}
	}
	out, err := without.Render("sample-python", "ns")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, secret) || strings.Contains(out, "kind: Secret") {
		t.Errorf("rendered chart carries a Secret or a config value without IncludeSecrets")
	}

	with, err := charts.Generate(a, charts.Options{Environment: "staging", Config: cfg, IncludeSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(with.Files["values.yaml"]), secret) {
		t.Errorf("values.yaml lacks the config value with IncludeSecrets")
	}
	out, err = with.Render("sample-python", "ns")
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, out)
	s := objs["Secret/sample-python-config"]
	if s == nil {
		t.Fatalf("no Secret rendered with IncludeSecrets: %v", keys(objs))
	}
	if got := dig(s, "stringData", "ADMIN_EMAIL"); got != secret {
		t.Errorf("Secret ADMIN_EMAIL = %v, want the .env.staging value", got)
	}
	sw := dig(s, "metadata", "annotations", "helm.sh/hook-weight")
	jw := dig(objs["Job/sample-python-release"], "metadata", "annotations", "helm.sh/hook-weight")
	if sw != "-10" || jw != "0" {
		t.Errorf("hook weights: Secret %v, release Job %v; the Secret must come first", sw, jw)
	}
	dirOut := t.TempDir()
	if _, err := with.Write(dirOut); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dirOut, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("values.yaml with secrets has mode %v, want 0600", st.Mode().Perm())
	}
}

// TestFormationOverride: the deployer passes the live replica counts and they win.
func TestFormationOverride(t *testing.T) {
	ch := generate(t, sampleDir(t, "go"), "", charts.Options{Replicas: map[string]int{"web": 7, "worker": 0}})
	out, err := ch.Render("sample-go", "ns")
	if err != nil {
		t.Fatal(err)
	}
	objs := objects(t, out)
	if got := dig(objs["Deployment/sample-go-web"], "spec", "replicas"); got != float64(7) {
		t.Errorf("web replicas = %v, want 7", got)
	}
	if got := dig(objs["Deployment/sample-go-worker"], "spec", "replicas"); got != float64(0) {
		t.Errorf("worker replicas = %v, want 0", got)
	}
}

// TestHelmCLI runs the real helm CLI (built from its Go module) over every sample chart:
// helm lint --strict and helm template must both pass.
func TestHelmCLI(t *testing.T) {
	helm := e2e.Helm(t)
	for _, tc := range sampleCases {
		t.Run(tc.name, func(t *testing.T) {
			ch := generate(t, sampleDir(t, tc.sample), tc.env, charts.Options{})
			dir := filepath.Join(t.TempDir(), ch.Name)
			if _, err := ch.Write(dir); err != nil {
				t.Fatal(err)
			}
			helmCheck(t, helm, dir)
		})
	}
}

func helmCheck(t *testing.T, helm, dir string) {
	t.Helper()
	if out, err := exec.Command(helm, "lint", "--strict", dir).CombinedOutput(); err != nil {
		t.Errorf("helm lint --strict %s: %v\n%s", dir, err, out)
	}
	if out, err := exec.Command(helm, "template", "release", dir).CombinedOutput(); err != nil {
		t.Errorf("helm template %s: %v\n%s", dir, err, out)
	}
}
