package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// run runs the real slipway binary and returns stdout, stderr and the exit code.
func run(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(e2e.Slipway(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run slipway %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

func noStackTrace(t testing.TB, out string) {
	t.Helper()
	for _, s := range []string{"goroutine ", "panic:", ".go:"} {
		if strings.Contains(out, s) {
			t.Errorf("output looks like a stack trace (%q):\n%s", s, out)
		}
	}
}

// TestCorpusChartsThroughCLI: `slipway chart` on every corpus app that has a Procfile, then
// the real helm CLI's lint --strict and template on what it wrote.
func TestCorpusChartsThroughCLI(t *testing.T) {
	corpus := e2e.Corpus(t)
	helm := e2e.Helm(t)
	entries, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ent := range entries {
		dir := filepath.Join(corpus, ent.Name())
		if !ent.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "Procfile")); err != nil {
			continue
		}
		n++
		t.Run(ent.Name(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "chart")
			stdout, stderr, code := run(t, dir, "chart", "-o", out)
			noStackTrace(t, stderr)
			if code != 0 {
				t.Fatalf("slipway chart exited %d:\n%s", code, stderr)
			}
			if !strings.Contains(stdout, "wrote chart") {
				t.Errorf("stdout = %q, want the 'wrote chart' line", stdout)
			}
			if b, err := exec.Command(helm, "lint", "--strict", out).CombinedOutput(); err != nil {
				t.Errorf("helm lint --strict: %v\n%s", err, b)
			}
			if b, err := exec.Command(helm, "template", "rel", out).CombinedOutput(); err != nil {
				t.Errorf("helm template: %v\n%s", err, b)
			}
			for _, env := range []string{"staging", "production"} {
				if _, stderr, code := run(t, dir, "chart", "-e", env, "--template"); code != 0 {
					t.Errorf("slipway chart -e %s --template exited %d:\n%s", env, code, stderr)
				}
			}
		})
	}
	if n < 20 {
		t.Errorf("only %d corpus apps with a Procfile; expected the 21 of shared/corpus", n)
	}
}

// TestSamplesThroughCLI: every sample's chart through the binary, with and without an
// environment, checked by the real helm CLI.
func TestSamplesThroughCLI(t *testing.T) {
	helm := e2e.Helm(t)
	root := e2e.ModuleRoot(t)
	for _, s := range []string{"go", "node", "python"} {
		for _, env := range []string{"", "staging", "production"} {
			t.Run(s+"/"+env, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "chart")
				args := []string{"-C", filepath.Join(root, "samples", s), "chart", "-o", out, "--lint"}
				if env != "" {
					args = append(args, "-e", env)
				}
				if _, stderr, code := run(t, root, args...); code != 0 {
					t.Fatalf("slipway %v exited %d:\n%s", args, code, stderr)
				}
				if b, err := exec.Command(helm, "lint", "--strict", out).CombinedOutput(); err != nil {
					t.Errorf("helm lint --strict: %v\n%s", err, b)
				}
				if b, err := exec.Command(helm, "template", "rel", out).CombinedOutput(); err != nil {
					t.Errorf("helm template: %v\n%s", err, b)
				}
			})
		}
	}
}

// writeApp lays out an app directory from name → content.
func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBadInput: located errors, exit code 1 (2 for a wrong command line), no stack trace,
// and nothing written.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		code  int
		want  []string
	}{
		{"duplicate type", map[string]string{"Procfile": "web: a\nworker: b\nweb: c\n"}, []string{"chart", "-o", "OUT"}, 1,
			[]string{`Procfile:3:`, `"web" declared twice (first on line 1)`}},
		{"missing colon", map[string]string{"Procfile": "web: a\nworker b\n"}, []string{"chart", "-o", "OUT"}, 1, []string{"Procfile:2:"}},
		{"merge conflict", map[string]string{"Procfile": "<<<<<<< HEAD\nweb: a\n=======\nweb: b\n>>>>>>> x\n"}, []string{"chart", "-o", "OUT"}, 1,
			[]string{"Procfile:1:", "merge conflict"}},
		{"no Procfile", map[string]string{"README": "x"}, []string{"chart", "-o", "OUT"}, 1, []string{"Procfile", "web: npm start"}},
		{"slipway.yaml typo", map[string]string{"Procfile": "web: a\n", "slipway.yaml": "name: x\nprocesses:\n  web:\n    prot: 80\n"}, []string{"chart", "-o", "OUT"}, 1,
			[]string{`slipway.yaml:4:`, `unknown field "prot"`}},
		{"slipway.yaml unknown type", map[string]string{"Procfile": "web: a\n", "slipway.yaml": "processes:\n  wrker:\n    replicas: 2\n"}, []string{"chart", "-o", "OUT"}, 1,
			[]string{`slipway.yaml:2:`, `processes.wrker`, `process types: web`}},
		{"app.json syntax", map[string]string{"Procfile": "web: a\n", "app.json": "{\n  \"env\": {\n    \"A\": \"x\",\n  }\n}\n"}, []string{"chart", "-o", "OUT"}, 1,
			[]string{"app.json:4:"}},
		{"bad env file", map[string]string{"Procfile": "web: a\n", ".env": "A=1\nB=\"unterminated\nC=3\n"}, []string{"chart", "-o", "OUT", "--include-secrets"}, 1,
			[]string{".env:"}},
		{"required var", map[string]string{"Procfile": "web: a\n", "app.json": `{"env": {"DATABASE_URL": {"required": true}}}`}, []string{"chart", "-o", "OUT", "-e", "staging", "--include-secrets"}, 1,
			[]string{"DATABASE_URL", ".env.staging", "config:set"}},
		{"unknown environment", map[string]string{"Procfile": "web: a\n"}, []string{"chart", "-o", "OUT", "-e", "prod"}, 1,
			[]string{`unknown environment "prod"`, "production, staging"}},
		{"unknown flag", map[string]string{"Procfile": "web: a\n"}, []string{"chart", "--nope"}, 2, []string{"--nope", "--help"}},
		{"unknown command", map[string]string{"Procfile": "web: a\n"}, []string{"frobnicate"}, 2, []string{"frobnicate"}},
		{"extra argument", map[string]string{"Procfile": "web: a\n"}, []string{"chart", "x"}, 2, []string{"takes no arguments"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeApp(t, tc.files)
			out := filepath.Join(dir, "out")
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "OUT", out)
			}
			stdout, stderr, code := run(t, dir, args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			noStackTrace(t, stderr)
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout should be empty on error, got %q", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written although the command failed", out)
			}
		})
	}
}

// TestIncludeSecrets: config values appear only when asked, never on stdout or stderr.
func TestIncludeSecrets(t *testing.T) {
	const value = "s3cr3t-value-from-env-file"
	dir := writeApp(t, map[string]string{
		"Procfile":     "web: node web.js\nrelease: node migrate.js\n",
		".env.staging": "API_TOKEN=" + value + "\n",
		"app.json":     `{"env": {"SESSION_KEY": {"generator": "secret"}}}`,
	})
	plain := filepath.Join(dir, "plain")
	stdout, stderr, code := run(t, dir, "chart", "-e", "staging", "-o", plain)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout+stderr, value) {
		t.Errorf("a config value was printed")
	}
	if grep(t, plain, value) {
		t.Errorf("a config value was written without --include-secrets")
	}
	withDir := filepath.Join(dir, "with")
	stdout, stderr, code = run(t, dir, "chart", "-e", "staging", "--include-secrets", "-o", withDir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout+stderr, value) {
		t.Errorf("a config value was printed with --include-secrets")
	}
	if !grep(t, withDir, value) {
		t.Errorf("--include-secrets did not write the value")
	}
	vals, _ := os.ReadFile(filepath.Join(withDir, "values.yaml"))
	if !strings.Contains(string(vals), "SESSION_KEY:") {
		t.Errorf("generator: secret var SESSION_KEY has no value in values.yaml")
	}
	if !strings.Contains(stderr, "keep it out of version control") {
		t.Errorf("no warning that values.yaml holds config values:\n%s", stderr)
	}
}

func grep(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			found = found || bytes.Contains(b, []byte(s))
		}
		return nil
	})
	return found
}

// TestInit: init says what it found, writes a slipway.yaml that loads, and refuses to
// overwrite one without --force.
func TestInit(t *testing.T) {
	dir := writeApp(t, map[string]string{
		"Procfile":     "release: ./migrate\nweb: ./server\nworker_beat: celery beat\n",
		"package.json": `{"name": "x"}`,
	})
	stdout, stderr, code := run(t, dir, "-a", "shop", "init")
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, stderr)
	}
	for _, w := range []string{"app shop", "Node.js", "release:", "web:", "worker_beat:", "singleton", "staging:", "shop-staging",
		"build:     a Dockerfile Slipway generates for Node.js 22 (no heroku.yml build.docker: Heroku builds this app with buildpacks)"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("init's report lacks %q:\n%s", w, stderr)
		}
	}
	if !strings.Contains(stdout, "wrote") {
		t.Errorf("stdout = %q", stdout)
	}
	data, err := os.ReadFile(filepath.Join(dir, "slipway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"name: shop", "namespace: shop-production", "worker_beat:", "singleton: true"} {
		if !strings.Contains(string(data), w) {
			t.Errorf("slipway.yaml lacks %q:\n%s", w, data)
		}
	}
	if _, stderr, code := run(t, dir, "chart", "--template"); code != 0 {
		t.Errorf("chart after init exited %d: %s", code, stderr)
	}
	_, stderr, code = run(t, dir, "init")
	if code != 1 || !strings.Contains(stderr, "--force") {
		t.Errorf("second init: exit %d, stderr %q; want 1 and a hint about --force", code, stderr)
	}
	if _, _, code := run(t, dir, "init", "--force"); code != 0 {
		t.Errorf("init --force exited %d", code)
	}
}

// TestBuildDockerfileAsHeroku: `build --dockerfile` on Heroku's Go getting-started app,
// unchanged: its Dockerfile builds only on Heroku's own images and heroku.yml says
// build.languages, so Slipway prints the Dockerfile it generates and says why the
// repository's is not used; init says the same. build.generate: false in slipway.yaml
// brings the repository's back.
func TestBuildDockerfileAsHeroku(t *testing.T) {
	src := filepath.Join(e2e.ModuleRoot(t), "..", "shared", "apps", "heroku__go-getting-started")
	if _, err := os.Stat(src); err != nil {
		e2e.Missing(t, "the real Heroku app: %v", err)
	}
	dir := copyDir(t, src)
	const note = "Dockerfile not used: heroku.yml build.languages: Heroku builds this app with buildpacks; Slipway generates one (build.generate: false in slipway.yaml builds yours)"
	stdout, stderr, code := run(t, dir, "build", "--dockerfile")
	if code != 0 {
		t.Fatalf("build --dockerfile exited %d:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "note: "+note+"\n") || !strings.Contains(stderr, "detected Go ") {
		t.Errorf("stderr should say the repository's Dockerfile is not used, and why:\n%s", stderr)
	}
	if strings.Contains(stdout, "heroku/heroku:24") || !strings.Contains(stdout, "go-getting-started") {
		t.Errorf("stdout should be the generated Dockerfile, building the binary go-getting-started:\n%s", stdout)
	}
	_, stderr, code = run(t, dir, "init")
	if code != 0 || !strings.Contains(stderr, "build:     a Dockerfile Slipway generates for Go") || !strings.Contains(stderr, "note:      "+note) {
		t.Errorf("init exited %d; its report should say how the image is built:\n%s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "slipway.yaml"), []byte("build:\n  generate: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = run(t, dir, "build", "--dockerfile")
	if code != 0 || !strings.HasPrefix(stdout, "FROM heroku/heroku:24-build") || !strings.Contains(stderr, "has its own Dockerfile (Dockerfile); Slipway builds with it (slipway.yaml build.generate: false)") {
		t.Errorf("with build.generate: false, exit %d, stdout should be the repository's Dockerfile:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestChartDirSafety: chart never writes over a directory it did not write.
func TestChartDirSafety(t *testing.T) {
	dir := writeApp(t, map[string]string{"Procfile": "web: ./server\n", "mine/notes.txt": "keep me"})
	_, stderr, code := run(t, dir, "chart", "-o", filepath.Join(dir, "mine"))
	if code != 1 || !strings.Contains(stderr, "not empty") {
		t.Errorf("exit %d, stderr %q; want a refusal", code, stderr)
	}
	out := filepath.Join(dir, "chart")
	for i := 0; i < 2; i++ {
		if _, stderr, code := run(t, dir, "chart", "-o", out); code != 0 {
			t.Fatalf("chart run %d exited %d: %s", i+1, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "templates", "deployment.yaml")); err != nil {
		t.Errorf("rewritten chart lacks its templates: %v", err)
	}
}

// TestVersionAndCompletion: the two commands a packager checks first.
func TestVersionAndCompletion(t *testing.T) {
	stdout, _, code := run(t, t.TempDir(), "version")
	if code != 0 || !strings.HasPrefix(stdout, "slipway test\n") || !strings.Contains(stdout, "helm SDK:   v3.") {
		t.Errorf("version: exit %d, output:\n%s", code, stdout)
	}
	stdout, _, code = run(t, t.TempDir(), "completion", "bash")
	if code != 0 || !strings.Contains(stdout, "__start_slipway") {
		t.Errorf("completion bash: exit %d, %d bytes", code, len(stdout))
	}
}
