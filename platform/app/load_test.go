package app

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadName(t *testing.T) {
	cases := []struct {
		name    string
		dirName string // the app directory's base name
		files   map[string]string
		opts    Options
		want    string
		wantErr string // the whole error text
		warning string // the warning about app.json's name, "" for none
	}{
		{
			name:    "slipway.yaml wins over app.json and the directory",
			dirName: "checkout",
			files:   map[string]string{"slipway.yaml": "name: shop\n", "app.json": `{"name": "Shop App"}`},
			want:    "shop",
		},
		{
			// app.json's name is the Deploy button's title, not the Heroku app's name.
			name:    "app.json's name does not name the app",
			dirName: "posthog",
			files:   map[string]string{"app.json": `{"name": "PostHog - Product Analytics"}`},
			want:    "posthog",
			warning: `app.json: name "PostHog - Product Analytics" is the Deploy button's title, not the app's name: the app is "posthog", the directory's (Slipway before 2026-12 named it "posthog-product-analytics": to keep deploying to an app of that name, set name: posthog-product-analytics in slipway.yaml)`,
		},
		{
			name:    "app.json's Deploy button title",
			dirName: "go-getting-started",
			files:   map[string]string{"app.json": `{"name": "Start on Heroku: Go"}`},
			want:    "go-getting-started",
			warning: `app.json: name "Start on Heroku: Go" is the Deploy button's title, not the app's name: the app is "go-getting-started", the directory's (Slipway before 2026-12 named it "start-on-heroku-go": to keep deploying to an app of that name, set name: start-on-heroku-go in slipway.yaml)`,
		},
		{
			name:    "app.json's name that the directory's equals: no warning",
			dirName: "shop",
			files:   map[string]string{"app.json": `{"name": "Shop"}`},
			want:    "shop",
		},
		{
			name:    "the directory, slugified",
			dirName: "My_Cool App",
			want:    "my-cool-app",
		},
		{
			name:    "a long directory name is cut at 53 characters",
			dirName: "heroku-reference-apps__heroku-applink-pattern-org-job-nodejs",
			want:    "heroku-reference-apps-heroku-applink-pattern-org-job",
		},
		{
			name:    "Options.Name wins over everything",
			dirName: "checkout",
			files:   map[string]string{"slipway.yaml": "name: shop\n"},
			opts:    Options{Name: "shop-review-42"},
			want:    "shop-review-42",
		},
		{
			name:    "bad Options.Name",
			dirName: "x",
			opts:    Options{Name: "Shop_Review"},
			wantErr: `app name "Shop_Review" is not usable in Kubernetes: use lowercase letters, digits and '-', at most 53 characters`,
		},
		{
			name:    "bad slipway.yaml name",
			dirName: "x",
			files:   map[string]string{"slipway.yaml": "name: -shop\n"},
			wantErr: `slipway.yaml: name: app name "-shop" is not usable in Kubernetes`,
		},
		{
			name:    "slipway.yaml name too long",
			dirName: "x",
			files:   map[string]string{"slipway.yaml": "name: " + strings.Repeat("a", 54) + "\n"},
			wantErr: `slipway.yaml: name: app name "` + strings.Repeat("a", 54) + `" is not usable in Kubernetes`,
		},
		{
			name:    "app.json name with nothing usable is no error",
			dirName: "x",
			files:   map[string]string{"app.json": `{"name": "¡¿!?"}`},
			want:    "x",
		},
		{
			name:    "directory name with nothing usable",
			dirName: "___",
			wantErr: `the directory name "___" has no letter or digit of a-z, 0-9 to make an app name of`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tc.dirName)
			files := map[string]string{"Procfile": "web: ./server\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			writeFiles(t, dir, files)
			a, err := Load(dir, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("error:\n expected %q\n      got %v", tc.wantErr, err)
				}
				return
			}
			checkErr(t, "Load", err)
			wantString(t, "Name", a.Name, tc.want)
			wantString(t, "Image.Repository (defaults to the name)", a.Image.Repository, tc.want)
			var named []string
			for _, w := range a.Warnings {
				if strings.Contains(w.Message, "Deploy button") {
					named = append(named, w.String())
				}
			}
			switch {
			case tc.warning == "" && len(named) > 0:
				t.Errorf("unexpected warning %q", named)
			case tc.warning != "" && (len(named) != 1 || named[0] != tc.warning):
				t.Errorf("warnings %q, want %q", named, tc.warning)
			}
		})
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"PostHog - Product Analytics": "posthog-product-analytics",
		"Code Triage ":                "code-triage",
		"IL GCC review app":           "il-gcc-review-app",
		"--x--":                       "x",
		"":                            "",
		strings.Repeat("ab-", 30):     strings.TrimSuffix(strings.Repeat("ab-", 18), "-"),
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q): expected %q, got %q", in, want, got)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	dir := writeApp(t, map[string]string{
		"Procfile": "release: ./migrate\nweb: ./server\nworker: ./worker\nclock: ./clock\n",
	})
	a, err := Load(dir, Options{})
	checkErr(t, "Load", err)
	checkWarnings(t, "Load", a.Warnings)
	if got, want := a.ProcessNames(), []string{"web", "worker", "clock"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("process types (release is not one): expected %q, got %q", want, got)
	}
	std := DynoSizes[DefaultSize]
	for _, tc := range []struct {
		name      string
		port      int
		routed    bool
		singleton bool
		source    string
	}{
		{"web", DefaultPort, true, false, "Procfile:2"},
		{"worker", 0, false, false, "Procfile:3"},
		{"clock", 0, false, true, "Procfile:4"},
	} {
		p := mustProcess(t, a, tc.name)
		got := [...]any{p.Replicas, p.Port, p.Routed, p.Singleton, p.Source, p.GracePeriod, p.Resources, p.Size}
		want := [...]any{1, tc.port, tc.routed, tc.singleton, tc.source, DefaultGracePeriod, std, ""}
		if got != want {
			t.Errorf("%s: expected [replicas port routed singleton source grace resources size] = %v, got %v", tc.name, want, got)
		}
	}
	if a.Release == nil || a.Release.Command != "./migrate" || a.Release.Source != "Procfile:1" || a.Release.Timeout != DefaultReleaseTimeout {
		t.Errorf("Release: expected ./migrate from Procfile:1 with timeout %d, got %+v", DefaultReleaseTimeout, a.Release)
	}
	if got, want := a.Sources, []string{"Procfile"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Sources: expected %q, got %q", want, got)
	}
	// Default environments.
	base := filepath.Base(dir)
	want := map[string]Environment{
		"staging":    {Name: "staging", Namespace: base + "-staging", EnvFile: ".env.staging"},
		"production": {Name: "production", Namespace: base + "-production", EnvFile: ".env.production"},
	}
	if !reflect.DeepEqual(a.Environments, want) {
		t.Errorf("Environments:\n expected %+v\n      got %+v", want, a.Environments)
	}
	if got := a.EnvironmentNames(); !reflect.DeepEqual(got, []string{"production", "staging"}) {
		t.Errorf("EnvironmentNames: expected [production staging], got %q", got)
	}
}

func TestLoadSingletons(t *testing.T) {
	names := map[string]bool{
		"clock": true, "scheduler": true, "beat": true, "cron": true, "celerybeat": true,
		"queue-beat": true, "worker_beat": true, "celery_beat": true, "my-clock": true, "job_scheduler": true,
		"worker": false, "clockwork": false, "beats": false, "web": false, "cronjobs": false, "heartbeat": false,
	}
	var procfile strings.Builder
	for _, n := range sortedKeys(names) {
		procfile.WriteString(n + ": run " + n + "\n")
	}
	a, err := Load(writeApp(t, map[string]string{"Procfile": procfile.String()}), Options{})
	checkErr(t, "Load", err)
	for n, want := range names {
		if got := mustProcess(t, a, n).Singleton; got != want {
			t.Errorf("%s: expected Singleton %v, got %v", n, want, got)
		}
	}
	if p := mustProcess(t, a, "worker-beat"); p.Name != "worker_beat" {
		t.Errorf("lookup by KubeName worker-beat: expected worker_beat, got %q", p.Name)
	}
}

func TestLoadFormation(t *testing.T) {
	cases := []struct {
		name     string
		appJSON  string
		manifest string
		warnings []string
		check    func(t *testing.T, a *App)
	}{
		{
			name:    "quantity and size",
			appJSON: `{"formation": {"web": {"quantity": 3, "size": "performance-m"}, "worker": {"quantity": 0}, "release": {"quantity": 1}}}`,
			check: func(t *testing.T, a *App) {
				web := mustProcess(t, a, "web")
				wantInt(t, "web.Replicas", web.Replicas, 3)
				wantString(t, "web.Size", web.Size, "performance-m")
				if web.Resources != DynoSizes["performance-m"] {
					t.Errorf("web.Resources: expected %+v, got %+v", DynoSizes["performance-m"], web.Resources)
				}
				worker := mustProcess(t, a, "worker")
				wantInt(t, "worker.Replicas", worker.Replicas, 0)
				if worker.Resources != DynoSizes[DefaultSize] {
					t.Errorf("worker.Resources: expected the default size's %+v, got %+v", DynoSizes[DefaultSize], worker.Resources)
				}
			},
		},
		{
			name:    "legacy size names",
			appJSON: `{"formation": {"web": {"size": "2X"}, "worker": {"size": "Hobby"}}}`,
			check: func(t *testing.T, a *App) {
				if r := mustProcess(t, a, "web").Resources; r != DynoSizes["standard-2x"] {
					t.Errorf("web (2X): expected standard-2x's %+v, got %+v", DynoSizes["standard-2x"], r)
				}
				if r := mustProcess(t, a, "worker").Resources; r != DynoSizes["hobby"] {
					t.Errorf("worker (Hobby): expected hobby's %+v, got %+v", DynoSizes["hobby"], r)
				}
			},
		},
		{
			name:     "unknown size: a warning and the default size",
			appJSON:  `{"formation": {"web": {"quantity": 2, "size": "gigantic"}}}`,
			warnings: []string{`app.json: formation.web.size: unknown dyno size "gigantic" (known: basic, eco,`},
			check: func(t *testing.T, a *App) {
				web := mustProcess(t, a, "web")
				wantInt(t, "web.Replicas (the quantity still counts)", web.Replicas, 2)
				if web.Resources != DynoSizes[DefaultSize] || web.Size != "" {
					t.Errorf("web: expected the default resources and no size, got %+v size %q", web.Resources, web.Size)
				}
			},
		},
		{
			name:     "formation for a type the Procfile lacks",
			appJSON:  `{"formation": {"sidekiq": {"quantity": 2}}}`,
			warnings: []string{"app.json: formation.sidekiq: no such process type (process types: web, worker); ignored"},
		},
		{
			name:     "slipway.yaml overrides app.json's formation",
			appJSON:  `{"formation": {"web": {"quantity": 3, "size": "standard-2x"}, "worker": {"quantity": 2, "size": "performance-l"}}}`,
			manifest: "processes:\n  web:\n    replicas: 5\n    size: performance-m\n  worker:\n    resources:\n      memory: 3Gi\n",
			check: func(t *testing.T, a *App) {
				web := mustProcess(t, a, "web")
				wantInt(t, "web.Replicas", web.Replicas, 5)
				wantString(t, "web.Size", web.Size, "performance-m")
				if web.Resources != DynoSizes["performance-m"] {
					t.Errorf("web.Resources: expected performance-m's %+v, got %+v", DynoSizes["performance-m"], web.Resources)
				}
				worker := mustProcess(t, a, "worker")
				wantInt(t, "worker.Replicas (app.json's)", worker.Replicas, 2)
				want := DynoSizes["performance-l"]
				want.MemoryRequest, want.MemoryLimit = "3Gi", "3Gi"
				if worker.Resources != want {
					t.Errorf("worker.Resources: expected performance-l with 3Gi memory %+v, got %+v", want, worker.Resources)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"Procfile": "web: ./server\nworker: ./worker\n", "app.json": tc.appJSON}
			if tc.manifest != "" {
				files["slipway.yaml"] = tc.manifest
			}
			a, err := Load(writeApp(t, files), Options{})
			checkErr(t, "Load", err)
			checkWarnings(t, "Load", a.Warnings, tc.warnings...)
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

func TestLoadAppJSONExtras(t *testing.T) {
	cases := []struct {
		name    string
		appJSON string
		wantErr string
		check   func(t *testing.T, a *App)
	}{
		{
			name:    "healthchecks become probes",
			appJSON: `{"healthchecks": {"web": [{"type": "startup", "path": "/healthz", "attempts": 30, "wait": 2, "initialDelay": 1}, {"type": "liveness", "command": ["pgrep", "puma"]}], "worker": [{"type": "readiness", "port": 9000}]}}`,
			check: func(t *testing.T, a *App) {
				web := mustProcess(t, a, "web")
				want := Probe{Path: "/healthz", FailureThreshold: 30, PeriodSeconds: 2, InitialDelaySeconds: 1}
				if web.Health.Startup == nil || !reflect.DeepEqual(*web.Health.Startup, want) {
					t.Errorf("web startup: expected %+v, got %+v", want, web.Health.Startup)
				}
				if l := web.Health.Liveness; l == nil || !reflect.DeepEqual(l.Command, []string{"pgrep", "puma"}) || l.TCP {
					t.Errorf("web liveness: expected exec [pgrep puma], got %+v", l)
				}
				if r := mustProcess(t, a, "worker").Health.Readiness; r == nil || !r.TCP || r.Port != 9000 {
					t.Errorf("worker readiness: expected TCP on 9000, got %+v", r)
				}
			},
		},
		{
			name:    "healthcheck for a type the Procfile lacks",
			appJSON: `{"healthchecks": {"api": [{"type": "startup", "path": "/"}]}}`,
			wantErr: "app.json: healthchecks.api: no such process type (process types: web, worker)",
		},
		{
			name:    "healthcheck path without a slash",
			appJSON: `{"healthchecks": {"web": [{"type": "startup", "path": "healthz"}]}}`,
			wantErr: `app.json: healthchecks.web[0].path: "healthz" must start with /`,
		},
		{
			name:    "TCP healthcheck on a worker without a port",
			appJSON: `{"healthchecks": {"worker": [{"type": "liveness"}]}}`,
			wantErr: `app.json: healthchecks.worker[0]: process worker listens on no port; give "port" or "command"`,
		},
		{
			name:    "cron",
			appJSON: `{"cron": [{"command": " ./report ", "schedule": "0 * * * *"}, {"command": "./sweep", "schedule": "@daily", "concurrency_policy": "replace", "maintenance": true}]}`,
			check: func(t *testing.T, a *App) {
				if len(a.Cron) != 2 {
					t.Fatalf("Cron: expected 2 tasks, got %+v", a.Cron)
				}
				c0, c1 := a.Cron[0], a.Cron[1]
				if c0.Command != "./report" || c0.Schedule != "0 * * * *" || c0.ConcurrencyPolicy != "Forbid" || c0.Suspend || c0.Source != "app.json: cron[0]" {
					t.Errorf("cron[0]: expected ./report hourly, Forbid, not suspended, from app.json: cron[0]; got %+v", c0)
				}
				if c1.ConcurrencyPolicy != "Replace" || !c1.Suspend {
					t.Errorf("cron[1]: expected Replace and suspended (maintenance), got %+v", c1)
				}
				if !strings.HasPrefix(c0.Name, "cron-") || len(c0.Name) != len("cron-")+8 || !dnsLabel.MatchString(c0.Name) || c0.Name == c1.Name {
					t.Errorf("cron names: expected distinct cron-<8 hex>, got %q and %q", c0.Name, c1.Name)
				}
			},
		},
		{
			name:    "cron names are stable",
			appJSON: `{"cron": [{"command": "./report", "schedule": "0 * * * *"}]}`,
			check: func(t *testing.T, a *App) {
				// The name is what the CronJob is called in the cluster: it must not change
				// between releases, so it is pinned here.
				wantString(t, "cron[0].Name", a.Cron[0].Name, cronName("0 * * * *", "./report"))
			},
		},
		{
			name:    "duplicate cron",
			appJSON: `{"cron": [{"command": "./report", "schedule": "@hourly"}, {"command": " ./report", "schedule": "@hourly "}]}`,
			wantErr: "app.json: cron[1]: same command and schedule as cron[0]",
		},
		{
			name:    "postdeploy",
			appJSON: `{"scripts": {"postdeploy": "rake db:seed"}}`,
			check:   func(t *testing.T, a *App) { wantString(t, "PostDeploy", a.PostDeploy, "rake db:seed") },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Load(writeApp(t, map[string]string{"Procfile": "web: ./server\nworker: ./worker\n", "app.json": tc.appJSON}), Options{})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error:\n expected %q\n      got %v", tc.wantErr, err)
				}
				return
			}
			checkErr(t, "Load", err)
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

// cronName is the documented derivation: "cron-" and 8 hex digits of sha256(schedule NUL command).
func cronName(schedule, command string) string {
	a := &App{}
	_ = loadCron(a, &AppJSON{Cron: []DokkuCron{{Command: command, Schedule: schedule}}})
	return a.Cron[0].Name
}

func TestLoadEnvironments(t *testing.T) {
	dir := writeApp(t, map[string]string{
		"Procfile": "web: ./server\n",
		"slipway.yaml": `name: shop
environments:
  review:
    domain: "*.review.example.com"
  production:
    namespace: shop
    context: prod-cluster
    domain: shop.example.com
    ingressClass: nginx
    websocket: true
    envFile: config/production.env
    tls:
      enabled: true
      clusterIssuer: letsencrypt
`,
	})
	a, err := Load(dir, Options{})
	checkErr(t, "Load", err)
	want := map[string]Environment{
		"review": {Name: "review", Namespace: "shop-review", Domain: "*.review.example.com", EnvFile: ".env.review"},
		"production": {Name: "production", Namespace: "shop", Context: "prod-cluster", Domain: "shop.example.com", IngressClass: "nginx",
			Websocket: true, EnvFile: "config/production.env", TLS: TLS{Enabled: true, ClusterIssuer: "letsencrypt"}},
	}
	if !reflect.DeepEqual(a.Environments, want) {
		t.Errorf("Environments (declared ones replace the defaults):\n expected %+v\n      got %+v", want, a.Environments)
	}
	_, err = Load(dir, Options{Environment: "staging"})
	checkErr(t, "Load staging", err, `unknown environment "staging" (known: production, review)`)
}

// TestDefaultNamespace: "<app>-<env>" while it fits, else a shortened app part and a hash
// of the whole name, so that two long names sharing a prefix stay apart.
func TestDefaultNamespace(t *testing.T) {
	if got := DefaultNamespace("shop", "staging"); got != "shop-staging" {
		t.Errorf("DefaultNamespace(shop, staging) = %q", got)
	}
	long1, long2 := strings.Repeat("a", 52)+"b", strings.Repeat("a", 52)+"c"
	n1, n2 := DefaultNamespace(long1, "production"), DefaultNamespace(long2, "production")
	for _, n := range []string{n1, n2} {
		if len(n) > 63 || !dnsLabel.MatchString(n) || !strings.HasSuffix(n, "-production") || !strings.HasPrefix(n, "aaaa") {
			t.Errorf("DefaultNamespace of a 53-character name = %q (%d characters): want a DNS label of at most 63 ending in -production", n, len(n))
		}
	}
	if n1 == n2 {
		t.Errorf("two names sharing 52 characters get the same namespace %q", n1)
	}
	if got := DefaultNamespace(strings.Repeat("a", 48)+"-x", "production"); strings.Contains(got, "--") {
		t.Errorf("a shortened name ending in '-' leaves a double dash: %q", got)
	}
}

func TestLoadLongNames(t *testing.T) {
	cases := []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{
			name:  "process object name of 62 characters",
			files: map[string]string{"slipway.yaml": "name: " + strings.Repeat("a", 50) + "\n", "Procfile": "web: x\nweb-uploads: y\n"},
		},
		{
			name:    "process object name over 63",
			files:   map[string]string{"slipway.yaml": "name: " + strings.Repeat("a", 52) + "\n", "Procfile": "web: x\nweb-uploads: y\n"},
			wantErr: `Procfile:2: object name "` + strings.Repeat("a", 52) + `-web-uploads" is 64 characters, over Kubernetes' 63: shorten the app name (name: in slipway.yaml) or the process type`,
		},
		{
			name:    "CronJob name over 52",
			files:   map[string]string{"slipway.yaml": "name: " + strings.Repeat("c", 40) + "\n", "Procfile": "web: x\n", "app.json": `{"cron": [{"command": "x", "schedule": "@daily"}]}`},
			wantErr: `app.json: cron[0]: CronJob name "` + strings.Repeat("c", 40) + `-cron-`,
		},
		{
			// The longest app name the README allows gets its default environments.
			name:  "default namespace over 63 is shortened",
			files: map[string]string{"slipway.yaml": "name: " + strings.Repeat("n", 53) + "\n", "Procfile": "web: x\n"},
		},
		{
			name:  "declared environment's default namespace over 63 is shortened",
			files: map[string]string{"slipway.yaml": "name: " + strings.Repeat("n", 53) + "\nenvironments:\n  production: {}\n", "Procfile": "web: x\n"},
		},
		{
			name:    "an environment name too long for any namespace",
			files:   map[string]string{"slipway.yaml": "name: shop\nenvironments:\n  " + strings.Repeat("e", 60) + ": {}\n", "Procfile": "web: x\n"},
			wantErr: `slipway.yaml:3: environments.` + strings.Repeat("e", 60) + `: the name is too long to make a namespace of`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeApp(t, tc.files), Options{})
			if tc.wantErr == "" {
				checkErr(t, "Load", err)
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Fatalf("error:\n expected %q\n      got %v", tc.wantErr, err)
			}
		})
	}
}

func TestLoadProcfileSources(t *testing.T) {
	cases := []struct {
		name     string
		files    map[string]string
		wantErr  []string // substrings
		warnings []string
		check    func(t *testing.T, a *App)
	}{
		{
			name:     "no Procfile, package.json with scripts.start: web runs npm start",
			files:    map[string]string{"package.json": `{"scripts": {"start": "node server.js", "test": "jest"}}`},
			warnings: []string{`package.json: no Procfile: web runs "npm start", as on Heroku; write a Procfile to say so explicitly`},
			check: func(t *testing.T, a *App) {
				web := mustProcess(t, a, "web")
				if web.Command != "npm start" || web.Source != "package.json" || !web.Routed || web.Port != DefaultPort {
					t.Errorf("web: expected routed `npm start` from package.json on %d, got %+v", DefaultPort, web)
				}
			},
		},
		{
			name:    "no Procfile, package.json without scripts.start",
			files:   map[string]string{"package.json": `{"scripts": {"build": "tsc"}}`},
			wantErr: []string{"Procfile: no Procfile in ", "hint: Slipway runs the process types a Procfile declares"},
		},
		{
			name:    "no Procfile and nothing else",
			files:   map[string]string{"README.md": "# hi\n"},
			wantErr: []string{"Procfile: no Procfile in ", "\n  hint: Slipway runs the process types a Procfile declares, one per line, e.g. `web: npm start`; heroku.yml's run: section works too"},
		},
		{
			name:    "Procfile with only release",
			files:   map[string]string{"Procfile": "release: rake db:migrate\n"},
			wantErr: []string{"Procfile: declares no process type other than release\n  hint: add a line such as `web: bundle exec puma -p $PORT`"},
		},
		{
			name:    "Procfile with only comments",
			files:   map[string]string{"Procfile": "# web: later\n"},
			wantErr: []string{"Procfile: declares no process type\n  hint: add a line such as"},
		},
		{
			name:    "Procfile parse error names Procfile:LINE",
			files:   map[string]string{"Procfile": "web: ./server\nworker ./worker\n"},
			wantErr: []string{"Procfile:2: "},
		},
		{
			name:    "Procfile duplicate",
			files:   map[string]string{"Procfile": "web: a\nworker: b\nworker: c\n"},
			wantErr: []string{`Procfile:3: process type "worker" declared twice (first on line 2)`},
		},
		{
			name:     "Procfile warnings are relabelled",
			files:    map[string]string{"Procfile": "web: a\nworker_beat: b\n"},
			warnings: []string{`Procfile:2: process type "worker_beat" is named "worker-beat" in Kubernetes`},
			check: func(t *testing.T, a *App) {
				p := mustProcess(t, a, "worker_beat")
				if p.KubeName != "worker-beat" || !p.Singleton {
					t.Errorf("worker_beat: expected KubeName worker-beat and singleton, got %q %v", p.KubeName, p.Singleton)
				}
			},
		},
		{
			name:  "Sources in load order",
			files: map[string]string{"Procfile": "web: a\n", "app.json": "{}", "heroku.yml": "", "slipway.yaml": ""},
			check: func(t *testing.T, a *App) {
				if want := []string{"slipway.yaml", "app.json", "heroku.yml", "Procfile"}; !reflect.DeepEqual(a.Sources, want) {
					t.Errorf("Sources: expected %q, got %q", want, a.Sources)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeApp(t, tc.files)
			a, err := Load(dir, Options{})
			if len(tc.wantErr) > 0 {
				checkErr(t, "Load", err, tc.wantErr...)
				if err != nil && strings.HasPrefix(tc.wantErr[0], "Procfile:") && strings.Trim(tc.wantErr[0][len("Procfile:"):len("Procfile:")+1], "0123456789") == "" && strings.Contains(err.Error(), dir) {
					t.Errorf("a Procfile error should name Procfile, not %s: %v", dir, err)
				}
				return
			}
			checkErr(t, "Load", err)
			checkWarnings(t, "Load", a.Warnings, tc.warnings...)
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

func TestLoadNotADirectory(t *testing.T) {
	dir := writeApp(t, map[string]string{"Procfile": "web: x\n"})
	_, err := Load(filepath.Join(dir, "Procfile"), Options{})
	checkErr(t, "Load(file)", err, "is not a directory")
	_, err = Load(filepath.Join(dir, "missing"), Options{})
	checkErr(t, "Load(missing)", err, "load app:")
	if err != nil && !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("Load(missing): expected an error wrapping fs.ErrNotExist, got %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestEnvironmentImage(t *testing.T) {
	dir := writeApp(t, map[string]string{
		"Procfile": "web: ./web\n",
		"slipway.yaml": "name: shop\nimage:\n  repository: registry.staging.test/shop\n  pullSecret: staging-pull\n" +
			"environments:\n  staging: {}\n  production:\n    image:\n      repository: registry.prod.test/shop\n      pullSecrets: [prod-pull]\n",
	})
	for env, want := range map[string]Image{
		"":           {Repository: "registry.staging.test/shop", PullSecrets: []string{"staging-pull"}},
		"staging":    {Repository: "registry.staging.test/shop", PullSecrets: []string{"staging-pull"}},
		"production": {Repository: "registry.prod.test/shop", PullSecrets: []string{"prod-pull"}},
	} {
		a, err := Load(dir, Options{Environment: env})
		if err != nil {
			t.Fatal(err)
		}
		if a.Image.Repository != want.Repository || strings.Join(a.Image.PullSecrets, ",") != strings.Join(want.PullSecrets, ",") {
			t.Errorf("environment %q: image %+v, want %+v", env, a.Image, want)
		}
	}
	bad := writeApp(t, map[string]string{
		"Procfile":     "web: ./web\n",
		"slipway.yaml": "name: shop\nenvironments:\n  production:\n    image:\n      repository: registry.prod.test/shop:v1\n",
	})
	_, err := Load(bad, Options{})
	if err == nil || err.Error() != `slipway.yaml:5: environments.production.image.repository: "registry.prod.test/shop:v1" has a tag or digest; give the repository only (Slipway tags each build)` {
		t.Errorf("a tag in an environment's repository: %v", err)
	}
}

// TestLoadBuildChoice: how the image is built, as Heroku would build the app (buildpacks
// unless heroku.yml has build.docker or app.json's stack is container), slipway.yaml
// deciding over both, and where and why the choice was made.
func TestLoadBuildChoice(t *testing.T) {
	const buildpacks = "Heroku builds this app with buildpacks"
	cases := []struct {
		name     string
		files    map[string]string
		want     Build // Args are not compared
		warnings []string
		wantErr  []string
	}{
		{
			name: "nothing says: Heroku's rule, buildpacks",
			want: Build{Generate: true, Reason: "no heroku.yml build.docker: " + buildpacks},
		},
		{
			name:  "a Dockerfile alone does not decide (ForApp says it is not used)",
			files: map[string]string{"Dockerfile": "FROM scratch\n"},
			want:  Build{Generate: true, Reason: "no heroku.yml build.docker: " + buildpacks},
		},
		{
			name:  "heroku.yml build.docker: a container app",
			files: map[string]string{"heroku.yml": "build:\n  docker:\n    web: docker/web.Dockerfile\n"},
			want:  Build{Dockerfile: "docker/web.Dockerfile", Source: "heroku.yml:3", Reason: "heroku.yml build.docker: Heroku builds this app from its Dockerfile"},
		},
		{
			name:     "heroku.yml build.languages",
			files:    map[string]string{"heroku.yml": "build:\n  languages:\n    - go\n"},
			want:     Build{Generate: true, Source: "heroku.yml:3", Reason: "heroku.yml build.languages: " + buildpacks},
			warnings: []string{"heroku.yml:3: build.languages is a buildpack setting"},
		},
		{
			name:     "heroku.yml build.buildpacks",
			files:    map[string]string{"heroku.yml": "build:\n  buildpacks:\n    - heroku/go\n"},
			want:     Build{Generate: true, Source: "heroku.yml:3", Reason: "heroku.yml build.buildpacks: " + buildpacks},
			warnings: []string{"heroku.yml:3: build.buildpacks is a buildpack setting"},
		},
		{
			name:     "heroku.yml build.docker wins over its buildpack settings",
			files:    map[string]string{"heroku.yml": "build:\n  docker:\n    web: Dockerfile\n  languages:\n    - go\n"},
			want:     Build{Dockerfile: "Dockerfile", Source: "heroku.yml:3", Reason: "heroku.yml build.docker: Heroku builds this app from its Dockerfile"},
			warnings: []string{"heroku.yml:5: build.languages is a buildpack setting, and build.docker names a Dockerfile"},
		},
		{
			name:     "app.json stack container without heroku.yml: ./Dockerfile",
			files:    map[string]string{"app.json": `{"stack": "container"}`},
			want:     Build{Source: "app.json", Reason: `app.json stack "container": Heroku builds this app from a Dockerfile`},
			warnings: []string{`app.json: stack "container": Heroku builds such an app from the Dockerfiles heroku.yml's build.docker names, and there is none; Slipway builds ./Dockerfile`},
		},
		{
			name:  "app.json stack container with heroku.yml build.docker",
			files: map[string]string{"app.json": `{"stack": "container"}`, "heroku.yml": "build:\n  docker:\n    web: Dockerfile.web\n"},
			want:  Build{Dockerfile: "Dockerfile.web", Source: "heroku.yml:3", Reason: "heroku.yml build.docker: Heroku builds this app from its Dockerfile"},
		},
		{
			name:  "app.json buildpack stack",
			files: map[string]string{"app.json": `{"stack": "heroku-24"}`},
			want:  Build{Generate: true, Source: "app.json", Reason: `app.json stack "heroku-24": ` + buildpacks},
		},
		{
			name:     "heroku.yml comes before app.json's stack",
			files:    map[string]string{"app.json": `{"stack": "container"}`, "heroku.yml": "build:\n  languages:\n    - go\n"},
			want:     Build{Generate: true, Source: "heroku.yml:3", Reason: "heroku.yml build.languages: " + buildpacks},
			warnings: []string{"heroku.yml:3: build.languages"},
		},
		{
			name:     "app.json stack that is not a string: Heroku's rule",
			files:    map[string]string{"app.json": `{"stack": ["container"]}`},
			want:     Build{Generate: true, Reason: "no heroku.yml build.docker: " + buildpacks},
			warnings: []string{"app.json: stack is a list, not a stack's name; ignored"},
		},
		{
			name:  "slipway.yaml build.generate: true over heroku.yml build.docker",
			files: map[string]string{"slipway.yaml": "name: shop\nbuild:\n  generate: true\n", "heroku.yml": "build:\n  docker:\n    web: Dockerfile\n"},
			want:  Build{Generate: true, Source: "slipway.yaml:3", Reason: "slipway.yaml build.generate: true"},
		},
		{
			name:  "slipway.yaml build.generate: false over heroku.yml build.languages",
			files: map[string]string{"slipway.yaml": "build:\n  generate: false\n", "heroku.yml": "build:\n  languages:\n    - go\n", "app.json": `{"stack": "heroku-24"}`},
			want:  Build{Source: "slipway.yaml:2", Reason: "slipway.yaml build.generate: false"},
			// The warning says what Heroku's settings alone would do.
			warnings: []string{"heroku.yml:3: build.languages is a buildpack setting"},
		},
		{
			name:  "slipway.yaml build.generate: false keeps heroku.yml's Dockerfile",
			files: map[string]string{"slipway.yaml": "build:\n  generate: false\n", "heroku.yml": "build:\n  docker:\n    web: docker/Dockerfile\n"},
			want:  Build{Dockerfile: "docker/Dockerfile", Source: "slipway.yaml:2", Reason: "slipway.yaml build.generate: false"},
		},
		{
			name:  "slipway.yaml build.generate: false with build.dockerfile",
			files: map[string]string{"slipway.yaml": "build:\n  generate: false\n  dockerfile: deploy/Dockerfile\n", "heroku.yml": "build:\n  docker:\n    web: docker/Dockerfile\n"},
			want:  Build{Dockerfile: "deploy/Dockerfile", Source: "slipway.yaml:2", Reason: "slipway.yaml build.generate: false"},
		},
		{
			name:     "slipway.yaml build.dockerfile is the repository's Dockerfile",
			files:    map[string]string{"slipway.yaml": "build:\n  dockerfile: deploy/Dockerfile\n", "heroku.yml": "build:\n  languages:\n    - go\n"},
			want:     Build{Dockerfile: "deploy/Dockerfile", Source: "slipway.yaml:2", Reason: "slipway.yaml build.dockerfile"},
			warnings: []string{"heroku.yml:3: build.languages"},
		},
		{
			name:    "build.generate: true and build.dockerfile contradict",
			files:   map[string]string{"slipway.yaml": "name: shop\nbuild:\n  dockerfile: Dockerfile\n  generate: true\n"},
			wantErr: []string{"slipway.yaml:4: build.generate: true builds with Slipway's generated Dockerfile, and build.dockerfile names the repository's (Dockerfile): give one of them", "hint: remove build.dockerfile"},
		},
		{
			name:    "build.generate that is not a boolean",
			files:   map[string]string{"slipway.yaml": "build:\n  generate: yes please\n"},
			wantErr: []string{"slipway.yaml:2: build.generate: \"yes please\" should be true or false"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"Procfile": "web: ./server\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			a, err := Load(writeApp(t, files), Options{})
			checkErr(t, "Load", err, tc.wantErr...)
			if err != nil {
				return
			}
			checkWarnings(t, "Load", a.Warnings, tc.warnings...)
			got := a.Build
			got.Args = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Build:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
