package build

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/platform/app"
)

// TestForApp: the Dockerfile the app's inputs chose, what is said about a repository's
// Dockerfile that is not used, and the fall-back to it when only Heroku's rule chose to
// generate and no language is detected.
func TestForApp(t *testing.T) {
	const (
		goApp      = "module example.com/shop\n\ngo 1.25\n"
		dockerfile = "FROM busybox:1.36\n"
		notUsed    = "Dockerfile not used: no heroku.yml build.docker: Heroku builds this app with buildpacks; Slipway generates one (build.generate: false in slipway.yaml builds yours)"
		fallBack   = "Dockerfile used: Slipway generates Dockerfiles for Go, Ruby, Python, PHP and Node.js and detects none of them here, so it builds yours, as Dokku would (Heroku, without heroku.yml build.docker, would look for a buildpack)"
	)
	cases := []struct {
		name  string
		files map[string]string
		// language is the generated Dockerfile's; "" when the repository's (dockerfile) builds.
		language, dockerfile string
		unused               string
		notes                []string
		err                  []string // the error and its hint, as a front end shows them
		undetected           bool     // the error wraps ErrUndetected
	}{
		{
			name:     "a Go app without a Dockerfile",
			files:    map[string]string{"go.mod": goApp},
			language: "Go",
		},
		{
			name:     "a Go app with a Dockerfile: generated, as Heroku builds it with buildpacks",
			files:    map[string]string{"go.mod": goApp, "Dockerfile": dockerfile},
			language: "Go", unused: "Dockerfile", notes: []string{notUsed},
		},
		{
			name:     "heroku.yml build.languages",
			files:    map[string]string{"go.mod": goApp, "Dockerfile": dockerfile, "heroku.yml": "build:\n  languages:\n    - go\n"},
			language: "Go", unused: "Dockerfile",
			notes: []string{"Dockerfile not used: heroku.yml build.languages: Heroku builds this app with buildpacks; Slipway generates one (build.generate: false in slipway.yaml builds yours)"},
		},
		{
			name:     "build.generate: true says so itself",
			files:    map[string]string{"go.mod": goApp, "Dockerfile": dockerfile, "slipway.yaml": "build:\n  generate: true\n"},
			language: "Go", unused: "Dockerfile",
			notes: []string{"Dockerfile not used: slipway.yaml build.generate: true; Slipway generates one"},
		},
		{
			name:       "build.generate: false",
			files:      map[string]string{"go.mod": goApp, "Dockerfile": dockerfile, "slipway.yaml": "build:\n  generate: false\n"},
			dockerfile: "Dockerfile",
		},
		{
			name:       "heroku.yml build.docker",
			files:      map[string]string{"go.mod": goApp, "docker/web.Dockerfile": dockerfile, "heroku.yml": "build:\n  docker:\n    web: docker/web.Dockerfile\n"},
			dockerfile: "docker/web.Dockerfile",
		},
		{
			name:       "app.json stack container",
			files:      map[string]string{"go.mod": goApp, "Dockerfile": dockerfile, "app.json": `{"stack": "container"}`},
			dockerfile: "Dockerfile",
		},
		{
			name:     "app.json buildpack stack",
			files:    map[string]string{"go.mod": goApp, "Dockerfile": dockerfile, "app.json": `{"stack": "heroku-24"}`},
			language: "Go", unused: "Dockerfile",
			notes: []string{`Dockerfile not used: app.json stack "heroku-24": Heroku builds this app with buildpacks; Slipway generates one (build.generate: false in slipway.yaml builds yours)`},
		},
		{
			name:       "only Heroku's rule, no language: the Dockerfile, as Dokku",
			files:      map[string]string{"Dockerfile": dockerfile},
			dockerfile: "Dockerfile", notes: []string{fallBack},
		},
		{
			name:       "only Heroku's rule, a language Slipway does not build: the Dockerfile",
			files:      map[string]string{"pom.xml": "<project/>\n", "Dockerfile": dockerfile},
			dockerfile: "Dockerfile", notes: []string{fallBack},
		},
		{
			name:       "build.generate: true never falls back",
			files:      map[string]string{"Dockerfile": dockerfile, "slipway.yaml": "build:\n  generate: true\n"},
			err:        []string{"slipway.yaml:2: cannot generate a Dockerfile (slipway.yaml build.generate: true): no supported language detected", "hint: build.generate: false in slipway.yaml builds the repository's Dockerfile"},
			undetected: true,
		},
		{
			name:       "neither does heroku.yml build.languages",
			files:      map[string]string{"pom.xml": "<project/>\n", "Dockerfile": dockerfile, "heroku.yml": "build:\n  languages:\n    - java\n"},
			err:        []string{"heroku.yml:3: cannot generate a Dockerfile (heroku.yml build.languages: Heroku builds this app with buildpacks): no supported language detected", "pom.xml, a Java app", "hint: build.generate: false in slipway.yaml"},
			undetected: true,
		},
		{
			name:       "no language and no Dockerfile",
			files:      map[string]string{},
			err:        []string{"no supported language detected"},
			undetected: true,
		},
		{
			name:  "build.generate: false without a Dockerfile",
			files: map[string]string{"go.mod": goApp, "slipway.yaml": "name: shop\nbuild:\n  generate: false\n"},
			err:   []string{"slipway.yaml:3: the app has no Dockerfile to build with (slipway.yaml build.generate: false)", "hint: add a Dockerfile, or let Slipway generate one: build.generate: true in slipway.yaml"},
		},
		{
			name:  "heroku.yml names a Dockerfile that is not there",
			files: map[string]string{"go.mod": goApp, "heroku.yml": "build:\n  docker:\n    web: docker/web.Dockerfile\n"},
			err:   []string{"heroku.yml:3: Dockerfile docker/web.Dockerfile does not exist in "},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"Procfile": "web: shop\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			write(t, dir, files)
			a, err := app.Load(dir, app.Options{})
			if err != nil {
				t.Fatalf("app.Load: %v", err)
			}
			b, err := ForApp(a, GenerateOptions{})
			if tc.err != nil {
				if err == nil {
					t.Fatalf("ForApp: want an error saying %q, got none", tc.err)
				}
				text := err.Error()
				var h interface{ Hint() string }
				if errors.As(err, &h) && h.Hint() != "" {
					text += "\nhint: " + h.Hint()
				}
				for _, s := range tc.err {
					if !strings.Contains(text, s) {
						t.Errorf("ForApp: the error should say %q; got:\n%s", s, text)
					}
				}
				if errors.Is(err, ErrUndetected) != tc.undetected {
					t.Errorf("ForApp: errors.Is(err, ErrUndetected) = %v, want %v", !tc.undetected, tc.undetected)
				}
				return
			}
			if err != nil {
				t.Fatalf("ForApp: %v", err)
			}
			switch {
			case tc.language != "":
				if b.Plan == nil || b.Plan.Language != tc.language || b.Options.Generated == nil || b.Options.Dockerfile != "" {
					t.Errorf("want a generated %s Dockerfile, got plan %+v, Options.Dockerfile %q", tc.language, b.Plan, b.Options.Dockerfile)
				}
			default:
				if b.Plan != nil || b.Options.Generated != nil || b.Options.Dockerfile != tc.dockerfile {
					t.Errorf("want the repository's %s, got Options.Dockerfile %q, plan %+v", tc.dockerfile, b.Options.Dockerfile, b.Plan)
				}
			}
			if b.Unused != tc.unused {
				t.Errorf("Unused = %q, want %q", b.Unused, tc.unused)
			}
			if strings.Join(b.Notes, "\n") != strings.Join(tc.notes, "\n") {
				t.Errorf("Notes:\n got %q\nwant %q", b.Notes, tc.notes)
			}
			if b.Source == nil || b.Options.Tag == "" || b.Options.Context == nil {
				t.Errorf("ForApp should read the context and tag the source; got Source %+v, Tag %q", b.Source, b.Options.Tag)
			}
		})
	}
}

// TestForAppZeroBuild: an App not made by app.Load builds with ./Dockerfile when there is one,
// else with a generated one, as before apps said how.
func TestForAppZeroBuild(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string]string
		wantPlan bool
	}{
		{"a Dockerfile", map[string]string{"Dockerfile": "FROM busybox:1.36\n", "go.mod": "module x\n"}, false},
		{"none", map[string]string{"go.mod": "module x\n"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tc.files)
			b, err := ForApp(&app.App{Name: "shop", Dir: dir, Image: app.Image{Repository: "shop"}}, GenerateOptions{})
			if err != nil {
				t.Fatalf("ForApp: %v", err)
			}
			if (b.Plan != nil) != tc.wantPlan || len(b.Notes) != 0 {
				t.Errorf("plan %+v, Dockerfile %q, notes %q; want a generated Dockerfile: %v, no notes", b.Plan, b.Options.Dockerfile, b.Notes, tc.wantPlan)
			}
		})
	}
}

// TestForAppHerokuGoGettingStarted: Heroku's Go getting-started app, unchanged. Its
// Dockerfile builds only on Heroku's builder images and heroku.yml says build.languages:
// Slipway generates the Dockerfile, with the binary on PATH under the name the Heroku Go
// buildpack gives it (the Procfile runs `go-getting-started`), and says why its own is not
// used.
func TestForAppHerokuGoGettingStarted(t *testing.T) {
	dir := filepath.Join(e2e.ModuleRoot(t), "..", "shared", "apps", "heroku__go-getting-started")
	if _, err := os.Stat(dir); err != nil {
		e2e.Missing(t, "the real Heroku app: %v", err)
	}
	a, err := app.Load(dir, app.Options{})
	if err != nil {
		t.Fatalf("app.Load: %v", err)
	}
	if a.Name != "heroku-go-getting-started" {
		t.Errorf("Name = %q, want the directory's (app.json's name is the Deploy button's title)", a.Name)
	}
	b, err := Choose(a, GenerateOptions{BuildKit: true})
	if err != nil {
		t.Fatalf("Choose: %v", err)
	}
	if b.Plan == nil || b.Plan.Language != "Go" {
		t.Fatalf("want a generated Go Dockerfile, got plan %+v, Dockerfile %q", b.Plan, b.Options.Dockerfile)
	}
	df := string(b.Plan.Dockerfile)
	for _, s := range []string{"go-getting-started", "PATH=/app/bin:$PATH"} {
		if !strings.Contains(df, s) {
			t.Errorf("the generated Dockerfile lacks %q:\n%s", s, df)
		}
	}
	want := "Dockerfile not used: heroku.yml build.languages: Heroku builds this app with buildpacks; Slipway generates one (build.generate: false in slipway.yaml builds yours)"
	if len(b.Notes) != 1 || b.Notes[0] != want || b.Unused != "Dockerfile" {
		t.Errorf("Notes %q, Unused %q; want [%q], Dockerfile", b.Notes, b.Unused, want)
	}
}
