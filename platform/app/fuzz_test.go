package app

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Fuzz targets for the four parsers. Each is seeded from its table test and, when the
// corpus of real apps is there, from its real files (read here, never copied into testdata).
// The invariant everywhere: no panic; an error is a *FileError naming the file; a result is
// internally consistent.

// addCorpusSeeds adds every corpus file matching one of the patterns (relative to an app
// directory, e.g. "app.json" or ".env*") as a seed; a missing corpus adds nothing.
func addCorpusSeeds(f *testing.F, patterns ...string) {
	dir := os.Getenv("SLIPWAY_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	// The repository's own samples are real inputs too.
	dirs := []string{dir, filepath.Join("..", "..", "samples")}
	for _, d := range dirs {
		for _, p := range patterns {
			paths, _ := filepath.Glob(filepath.Join(d, "*", p))
			for _, path := range paths {
				if data, err := os.ReadFile(path); err == nil {
					f.Add(data)
				}
			}
		}
	}
}

// checkParseError checks what every parser error must be: a *FileError for the file.
func checkParseError(t *testing.T, err error, file string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error is %T, expected *FileError: %v", err, err)
	}
	if fe.File != file || !strings.HasPrefix(err.Error(), file) {
		t.Fatalf("error does not name %s first: %q", file, err)
	}
}

func FuzzParseAppJSON(f *testing.F) {
	for _, tc := range appJSONCases {
		f.Add([]byte(tc.in))
	}
	addCorpusSeeds(f, "app.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAppJSON(data, "app.json")
		if err != nil {
			checkParseError(t, err, "app.json")
			return
		}
		for name, v := range a.Env {
			if v.Name != name {
				t.Errorf("Env[%q].Name = %q", name, v.Name)
			}
			if err := CheckVarName(name); err != nil {
				t.Errorf("Env has an invalid name: %v", err)
			}
			if !v.HasValue && v.Value != "" {
				t.Errorf("Env[%q]: a value %q without HasValue", name, v.Value)
			}
		}
		for name, fm := range a.Formation {
			if fm.Quantity != nil && *fm.Quantity < 0 {
				t.Errorf("Formation[%q]: negative quantity %d", name, *fm.Quantity)
			}
			if fm.Size != strings.ToLower(strings.TrimSpace(fm.Size)) {
				t.Errorf("Formation[%q]: size %q not normalised", name, fm.Size)
			}
		}
		for name, checks := range a.Healthchecks {
			for i, c := range checks {
				switch c.Type {
				case "startup", "liveness", "readiness":
				default:
					t.Errorf("Healthchecks[%q][%d]: type %q accepted", name, i, c.Type)
				}
			}
		}
		for i, c := range a.Cron {
			if strings.TrimSpace(c.Command) == "" || checkSchedule(c.Schedule) != nil {
				t.Errorf("Cron[%d] accepted with an empty command or a bad schedule: %+v", i, c)
			}
			switch strings.ToLower(c.ConcurrencyPolicy) {
			case "", "allow", "forbid", "replace":
			default:
				t.Errorf("Cron[%d]: policy %q accepted", i, c.ConcurrencyPolicy)
			}
		}
		if a.PostDeploy != strings.TrimSpace(a.PostDeploy) {
			t.Errorf("PostDeploy not trimmed: %q", a.PostDeploy)
		}
		for _, w := range a.Warnings {
			if w.File != "app.json" || w.Message == "" {
				t.Errorf("bad warning %+v", w)
			}
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	for _, tc := range manifestCases {
		f.Add([]byte(tc.in))
	}
	addCorpusSeeds(f, "slipway.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data, "slipway.yaml")
		if err != nil {
			checkParseError(t, err, "slipway.yaml")
			checkNoInternals(t, err)
			return
		}
		if m == nil {
			t.Fatal("nil Manifest without an error")
		}
		// What `slipway init` writes with the same encoder must read back the same.
		out, err := yaml.Marshal(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := ParseManifest(out, "slipway.yaml")
		if err != nil {
			t.Fatalf("re-encoded manifest does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(normalManifest(m), normalManifest(m2)) {
			t.Errorf("round trip changed the manifest:\n before %+v\n after  %+v\nyaml:\n%s", m, m2, out)
		}
	})
}

// checkNoInternals fails when a YAML error shows yaml's or Go's internals to the user.
func checkNoInternals(t *testing.T, err error) {
	t.Helper()
	for _, leak := range []string{"not found in type", "cannot unmarshal", "map[string]", "yaml.Node", "app.Manifest", "app.Process", "app.herokuYML", "app.StringOrSeq"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error shows yaml's or Go's internals (%q): %v", leak, err)
		}
	}
}

// normalManifest treats empty and nil maps and lists as the same (omitempty drops both).
func normalManifest(m *Manifest) *Manifest {
	c := *m
	if len(c.Image.PullSecrets) == 0 {
		c.Image.PullSecrets = nil
	}
	if len(c.Build.Args) == 0 {
		c.Build.Args = nil
	}
	norm := func(ps map[string]ProcessSettings) map[string]ProcessSettings {
		if len(ps) == 0 {
			return nil
		}
		out := map[string]ProcessSettings{}
		for k, s := range ps {
			if s.Health != nil && len(s.Health.Command) == 0 {
				h := *s.Health
				h.Command = nil
				s.Health = &h
			}
			out[k] = s
		}
		return out
	}
	c.Processes = norm(c.Processes)
	if len(c.Environments) == 0 {
		c.Environments = nil
	} else {
		envs := map[string]ManifestEnvironment{}
		for k, e := range c.Environments {
			e.Processes = norm(e.Processes)
			envs[k] = e
		}
		c.Environments = envs
	}
	return &c
}

func FuzzParseHerokuYML(f *testing.F) {
	for _, tc := range herokuYMLCases {
		f.Add([]byte(tc.in))
	}
	addCorpusSeeds(f, "heroku.yml")
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHerokuYML(data, "heroku.yml")
		if err != nil {
			checkParseError(t, err, "heroku.yml")
			checkNoInternals(t, err)
			return
		}
		for typ, r := range h.Run {
			if strings.TrimSpace(r.Command) == "" || r.Line <= 0 {
				t.Errorf("run.%s: empty command or no line: %+v", typ, r)
			}
		}
		if (h.Release == "") != (h.ReleaseLine == 0) {
			t.Errorf("release %q on line %d", h.Release, h.ReleaseLine)
		}
		for k := range h.Config {
			if err := CheckVarName(k); err != nil {
				t.Errorf("setup.config: invalid name accepted: %v", err)
			}
		}
		if len(h.runTypes()) != len(h.Run) {
			t.Errorf("runTypes lists %d of %d types", len(h.runTypes()), len(h.Run))
		}
		for _, w := range h.Warnings {
			if w.File != "heroku.yml" || w.Message == "" {
				t.Errorf("bad warning %+v", w)
			}
		}
	})
}

func FuzzParseEnv(f *testing.F) {
	for _, tc := range envCases {
		f.Add([]byte(tc.in))
	}
	addCorpusSeeds(f, ".env*", "*.env")
	f.Fuzz(func(t *testing.T, data []byte) {
		// Whatever else is wrong, an error never quotes a value: not one before it, nor an
		// unterminated one after it.
		for _, wrapped := range [][]byte{append([]byte("TOKEN=zq9secret\n"), data...), append(append([]byte{}, data...), "\nTOKEN=\"zq9secret"...)} {
			if _, err := ParseEnv(wrapped, ".env"); err != nil && strings.Contains(err.Error(), "zq9secret") {
				t.Errorf("the error quotes a value: %v", err)
			}
		}
		vars, err := ParseEnv(data, ".env")
		if err != nil {
			checkParseError(t, err, ".env")
			var fe *FileError
			errors.As(err, &fe)
			if lines := strings.Count(string(data), "\n") + 1; fe.Line < 0 || fe.Line > lines+1 {
				t.Errorf("error line %d outside the file's %d lines: %v", fe.Line, lines, err)
			}
			return
		}
		for k := range vars {
			if err := CheckVarName(k); err != nil {
				t.Errorf("invalid name accepted: %v", err)
			}
		}
		again, err := ParseEnv(data, ".env")
		if err != nil || !reflect.DeepEqual(vars, again) {
			t.Errorf("not deterministic: %q then %q (%v)", vars, again, err)
		}
	})
}
