package app

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// manifestCases are ParseManifest's table; the fuzz target is seeded from it too.
var manifestCases = []struct {
	name    string
	in      string
	wantErr string // the whole error text; "" means success
	check   func(t *testing.T, m *Manifest)
}{
	{name: "empty file", in: ""},
	{name: "only blank lines", in: "\n  \n"},
	{
		name:  "only comments",
		in:    "# slipway.yaml: nothing to say yet\n",
		check: func(t *testing.T, m *Manifest) { wantString(t, "Name", m.Name, "") },
	},
	{
		name: "every section",
		in: `name: shop
image:
  repository: registry.example.com/team/shop
  pullSecret: regcred
build:
  dockerfile: deploy/Dockerfile
  args: {NODE_VERSION: "20"}
release:
  timeout: 300
processes:
  web:
    replicas: 2
    port: 8080
    sessionAffinity: true
    healthcheck:
      path: /healthz
      period: 5
  worker:
    size: standard-2x
    healthcheck:
      command: ["./bin/check", "--quick"]
  clock:
    singleton: true
    gracePeriod: 60
    resources: {cpu: 100m, memory: 256Mi}
environments:
  production:
    namespace: shop
    context: prod
    domain: shop.example.com
    tls: {enabled: true, clusterIssuer: letsencrypt}
    websocket: true
    envFile: .env.prod
    processes:
      web:
        autoscale: {min: 2, max: 10, cpu: 70}
`,
		check: func(t *testing.T, m *Manifest) {
			wantString(t, "Name", m.Name, "shop")
			wantString(t, "Image.Repository", m.Image.Repository, "registry.example.com/team/shop")
			wantString(t, "Build.Args[NODE_VERSION]", m.Build.Args["NODE_VERSION"], "20")
			wantInt(t, "Release.Timeout", m.Release.Timeout, 300)
			web := m.Processes["web"]
			if web.Replicas == nil || *web.Replicas != 2 || web.Port == nil || *web.Port != 8080 || web.Health == nil || web.Health.Path != "/healthz" {
				t.Errorf("processes.web: expected replicas 2, port 8080, healthcheck /healthz; got %+v", web)
			}
			if got, want := m.Processes["worker"].Health.Command, (StringOrSeq{"./bin/check", "--quick"}); !reflect.DeepEqual(got, want) {
				t.Errorf("processes.worker.healthcheck.command: expected %q, got %q", want, got)
			}
			prod := m.Environments["production"]
			if prod.TLS == nil || !prod.TLS.Enabled || prod.Processes["web"].Autoscale == nil || prod.Processes["web"].Autoscale.Max != 10 {
				t.Errorf("environments.production: expected tls enabled and web autoscale max 10, got %+v", prod)
			}
		},
	},
	{
		name: "healthcheck command as a string runs through the shell",
		in:   "processes:\n  worker:\n    healthcheck:\n      command: pgrep -f worker\n",
		check: func(t *testing.T, m *Manifest) {
			want := StringOrSeq{"/bin/sh", "-c", "pgrep -f worker"}
			if got := m.Processes["worker"].Health.Command; !reflect.DeepEqual(got, want) {
				t.Errorf("command: expected %q, got %q", want, got)
			}
		},
	},
	{
		name:    "unknown field in a process",
		in:      "name: shop\nprocesses:\n  web:\n    prot: 8080\n",
		wantErr: `slipway.yaml:4: processes.web: unknown field "prot"`,
	},
	{
		name:    "unknown top-level field",
		in:      "nmae: shop\n",
		wantErr: `slipway.yaml:1: unknown field "nmae"`,
	},
	{
		name:    "unknown field in an environment",
		in:      "environments:\n  staging:\n    domian: x.example.com\n",
		wantErr: `slipway.yaml:3: environments.staging: unknown field "domian"`,
	},
	{
		name:    "unknown field with a space in its name (found by FuzzParseManifest)",
		in:      "0 0:",
		wantErr: `slipway.yaml:1: unknown field "0 0"`,
	},
	{
		name:    "unknown field with a newline in its name",
		in:      "\"a\\nb\": 1\n",
		wantErr: `slipway.yaml:1: unknown field "a\nb"`,
	},
	{
		name:    "two unknown fields are both reported",
		in:      "processes:\n  web:\n    prot: 1\n    replica: 2\n",
		wantErr: "slipway.yaml:3: processes.web: unknown field \"prot\"\nslipway.yaml:4: processes.web: unknown field \"replica\"",
	},
	{
		name:    "word for a number",
		in:      "processes:\n  web:\n    replicas: two\n",
		wantErr: `slipway.yaml:3: processes.web.replicas: "two" should be a whole number`,
	},
	{
		name:    "long word for a number is cut",
		in:      "release:\n  timeout: fifteen-minutes\n",
		wantErr: `slipway.yaml:2: release.timeout: "fifteen..." should be a whole number`,
	},
	{
		name:    "word for a boolean",
		in:      "environments:\n  staging:\n    websocket: maybe\n",
		wantErr: `slipway.yaml:3: environments.staging.websocket: "maybe" should be true or false`,
	},
	{
		name:    "list for a mapping",
		in:      "processes:\n  - web\n",
		wantErr: `slipway.yaml:2: processes: a list should be a mapping`,
	},
	{
		name:    "mapping for a string",
		in:      "name:\n  first: shop\n",
		wantErr: `slipway.yaml:2: name: a mapping should be a string`,
	},
	{
		name:    "scalar for a mapping",
		in:      "image: registry.example.com/shop\n",
		wantErr: `slipway.yaml:1: image: "registr..." should be a mapping`,
	},
	{
		name:    "value holding a backtick (found by FuzzParseManifest)",
		in:      "0`",
		wantErr: "slipway.yaml:1: \"0`\" should be a mapping",
	},
	{
		name:    "value with a tag of its own",
		in:      "name: !secret [a]\n",
		wantErr: "slipway.yaml:1: name: a value tagged !secret should be a string",
	},
	{
		name:    "scalar document",
		in:      "shop\n",
		wantErr: `slipway.yaml:1: "shop" should be a mapping`,
	},
	{
		name:    "healthcheck command that is a mapping",
		in:      "processes:\n  worker:\n    healthcheck:\n      command: {run: x}\n",
		wantErr: `slipway.yaml:4: command must be a string or a list of strings`,
	},
	{
		name:    "healthcheck command list holding a mapping",
		in:      "processes:\n  worker:\n    healthcheck:\n      command: [{run: x}]\n",
		wantErr: `slipway.yaml:4: processes.worker.healthcheck.command.0: a mapping should be a string`,
	},
	{
		name:    "second document",
		in:      "name: a\n---\nname: b\n",
		wantErr: "slipway.yaml:2: a second YAML document (after ---); slipway.yaml holds one",
	},
	{
		name:    "syntax error",
		in:      "name: shop\nprocesses:\n  web:\n   replicas: 2\n  port: 1\n bad\n",
		wantErr: "slipway.yaml:5: did not find expected key",
	},
	{
		name:    "tab indentation",
		in:      "name: shop\nprocesses:\n\tweb: {}\n",
		wantErr: "slipway.yaml:3: found character that cannot start any token",
	},
}

func TestParseManifest(t *testing.T) {
	for _, tc := range manifestCases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tc.in), "slipway.yaml")
			if tc.wantErr == "" {
				checkErr(t, "ParseManifest", err)
				if tc.check != nil {
					tc.check(t, m)
				}
				return
			}
			if err == nil {
				t.Fatalf("expected error %q, got none", tc.wantErr)
			}
			if err.Error() != tc.wantErr {
				t.Errorf("error:\n expected %q\n      got %q", tc.wantErr, err.Error())
			}
			// A user reads these: no Go types, no yaml internals.
			for _, leak := range []string{"app.", "map[", "[]", "*int", "!!", "unmarshal", "not found in type", "yaml: "} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q should not mention %q", err, leak)
				}
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "slipway.yaml" {
				t.Errorf("expected a *FileError for slipway.yaml, got %T", err)
			}
		})
	}
}

// TestManifestLoad checks what slipway.yaml says against the rest of the app: Load, not
// ParseManifest, knows the process types.
func TestManifestLoad(t *testing.T) {
	const procfile = "web: bundle exec puma\nworker: bundle exec sidekiq\nclock: bundle exec clockwork clock.rb\n"
	cases := []struct {
		name     string
		manifest string
		env      string // Options.Environment
		wantErr  string // the whole error text; "" means success
		check    func(t *testing.T, a *App)
	}{
		{
			name:     "unknown process type",
			manifest: "processes:\n  web:\n    replicas: 2\n  wrker:\n    replicas: 1\n",
			wantErr:  `slipway.yaml:4: processes.wrker: no such process type (process types: web, worker, clock)`,
		},
		{
			name:     "unknown process type in an environment",
			manifest: "environments:\n  staging:\n    processes:\n      wrker:\n        replicas: 1\n",
			wantErr:  `slipway.yaml:4: environments.staging.processes.wrker: no such process type (process types: web, worker, clock)`,
		},
		{
			name:     "bad namespace",
			manifest: "environments:\n  staging:\n    namespace: Shop_Staging\n",
			wantErr:  `slipway.yaml:3: environments.staging.namespace: "Shop_Staging" is not a valid namespace name`,
		},
		{
			name:     "bad environment name",
			manifest: "environments:\n  Staging: {}\n",
			wantErr:  `slipway.yaml:2: environments: "Staging" is not a valid environment name (lowercase letters, digits, '-')`,
		},
		{
			name:     "bad domain",
			manifest: "environments:\n  production:\n    domain: https://shop.example.com/\n",
			wantErr:  `slipway.yaml:3: environments.production.domain: "https://shop.example.com/" is not a host name`,
		},
		{
			name:     "tls without a domain",
			manifest: "environments:\n  production:\n    tls:\n      enabled: true\n",
			wantErr:  `slipway.yaml:3: environments.production.tls: TLS needs a domain`,
		},
		{
			name:     "negative replicas",
			manifest: "processes:\n  web:\n    replicas: -1\n",
			wantErr:  `slipway.yaml:3: processes.web.replicas: must not be negative`,
		},
		{
			name:     "port out of range",
			manifest: "processes:\n  web:\n    port: 70000\n",
			wantErr:  `slipway.yaml:3: processes.web.port: 70000 is not a port (1-65535, or 0 for none)`,
		},
		{
			name:     "negative port",
			manifest: "processes:\n  worker:\n    port: -80\n",
			wantErr:  `slipway.yaml:3: processes.worker.port: -80 is not a port (1-65535, or 0 for none)`,
		},
		{
			name:     "negative grace period",
			manifest: "processes:\n  worker:\n    gracePeriod: -5\n",
			wantErr:  `slipway.yaml:3: processes.worker.gracePeriod: must not be negative`,
		},
		{
			name:     "autoscale min over max",
			manifest: "processes:\n  web:\n    autoscale:\n      min: 5\n      max: 2\n",
			wantErr:  `slipway.yaml:3: processes.web.autoscale: need 1 <= min <= max, got min 5, max 2`,
		},
		{
			name:     "autoscale without min",
			manifest: "processes:\n  web:\n    autoscale: {max: 4}\n",
			wantErr:  `slipway.yaml:3: processes.web.autoscale: need 1 <= min <= max, got min 0, max 4`,
		},
		{
			name:     "autoscale cpu over 100",
			manifest: "processes:\n  web:\n    autoscale:\n      min: 1\n      max: 3\n      cpu: 150\n",
			wantErr:  `slipway.yaml:6: processes.web.autoscale.cpu: 150 is not a percentage (1-100)`,
		},
		{
			name:     "autoscale on a singleton",
			manifest: "processes:\n  clock:\n    autoscale: {min: 1, max: 3}\n",
			wantErr:  `slipway.yaml:3: processes.clock.autoscale: process clock is a singleton (one pod at most) and cannot autoscale; set singleton: false`,
		},
		{
			name:     "autoscale on a former singleton",
			manifest: "processes:\n  clock:\n    singleton: false\n    autoscale: {min: 1, max: 3}\n",
			check: func(t *testing.T, a *App) {
				p := mustProcess(t, a, "clock")
				if p.Singleton || p.Autoscale == nil || *p.Autoscale != (Autoscale{Min: 1, Max: 3, CPU: DefaultAutoscaleCPU}) {
					t.Errorf("clock: expected not singleton, autoscale 1-3 at %d%%; got singleton %v autoscale %+v", DefaultAutoscaleCPU, p.Singleton, p.Autoscale)
				}
			},
		},
		{
			name:     "bad resources quantity",
			manifest: "processes:\n  worker:\n    resources:\n      cpu: lots\n",
			wantErr:  `slipway.yaml:4: processes.worker.resources.cpu: "lots" is not a Kubernetes quantity (e.g. 250m, 1, 512Mi, 1Gi)`,
		},
		{
			name:     "two bad quantities: the first field is reported",
			manifest: "processes:\n  worker:\n    resources:\n      memoryLimit: 2 GB\n      cpu: lots\n",
			wantErr:  `slipway.yaml:5: processes.worker.resources.cpu: "lots" is not a Kubernetes quantity (e.g. 250m, 1, 512Mi, 1Gi)`,
		},
		{
			name:     "unknown size",
			manifest: "processes:\n  worker:\n    size: huge\n",
			wantErr:  `slipway.yaml:3: processes.worker.size: unknown dyno size "huge"`,
		},
		{
			name:     "healthcheck with path and command",
			manifest: "processes:\n  web:\n    healthcheck:\n      path: /healthz\n      command: [true]\n",
			wantErr:  `slipway.yaml:3: processes.web.healthcheck: give path (HTTP) or command, not both`,
		},
		{
			name:     "healthcheck path without a slash",
			manifest: "processes:\n  web:\n    healthcheck:\n      path: healthz\n",
			wantErr:  `slipway.yaml:4: processes.web.healthcheck.path: "healthz" must start with /`,
		},
		{
			name:     "empty healthcheck",
			manifest: "processes:\n  web:\n    healthcheck: {period: 5}\n",
			wantErr:  `slipway.yaml:3: processes.web.healthcheck: give path, port or command`,
		},
		{
			name:     "HTTP healthcheck on a worker without a port",
			manifest: "processes:\n  worker:\n    healthcheck:\n      path: /healthz\n",
			wantErr:  `slipway.yaml:3: processes.worker.healthcheck.port: process worker listens on no port; give the health port`,
		},
		{
			name:     "image repository with a tag",
			manifest: "image:\n  repository: registry.example.com/shop:1.0\n",
			wantErr:  `slipway.yaml:2: image.repository: "registry.example.com/shop:1.0" has a tag or digest; give the repository only (Slipway tags each build)`,
		},
		{
			name:     "image repository with a digest",
			manifest: "image:\n  repository: registry.example.com/shop@sha256:0123\n",
			wantErr:  `slipway.yaml:2: image.repository: "registry.example.com/shop@sha256:0123" has a tag or digest`,
		},
		{
			name:     "image repository in upper case",
			manifest: "image:\n  repository: registry.example.com/Shop\n",
			wantErr:  `slipway.yaml:2: image.repository: "registry.example.com/Shop" must be lowercase`,
		},
		{
			name:     "image repository on a registry with a port",
			manifest: "image:\n  repository: localhost:5000/shop\n  pullSecrets: [regcred]\n",
			check: func(t *testing.T, a *App) {
				wantString(t, "Image.Repository", a.Image.Repository, "localhost:5000/shop")
				if !reflect.DeepEqual(a.Image.PullSecrets, []string{"regcred"}) {
					t.Errorf("PullSecrets: expected [regcred], got %q", a.Image.PullSecrets)
				}
			},
		},
		{
			name:     "bad pull secret",
			manifest: "image:\n  pullSecret: Reg_Cred\n",
			wantErr:  `slipway.yaml:1: image: pull secret "Reg_Cred" is not a valid Secret name`,
		},
		{
			name:     "negative release timeout",
			manifest: "release:\n  timeout: -1\n",
			wantErr:  `slipway.yaml:2: release.timeout: must be positive (seconds)`,
		},
		{
			name:     "bad name",
			manifest: "name: My Shop\n",
			wantErr:  `slipway.yaml: name: app name "My Shop" is not usable in Kubernetes: use lowercase letters, digits and '-', at most 53 characters, starting and ending with a letter or digit; set name: in slipway.yaml`,
		},
		{
			name:     "settings",
			manifest: "processes:\n  web:\n    replicas: 3\n    sessionAffinity: true\n    healthcheck:\n      path: /healthz\n      period: 5\n  worker:\n    port: 9000\n    routed: false\n    gracePeriod: 120\n    resources: {cpu: 300m, memory: 768Mi}\n    healthcheck:\n      port: 9001\n      path: /live\n  clock:\n    healthcheck:\n      command: [pgrep, clockwork]\n",
			check: func(t *testing.T, a *App) {
				web := mustProcess(t, a, "web")
				wantInt(t, "web.Replicas", web.Replicas, 3)
				wantBool(t, "web.SessionAffinity", web.SessionAffinity, true)
				// A serving process: the check gates traffic and never kills.
				if web.Health.Startup == nil || web.Health.Readiness == nil || web.Health.Liveness != nil {
					t.Errorf("web health: expected startup and readiness only, got %+v", web.Health)
				} else {
					wantString(t, "web readiness path", web.Health.Readiness.Path, "/healthz")
					wantInt(t, "web readiness period", web.Health.Readiness.PeriodSeconds, 5)
				}
				worker := mustProcess(t, a, "worker")
				wantInt(t, "worker.Port", worker.Port, 9000)
				wantInt(t, "worker.GracePeriod", worker.GracePeriod, 120)
				want := Resources{CPURequest: "300m", MemoryRequest: "768Mi", MemoryLimit: "768Mi"}
				if worker.Resources != want {
					t.Errorf("worker.Resources: expected %+v, got %+v", want, worker.Resources)
				}
				// A health port of its own: liveness, how a silently dead worker is found.
				if worker.Health.Liveness == nil || worker.Health.Liveness.Port != 9001 || worker.Health.Readiness != nil {
					t.Errorf("worker health: expected liveness on 9001 only, got %+v", worker.Health)
				}
				clock := mustProcess(t, a, "clock")
				if clock.Health.Liveness == nil || !reflect.DeepEqual(clock.Health.Liveness.Command, []string{"pgrep", "clockwork"}) {
					t.Errorf("clock health: expected liveness command [pgrep clockwork], got %+v", clock.Health)
				}
			},
		},
		{
			name:     "environment overrides only with Options.Environment",
			manifest: "processes:\n  web:\n    replicas: 2\nenvironments:\n  staging: {}\n  production:\n    processes:\n      web:\n        replicas: 6\n",
			check: func(t *testing.T, a *App) {
				wantInt(t, "web.Replicas without an environment", mustProcess(t, a, "web").Replicas, 2)
			},
		},
		{
			name:     "environment overrides applied",
			env:      "production",
			manifest: "processes:\n  web:\n    replicas: 2\nenvironments:\n  staging: {}\n  production:\n    processes:\n      web:\n        replicas: 6\n",
			check: func(t *testing.T, a *App) {
				wantInt(t, "web.Replicas in production", mustProcess(t, a, "web").Replicas, 6)
			},
		},
		{
			name:     "environment override error is located",
			env:      "production",
			manifest: "environments:\n  production:\n    processes:\n      web:\n        replicas: -3\n",
			wantErr:  `slipway.yaml:5: environments.production.processes.web.replicas: must not be negative`,
		},
		{
			name:     "unknown environment lists the known ones",
			env:      "qa",
			manifest: "environments:\n  staging: {}\n  production: {}\n",
			wantErr:  `unknown environment "qa" (known: production, staging); add it under environments: in slipway.yaml`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeApp(t, map[string]string{"Procfile": procfile, "slipway.yaml": tc.manifest})
			a, err := Load(dir, Options{Environment: tc.env})
			if tc.wantErr == "" {
				checkErr(t, "Load", err)
				if tc.check != nil {
					tc.check(t, a)
				}
				return
			}
			if err == nil {
				t.Fatalf("expected error %q, got none", tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("error:\n expected %q\n      got %q", tc.wantErr, err.Error())
			}
		})
	}
}

// TestManifestLoadDeterministic: with several bad process settings the same one is
// reported every time.
func TestManifestLoadDeterministic(t *testing.T) {
	dir := writeApp(t, map[string]string{
		"Procfile":     "web: a\nworker: b\nclock: c\n",
		"slipway.yaml": "processes:\n  worker:\n    replicas: -1\n  web:\n    replicas: -1\n  clock:\n    replicas: -1\n",
	})
	for i := 0; i < 30; i++ {
		_, err := Load(dir, Options{})
		checkErr(t, "Load", err, "processes.clock.replicas")
		if t.Failed() {
			return
		}
	}
}
