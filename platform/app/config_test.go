package app

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// counter is a deterministic generator: secret-1, secret-2, …
func counter() func() (string, error) {
	n := 0
	return func() (string, error) {
		n++
		return fmt.Sprintf("secret-%d", n), nil
	}
}

func TestResolveConfig(t *testing.T) {
	const appJSON = `{"env": {
		"LANG": "en_US.UTF-8",
		"LOG_LEVEL": {"value": "info"},
		"LOCAL_DOMAIN": {"description": "your domain", "required": true},
		"ADMIN_EMAIL": {"description": "who gets errors"},
		"S3_BUCKET": {"required": false},
		"SECRET_KEY_BASE": {"generator": "secret"},
		"OTP_SECRET": {"generator": "secret", "required": true}
	}}`
	files := map[string]string{
		"Procfile":         "web: x\n",
		"app.json":         appJSON,
		".env":             "LOG_LEVEL=debug\n",
		".env.staging":     "LOG_LEVEL=warn\nLOCAL_DOMAIN=staging.example.com\nEXTRA=1\n",
		".env.staging.own": "EXTRA=2\nOTP_SECRET=kept\n",
		".env.bad":         "A=1\nB\n",
	}
	dir := writeApp(t, files)
	a, err := Load(dir, Options{})
	checkErr(t, "Load", err)

	cases := []struct {
		name      string
		opts      ConfigOptions
		wantErr   string
		vars      map[string]string
		origin    map[string]string
		missing   []string
		generated []string
	}{
		{
			name:    "app.json defaults only",
			vars:    map[string]string{"LANG": "en_US.UTF-8", "LOG_LEVEL": "info"},
			origin:  map[string]string{"LANG": "app.json", "LOG_LEVEL": "app.json"},
			missing: []string{"ADMIN_EMAIL", "LOCAL_DOMAIN"},
		},
		{
			name:    "env file over app.json",
			opts:    ConfigOptions{EnvFiles: []string{".env.staging"}},
			vars:    map[string]string{"LANG": "en_US.UTF-8", "LOG_LEVEL": "warn", "LOCAL_DOMAIN": "staging.example.com", "EXTRA": "1"},
			origin:  map[string]string{"LANG": "app.json", "LOG_LEVEL": ".env.staging", "LOCAL_DOMAIN": ".env.staging", "EXTRA": ".env.staging"},
			missing: []string{"ADMIN_EMAIL"},
		},
		{
			name:    "later env files win",
			opts:    ConfigOptions{EnvFiles: []string{".env", ".env.staging", ".env.staging.own"}},
			vars:    map[string]string{"LANG": "en_US.UTF-8", "LOG_LEVEL": "warn", "LOCAL_DOMAIN": "staging.example.com", "EXTRA": "2", "OTP_SECRET": "kept"},
			origin:  map[string]string{"LANG": "app.json", "LOG_LEVEL": ".env.staging", "LOCAL_DOMAIN": ".env.staging", "EXTRA": ".env.staging.own", "OTP_SECRET": ".env.staging.own"},
			missing: []string{"ADMIN_EMAIL"},
		},
		{
			name:    "a missing env file is skipped",
			opts:    ConfigOptions{EnvFiles: []string{".env.production"}},
			vars:    map[string]string{"LANG": "en_US.UTF-8", "LOG_LEVEL": "info"},
			origin:  map[string]string{"LANG": "app.json", "LOG_LEVEL": "app.json"},
			missing: []string{"ADMIN_EMAIL", "LOCAL_DOMAIN"},
		},
		{
			name:    "a missing env file named explicitly is an error",
			opts:    ConfigOptions{EnvFiles: []string{".env.production"}, Explicit: true},
			wantErr: ".env.production: no such file",
		},
		{
			name:    "a malformed env file is an error with its line",
			opts:    ConfigOptions{EnvFiles: []string{".env.bad"}},
			wantErr: `.env.bad:2: expected NAME=value: this line has no '='`,
		},
		{
			name:      "generator fills generator: secret vars that have no value",
			opts:      ConfigOptions{EnvFiles: []string{".env.staging.own"}, Generate: counter()},
			vars:      map[string]string{"LANG": "en_US.UTF-8", "LOG_LEVEL": "info", "EXTRA": "2", "OTP_SECRET": "kept", "SECRET_KEY_BASE": "secret-1"},
			origin:    map[string]string{"LANG": "app.json", "LOG_LEVEL": "app.json", "EXTRA": ".env.staging.own", "OTP_SECRET": ".env.staging.own", "SECRET_KEY_BASE": "generated"},
			missing:   []string{"ADMIN_EMAIL", "LOCAL_DOMAIN"},
			generated: []string{"SECRET_KEY_BASE"},
		},
		{
			name:      "generated in name order",
			opts:      ConfigOptions{Generate: counter()},
			vars:      map[string]string{"LANG": "en_US.UTF-8", "LOG_LEVEL": "info", "OTP_SECRET": "secret-1", "SECRET_KEY_BASE": "secret-2"},
			origin:    map[string]string{"LANG": "app.json", "LOG_LEVEL": "app.json", "OTP_SECRET": "generated", "SECRET_KEY_BASE": "generated"},
			missing:   []string{"ADMIN_EMAIL", "LOCAL_DOMAIN"},
			generated: []string{"OTP_SECRET", "SECRET_KEY_BASE"},
		},
		{
			name:    "a failing generator",
			opts:    ConfigOptions{Generate: func() (string, error) { return "", errors.New("no entropy") }},
			wantErr: "generate OTP_SECRET: no entropy",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := a.ResolveConfig(tc.opts)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error:\n expected %q\n      got %v", tc.wantErr, err)
				}
				return
			}
			checkErr(t, "ResolveConfig", err)
			if !reflect.DeepEqual(c.Vars, tc.vars) {
				t.Errorf("Vars:\n expected %q\n      got %q", tc.vars, c.Vars)
			}
			if !reflect.DeepEqual(c.Origin, tc.origin) {
				t.Errorf("Origin:\n expected %q\n      got %q", tc.origin, c.Origin)
			}
			var missing []string
			for _, v := range c.Missing {
				missing = append(missing, v.Name)
			}
			if !reflect.DeepEqual(missing, tc.missing) {
				t.Errorf("Missing: expected %q, got %q", tc.missing, missing)
			}
			if !reflect.DeepEqual(c.Generated, tc.generated) {
				t.Errorf("Generated: expected %q, got %q", tc.generated, c.Generated)
			}
			if got, want := sortedKeys(c.Vars), sortedKeys(tc.vars); !reflect.DeepEqual(got, want) {
				t.Errorf("Keys: expected %q, got %q", want, got)
			}
		})
	}
}

func TestMissingError(t *testing.T) {
	const hint = "set them with `slipway config set NAME=value -e staging` or in .env.staging"
	cases := []struct {
		name    string
		missing []Var
		want    string // "" for no error
	}{
		{name: "none"},
		{name: "one", missing: []Var{{Name: "LOCAL_DOMAIN"}}, want: "app.json: required config var LOCAL_DOMAIN not set\n  hint: " + hint},
		{name: "several, sorted", missing: []Var{{Name: "SMTP_HOST"}, {Name: "ADMIN_EMAIL"}}, want: "app.json: required config vars ADMIN_EMAIL, SMTP_HOST not set\n  hint: " + hint},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Config{Missing: tc.missing}).MissingError(hint)
			if tc.want == "" {
				if err != nil {
					t.Errorf("expected no error, got %v", err)
				}
				return
			}
			var me *MissingConfigError
			if !errors.As(err, &me) || err.Error()+"\n  hint: "+me.Hint() != tc.want {
				t.Errorf("error:\n expected %q\n      got %v", tc.want, err)
			}
		})
	}
}

func TestEnvironmentConfig(t *testing.T) {
	dir := writeApp(t, map[string]string{
		"Procfile":        "web: x\n",
		"slipway.yaml":    "environments:\n  staging: {}\n  production:\n    envFile: config/prod.env\n",
		"config/prod.env": "A=prod\n",
		".env.staging":    "A=staging\n",
	})
	a, err := Load(dir, Options{})
	checkErr(t, "Load", err)
	for env, want := range map[string]string{"staging": "staging", "production": "prod"} {
		opts, err := a.EnvironmentConfig(env)
		checkErr(t, "EnvironmentConfig("+env+")", err)
		c, err := a.ResolveConfig(opts)
		checkErr(t, "ResolveConfig("+env+")", err)
		if c.Vars["A"] != want {
			t.Errorf("%s: expected A=%s, got %q", env, want, c.Vars["A"])
		}
	}
	_, err = a.EnvironmentConfig("qa")
	checkErr(t, "EnvironmentConfig(qa)", err, `unknown environment "qa" (known: production, staging)`)
}
