package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/release"
)

// writeRepo writes an app's files into a directory named name.
func writeRepo(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for f, content := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustConfig(t *testing.T, export string) *ConfigExport {
	t.Helper()
	c, err := ParseConfig([]byte(export), "config.sh")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPlan(t *testing.T) {
	dir := writeRepo(t, "Shop_App", map[string]string{
		"Procfile": "web: ./web\nworker: ./worker\nclock: ./clock\n",
		"app.json": `{"name": "Start on Heroku: Shop", "env": {"LOCAL_DOMAIN": {"required": true, "description": "the public host"}, "SECRET": {"generator": "secret"}}}`,
	})
	h := &Heroku{
		Dir:    dir,
		Config: mustConfig(t, "DATABASE_URL='postgres://u:p@h/d'\nHEROKU_RELEASE_VERSION=v9\nBUILDPACK_URL='https://x/y.tgz'\nGOVERSION=go1.22\nAPI_KEY=abc\n"),
		Formation: []Formation{
			{Type: "web", Quantity: 3, Size: "Performance-M"},
			{Type: "worker", Quantity: 2, Size: "dyno-2c-4gb"},
			{Type: "console", Quantity: 1, Size: "Basic"},
		},
		FormationSource: "formation",
		Domains:         []Domain{{Hostname: "shop.herokuapp.com", Kind: "heroku"}, {Hostname: "*.shop.example", Kind: "custom"}, {Hostname: "shop.example", Kind: "custom"}},
	}
	m, err := h.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if m.App != "shop-app" || m.AppFrom != "the directory name" || m.Environment != "production" {
		t.Errorf("app %q from %q in %q", m.App, m.AppFrom, m.Environment)
	}
	procs := map[string]ProcessMap{}
	for _, p := range m.Processes {
		procs[p.Type] = p
	}
	if p := procs["web"]; p.Replicas != 3 || p.Size != "performance-m" || p.ReplicasFrom != "Heroku's formation" {
		t.Errorf("web: %+v", p)
	}
	if p := procs["worker"]; p.Replicas != 2 || p.Resources != "cpu 2, memory 4096Mi (limit 4096Mi)" {
		t.Errorf("worker: %+v", p)
	}
	if p := procs["clock"]; p.ReplicasFrom != "Slipway's default (not in Heroku's formation)" {
		t.Errorf("clock: %+v", p)
	}
	if m.Domain != "shop.example" {
		t.Errorf("domain %q", m.Domain)
	}
	dropped := map[string]string{}
	for _, d := range append(m.Dropped, m.Config.Dropped...) {
		dropped[d.What] = d.Why
	}
	for _, what := range []string{"formation console", "domain shop.herokuapp.com", "domain *.shop.example", "HEROKU_RELEASE_VERSION", "BUILDPACK_URL"} {
		if dropped[what] == "" {
			t.Errorf("%s not reported as left behind: %v", what, dropped)
		}
	}
	if !slices.Equal(m.Config.Imported, []string{"DATABASE_URL", "GOVERSION", "API_KEY"}) {
		t.Errorf("imported %v", m.Config.Imported)
	}
	notes := map[string]bool{}
	for _, n := range m.Config.Notes {
		notes[n.What] = true
	}
	if !notes["DATABASE_URL"] || !notes["GOVERSION"] {
		t.Errorf("notes %v: want DATABASE_URL (an add-on's, no add-ons export) and GOVERSION (a buildpack's)", m.Config.Notes)
	}
	todo := strings.Join(m.Todo, "\n")
	for _, w := range []string{"set LOCAL_DOMAIN (app.json says it is required: the public host)", "image.repository", "point shop.example's DNS"} {
		if !strings.Contains(todo, w) {
			t.Errorf("to do lacks %q:\n%s", w, todo)
		}
	}
	if strings.Contains(todo, "SECRET") {
		t.Errorf("a generated secret is not the user's to set:\n%s", todo)
	}
	man, err := app.ParseManifest(m.manifest, app.ManifestFile)
	if err != nil {
		t.Fatal(err)
	}
	if man.Name != "shop-app" || *man.Processes["web"].Replicas != 3 || man.Processes["worker"].Size != "dyno-2c-4gb" || man.Environments["production"].Domain != "shop.example" {
		t.Errorf("slipway.yaml:\n%s", m.manifest)
	}
	if strings.Contains(string(m.manifest), "postgres://") || strings.Contains(string(m.manifest), "abc") {
		t.Errorf("slipway.yaml holds a value:\n%s", m.manifest)
	}
}

func TestPlanAppsInfoScaledToZero(t *testing.T) {
	dir := writeRepo(t, "app", map[string]string{"Procfile": "web: ./web\nworker: ./worker\n"})
	h := &Heroku{Dir: dir, AppName: "acme", Formation: []Formation{{Type: "web", Quantity: 1, Size: "Standard-1X"}}, FormationSource: "apps:info"}
	m, err := h.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Processes[1]; p.Type != "worker" || p.Replicas != 0 || !strings.Contains(p.ReplicasFrom, "no dynos running") {
		t.Errorf("worker: %+v", p)
	}
	if m.AppFrom != "the Heroku app's name" {
		t.Errorf("app from %q", m.AppFrom)
	}
}

func TestPlanAddons(t *testing.T) {
	dir := writeRepo(t, "app", map[string]string{"Procfile": "web: ./web\n"})
	addons := []Addon{{Name: "postgresql-x", Service: "heroku-postgresql", Plan: "heroku-postgresql:essential-0", ConfigVars: []string{"DATABASE_URL"}},
		{Name: "sendgrid-y", Service: "sendgrid", HumanName: "Twilio SendGrid", Plan: "sendgrid:starter", ConfigVars: []string{"SENDGRID_API_KEY"}},
		{Name: "fancy-z", Service: "fancy", HumanName: "Fancy Search", Plan: "fancy:free"}}
	for _, keep := range []bool{false, true} {
		h := &Heroku{Dir: dir, AppName: "acme", Addons: addons, AddonsFile: "addons.json", KeepAddonConfig: keep,
			Config: mustConfig(t, "DATABASE_URL='postgres://u:p@h/d'\nSENDGRID_API_KEY=SG.x\nOWN=1\n")}
		m, err := h.Plan()
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"OWN"}
		if keep {
			want = []string{"DATABASE_URL", "SENDGRID_API_KEY", "OWN"}
		}
		if !slices.Equal(m.Config.Imported, want) {
			t.Errorf("keep %v: imported %v, want %v", keep, m.Config.Imported, want)
		}
		if len(m.Addons) != 3 || !strings.Contains(m.Addons[0].Todo, "provision PostgreSQL") || !strings.HasSuffix(m.Addons[0].Todo[:strings.Index(m.Addons[0].Todo+";", ";")], "set DATABASE_URL") {
			t.Errorf("keep %v: %+v", keep, m.Addons)
		}
		if !strings.Contains(m.Addons[2].Todo, "provision Fancy Search (fancy:free) or keep using it outside Heroku") {
			t.Errorf("an unknown add-on: %q", m.Addons[2].Todo)
		}
		if keep != strings.Contains(m.Addons[0].Todo, "still point at Heroku's PostgreSQL database") {
			t.Errorf("keep %v: %q", keep, m.Addons[0].Todo)
		}
	}
}

// store is an environment's config in memory.
type store struct {
	vars    map[string]string
	err     error
	set     []map[string]string
	version int
}

func (s *store) Config(context.Context) (map[string]string, error) { return s.vars, s.err }

func (s *store) SetConfig(_ context.Context, vars map[string]string, _ time.Duration) (*release.Result, error) {
	s.set = append(s.set, vars)
	s.version++
	for k, v := range vars {
		s.vars[k] = v
	}
	return &release.Result{Release: release.Release{Revision: s.version}}, nil
}

func TestApplyConfig(t *testing.T) {
	plan := func(t *testing.T, dir, export string) *Migration {
		t.Helper()
		m, err := (&Heroku{Dir: dir, AppName: "acme", Environment: "staging", Config: mustConfig(t, export), ConfigFile: "config.sh"}).Plan()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Run("not deployed: the env file", func(t *testing.T) {
		dir := writeRepo(t, "app", map[string]string{"Procfile": "web: ./web\n", ".dockerignore": "tmp"})
		s := &store{err: &release.NotDeployedError{App: "acme", Environment: "staging"}}
		m := plan(t, dir, "A='x y'\nB=2\n")
		if err := m.Apply(t.Context(), dir, ApplyOptions{Cluster: s}); err != nil {
			t.Fatal(err)
		}
		if m.Config.Destination != "file" || m.Config.Target != ".env.staging" || !strings.Contains(m.Config.Reason, "not deployed in staging") || len(s.set) != 0 {
			t.Errorf("%+v, %d releases", m.Config, len(s.set))
		}
		ef, err := app.ReadEnvFile(filepath.Join(dir, ".env.staging"), ".env.staging")
		if err != nil || ef.Vars["A"] != "x y" || ef.Vars["B"] != "2" {
			t.Fatalf("%v %v", ef, err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, ".dockerignore")); string(b) != "tmp\n# config vars imported from Heroku (secrets)\n/.env.staging\n" {
			t.Errorf(".dockerignore:\n%s", b)
		}
		// The file then holds A; another value for it is a change, a new var is not.
		m = plan(t, dir, "A=z\nC=3\n")
		if err := m.Apply(t.Context(), dir, ApplyOptions{Cluster: s}); !errors.Is(err, ErrWouldChange) || !slices.Equal(m.Changes, []string{".env.staging: replace the value of A"}) {
			t.Errorf("%v, changes %q", err, m.Changes)
		}
		if ef, _ := app.ReadEnvFile(filepath.Join(dir, ".env.staging"), ".env.staging"); ef.Vars["A"] != "x y" || ef.Vars["C"] != "" {
			t.Errorf("a refused apply changed the file: %v", ef.Vars)
		}
		m = plan(t, dir, "C=3\n")
		if err := m.Apply(t.Context(), dir, ApplyOptions{Cluster: s}); err != nil {
			t.Fatal(err)
		}
		if ef, _ := app.ReadEnvFile(filepath.Join(dir, ".env.staging"), ".env.staging"); ef.Vars["A"] != "x y" || ef.Vars["C"] != "3" {
			t.Errorf("a new var: %v", ef.Vars)
		}
	})
	t.Run("deployed: one release of what differs", func(t *testing.T) {
		dir := writeRepo(t, "app", map[string]string{"Procfile": "web: ./web\n"})
		s := &store{vars: map[string]string{"A": "1", "B": "2"}}
		m := plan(t, dir, "A=1\nB=3\nC=4\n")
		if err := m.Apply(t.Context(), dir, ApplyOptions{Cluster: s}); !errors.Is(err, ErrWouldChange) || len(s.set) != 0 {
			t.Fatalf("%v, %d releases", err, len(s.set))
		}
		if err := m.Apply(t.Context(), dir, ApplyOptions{Cluster: s, Force: true}); err != nil {
			t.Fatal(err)
		}
		if len(s.set) != 1 || len(s.set[0]) != 2 || s.set[0]["B"] != "3" || s.set[0]["C"] != "4" || m.Config.Release != 1 {
			t.Errorf("set %v, release %d", s.set, m.Config.Release)
		}
		if _, err := os.Stat(filepath.Join(dir, ".env.staging")); err == nil {
			t.Error("the values went to the cluster and to the env file")
		}
		m = plan(t, dir, "A=1\nB=3\nC=4\n")
		if err := m.Apply(t.Context(), dir, ApplyOptions{Cluster: s}); err != nil || len(s.set) != 1 || m.Config.Release != 0 {
			t.Errorf("nothing to change: %v, %d releases", err, len(s.set))
		}
	})
}

func TestApplyNeverReplacesAnIgnoreFileUnread(t *testing.T) {
	dir := writeRepo(t, "app", map[string]string{"Procfile": "web: ./web\n"})
	outside := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(outside, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, ".gitignore")); err != nil {
		t.Fatal(err)
	}
	m, err := (&Heroku{Dir: dir, AppName: "acme", Config: mustConfig(t, "A=1\n")}).Plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(t.Context(), dir, ApplyOptions{}); err == nil || m.Applied {
		t.Fatalf("a .gitignore that is a symlink: %v, applied %v", err, m.Applied)
	}
	for _, f := range []string{".env.production", app.ManifestFile, ".dockerignore"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s written", f)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep\n" {
		t.Errorf("the symlink's target changed: %q", b)
	}
}

func TestLineDiff(t *testing.T) {
	got := lineDiff("a\nb\nc\n", "a\nB\nc\nd\n")
	if want := []string{"-b", "+B", "+d"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
