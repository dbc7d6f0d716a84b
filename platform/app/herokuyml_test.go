package app

import (
	"reflect"
	"testing"
)

// herokuYMLCases are ParseHerokuYML's table; the fuzz target is seeded from it too.
var herokuYMLCases = []struct {
	name     string
	in       string
	wantErr  string // the whole error text; "" means success
	warnings []string
	check    func(t *testing.T, h *HerokuYML)
}{
	{name: "empty", in: ""},
	{name: "only comments", in: "# nothing\n"},
	{
		name:  "run as a string",
		in:    "run:\n  web: bundle exec puma -C config/puma.rb\n",
		check: wantRun("web", "bundle exec puma -C config/puma.rb", 2),
	},
	{
		name:  "run as a list is shell-joined with quoting",
		in:    "run:\n  worker:\n    - python\n    - -c\n    - print('hi there')\n    - ''\n    - $HOME\n",
		check: wantRun("worker", `python -c 'print('\''hi there'\'')' '' '$HOME'`, 3), // the line the value starts on
	},
	{
		name:  "run as a list of one item is a command line (Heroku's own examples)",
		in:    "run:\n  worker:\n    - python myworker.py --queue high\n",
		check: wantRun("worker", "python myworker.py --queue high", 3),
	},
	{
		name:     "run as {command, image}",
		in:       "run:\n  web: bundle exec puma\n  asset-syncer:\n    command:\n      - python asset-syncer.py\n    image: worker\n  mailer:\n    command: bin/mailer --fast\n    image: web\n",
		warnings: []string{`heroku.yml:4: run.asset-syncer: image "worker": Slipway builds one image per repository (web's)`},
		check: func(t *testing.T, h *HerokuYML) {
			wantRun("asset-syncer", "python asset-syncer.py", 4)(t, h)
			wantRun("mailer", "bin/mailer --fast", 8)(t, h)
			if got, want := h.runTypes(), []string{"web", "asset-syncer", "mailer"}; !reflect.DeepEqual(got, want) {
				t.Errorf("runTypes (in file order): expected %q, got %q", want, got)
			}
		},
	},
	{
		name:    "run with an empty command",
		in:      "run:\n  web:\n",
		wantErr: "heroku.yml:2: run.web: empty command",
	},
	{
		name:    "run with an empty list",
		in:      "run:\n  web: []\n",
		wantErr: "heroku.yml:2: run.web: empty command",
	},
	{
		name:    "run with a mapping without command",
		in:      "run:\n  web:\n    image: web\n",
		wantErr: "heroku.yml:3: run.web: missing command",
	},
	{
		name:    "run as a list",
		in:      "run:\n  - web\n",
		wantErr: "heroku.yml:2: run: a list should be a mapping",
	},
	{
		name: "release",
		in:   "build:\n  docker:\n    web: Dockerfile\nrelease:\n  image: web\n  command:\n    - rake db:migrate\n",
		check: func(t *testing.T, h *HerokuYML) {
			wantString(t, "Release", h.Release, "rake db:migrate")
			wantInt(t, "ReleaseLine", h.ReleaseLine, 5)
		},
	},
	{
		name:    "release without a command",
		in:      "release:\n  image: web\n",
		wantErr: "heroku.yml:2: release: missing command",
	},
	{
		name:     "several Dockerfiles: web's is built",
		in:       "build:\n  docker:\n    worker: worker/Dockerfile\n    web: Dockerfile.web\n    api:\n      dockerfile: api/Dockerfile\n      target: prod\n",
		warnings: []string{"heroku.yml:6: build.docker.api: Slipway builds one image per repository (from web's Dockerfile); api/Dockerfile is not built", "heroku.yml:3: build.docker.worker: Slipway builds one image per repository (from web's Dockerfile); worker/Dockerfile is not built"},
		check:    func(t *testing.T, h *HerokuYML) { wantString(t, "Dockerfile", h.Dockerfile, "Dockerfile.web") },
	},
	{
		name:     "several Dockerfiles, no web: the first by name",
		in:       "build:\n  docker:\n    worker: worker/Dockerfile\n    api: api/Dockerfile\n",
		warnings: []string{"build.docker.worker: Slipway builds one image per repository (from api's Dockerfile)"},
		check:    func(t *testing.T, h *HerokuYML) { wantString(t, "Dockerfile", h.Dockerfile, "api/Dockerfile") },
	},
	{
		name:    "Dockerfile that is a list",
		in:      "build:\n  docker:\n    web: [Dockerfile]\n",
		wantErr: "heroku.yml:3: build.docker.web: expected a Dockerfile path",
	},
	{
		name: "build.config and setup.config",
		in:   "setup:\n  config:\n    RAILS_ENV: production\n    WEB_CONCURRENCY: 2\nbuild:\n  docker:\n    web: Dockerfile\n  config:\n    RAILS_ENV: production\n    NODE_VERSION: 20\n",
		check: func(t *testing.T, h *HerokuYML) {
			if want := map[string]string{"RAILS_ENV": "production", "NODE_VERSION": "20"}; !reflect.DeepEqual(h.BuildArgs, want) {
				t.Errorf("BuildArgs: expected %v, got %v", want, h.BuildArgs)
			}
			if want := map[string]string{"RAILS_ENV": "production", "WEB_CONCURRENCY": "2"}; !reflect.DeepEqual(h.Config, want) {
				t.Errorf("Config: expected %v, got %v", want, h.Config)
			}
		},
	},
	{
		name:    "setup.config with a name that cannot be a config var",
		in:      "setup:\n  config:\n    RAILS ENV: production\n",
		wantErr: `heroku.yml: setup.config: "RAILS ENV" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)`,
	},
	{
		name: "buildpack settings are reported",
		in:   "build:\n  languages:\n    - go\n  buildpacks:\n    - heroku/ruby\n  packages:\n    - imagemagick\n",
		warnings: []string{
			"heroku.yml:3: build.languages is a buildpack setting: Slipway builds this app with its own Dockerfile, generated for the language it detects, as Heroku would with buildpacks",
			"heroku.yml:5: build.buildpacks is a buildpack setting: Slipway builds this app with its own Dockerfile",
			"heroku.yml:7: build.packages is a buildpack setting: Slipway builds this app with its own generated Dockerfile, as Heroku would with buildpacks, and installs no extra packages",
		},
		check: func(t *testing.T, h *HerokuYML) {
			if h.Buildpacks != "build.languages" || h.BuildpacksLine != 3 || h.DockerfileLine != 0 {
				t.Errorf("Buildpacks %q line %d, DockerfileLine %d; want build.languages, line 3, no build.docker", h.Buildpacks, h.BuildpacksLine, h.DockerfileLine)
			}
		},
	},
	{
		name:     "buildpack settings beside build.docker: the Dockerfile builds",
		in:       "build:\n  docker:\n    web: Dockerfile\n  buildpacks:\n    - heroku/ruby\n",
		warnings: []string{"heroku.yml:5: build.buildpacks is a buildpack setting, and build.docker names a Dockerfile: Slipway builds with the Dockerfile"},
		check: func(t *testing.T, h *HerokuYML) {
			if h.Buildpacks != "" || h.Dockerfile != "Dockerfile" || h.DockerfileLine != 3 {
				t.Errorf("Buildpacks %q, Dockerfile %q line %d; want none, Dockerfile, line 3", h.Buildpacks, h.Dockerfile, h.DockerfileLine)
			}
		},
	},
	{
		name:     "add-ons are reported",
		in:       "setup:\n  addons:\n    - plan: heroku-postgresql\n      as: DATABASE\n",
		warnings: []string{"heroku.yml:3: setup.addons are Heroku add-ons; provision them yourself"},
	},
	{
		name:    "scalar for a section (found by FuzzParseHerokuYML)",
		in:      "setup: 0\n",
		wantErr: `heroku.yml:1: setup: "0" should be a mapping`,
	},
	{
		name:    "list for build.config",
		in:      "build:\n  config:\n    - A=1\n",
		wantErr: "heroku.yml:3: build.config: a list should be a mapping",
	},
	{
		name:    "syntax error",
		in:      "run:\n  web: a\n  worker: b: c\n",
		wantErr: "heroku.yml:3: mapping values are not allowed in this context",
	},
}

func TestParseHerokuYML(t *testing.T) {
	for _, tc := range herokuYMLCases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseHerokuYML([]byte(tc.in), "heroku.yml")
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("expected error %q, got none", tc.wantErr)
				}
				if err.Error() != tc.wantErr {
					t.Errorf("error:\n expected %q\n      got %q", tc.wantErr, err.Error())
				}
				checkNoInternals(t, err)
				return
			}
			checkErr(t, "ParseHerokuYML", err)
			checkWarnings(t, "ParseHerokuYML", h.Warnings, tc.warnings...)
			if tc.check != nil {
				tc.check(t, h)
			}
		})
	}
}

func wantRun(typ, cmd string, line int) func(t *testing.T, h *HerokuYML) {
	return func(t *testing.T, h *HerokuYML) {
		t.Helper()
		r, ok := h.Run[typ]
		if !ok {
			t.Fatalf("run.%s: expected it, got types %q", typ, sortedKeys(h.Run))
		}
		if r.Command != cmd || r.Line != line {
			t.Errorf("run.%s: expected %q on line %d, got %q on line %d", typ, cmd, line, r.Command, r.Line)
		}
	}
}

// TestHerokuYMLLoad checks how heroku.yml combines with the Procfile and slipway.yaml.
func TestHerokuYMLLoad(t *testing.T) {
	cases := []struct {
		name     string
		files    map[string]string
		wantErr  string
		warnings []string
		check    func(t *testing.T, a *App)
	}{
		{
			name: "run overrides a Procfile type, with a warning",
			files: map[string]string{
				"Procfile":   "web: bundle exec rails s\nworker: bundle exec sidekiq\n",
				"heroku.yml": "run:\n  web: bundle exec puma\n  worker: bundle exec sidekiq\n",
			},
			warnings: []string{"heroku.yml:2: run.web overrides Procfile:1's command (as on Heroku, heroku.yml wins)"},
			check: func(t *testing.T, a *App) {
				web := mustProcess(t, a, "web")
				wantString(t, "web.Command", web.Command, "bundle exec puma")
				wantString(t, "web.Source", web.Source, "heroku.yml:2")
				// Same command: no warning, but heroku.yml is the source now.
				wantString(t, "worker.Source", mustProcess(t, a, "worker").Source, "heroku.yml:3")
			},
		},
		{
			name: "run adds types after the Procfile's",
			files: map[string]string{
				"Procfile":   "web: npm start\n",
				"heroku.yml": "run:\n  queue_beat: node beat.js\n  worker: node worker.js\n",
			},
			check: func(t *testing.T, a *App) {
				if got, want := a.ProcessNames(), []string{"web", "queue_beat", "worker"}; !reflect.DeepEqual(got, want) {
					t.Errorf("process types: expected %q, got %q", want, got)
				}
				beat := mustProcess(t, a, "queue-beat")
				if beat.KubeName != "queue-beat" || !beat.Singleton {
					t.Errorf("queue_beat: expected KubeName queue-beat and a singleton, got %q singleton %v", beat.KubeName, beat.Singleton)
				}
			},
		},
		{
			name:  "run alone, without a Procfile",
			files: map[string]string{"heroku.yml": "run:\n  web: ./server\n"},
			check: func(t *testing.T, a *App) {
				web := mustProcess(t, a, "web")
				if web.Port != DefaultPort || !web.Routed {
					t.Errorf("web: expected port %d and routed, got port %d routed %v", DefaultPort, web.Port, web.Routed)
				}
			},
		},
		{
			name:    "run.release is refused",
			files:   map[string]string{"Procfile": "web: x\n", "heroku.yml": "run:\n  release: rake db:migrate\n"},
			wantErr: "heroku.yml:2: run.release: put the release command under release: command:",
		},
		{
			name:    "run type that cannot be a Kubernetes name",
			files:   map[string]string{"Procfile": "web: x\n", "heroku.yml": "run:\n  web.v2: x\n"},
			wantErr: "heroku.yml:2: run.web.v2: process type names use letters, digits, '-' and '_'",
		},
		{
			name: "release overrides the Procfile's, with a warning",
			files: map[string]string{
				"Procfile":   "release: rake db:migrate\nweb: puma\n",
				"heroku.yml": "release:\n  command:\n    - ./release.sh\n",
			},
			warnings: []string{"heroku.yml:2: release overrides Procfile:1's release command (as on Heroku, heroku.yml wins)"},
			check: func(t *testing.T, a *App) {
				if a.Release == nil || a.Release.Command != "./release.sh" || a.Release.Source != "heroku.yml:2" || a.Release.Timeout != DefaultReleaseTimeout {
					t.Errorf("Release: expected ./release.sh from heroku.yml:2 with timeout %d, got %+v", DefaultReleaseTimeout, a.Release)
				}
			},
		},
		{
			name: "build settings: heroku.yml, then slipway.yaml",
			files: map[string]string{
				"Procfile":     "web: x\n",
				"heroku.yml":   "build:\n  docker:\n    web: docker/Dockerfile\n  config:\n    A: from-heroku\n    B: from-heroku\n",
				"slipway.yaml": "build:\n  args:\n    B: from-slipway\n",
			},
			check: func(t *testing.T, a *App) {
				wantString(t, "Build.Dockerfile", a.Build.Dockerfile, "docker/Dockerfile")
				if want := map[string]string{"A": "from-heroku", "B": "from-slipway"}; !reflect.DeepEqual(a.Build.Args, want) {
					t.Errorf("Build.Args: expected %v, got %v", want, a.Build.Args)
				}
			},
		},
		{
			name: "slipway.yaml's Dockerfile wins",
			files: map[string]string{
				"Procfile":     "web: x\n",
				"heroku.yml":   "build:\n  docker:\n    web: docker/Dockerfile\n",
				"slipway.yaml": "build:\n  dockerfile: Dockerfile.prod\n",
			},
			check: func(t *testing.T, a *App) { wantString(t, "Build.Dockerfile", a.Build.Dockerfile, "Dockerfile.prod") },
		},
		{
			name: "setup.config gives vars; app.json's win",
			files: map[string]string{
				"Procfile":   "web: x\n",
				"heroku.yml": "setup:\n  config:\n    A: heroku\n    B: heroku\n",
				"app.json":   `{"env": {"B": "app.json"}}`,
			},
			check: func(t *testing.T, a *App) {
				want := map[string]Var{
					"A": {Name: "A", Value: "heroku", HasValue: true},
					"B": {Name: "B", Value: "app.json", HasValue: true},
				}
				if !reflect.DeepEqual(a.Vars, want) {
					t.Errorf("Vars: expected %+v, got %+v", want, a.Vars)
				}
			},
		},
		{
			name:     "buildpack languages are reported through Load",
			files:    map[string]string{"Procfile": "web: x\n", "heroku.yml": "build:\n  languages:\n    - go\n"},
			warnings: []string{"heroku.yml:3: build.languages is a buildpack setting"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Load(writeApp(t, tc.files), Options{})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error:\n expected %q\n      got %v", tc.wantErr, err)
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
