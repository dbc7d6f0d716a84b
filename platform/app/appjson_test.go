package app

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
)

func intp(n int) *int { return &n }

// appJSONCases are ParseAppJSON's table; the fuzz target is seeded from it too.
var appJSONCases = []struct {
	name     string
	in       string
	wantErr  []string // substrings of the error; none means success
	warnings []string // one substring per expected warning, in order
	check    func(t *testing.T, a *AppJSON)
}{
	{
		name:     "addons and buildpacks are named as not used",
		in:       `{"addons": ["heroku-postgresql", {"plan": "heroku-redis"}], "buildpacks": [{"url": "heroku/nodejs"}], "stack": "heroku-24"}`,
		warnings: []string{"addons are Heroku add-ons; provision them yourself", "buildpacks are not run: where Heroku builds with buildpacks, Slipway builds with its own Dockerfile"},
		check:    func(t *testing.T, a *AppJSON) { wantString(t, "Stack", a.Stack, "heroku-24") },
	},
	{
		name:  "stack container",
		in:    `{"stack": " container "}`,
		check: func(t *testing.T, a *AppJSON) { wantString(t, "Stack", a.Stack, "container") },
	},
	{
		name:     "stack that is not a string is ignored, with a warning",
		in:       `{"stack": {"name": "heroku-24"}}`,
		warnings: []string{"app.json: stack is an object, not a stack's name; ignored"},
		check:    func(t *testing.T, a *AppJSON) { wantString(t, "Stack", a.Stack, "") },
	},
	{
		name:     "stack as a number",
		in:       `{"stack": 24}`,
		warnings: []string{"app.json: stack is a number (24), not a stack's name; ignored"},
	},
	{
		name:  "stack null is no stack",
		in:    `{"stack": null}`,
		check: func(t *testing.T, a *AppJSON) { wantString(t, "Stack", a.Stack, "") },
	},
	{
		name: "empty addons say nothing",
		in:   `{"addons": [], "buildpacks": []}`,
	},
	// env
	{
		name:  "env string",
		in:    `{"env": {"GREETING": "hello"}}`,
		check: wantVar("GREETING", Var{Name: "GREETING", Value: "hello", HasValue: true}),
	},
	{
		name:     "env boolean is used as a string, with a warning",
		in:       `{"env": {"DEBUG": true}}`,
		warnings: []string{`app.json: env.DEBUG is a boolean; used as a string of the same text`},
		check:    wantVar("DEBUG", Var{Name: "DEBUG", Value: "true", HasValue: true}),
	},
	{
		name:     "env number is kept as written, with a warning",
		in:       `{"env": {"WEB_CONCURRENCY": 2, "RATIO": 1.50}}`,
		warnings: []string{`env.RATIO is a number; used as a string of the same text`, `env.WEB_CONCURRENCY is a number; used as a string of the same text`},
		check: func(t *testing.T, a *AppJSON) {
			wantVar("RATIO", Var{Name: "RATIO", Value: "1.50", HasValue: true})(t, a)
			wantVar("WEB_CONCURRENCY", Var{Name: "WEB_CONCURRENCY", Value: "2", HasValue: true})(t, a)
		},
	},
	{
		name:  "env object with value and description",
		in:    `{"env": {"LANG": {"value": "en_US.UTF-8", "description": "locale"}}}`,
		check: wantVar("LANG", Var{Name: "LANG", Description: "locale", Value: "en_US.UTF-8", HasValue: true}),
	},
	{
		name:  "env object with an empty value is set, not required",
		in:    `{"env": {"EMPTY": {"value": ""}}}`,
		check: wantVar("EMPTY", Var{Name: "EMPTY", Value: "", HasValue: true}),
	},
	{
		name:     "env object with a boolean value",
		in:       `{"env": {"HEROKU": {"value": false}}}`,
		warnings: []string{`env.HEROKU.value is a boolean; used as a string of the same text`},
		check:    wantVar("HEROKU", Var{Name: "HEROKU", Value: "false", HasValue: true}),
	},
	{
		name:  "required true",
		in:    `{"env": {"LOCAL_DOMAIN": {"description": "your domain", "required": true}}}`,
		check: wantVar("LOCAL_DOMAIN", Var{Name: "LOCAL_DOMAIN", Description: "your domain", Required: true}),
	},
	{
		name:  `required as the string "true"`,
		in:    `{"env": {"A": {"required": "true"}}}`,
		check: wantVar("A", Var{Name: "A", Required: true}),
	},
	{
		name:  `required as the string "false"`,
		in:    `{"env": {"A": {"required": "false"}}}`,
		check: wantVar("A", Var{Name: "A"}),
	},
	{
		name:    "required neither boolean nor boolean string",
		in:      `{"env": {"A": {"required": "yes"}}}`,
		wantErr: []string{`app.json: env.A: required: expected true or false, got "yes"`},
	},
	{
		name:  "no value and no required key counts as required (Heroku's rule)",
		in:    `{"env": {"HEROKU_APP_NAME": {"description": "set by Heroku"}}}`,
		check: wantVar("HEROKU_APP_NAME", Var{Name: "HEROKU_APP_NAME", Description: "set by Heroku", Required: true}),
	},
	{
		name:  "empty object counts as required",
		in:    `{"env": {"A": {}}}`,
		check: wantVar("A", Var{Name: "A", Required: true}),
	},
	{
		name:  "required false without a value",
		in:    `{"env": {"S3_BUCKET": {"required": false}}}`,
		check: wantVar("S3_BUCKET", Var{Name: "S3_BUCKET"}),
	},
	{
		name:  "generator secret is neither required nor valued",
		in:    `{"env": {"SECRET_KEY": {"generator": "secret"}}}`,
		check: wantVar("SECRET_KEY", Var{Name: "SECRET_KEY", Generate: true}),
	},
	{
		name:  "generator secret and required (outline)",
		in:    `{"env": {"SECRET_KEY": {"generator": "secret", "required": true}}}`,
		check: wantVar("SECRET_KEY", Var{Name: "SECRET_KEY", Generate: true, Required: true}),
	},
	{
		name:    "unknown generator",
		in:      `{"env": {"ID": {"generator": "uuid"}}}`,
		wantErr: []string{`app.json: env.ID: generator: only "secret" is supported, got "uuid"`},
	},
	{
		name:     "unknown key in an env object is ignored with a warning",
		in:       `{"env": {"A": {"value": "x", "default": "y", "order": 1}}}`,
		warnings: []string{`env.A.default is not part of app.json's schema; ignored`, `env.A.order is not part of app.json's schema; ignored`},
		check:    wantVar("A", Var{Name: "A", Value: "x", HasValue: true}),
	},
	{
		name:    "env value that is a list",
		in:      `{"env": {"A": ["x"]}}`,
		wantErr: []string{`app.json: env.A: expected a string, got a list`},
	},
	{
		name:    "invalid var name",
		in:      `{"env": {"1PASSWORD": "x"}}`,
		wantErr: []string{`app.json: env.1PASSWORD: "1PASSWORD" is not a valid config var name`},
	},
	{
		name:    "env that is not an object",
		in:      `{"env": ["A=1"]}`,
		wantErr: []string{`app.json: env: expected an object`, `got a list`},
	},
	{
		name:  "env null and empty",
		in:    `{"env": null, "formation": null, "scripts": null}`,
		check: func(t *testing.T, a *AppJSON) { wantLen(t, "Env", len(a.Env), 0) },
	},

	// formation
	{
		name: "formation object",
		in:   `{"formation": {"web": {"quantity": 2, "size": "Standard-2X"}, "worker": {"quantity": 0}, "clock": {"size": "basic"}}}`,
		check: func(t *testing.T, a *AppJSON) {
			want := map[string]Formation{
				"web":    {Quantity: intp(2), Size: "standard-2x"},
				"worker": {Quantity: intp(0)},
				"clock":  {Size: "basic"},
			}
			if !reflect.DeepEqual(a.Formation, want) {
				t.Errorf("Formation: expected %s, got %s", formationString(want), formationString(a.Formation))
			}
		},
	},
	{
		name:     "legacy formation array",
		in:       `{"formation": [{"process": "web", "quantity": 2, "size": "standard-1x"}, {"type": "worker", "quantity": 1}]}`,
		warnings: []string{`app.json: formation is a list (the legacy shape)`},
		check: func(t *testing.T, a *AppJSON) {
			want := map[string]Formation{"web": {Quantity: intp(2), Size: "standard-1x"}, "worker": {Quantity: intp(1)}}
			if !reflect.DeepEqual(a.Formation, want) {
				t.Errorf("Formation: expected %s, got %s", formationString(want), formationString(a.Formation))
			}
		},
	},
	{
		name:    "legacy formation entry without a process",
		in:      `{"formation": [{"quantity": 2}]}`,
		wantErr: []string{`app.json: formation: [0]: missing "process"`},
	},
	{
		name:     "string quantity is used, with a warning",
		in:       `{"formation": {"web": {"quantity": "3"}}}`,
		warnings: []string{`formation.web.quantity is a string; used as 3`},
		check: func(t *testing.T, a *AppJSON) {
			if q := a.Formation["web"].Quantity; q == nil || *q != 3 {
				t.Errorf("web quantity: expected 3, got %v", q)
			}
		},
	},
	{
		name:    "negative quantity",
		in:      `{"formation": {"web": {"quantity": -1}}}`,
		wantErr: []string{`app.json: formation: web.quantity: must not be negative, got -1`},
	},
	{
		name:    "negative string quantity",
		in:      `{"formation": {"web": {"quantity": "-2"}}}`,
		wantErr: []string{`formation: web.quantity: must not be negative, got -2`},
	},
	{
		name:    "fractional quantity",
		in:      `{"formation": {"web": {"quantity": 1.5}}}`,
		wantErr: []string{`formation: web.quantity: expected a whole number, got 1.5`},
	},
	{
		name:    "word quantity",
		in:      `{"formation": {"web": {"quantity": "two"}}}`,
		wantErr: []string{`formation: web.quantity: expected a whole number, got "two"`},
	},
	{
		name:    "formation entry that is a number",
		in:      `{"formation": {"web": 2}}`,
		wantErr: []string{`app.json: formation: expected {"web": {"quantity": 1, "size": "standard-1x"}}`},
	},

	// scripts
	{
		name:     "empty postdeploy is ignored with a warning",
		in:       `{"scripts": {"postdeploy": ""}}`,
		warnings: []string{`app.json: scripts.postdeploy is empty; ignored`},
		check:    wantPostDeploy(""),
	},
	{
		name:  "postdeploy string",
		in:    `{"scripts": {"postdeploy": "  bundle exec rake db:migrate  "}}`,
		check: wantPostDeploy("bundle exec rake db:migrate"),
	},
	{
		name:  "postdeploy object with command and size",
		in:    `{"scripts": {"postdeploy": {"command": "php artisan migrate", "size": "performance-m"}}}`,
		check: wantPostDeploy("php artisan migrate"),
	},
	{
		name:    "postdeploy number",
		in:      `{"scripts": {"postdeploy": 3}}`,
		wantErr: []string{`app.json: scripts.postdeploy: expected a command string, got a number (3)`},
	},
	{
		name:     "other scripts are reported, sorted",
		in:       `{"scripts": {"test": "rake", "postdeploy": "rake db:migrate", "pr-predeploy": "x"}}`,
		warnings: []string{`scripts.pr-predeploy is not used by Slipway (only postdeploy is)`, `scripts.test is not used by Slipway (only postdeploy is)`},
		check:    wantPostDeploy("rake db:migrate"),
	},
	{
		name:    "scripts that is a list",
		in:      `{"scripts": ["rake"]}`,
		wantErr: []string{`app.json: scripts: expected an object, got a list`},
	},

	// Dokku healthchecks
	{
		name: "healthchecks",
		in: `{"healthchecks": {"web": [
			{"type": "startup", "path": "/healthz", "attempts": 30, "wait": 2},
			{"type": "readiness", "path": "/ready", "timeout": 2}]}}`,
		check: func(t *testing.T, a *AppJSON) {
			web := a.Healthchecks["web"]
			if len(web) != 2 || web[0].Type != "startup" || web[0].Attempts != 30 || web[0].Wait != 2 || web[1].Path != "/ready" || web[1].Timeout != 2 {
				t.Errorf("healthchecks.web: expected startup /healthz (30 attempts, wait 2) and readiness /ready (timeout 2), got %+v", web)
			}
		},
	},
	{
		name:    "healthcheck with a bad type",
		in:      `{"healthchecks": {"web": [{"type": "ready", "path": "/"}]}}`,
		wantErr: []string{`app.json: healthchecks.web[0].type: "ready" is not one of startup, liveness, readiness`},
	},
	{
		name:    "second healthcheck with a bad type",
		in:      `{"healthchecks": {"web": [{"type": "startup", "path": "/"}, {"type": "alive", "path": "/"}]}}`,
		wantErr: []string{`healthchecks.web[1].type: "alive" is not one of`},
	},
	{
		name:    "healthcheck without a type",
		in:      `{"healthchecks": {"worker": [{"command": ["true"]}]}}`,
		wantErr: []string{`app.json: healthchecks.worker[0].type: missing: one of startup, liveness, readiness`},
	},
	{
		name:    "healthchecks in the wrong shape",
		in:      `{"healthchecks": {"web": {"type": "startup"}}}`,
		wantErr: []string{`app.json: healthchecks:`, `expected Dokku's shape`},
	},
	{
		name:     "healthcheck content has no probe equivalent",
		in:       `{"healthchecks": {"web": [{"type": "readiness", "path": "/", "content": "ok"}]}}`,
		warnings: []string{`healthchecks.web[0]: content, httpHeaders and uptime have no Kubernetes probe equivalent; ignored`},
	},

	// Dokku cron
	{
		name: "cron",
		in:   `{"cron": [{"command": "rake report", "schedule": "0 * * * *", "concurrency_policy": "Replace", "maintenance": true}, {"command": "x", "schedule": "@daily"}]}`,
		check: func(t *testing.T, a *AppJSON) {
			want := []DokkuCron{{Command: "rake report", Schedule: "0 * * * *", ConcurrencyPolicy: "Replace", Maintenance: true}, {Command: "x", Schedule: "@daily"}}
			if !reflect.DeepEqual(a.Cron, want) {
				t.Errorf("Cron: expected %+v, got %+v", want, a.Cron)
			}
		},
	},
	{
		name:    "cron schedule in words",
		in:      `{"cron": [{"command": "x", "schedule": "every hour"}]}`,
		wantErr: []string{`app.json: cron[0].schedule: "every hour" has 2 fields; a schedule has 5`},
	},
	{
		name:    "cron schedule with seconds",
		in:      `{"cron": [{"command": "x", "schedule": "0 0 * * * *"}]}`,
		wantErr: []string{`cron[0].schedule: "0 0 * * * *" has 6 fields`},
	},
	{
		name:    "cron schedule with a time zone",
		in:      `{"cron": [{"command": "x", "schedule": "CRON_TZ=UTC 0 * * * *"}]}`,
		wantErr: []string{`cron[0].schedule:`, `put the time zone in slipway.yaml`},
	},
	{
		name:    "cron schedule with shell characters",
		in:      `{"cron": [{"command": "x", "schedule": "0 * * * $(id)"}]}`,
		wantErr: []string{`cron[0].schedule:`, `field "$(id)" has characters a cron schedule cannot have`},
	},
	{
		name:    "cron without a schedule",
		in:      `{"cron": [{"command": "x"}]}`,
		wantErr: []string{`app.json: cron[0].schedule: empty`},
	},
	{
		name:    "cron without a command",
		in:      `{"cron": [{"command": "x", "schedule": "@hourly"}, {"command": "  ", "schedule": "@hourly"}]}`,
		wantErr: []string{`app.json: cron[1].command: empty`},
	},
	{
		name:    "cron concurrency policy",
		in:      `{"cron": [{"command": "x", "schedule": "@hourly", "concurrency_policy": "sometimes"}]}`,
		wantErr: []string{`app.json: cron[0].concurrency_policy: "sometimes" is not one of allow, forbid, replace`},
	},
	{
		name:    "cron as an object",
		in:      `{"cron": {"command": "x"}}`,
		wantErr: []string{`app.json: cron:`, `expected Dokku's shape`},
	},

	// syntax and shape
	{
		name:    "syntax error names line and column",
		in:      "{\n  \"name\": \"x\",\n    }\n",
		wantErr: []string{`app.json:3: column 5: invalid JSON: invalid character '}' looking for beginning of object key string`},
	},
	{
		name:    "missing comma mid-line",
		in:      "{\n  \"env\": {\n    \"A\": \"x\" \"B\": \"y\"\n  }\n}\n",
		wantErr: []string{`app.json:3: column 14: invalid JSON: invalid character '"' after object key:value pair`},
	},
	{
		name:    "bad literal at the end of a line",
		in:      "{\n\"a\": tru\n}",
		wantErr: []string{`app.json:2: column 9: invalid JSON: invalid character '\n' in literal true`},
	},
	{
		name:    "truncated",
		in:      "{\n  \"name\": \"x\",\n",
		wantErr: []string{`app.json:2: column 15: invalid JSON: unexpected end of JSON input`}, // at the last byte read
	},
	{
		name:    "empty file",
		in:      "",
		wantErr: []string{`app.json:1: column 1: invalid JSON: unexpected end of JSON input`},
	},
	{
		name:    "top-level array",
		in:      `[{"name": "x"}]`,
		wantErr: []string{`app.json:1: expected a JSON object at the top level, got array`},
	},
	{
		name:    "top-level null",
		in:      `null`,
		wantErr: []string{`app.json: expected a JSON object at the top level`},
	},
	{
		name:    "name that is not a string",
		in:      `{"name": 3}`,
		wantErr: []string{`app.json: name: expected a string, got a number (3)`},
	},
	{
		name:  "byte order mark",
		in:    "\xef\xbb\xbf{\"name\": \"bom\"}",
		check: func(t *testing.T, a *AppJSON) { wantString(t, "Name", a.Name, "bom") },
	},
	{
		name:     "Heroku review-app and CI environments are reported as ignored",
		in:       `{"environments": {"test": {"scripts": {"test": "x"}}, "review": {"env": {"DEBUG": true}, "scripts": {"postdeploy": ""}}}}`,
		warnings: []string{`app.json: environments (review, test) are Heroku review-app and CI overrides; ignored`},
		check:    func(t *testing.T, a *AppJSON) { wantLen(t, "Env", len(a.Env), 0) },
	},
	{
		name: "metadata keys are accepted silently",
		in:   `{"name": "x", "description": "d", "keywords": ["a"], "website": "w", "repository": "r", "logo": "l", "success_url": "/", "addons": [], "buildpacks": [], "stack": "heroku-22", "image": "heroku/ruby"}`,
	},
}

func TestParseAppJSON(t *testing.T) {
	for _, tc := range appJSONCases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAppJSON([]byte(tc.in), "app.json")
			checkErr(t, "ParseAppJSON", err, tc.wantErr...)
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) || fe.File != "app.json" {
					t.Errorf("expected a *FileError for app.json, got %T %v", err, err)
				}
				return
			}
			checkWarnings(t, "ParseAppJSON", a.Warnings, tc.warnings...)
			for _, w := range a.Warnings {
				if w.File != "app.json" {
					t.Errorf("warning %q: expected File app.json, got %q", w.Message, w.File)
				}
			}
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

// TestParseAppJSONDeterministic: with several bad healthchecks the same one is reported
// every time (the map used to be walked in random order).
func TestParseAppJSONDeterministic(t *testing.T) {
	in := []byte(`{"healthchecks": {"worker": [{"type": "x"}], "web": [{"type": "y"}], "clock": [{"type": "z"}]}}`)
	for i := 0; i < 30; i++ {
		_, err := ParseAppJSON(in, "app.json")
		checkErr(t, "ParseAppJSON", err, `healthchecks.clock[0].type: "z"`)
		if t.Failed() {
			return
		}
	}
}

func TestParseAppJSONSyntaxErrorLine(t *testing.T) {
	_, err := ParseAppJSON([]byte("{\n  \"name\": \"x\",\n    }\n"), "app.json")
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("expected a *FileError, got %T %v", err, err)
	}
	if fe.Line != 3 {
		t.Errorf("FileError.Line: expected 3, got %d", fe.Line)
	}
}

func wantVar(name string, want Var) func(t *testing.T, a *AppJSON) {
	return func(t *testing.T, a *AppJSON) {
		t.Helper()
		got, ok := a.Env[name]
		if !ok {
			t.Fatalf("env %s: expected it declared, got only %q", name, sortedKeys(a.Env))
		}
		if got != want {
			t.Errorf("env %s:\n expected %+v\n      got %+v", name, want, got)
		}
	}
}

func wantPostDeploy(want string) func(t *testing.T, a *AppJSON) {
	return func(t *testing.T, a *AppJSON) {
		t.Helper()
		wantString(t, "PostDeploy", a.PostDeploy, want)
	}
}

func wantString(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: expected %q, got %q", what, want, got)
	}
}

func wantInt(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: expected %d, got %d", what, want, got)
	}
}

func wantBool(t *testing.T, what string, got, want bool) {
	t.Helper()
	if got != want {
		t.Errorf("%s: expected %v, got %v", what, want, got)
	}
}

func wantLen(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("len(%s): expected %d, got %d", what, want, got)
	}
}

func formationString(m map[string]Formation) string {
	s := "{"
	for _, k := range sortedKeys(m) {
		q := "nil"
		if m[k].Quantity != nil {
			q = strconv.Itoa(*m[k].Quantity)
		}
		s += k + ": quantity " + q + " size " + m[k].Size + "; "
	}
	return s + "}"
}
