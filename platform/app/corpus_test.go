package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// corpusDir locates the shared corpus of real Heroku apps: $SLIPWAY_CORPUS, else
// ../../../shared/corpus (i.e. /work/shared/corpus when the module is /work/main). When it
// is absent the test is skipped, unless SLIPWAY_E2E=require makes that a failure.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SLIPWAY_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("SLIPWAY_E2E") == "require" {
			t.Fatalf("no app corpus at %s (SLIPWAY_E2E=require): %v", dir, err)
		}
		t.Skipf("no app corpus at %s (set SLIPWAY_CORPUS): %v", dir, err)
	}
	return dir
}

// corpusApps returns the app directories of the corpus, sorted.
func corpusApps(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var apps []string
	for _, e := range entries {
		if e.IsDir() {
			apps = append(apps, e.Name())
		}
	}
	if len(apps) == 0 {
		t.Fatalf("no app directories under %s", dir)
	}
	return apps
}

// locatedRE is what an error a user can act on starts with: a file Slipway reads, and a
// line where it has one.
var locatedRE = regexp.MustCompile(`^(Procfile:\d+|slipway\.yaml:\d+|app\.json(:\d+)?|heroku\.yml(:\d+)?|package\.json|\.env[^:]*(:\d+)?): `)

// TestCorpus loads every app of the corpus the way `slipway deploy` would.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	apps := corpusApps(t, dir)

	// Neither has a Procfile; both have package.json scripts.start, so Heroku (and Slipway)
	// run `npm start` as web.
	npmStartApps := map[string]bool{
		"RisingStack__kubernetes-nodejs-example": true,
		"parse-community__parse-server-example":  true,
	}
	var table []string
	seen := map[string]bool{}
	for _, name := range apps {
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			appDir := filepath.Join(dir, name)
			a, err := Load(appDir, Options{})
			if err != nil {
				if !locatedRE.MatchString(err.Error()) {
					t.Errorf("Load: error is not located (file:line): %v", err)
				}
				t.Fatalf("Load: expected the app to load, got: %v", err)
			}
			table = append(table, fmt.Sprintf("%-62s %-55s %d", name, strings.Join(a.ProcessNames(), ","), len(a.Warnings)))

			_, hasProcfile := statFile(appDir, ProcfileFile)
			fallback := hasWarning(a.Warnings, `package.json: no Procfile: web runs "npm start"`)
			switch {
			case npmStartApps[name]:
				if hasProcfile {
					t.Fatalf("the corpus changed: %s has a Procfile now", name)
				}
				if !fallback {
					t.Errorf("expected the npm start fallback warning, got:\n%s", warningList(a.Warnings))
				}
				if web := mustProcess(t, a, "web"); web.Command != "npm start" || len(a.Processes) != 1 {
					t.Errorf("expected only web: npm start, got %q (web: %q)", a.ProcessNames(), web.Command)
				}
			case fallback:
				t.Errorf("unexpected npm start fallback (the app has a Procfile or heroku.yml run:)")
			}

			checkConsistent(t, a)

			// A deploy to staging: the environment's overrides, then its config.
			s, err := Load(appDir, Options{Environment: "staging"})
			if err != nil {
				t.Fatalf("Load(staging): %v", err)
			}
			opts, err := s.EnvironmentConfig("staging")
			if err != nil {
				t.Fatalf("EnvironmentConfig(staging): %v", err)
			}
			if _, err := s.ResolveConfig(opts); err != nil {
				t.Errorf("ResolveConfig(staging): %v", err)
			}
		})
	}
	sort.Strings(table)
	t.Logf("%-62s %-55s %s\n%s", "app", "process types", "warnings", strings.Join(table, "\n"))

	for n := range npmStartApps {
		if !seen[n] {
			t.Errorf("corpus lacks %s", n)
		}
	}

	t.Run("graditude worker_beat is a singleton", func(t *testing.T) {
		a := loadCorpusApp(t, dir, "tvo25__graditude")
		p := mustProcess(t, a, "worker-beat")
		if p.Name != "worker_beat" || p.KubeName != "worker-beat" || !p.Singleton || p.Replicas != 1 {
			t.Errorf("expected worker_beat (KubeName worker-beat), a singleton with 1 replica; got %+v", p)
		}
		if !hasWarning(a.Warnings, `Procfile:3: process type "worker_beat" is named "worker-beat" in Kubernetes`) {
			t.Errorf("expected the rename warning, got:\n%s", warningList(a.Warnings))
		}
		if a.Release == nil {
			t.Errorf("expected a release command")
		}
	})

	t.Run("PostHog", func(t *testing.T) {
		a := loadCorpusApp(t, dir, "PostHog__posthog")
		// app.json's name ("PostHog - Product Analytics") is the Deploy button's title.
		wantString(t, "Name", a.Name, "posthog-posthog")
		// The boolean env value (DEBUG: true) and the empty postdeploy live in
		// environments.review, which is Heroku's review-app section: Slipway says it is
		// ignored rather than reading a review app's settings as the app's.
		if !hasWarning(a.Warnings, "app.json: environments (review, test) are Heroku review-app and CI overrides; ignored") {
			t.Errorf("expected a warning about app.json's review environment, got:\n%s", warningList(a.Warnings))
		}
		if v, ok := a.Vars["DEBUG"]; ok {
			t.Errorf("DEBUG from environments.review should not become a var, got %+v", v)
		}
		if v := a.Vars["SECRET_KEY"]; !v.Generate {
			t.Errorf("SECRET_KEY: expected generator: secret, got %+v", v)
		}
		if got, want := a.ProcessNames(), []string{"web", "worker", "celeryworker", "pluginworker"}; !reflect.DeepEqual(got, want) {
			t.Errorf("process types: expected %q, got %q", want, got)
		}
	})

	t.Run("pypa warehouse", func(t *testing.T) {
		a := loadCorpusApp(t, dir, "pypa__warehouse")
		if got, want := a.ProcessNames(), []string{"web", "web-uploads", "worker", "worker-malware", "worker-beat"}; !reflect.DeepEqual(got, want) {
			t.Errorf("process types: expected %q, got %q", want, got)
		}
		if a.Release == nil || a.Release.Source != "Procfile:1" {
			t.Errorf("expected a release command from Procfile:1, got %+v", a.Release)
		}
		if !mustProcess(t, a, "worker-beat").Singleton || mustProcess(t, a, "web-uploads").Routed {
			t.Errorf("expected worker-beat a singleton and web-uploads not routed (only web is)")
		}
	})

	t.Run("outline formation size", func(t *testing.T) {
		a := loadCorpusApp(t, dir, "outline__outline")
		if web := mustProcess(t, a, "web"); web.Size != "hobby" || web.Resources != DynoSizes["hobby"] {
			t.Errorf("web: expected size hobby (app.json says \"Hobby\"), got %q %+v", web.Size, web.Resources)
		}
	})

	t.Run("built as Heroku builds them", func(t *testing.T) {
		const buildpacks = "Heroku builds this app with buildpacks"
		for name, want := range map[string]Build{
			// A Dockerfile that builds only on Heroku, and build.languages.
			"heroku__go-getting-started": {Generate: true, Source: "heroku.yml:5", Reason: "heroku.yml build.languages: " + buildpacks},
			// A Dockerfile, and app.json's stack and buildpacks for review apps.
			"codeforamerica__il-gcc-form-flow": {Generate: true, Source: "app.json", Reason: `app.json stack "heroku-22": ` + buildpacks},
			// A Dockerfile and nothing else that says: Heroku's rule.
			"outline__outline": {Generate: true, Reason: "no heroku.yml build.docker: " + buildpacks},
		} {
			got := loadCorpusApp(t, dir, name).Build
			got.Args = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: Build:\n got %+v\nwant %+v", name, got, want)
			}
		}
	})

	t.Run("required vars are reported, not errors", func(t *testing.T) {
		a := loadCorpusApp(t, dir, "mastodon__mastodon")
		c, err := a.ResolveConfig(ConfigOptions{})
		checkErr(t, "ResolveConfig", err)
		err = c.MissingError("set it with slipway config set")
		checkErr(t, "MissingError", err, "app.json: required config var LOCAL_DOMAIN not set", "hint: set it with slipway config set")
	})
}

// TestCorpusProcfileVariants loads each historical or alternative Procfile of the corpus
// (Procfile.dev, Procfile.at-…) as an app's Procfile: those that cannot load must say
// where, as Procfile:LINE.
func TestCorpusProcfileVariants(t *testing.T) {
	dir := corpusDir(t)
	paths, err := filepath.Glob(filepath.Join(dir, "*", "Procfile.*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no */Procfile.* under %s", dir)
	}
	failed := map[string]string{}
	for _, path := range paths {
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Load(writeApp(t, map[string]string{"Procfile": string(data)}), Options{})
		if err == nil {
			continue
		}
		failed[filepath.ToSlash(rel)] = err.Error()
		if !regexp.MustCompile(`^Procfile:\d+: `).MatchString(err.Error()) {
			t.Errorf("%s: expected an error located as Procfile:LINE, got: %v", rel, err)
		}
	}
	const dup = "jessamynsmith__django-celery-example/Procfile.at-756f213-duplicate-worker"
	if want := `Procfile:4: process type "worker" declared twice (first on line 3)` +
		"\n  hint: Heroku runs only the last one and ignores line 3: delete the line you do not want, or give it a name of its own"; failed[dup] != want {
		t.Errorf("%s: expected %q, got %q", dup, want, failed[dup])
	}
	for rel := range failed {
		if rel != dup {
			t.Errorf("%s: expected it to load, got: %s", rel, failed[rel])
		}
	}
}

// TestCorpusEnvFiles parses every env file of the corpus and compares with what godotenv
// v1.5.1 itself reads (EXPECTED_PARSES.json).
func TestCorpusEnvFiles(t *testing.T) {
	dir := corpusDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "EXPECTED_PARSES.json"))
	if err != nil {
		t.Skipf("no EXPECTED_PARSES.json: %v", err)
	}
	var all map[string]map[string]struct {
		OK  bool              `json:"ok"`
		Env map[string]string `json:"env"`
	}
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatalf("EXPECTED_PARSES.json: %v", err)
	}
	compared := 0
	for _, rel := range sortedKeys(all) {
		ref, ok := all[rel]["godotenv v1.5.1"]
		if !ok || strings.Contains(rel, "Procfile") {
			continue
		}
		t.Run(rel, func(t *testing.T) {
			ef, err := ReadEnvFile(filepath.Join(dir, filepath.FromSlash(rel)), filepath.Base(rel))
			if !ref.OK {
				if err == nil {
					t.Errorf("godotenv v1.5.1 rejects it; expected an error, got %q", ef.Vars)
				}
				return
			}
			checkErr(t, "ReadEnvFile", err)
			want := ref.Env
			if want == nil {
				want = map[string]string{}
			}
			if !reflect.DeepEqual(ef.Vars, want) {
				t.Errorf("vars differ from godotenv v1.5.1's:\n got %q\nwant %q", ef.Vars, want)
			}
		})
		compared++
	}
	if compared == 0 {
		t.Errorf("EXPECTED_PARSES.json has no godotenv v1.5.1 results")
	}
}

func loadCorpusApp(t *testing.T, dir, name string) *App {
	t.Helper()
	a, err := Load(filepath.Join(dir, name), Options{})
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return a
}

func statFile(dir, name string) (os.FileInfo, bool) {
	st, err := os.Stat(filepath.Join(dir, name))
	return st, err == nil
}

// checkConsistent checks what every loaded app must satisfy, whatever its inputs.
func checkConsistent(t *testing.T, a *App) {
	t.Helper()
	if !dnsLabel.MatchString(a.Name) || len(a.Name) > MaxNameLength {
		t.Errorf("Name %q is not a DNS label of at most %d characters", a.Name, MaxNameLength)
	}
	if len(a.Processes) == 0 {
		t.Errorf("no process types")
	}
	kube := map[string]bool{}
	for _, p := range a.Processes {
		if !dnsLabel.MatchString(p.KubeName) || len(a.Name)+1+len(p.KubeName) > 63 {
			t.Errorf("process %s: KubeName %q does not make a valid object name with %q", p.Name, p.KubeName, a.Name)
		}
		if kube[p.KubeName] {
			t.Errorf("process %s: KubeName %q used twice", p.Name, p.KubeName)
		}
		kube[p.KubeName] = true
		if p.Replicas < 0 || p.Command == "" || p.Source == "" {
			t.Errorf("process %s: expected replicas >= 0, a command and a source, got %+v", p.Name, p)
		}
		if p.Routed && p.Port == 0 {
			t.Errorf("process %s: routed without a port", p.Name)
		}
		if q, ok := a.Process(p.KubeName); !ok || q.Name != p.Name {
			t.Errorf("Process(%q) does not find %s", p.KubeName, p.Name)
		}
	}
	for name, v := range a.Vars {
		if v.Name != name {
			t.Errorf("Vars[%q].Name = %q", name, v.Name)
		}
	}
	for name, e := range a.Environments {
		if e.Name != name || !dnsLabel.MatchString(e.Namespace) || len(e.Namespace) > 63 || e.EnvFile == "" {
			t.Errorf("environment %s: expected a valid namespace and an env file, got %+v", name, e)
		}
	}
	for _, w := range a.Warnings {
		if w.File == "" || w.Message == "" {
			t.Errorf("warning without a file or message: %+v", w)
		}
	}
}
