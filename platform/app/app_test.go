package app

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWarningString(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Warning
		want string
	}{
		{"file and line", Warning{File: "Procfile", Line: 3, Message: "m"}, "Procfile:3: m"},
		{"file only", Warning{File: "app.json", Message: "m"}, "app.json: m"},
		{"line without a file", Warning{Line: 3, Message: "m"}, "m"},
		{"message only", Warning{Message: "m"}, "m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.String(); got != tc.want {
				t.Errorf("String(): expected %q, got %q", tc.want, got)
			}
		})
	}
}

func TestFileErrorError(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    *FileError
		want string
	}{
		{"file only", &FileError{File: "app.json", Msg: "env: bad"}, "app.json: env: bad"},
		{"file and line", &FileError{File: "slipway.yaml", Line: 4, Msg: "bad"}, "slipway.yaml:4: bad"},
		{"with a hint", &FileError{File: "Procfile", Msg: "empty", Fix: "add web"}, "Procfile: empty"},
		{"prelocated", &FileError{File: "slipway.yaml", Line: 9, Msg: "slipway.yaml:2: x\nslipway.yaml:3: y", prelocated: true}, "slipway.yaml:2: x\nslipway.yaml:3: y"},
		{"prelocated with a hint", &FileError{File: "f", Msg: "f:1: x", Fix: "h", prelocated: true}, "f:1: x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Error(); got != tc.want {
				t.Errorf("Error(): expected %q, got %q", tc.want, got)
			}
		})
	}
}

func TestAppLookups(t *testing.T) {
	a := &App{Processes: []Process{{Name: "web", KubeName: "web"}, {Name: "worker_beat", KubeName: "worker-beat"}}}
	for _, name := range []string{"worker_beat", "worker-beat"} {
		if p, ok := a.Process(name); !ok || p.Name != "worker_beat" {
			t.Errorf("Process(%q): expected worker_beat, got %+v %v", name, p, ok)
		}
	}
	if p, ok := a.Process("Web"); ok {
		t.Errorf("Process(Web): expected no match (names are case-sensitive), got %+v", p)
	}
	// Process returns a pointer into the App: changes stick.
	p, _ := a.Process("web")
	p.Replicas = 7
	if a.Processes[0].Replicas != 7 {
		t.Errorf("Process returned a copy: Replicas expected 7, got %d", a.Processes[0].Replicas)
	}
	if got := a.ProcessNames(); !reflect.DeepEqual(got, []string{"web", "worker_beat"}) {
		t.Errorf("ProcessNames: expected [web worker_beat], got %q", got)
	}
	if got := (&App{}).EnvironmentNames(); len(got) != 0 {
		t.Errorf("EnvironmentNames of no environments: expected none, got %q", got)
	}
}

// TestInitManifestRoundTrip: what `slipway init` writes loads back to the same app.
func TestInitManifestRoundTrip(t *testing.T) {
	dir := writeApp(t, map[string]string{
		"Procfile": "release: ./migrate\nweb: ./server\nworker_beat: ./beat\nworker: ./worker\n",
		"app.json": `{"name": "Round Trip", "formation": {"web": {"quantity": 2}}}`,
	})
	a, err := Load(dir, Options{})
	checkErr(t, "Load", err)
	data, err := InitManifest(a)
	checkErr(t, "InitManifest", err)
	if _, err := ParseManifest(data, ManifestFile); err != nil {
		t.Fatalf("InitManifest output does not parse:\n%s\nerror: %v", data, err)
	}
	writeFiles(t, dir, map[string]string{ManifestFile: string(data)})
	b, err := Load(dir, Options{})
	checkErr(t, "Load with the written slipway.yaml", err)
	// init writes the default repository out for the user to edit: from then on it is
	// configured, the one difference a round trip makes.
	if a.Image.Configured || !b.Image.Configured {
		t.Errorf("image configured before init %v, after %v; want false, true", a.Image.Configured, b.Image.Configured)
	}
	b.Image.Configured = false
	if a.Name != b.Name || !reflect.DeepEqual(a.Processes, b.Processes) || !reflect.DeepEqual(a.Environments, b.Environments) || !reflect.DeepEqual(a.Image, b.Image) {
		t.Errorf("round trip changed the app:\n before %+v\n after  %+v\nslipway.yaml:\n%s", a, b, data)
	}
}

func TestDetectLanguages(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		want  string
	}{
		{"none", nil, ""},
		{"node", []string{"package.json"}, "Node.js"},
		{"python with assets", []string{"package.json", "requirements.txt"}, "Python, Node.js"},
		{"go", []string{"go.mod"}, "Go"},
		{"rails", []string{"Gemfile", "package.json"}, "Ruby, Node.js"},
		{"php", []string{"composer.json"}, "PHP"},
		{"gradle", []string{"build.gradle"}, "Java"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := strings.Join(DetectLanguages(dir), ", "); got != tc.want {
				t.Errorf("DetectLanguages(%v) = %q, want %q", tc.files, got, tc.want)
			}
		})
	}
}
