package gitpush

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testGit makes real bare repositories with git init; it serves nothing.
type testGit struct{}

var _ Git = testGit{}

func (testGit) Init(ctx context.Context, dir string) error {
	if out, err := exec.CommandContext(ctx, "git", "init", "--bare", "-q", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("git init: %w: %s", err, out)
	}
	return nil
}

func (testGit) Advertise(context.Context, string, Service, io.Writer) error {
	return errors.New("testGit serves nothing")
}

func (testGit) Serve(context.Context, string, Service, io.Reader, io.Writer, *os.File) error {
	return errors.New("testGit serves nothing")
}

func (testGit) IsAncestor(context.Context, string, []string, string, string) (bool, error) {
	return false, errors.New("testGit reads nothing")
}

func (testGit) Checkout(context.Context, string, []string, string, string) error {
	return errors.New("testGit reads nothing")
}

// failGit makes half a repository, then fails.
type failGit struct{ testGit }

func (failGit) Init(_ context.Context, dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "objects"), 0o755); err != nil {
		return err
	}
	return errors.New("disk full")
}

func isBare(t *testing.T, dir string) bool {
	t.Helper()
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--is-bare-repository").CombinedOutput()
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

// entries lists dir's names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestAppsPath(t *testing.T) {
	dir := t.TempDir()
	a := &Apps{Dir: dir, Git: testGit{}}
	for _, tc := range []struct {
		name, in string
		want     string // "" : a *NameError
	}{
		{"plain", "shop", filepath.Join(dir, "apps", "shop.git")},
		{"digits and dash", "api-2", filepath.Join(dir, "apps", "api-2.git")},
		{"empty", "", ""},
		{"parent", "..", ""},
		{"parent then name", "../shop", ""},
		{"slash", "a/b", ""},
		{"encoded dots", "%2e%2e", ""},
		{"encoded slash", "a%2fb", ""},
		{"absolute", "/etc/passwd", ""},
		{"dot git", "shop.git", ""},
		{"upper case", "Shop", ""},
		{"backslash", `a\b`, ""},
		{"NUL", "a\x00b", ""},
		{"too long", strings.Repeat("a", 64), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.Path(tc.in)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("Path(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			var ne *NameError
			if !errors.As(err, &ne) || ne.Name != tc.in {
				t.Fatalf("Path(%q) = %q, %v; want a *NameError", tc.in, got, err)
			}
		})
	}
}

// TestAppsSymlinks: a symlink out of the data directory, in place of the apps directory or
// of one repository, is refused by every method and nothing behind it is touched.
func TestAppsSymlinks(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// link is the symlink, relative to the data directory: the apps directory (to a
		// directory outside holding a repository shop.git) or app shop's repository (to
		// that repository).
		link string
	}{
		{"apps directory", "apps"},
		{"repository", "apps/shop.git"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, outside := t.TempDir(), t.TempDir()
			a := &Apps{Dir: data, Git: testGit{}}
			if err := (testGit{}).Init(ctx, filepath.Join(outside, "shop.git")); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Join(data, tc.link)), 0o755); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(outside, "shop.git")
			if tc.link == "apps" {
				target = outside
			}
			if err := os.Symlink(target, filepath.Join(data, tc.link)); err != nil {
				t.Fatal(err)
			}
			check := func(op string, err error) {
				t.Helper()
				var se *SymlinkError
				if !errors.As(err, &se) || se.Path != filepath.Join(data, tc.link) || se.Target != target {
					t.Errorf("%s: %v; want a *SymlinkError for %s", op, err, filepath.Join(data, tc.link))
				}
			}
			_, err := a.Path("shop")
			check("Path", err)
			_, err = a.Exists("shop")
			check("Exists", err)
			check("Create", a.Create(ctx, "shop"))
			check("Delete", a.Delete("shop"))
			if tc.link == "apps" {
				_, err = a.List()
				check("List", err)
				check("Create other", a.Create(ctx, "other"))
			} else if apps, err := a.List(); err != nil || len(apps) != 0 {
				t.Errorf("List = %v, %v; want no apps (a symlink is not one)", apps, err)
			}
			if !isBare(t, filepath.Join(outside, "shop.git")) {
				t.Errorf("the repository behind the symlink was changed")
			}
			if got := entries(t, outside); len(got) != 1 {
				t.Errorf("outside the data directory: %v; want shop.git alone", got)
			}
		})
	}
}

func TestAppsLifecycle(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data") // made by Create
	a := &Apps{Dir: data, Git: testGit{}}

	if apps, err := a.List(); err != nil || len(apps) != 0 {
		t.Fatalf("List before any app = %v, %v; want none", apps, err)
	}
	if ok, err := a.Exists("shop"); ok || err != nil {
		t.Fatalf("Exists before Create = %v, %v", ok, err)
	}
	before := time.Now().Add(-time.Second)
	for _, name := range []string{"shop", "a-b", "a"} {
		if err := a.Create(ctx, name); err != nil {
			t.Fatalf("Create %s: %v", name, err)
		}
	}
	p, _ := a.Path("shop")
	if !isBare(t, p) {
		t.Errorf("%s is not a bare repository", p)
	}
	if ok, err := a.Exists("shop"); !ok || err != nil {
		t.Errorf("Exists after Create = %v, %v", ok, err)
	}
	var ae *AppExistsError
	if err := a.Create(ctx, "shop"); !errors.As(err, &ae) || ae.Name != "shop" || ae.Hint() == "" {
		t.Errorf("second Create = %v; want an *AppExistsError with a hint", err)
	}
	apps, err := a.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, app := range apps {
		names = append(names, app.Name)
		if app.Created.Before(before) || app.Created.After(time.Now().Add(time.Second)) {
			t.Errorf("%s created %v; want about now", app.Name, app.Created)
		}
	}
	if got, want := strings.Join(names, " "), "a a-b shop"; got != want {
		t.Errorf("List = %s; want %s (by name)", got, want)
	}

	if err := a.Delete("shop"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if ok, err := a.Exists("shop"); ok || err != nil {
		t.Errorf("Exists after Delete = %v, %v", ok, err)
	}
	var na *NoAppError
	if err := a.Delete("shop"); !errors.As(err, &na) || na.Name != "shop" || !strings.Contains(na.Hint(), "create") {
		t.Errorf("second Delete = %v; want a *NoAppError hinting to create it", err)
	}
	if got, want := strings.Join(entries(t, filepath.Join(data, "apps")), " "), "a-b.git a.git"; got != want {
		t.Errorf("apps directory after Delete: %s; want %s", got, want)
	}
	if err := a.Create(ctx, "shop"); err != nil {
		t.Errorf("Create after Delete: %v", err)
	}
}

// TestAppsListSkips: what is not an app's repository in the apps directory is left out.
func TestAppsListSkips(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	a := &Apps{Dir: data, Git: testGit{}}
	if err := a.Create(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(data, "apps")
	for _, d := range []string{".slipway-tmp-web.git-abc", "Upper.git", "nohead.git", "plain"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := (testGit{}).Init(ctx, filepath.Join(dir, "Upper.git")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file.git"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "shop.git"), filepath.Join(dir, "link.git")); err != nil {
		t.Fatal(err)
	}
	apps, err := a.List()
	if err != nil || len(apps) != 1 || apps[0].Name != "shop" {
		t.Errorf("List = %v, %v; want shop alone", apps, err)
	}
	if ok, err := a.Exists("file"); ok || err == nil {
		t.Errorf("Exists(file) with a file file.git = %v, %v; want an error", ok, err)
	}
}

// TestAppsCreateConcurrent: of simultaneous Creates of one app, one makes it and the
// others are told it exists; no temporary repository is left behind.
func TestAppsCreateConcurrent(t *testing.T) {
	data := t.TempDir()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a := &Apps{Dir: data, Git: testGit{}}
			errs[i] = a.Create(context.Background(), "shop")
		})
	}
	wg.Wait()
	made := 0
	for _, err := range errs {
		var ae *AppExistsError
		switch {
		case err == nil:
			made++
		case !errors.As(err, &ae):
			t.Errorf("Create: %v; want nil or an *AppExistsError", err)
		}
	}
	if made != 1 {
		t.Errorf("%d Creates succeeded; want 1", made)
	}
	if got := entries(t, filepath.Join(data, "apps")); len(got) != 1 || got[0] != "shop.git" {
		t.Errorf("apps directory: %v; want shop.git alone", got)
	}
}

func TestAppsCreateFails(t *testing.T) {
	data := t.TempDir()
	a := &Apps{Dir: data, Git: failGit{}}
	err := a.Create(context.Background(), "shop")
	if err == nil || !strings.Contains(err.Error(), `create app "shop": disk full`) {
		t.Fatalf("Create = %v; want git's failure", err)
	}
	if got := entries(t, filepath.Join(data, "apps")); len(got) != 0 {
		t.Errorf("apps directory after a failed Create: %v; want empty", got)
	}
}
