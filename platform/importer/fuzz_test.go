package importer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slipwayhq/slipway/platform/app"
)

// Fuzz targets for the export parsers. The invariants: no panic; an error is a
// *app.FileError naming the file; a result is internally consistent. For config, also the
// round trip: whatever the Heroku CLI could print, the parser reads back.

// checkFuzzError checks what every parser error must be.
func checkFuzzError(t *testing.T, err error, file string) {
	t.Helper()
	var fe *app.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error is %T, want *app.FileError: %v", err, err)
	}
	if fe.File != file || !strings.HasPrefix(err.Error(), file+":") {
		t.Fatalf("error does not name %s first: %q", file, err)
	}
}

// addTestdataSeeds adds the testdata files as seeds.
func addTestdataSeeds(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
}

// checkConfig checks an accepted export: unique valid keys, one value each, and printing
// it again by the CLI's rule reads back the same.
func checkConfig(t *testing.T, exp *ConfigExport) {
	t.Helper()
	if exp.Format != "shell" && exp.Format != "json" {
		t.Fatalf("format %q", exp.Format)
	}
	if len(exp.Keys) != len(exp.Values) {
		t.Fatalf("%d keys but %d values", len(exp.Keys), len(exp.Values))
	}
	var again strings.Builder
	for _, k := range exp.Keys {
		if err := app.CheckVarName(k); err != nil {
			t.Fatalf("accepted key: %v", err)
		}
		v, ok := exp.Values[k]
		if !ok {
			t.Fatalf("key %q has no value", k)
		}
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			t.Fatalf("%s: accepted a value that is not text without NUL: %q", k, v)
		}
		again.WriteString(k + "=" + herokuQuote(v) + "\n")
	}
	back, err := ParseConfig([]byte(again.String()), "again.env")
	if err != nil {
		t.Fatalf("printing the export again gives a file the parser refuses: %v\n%q", err, again.String())
	}
	for _, k := range exp.Keys {
		if back.Values[k] != exp.Values[k] {
			t.Fatalf("%s: %q printed as %q reads back as %q", k, exp.Values[k], herokuQuote(exp.Values[k]), back.Values[k])
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, v := range trickyValues {
		f.Add([]byte(v))
		f.Add([]byte("K=" + herokuQuote(v) + "\n"))
	}
	for _, s := range []string{
		"A=1\r\nB='x y'\r\n", "K=\"it's\\n\"", "K='a\\\\b'", "=== app Config Vars\nK: v\n",
		`{"K": "v", "L": "w\n"}`, `{"K": 1}`, "K=\"\\", "K='", "\ufeffK=v",
	} {
		f.Add([]byte(s))
	}
	addTestdataSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		exp, err := ParseConfig(data, "config.env")
		if err != nil {
			checkFuzzError(t, err, "config.env")
		} else {
			checkConfig(t, exp)
		}

		// The round trip, with the input as a value: as the CLI prints it in either format,
		// with LF and CRLF line ends, it reads back unchanged.
		v := string(data)
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return
		}
		q := herokuQuote(v)
		js, _ := json.Marshal(map[string]string{"K": v, "A": "1"})
		for _, in := range []string{"K=" + q, "K=" + q + "\n", "A=1\r\nK=" + q + "\r\nB=2\r\n", string(js)} {
			exp, err := ParseConfig([]byte(in), "config.env")
			if err != nil {
				t.Fatalf("%q printed as %q: %v", v, in, err)
			}
			if got := exp.Values["K"]; got != v {
				t.Fatalf("%q printed as %q reads back as %q", v, in, got)
			}
		}
	})
}

func FuzzParseAddons(f *testing.F) {
	for _, s := range []string{
		"[]",
		`[{"name": "a-1", "addon_service": {"name": "s", "human_name": "S"}, "plan": {"name": "s:p"}, "app": {"name": "x"}, "config_vars": ["A_URL"]}]`,
		`[{"name": "a-1", "addon_service": {"name": "s"}, "plan": {"name": "s:p"}, "app": {"name": "x"}, "config_vars": null}]`,
		`[{"name": 1}]`, `{"addons": []}`, `[{"name": "a", "name": "b"}]`,
	} {
		f.Add([]byte(s))
	}
	addTestdataSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseAddons(data, "addons.json")
		if err != nil {
			checkFuzzError(t, err, "addons.json")
			return
		}
		names := map[string]bool{}
		for _, a := range list {
			if a.Name == "" || a.Service == "" || a.Plan == "" || a.App == "" {
				t.Fatalf("accepted an add-on with an empty field: %+v", a)
			}
			if names[a.Name] {
				t.Fatalf("add-on %q accepted twice", a.Name)
			}
			names[a.Name] = true
			if a.ConfigVars == nil {
				t.Fatalf("%q: nil ConfigVars", a.Name)
			}
			vars := map[string]bool{}
			for _, v := range a.ConfigVars {
				if err := app.CheckVarName(v); err != nil || vars[v] {
					t.Fatalf("%q: accepted config var %q (twice: %v): %v", a.Name, v, vars[v], err)
				}
				vars[v] = true
			}
		}
	})
}

func FuzzParseFormation(f *testing.F) {
	for _, s := range []string{
		"[]", `[{"type": "web", "quantity": 1, "size": "Basic"}]`,
		`{"app": {}, "dynos": [{"type": "web", "size": "Basic"}, {"type": "run"}]}`,
		`{"app": {}, "dynos": []}`, `[{"type": "web", "quantity": 1e2, "size": "Basic"}]`,
	} {
		f.Add([]byte(s))
	}
	addTestdataSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		list, source, err := ParseFormation(data, "f.json")
		if err != nil {
			checkFuzzError(t, err, "f.json")
			return
		}
		if source != "apps:info" && source != "formation" {
			t.Fatalf("source %q", source)
		}
		for i, fm := range list {
			if fm.Type == "" || fm.Size == "" || fm.Quantity < 0 {
				t.Fatalf("accepted %+v", fm)
			}
			if source == "apps:info" && (fm.Quantity == 0 || oneOff[fm.Type]) {
				t.Fatalf("apps:info gave %+v", fm)
			}
			if i > 0 && list[i-1].Type >= fm.Type {
				t.Fatalf("not sorted by type, or a type twice: %+v", list)
			}
		}
		if source == "apps:info" && len(list) == 0 {
			t.Fatal("apps:info with no dynos accepted")
		}
	})
}

func FuzzParseDomains(f *testing.F) {
	for _, s := range []string{
		"[]", `[{"hostname": "*.example.com", "kind": "custom"}]`, `[{"hostname": "a", "kind": "heroku"}]`,
	} {
		f.Add([]byte(s))
	}
	addTestdataSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseDomains(data, "d.json")
		if err != nil {
			checkFuzzError(t, err, "d.json")
			return
		}
		seen := map[string]bool{}
		for _, d := range list {
			if !hostnameRE.MatchString(d.Hostname) || (d.Kind != "heroku" && d.Kind != "custom") || seen[d.Hostname] {
				t.Fatalf("accepted %+v (seen before: %v)", d, seen[d.Hostname])
			}
			seen[d.Hostname] = true
		}
	})
}
