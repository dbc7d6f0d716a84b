package main

import (
	"flag"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/platform/app"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden migration reports under testdata/import")

// importExports copies the Heroku CLI exports of testdata/import beside the app directory
// dir and returns them as flags, with paths relative to dir (as a user would give them).
func importExports(t *testing.T, dir string) []string {
	t.Helper()
	var flags []string
	for _, f := range [][2]string{{"--config", "config.sh"}, {"--addons", "addons.json"}, {"--formation", "apps-info.json"}, {"--domains", "domains.json"}} {
		b, err := os.ReadFile(filepath.Join("testdata", "import", f[1]))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(filepath.Dir(dir), f[1]), b, 0o600); err != nil {
			t.Fatal(err)
		}
		flags = append(flags, f[0], filepath.Join("..", f[1]))
	}
	return flags
}

// corpusCopy copies the corpus app into a directory of the same name, so that the app's
// name (the directory's) is the same on every run.
func corpusCopy(t *testing.T, corpus, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(corpus, name))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestImportCorpus: `slipway import heroku` on every app of the corpus, through the real
// binary: each gets a slipway.yaml whose chart passes the real helm CLI's lint --strict and
// template, or a located reason and nothing written; a second run changes nothing.
func TestImportCorpus(t *testing.T) {
	corpus := e2e.Corpus(t)
	helm := e2e.Helm(t)
	entries, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	imported := 0
	for _, ent := range entries {
		if !ent.IsDir() {
			continue
		}
		t.Run(ent.Name(), func(t *testing.T) {
			dir := corpusCopy(t, corpus, ent.Name())
			stdout, stderr, code := run(t, dir, "import", "heroku")
			noStackTrace(t, stdout+stderr)
			manifest := filepath.Join(dir, app.ManifestFile)
			if code != 0 {
				// A refusal names the file and line, and writes nothing.
				if !strings.HasPrefix(stderr, "error: ") || !strings.Contains(stderr, ":") {
					t.Errorf("exit %d without a located reason:\n%s", code, stderr)
				}
				if _, err := os.Stat(manifest); err == nil {
					t.Errorf("a refused import wrote %s", app.ManifestFile)
				}
				t.Logf("refused: %s", strings.TrimSpace(stderr))
				return
			}
			imported++
			first, err := os.ReadFile(manifest)
			if err != nil {
				t.Fatalf("import said:\n%s\nbut: %v", stdout, err)
			}
			if !strings.Contains(stdout, "wrote slipway.yaml") {
				t.Errorf("the report does not say slipway.yaml was written:\n%s", stdout)
			}
			out := filepath.Join(t.TempDir(), "chart")
			if _, stderr, code := run(t, dir, "chart", "-o", out); code != 0 {
				t.Fatalf("chart after import: exit %d:\n%s", code, stderr)
			}
			for _, args := range [][]string{{"lint", "--strict", out}, {"template", "x", out}} {
				if b, err := exec.Command(helm, args...).CombinedOutput(); err != nil {
					t.Errorf("helm %s: %v\n%s", args[0], err, b)
				}
			}
			// Again: nothing to change, nothing changed.
			stdout, stderr, code = run(t, dir, "import", "heroku")
			if code != 0 || !strings.Contains(stdout, "unchanged: slipway.yaml") {
				t.Errorf("a second import: exit %d\n%s%s", code, stdout, stderr)
			}
			if again, _ := os.ReadFile(manifest); string(again) != string(first) {
				t.Errorf("a second import rewrote slipway.yaml:\n%s\nthen:\n%s", first, again)
			}
		})
	}
	if imported < 15 {
		t.Errorf("only %d corpus apps imported", imported)
	}
}

// TestImportGoldenReports: the migration report of five corpus apps, each with the Heroku
// CLI's exports of testdata/import (config with Heroku's quoting, add-ons, formation,
// domains), against golden files (-update rewrites them).
func TestImportGoldenReports(t *testing.T) {
	corpus := e2e.Corpus(t)
	for _, name := range []string{"heroku__go-getting-started", "heroku__python-getting-started", "heroku__ruby-getting-started",
		"codetriage__CodeTriage", "outline__outline", "PostHog__posthog", "parse-community__parse-server-example"} {
		t.Run(name, func(t *testing.T) {
			dir := corpusCopy(t, corpus, name)
			args := append([]string{"import", "heroku", "--app", "acme-web"}, importExports(t, dir)...)
			stdout, stderr, code := run(t, dir, args...)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			for _, v := range []string{"p4ss", "pt0ken", "4a3b2c1d", "line one", "café"} {
				if strings.Contains(stdout+stderr, v) {
					t.Errorf("the report shows a config value (%q):\n%s", v, stdout)
				}
			}
			golden := filepath.Join("testdata", "import", name+".txt")
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if stdout != string(want) {
				t.Errorf("the report differs from %s (-update rewrites it):\n%s", golden, stdout)
			}
			// The values went to the production env file, nowhere else, and read back whole.
			ef, err := app.ReadEnvFile(filepath.Join(dir, ".env.production"), ".env.production")
			if err != nil {
				t.Fatal(err)
			}
			if got := ef.Vars["GREETING"]; got != "say \"it's\" $HOME `x` !" {
				t.Errorf("GREETING read back as %q", got)
			}
			if got := ef.Vars["MULTILINE"]; got != "line one\nline two\n" {
				t.Errorf("MULTILINE read back as %q", got)
			}
			for _, k := range []string{"DATABASE_URL", "HEROKU_APP_NAME", "PAPERTRAIL_API_TOKEN"} {
				if _, ok := ef.Vars[k]; ok {
					t.Errorf("%s should have been left out", k)
				}
			}
			if fi, err := os.Stat(filepath.Join(dir, ".env.production")); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf(".env.production: %v %v, want mode 0600", fi.Mode(), err)
			}
			for _, ig := range []string{".gitignore", ".dockerignore"} {
				if b, _ := os.ReadFile(filepath.Join(dir, ig)); !strings.Contains(string(b), "/.env.production\n") {
					t.Errorf("%s does not list .env.production:\n%s", ig, b)
				}
			}
			manifest, err := os.ReadFile(filepath.Join(dir, app.ManifestFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{"p4ss", "4a3b2c1d", "line one"} {
				if strings.Contains(string(manifest), v) {
					t.Errorf("slipway.yaml holds a config value:\n%s", manifest)
				}
			}

			// A re-run with another value changes nothing without --force, and says what.
			changed := filepath.Join(t.TempDir(), "config.sh")
			if err := os.WriteFile(changed, []byte("LANG=C.UTF-8\nNEW_VAR=1\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(filepath.Join(dir, ".env.production"))
			stdout, stderr, code = run(t, dir, "import", "heroku", "--app", "acme-web", "--config", changed)
			if code == 0 || !strings.Contains(stdout, "would change: .env.production: replace the value of LANG") ||
				!strings.Contains(stderr, "nothing was changed") || !strings.Contains(stderr, "--force") {
				t.Errorf("a re-run that would replace a value: exit %d\n%s%s", code, stdout, stderr)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, ".env.production")); string(after) != string(before) {
				t.Error("a refused re-run changed .env.production")
			}
			if _, stderr, code = run(t, dir, "import", "heroku", "--app", "acme-web", "--config", changed, "--force"); code != 0 {
				t.Fatalf("--force: exit %d\n%s", code, stderr)
			}
			ef, err = app.ReadEnvFile(filepath.Join(dir, ".env.production"), ".env.production")
			if err != nil || ef.Vars["LANG"] != "C.UTF-8" || ef.Vars["NEW_VAR"] != "1" || ef.Vars["GREETING"] == "" {
				t.Errorf("after --force: %v %v", ef, err)
			}
		})
	}
}

// TestImportRefusals: bad exports and names are refused with what and where, and nothing
// is written.
func TestImportRefusals(t *testing.T) {
	dir := writeApp(t, map[string]string{"Procfile": "web: ./server\n"})
	bad := func(name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unterminated quote", []string{"--config", bad("c.sh", "A=1\nSECRET_KEY='sk_live_zq9Secret\n")}, "c.sh:2:"},
		{"heroku config's table", []string{"--config", bad("t.txt", "=== acme-web Config Vars\nSECRET_KEY: sk_live_zq9Secret\n")}, "heroku config --shell"},
		{"add-ons not JSON", []string{"--addons", bad("a.json", "[{\"name\": 3}]")}, "a.json:1:"},
		{"a bad app name", []string{"--app", "Acme_Web"}, `app name "Acme_Web"`},
		{"no such file", []string{"--domains", "missing.json"}, "missing.json"},
		{"a registry that makes no repository", []string{"--registry", "Registry.Example.com:5000"}, "the slipway.yaml the import would write does not load: slipway.yaml:5: image.repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, dir, append([]string{"import", "heroku"}, tc.args...)...)
			noStackTrace(t, stdout+stderr)
			noSecret(t, stdout+stderr)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want a refusal with %q:\n%s", code, tc.want, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, app.ManifestFile)); err == nil {
				t.Error("a refused import wrote slipway.yaml")
			}
		})
	}
}

// herokuQuote is the Heroku CLI's quoting of a value in `heroku config --shell`
// (packages/cli/src/lib/config/quote.ts): bare when nothing needs quoting, double quotes
// when the value holds a single quote or a newline, else single quotes.
func herokuQuote(s string) string {
	needs := strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u00a0' || r == '\ufeff' || strings.ContainsRune("\"#!$&'()*,:;<=>?@[\\]^`{|}", r)
	})
	switch {
	case !needs:
		return s
	case strings.ContainsAny(s, "'\n"):
		r := strings.NewReplacer(`"`, `\"`, `\`, `\\`, `$`, `\$`, "`", "\\`", `!`, `\!`, "\n", `\n`)
		return `"` + r.Replace(s) + `"`
	default:
		return `'` + strings.NewReplacer(`'`, `\'`, `\`, `\\`).Replace(s) + `'`
	}
}

// TestImportHerokuAppsOnRealNode: the real Heroku apps of ../shared/apps, copied and not
// edited, imported and deployed on the sandbox's real node: each serves its page through
// its Service (the Go app, which has a Dockerfile only Heroku's builders can build and a
// heroku.yml with build.languages, is built with Slipway's generated Dockerfile, as Heroku
// builds it with buildpacks). The Node app is imported with a `heroku config --shell` export
// holding quotes, newlines, '=', '$' and unicode, before its first deploy: the values go to
// .env.staging (the app has no release to set them in), and the deploy carries them into the
// cluster byte for byte. A second export that changes values is refused without --force
// (nothing changes) and makes one config release with it.
func TestImportHerokuAppsOnRealNode(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	host := e2e.DockerEngine(t)
	e2e.BaseImages(t, host, "golang:1.25-bookworm", "busybox:1.36", "node:22-bookworm-slim")
	kubeconfig, registry := e2e.RealNodeSandbox(t)
	c := clusterAt(t, kubeconfig)
	t.Setenv("DOCKER_HOST", host)
	t.Setenv("DOCKER_BUILDKIT", "")
	http5 := &http.Client{Timeout: 5 * time.Second}
	slipway := func(dir string, args ...string) result {
		t.Helper()
		return c.runFor(8*time.Minute, dir, args...)
	}
	ok := func(dir string, args ...string) result {
		t.Helper()
		r := slipway(dir, args...)
		if r.code != 0 {
			t.Fatalf("slipway %s: %s", strings.Join(args, " "), r)
		}
		return r
	}
	export := func(values map[string]string) string {
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(values)) {
			b.WriteString(k + "=" + herokuQuote(values[k]) + "\n")
		}
		b.WriteString("HEROKU_APP_NAME=acme\nPORT=5000\n")
		file := filepath.Join(t.TempDir(), "config.sh")
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	noValues := func(out string, values map[string]string) {
		t.Helper()
		for k, v := range values {
			if len(v) > 3 && strings.Contains(out, v) {
				t.Errorf("the output shows the value of %s", k)
			}
		}
	}
	values := map[string]string{
		"GREETING":    `say "it's" \n not a newline, $HOME, ` + "`id`" + `, !bang, back\slash`,
		"PEM":         "-----BEGIN KEY-----\nMIIB\tx==\n-----END KEY-----\n",
		"QUERY":       "a=b&c==d; e",
		"UNICODE":     "café ☕ 🚀 naïve\u00a0nbsp",
		"EMPTY":       "",
		"SPACES":      "  both ends  ",
		"PLAIN":       "v42",
		"SINGLE_ONLY": "x's",
	}

	for _, tc := range []struct {
		name, page string
		config     bool
		report     []string
	}{
		{"go-getting-started", "Getting Started with Go on Heroku", false,
			[]string{"build: Slipway's generated Dockerfile for Go 1.25 (heroku.yml build.languages: Heroku builds this app with buildpacks)",
				"note: Dockerfile not used"}},
		{"node-js-sample", "Hello World", true,
			[]string{"build: Slipway's generated Dockerfile for Node.js", "8 imported into .env.staging",
				"not into the cluster: node-js-sample is not deployed in staging yet", "wrote .env.staging"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join(e2e.ModuleRoot(t), "..", "shared", "apps", "heroku__"+tc.name)
			if _, err := os.Stat(src); err != nil {
				e2e.Missing(t, "the real Heroku app %s: %v", src, err)
			}
			dir := copyDir(t, src)
			args := []string{"import", "heroku", "--app", tc.name, "--registry", registry}
			if tc.config {
				args = append(args, "-e", "staging", "--config", export(values))
			}
			imp := ok(dir, args...)
			t.Logf("import:\n%s%s", imp.stdout, imp.stderr)
			noValues(imp.stdout+imp.stderr, values)
			for _, w := range append(tc.report, "app "+tc.name+" (name from the Heroku app's name)", "wrote slipway.yaml") {
				if !strings.Contains(imp.stdout, w) {
					t.Errorf("the report lacks %q", w)
				}
			}
			d := ok(dir, "deploy", "--timeout", "5m")
			t.Logf("deploy:\n%s", d.stderr)
			noValues(d.stdout+d.stderr, values)
			ns := tc.name + "-staging"
			svc, err := c.kc.CoreV1().Services(ns).Get(t.Context(), tc.name+"-web", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("web Service: %v", err)
			}
			page := fmt.Sprintf("http://%s:%d/", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
			var body string
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
				if body, err = getBody(http5, page); err == nil && strings.Contains(body, tc.page) {
					break
				}
			}
			if !strings.Contains(body, tc.page) {
				t.Fatalf("GET %s: %v, want %q in:\n%.500s", page, err, tc.page, body)
			}
			if !tc.config {
				return
			}

			// The values went through .env.staging and the deploy into the cluster, whole.
			got := c.config(ns, tc.name)
			for k, v := range values {
				if got[k] != v {
					t.Errorf("%s in the cluster: %q, want %q", k, got[k], v)
				}
			}
			for _, k := range []string{"HEROKU_APP_NAME", "PORT"} {
				if _, ok := got[k]; ok {
					t.Errorf("%s reached the cluster's config", k)
				}
			}

			// A new export that changes two values and adds one: refused without --force.
			changed := maps.Clone(values)
			changed["PLAIN"], changed["QUERY"], changed["ADDED"] = "v43", "x=\"y\"", "new"
			file := export(changed)
			before := len(c.revisions(ns, tc.name))
			r := slipway(dir, "import", "heroku", "--app", tc.name, "--registry", registry, "-e", "staging", "--config", file)
			if r.code != 1 || !strings.Contains(r.stdout, "would change: the cluster's config of staging: replace the value of PLAIN, QUERY") ||
				!strings.Contains(r.stderr, "nothing was changed") {
				t.Errorf("an import that would replace values in the cluster: %s", r)
			}
			if after := len(c.revisions(ns, tc.name)); after != before {
				t.Errorf("a refused import made %d releases", after-before)
			}
			r = ok(dir, "import", "heroku", "--app", tc.name, "--registry", registry, "-e", "staging", "--config", file, "--force")
			t.Logf("import -e staging --force:\n%s%s", r.stdout, r.stderr)
			if !strings.Contains(r.stdout, "into the cluster: staging v2") {
				t.Errorf("the report does not name the config release:\n%s", r.stdout)
			}
			noValues(r.stdout+r.stderr, changed)
			got = c.config(ns, tc.name)
			for k, v := range changed {
				if got[k] != v {
					t.Errorf("%s in the cluster after --force: %q, want %q", k, got[k], v)
				}
			}
			if after := len(c.revisions(ns, tc.name)); after != before+1 {
				t.Errorf("--force made %d releases, want one", after-before)
			}
			// Again: nothing to change, no release.
			ok(dir, "import", "heroku", "--app", tc.name, "--registry", registry, "-e", "staging", "--config", file)
			if after := len(c.revisions(ns, tc.name)); after != before+1 {
				t.Errorf("an import with nothing to change made a release")
			}
		})
	}
}

// TestImportWithoutCluster: with -e but no cluster to reach, the values go to the
// environment's env file, and the report says why; a value no env file can carry is refused
// by name, with nothing written.
func TestImportWithoutCluster(t *testing.T) {
	dir := writeApp(t, map[string]string{"Procfile": "web: ./server\n", ".gitignore": "node_modules\n"})
	cfg := filepath.Join(t.TempDir(), "config.sh")
	if err := os.WriteFile(cfg, []byte("SECRET_KEY='"+secret+"'\nB=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(e2e.Slipway(t), "import", "heroku", "--app", "shop", "-e", "staging", "--config", cfg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "KUBECONFIG="+filepath.Join(t.TempDir(), "none"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	noSecret(t, string(out))
	for _, w := range []string{"2 imported into .env.staging", "not into the cluster: the cluster could not be reached", "wrote .env.staging", "updated .gitignore", "wrote .dockerignore"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("the report lacks %q:\n%s", w, out)
		}
	}
	ef, err := app.ReadEnvFile(filepath.Join(dir, ".env.staging"), ".env.staging")
	if err != nil || ef.Vars["SECRET_KEY"] != secret || ef.Vars["B"] != "2" {
		t.Errorf(".env.staging: %v %v", ef, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); string(b) != "node_modules\n# config vars imported from Heroku (secrets)\n/.env.staging\n" {
		t.Errorf(".gitignore:\n%s", b)
	}

	// A value that ends with a double quote, holds a single quote and a newline: no env file
	// form reads it back, so it is refused by name and nothing is written.
	dir = writeApp(t, map[string]string{"Procfile": "web: ./server\n"})
	if err := os.WriteFile(cfg, []byte(`ODD="it's `+secret+`\n\""`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, dir, "import", "heroku", "--app", "shop", "--config", cfg)
	noSecret(t, stdout+stderr)
	if code != 1 || !strings.Contains(stderr, "the value of ODD has no form an env file reads back unchanged") {
		t.Errorf("exit %d:\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{".env.production", app.ManifestFile, ".dockerignore"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("a refused import wrote %s", f)
		}
	}
}
