package procfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusDir locates the shared corpus of real Procfiles: $SLIPWAY_CORPUS, else
// ../../shared/corpus (i.e. /work/shared/corpus when the module is /work/main).
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SLIPWAY_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("SLIPWAY_E2E") == "require" {
			t.Fatalf("SLIPWAY_E2E=require, but the Procfile corpus is missing: %v", err)
		}
		t.Skipf("no Procfile corpus (set SLIPWAY_CORPUS): %v", err)
	}
	return dir
}

// TestCorpus parses every real Procfile in the corpus. Files are expected to parse unless
// listed in wantErr; the ones with a known twist are checked in detail.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	paths, err := filepath.Glob(filepath.Join(dir, "*", "Procfile*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no */Procfile* under %s", dir)
	}
	dup := filepath.Join("jessamynsmith__django-celery-example", "Procfile.at-756f213-duplicate-worker")
	wantErr := map[string]string{
		dup: ":4: process type \"worker\" declared twice (first on line 3)\n" +
			"  hint: Heroku runs only the last one and ignores line 3: delete the line you do not want, or give it a name of its own",
	}
	reference := loadReference(t, dir)

	seen := map[string]bool{}
	compared := 0
	for _, path := range paths {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			t.Fatal(err)
		}
		seen[rel] = true
		p, err := ParseFile(path)
		if want, ok := wantErr[rel]; ok {
			if err == nil || err.Error() != path+want {
				t.Errorf("ParseFile(%s) error = %v, want %s", rel, err, path+want)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseFile(%s): %v", rel, err)
			continue
		}
		if len(p.Entries) == 0 {
			t.Errorf("ParseFile(%s): no entries", rel)
		}
		// Where Heroku itself reads the file, it must see the same types and commands.
		if ref, ok := reference[filepath.ToSlash(rel)]; ok {
			var got [][2]string
			for _, e := range p.Entries {
				got = append(got, [2]string{e.Name, e.Command})
			}
			if !slices.Equal(got, ref) {
				t.Errorf("%s: entries differ from Heroku's\n got: %q\nwant: %q", rel, got, ref)
			}
			compared++
		}
	}
	if !seen[dup] {
		t.Errorf("corpus lacks %s", dup)
	}
	if reference != nil && compared == 0 {
		t.Errorf("EXPECTED_PARSES.json names none of the corpus Procfiles")
	}

	// The duplicate's hint says what Heroku did with the file: check that against the
	// reference, which kept the last worker line.
	t.Run("duplicate worker: Heroku keeps the last", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(dir, dup))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		_, last, _ := strings.Cut(lines[3], ": ")
		ref, ok := reference[filepath.ToSlash(dup)]
		if reference == nil || !ok {
			t.Skip("no Heroku reference parse of " + dup)
		}
		var got []string
		for _, e := range ref {
			if e[0] == "worker" {
				got = append(got, e[1])
			}
		}
		if !slices.Equal(got, []string{last}) {
			t.Errorf("Heroku's worker commands = %q, want only line 4's %q", got, last)
		}
	})

	t.Run("graditude worker_beat", func(t *testing.T) {
		path := filepath.Join(dir, "tvo25__graditude", "Procfile")
		p, err := ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := p.Lookup("worker-beat")
		if !ok || e.Name != "worker_beat" || e.KubeName != "worker-beat" || e.Line != 3 {
			t.Errorf("Lookup(worker-beat) = %+v, %v; want worker_beat on line 3", e, ok)
		}
		want := []Warning{{File: path, Line: 3, Message: `process type "worker_beat" is named "worker-beat" in Kubernetes`}}
		if !slices.Equal(p.Warnings, want) {
			t.Errorf("warnings = %v, want %v", p.Warnings, want)
		}
		if r, ok := p.Lookup("release"); !ok || !r.Release() {
			t.Errorf("no release entry: %+v", p.Entries)
		}
	})

	t.Run("PostHog trailing comment", func(t *testing.T) {
		p, err := ParseFile(filepath.Join(dir, "PostHog__posthog", "Procfile"))
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]string{
			"celeryworker": "./bin/docker-worker-celery --with-scheduler # optional",
			"pluginworker": "./bin/plugin-server # optional",
			"release":      "REDIS_URL='redis://' python manage.py migrate",
		} {
			if e, _ := p.Lookup(name); e.Command != want {
				t.Errorf("%s command = %q, want %q", name, e.Command, want)
			}
		}
		if len(p.Warnings) != 0 {
			t.Errorf("unexpected warnings: %v", p.Warnings)
		}
	})
}

// loadReference returns what Heroku's classic parser (as emulated in EXPECTED_PARSES.json)
// reads from each corpus Procfile it accepts, keyed by slash-separated path. It returns nil
// when the file is absent.
func loadReference(t *testing.T, dir string) map[string][][2]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "EXPECTED_PARSES.json"))
	if err != nil {
		return nil
	}
	var all map[string]map[string]struct {
		OK      bool        `json:"ok"`
		Entries [][2]string `json:"entries"`
	}
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatalf("EXPECTED_PARSES.json: %v", err)
	}
	ref := map[string][][2]string{}
	for path, tools := range all {
		if !strings.Contains(path, "Procfile") {
			continue
		}
		if h, ok := tools["heroku-classic(regex emu)"]; ok && h.OK {
			ref[path] = h.Entries
		}
	}
	return ref
}
