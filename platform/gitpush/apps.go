package gitpush

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/safefile"
)

// Apps is the server's registry of apps: one bare repository per app, Dir/apps/NAME.git.
// The repositories are the registry; there is no other record of them. Nothing below Dir
// is reached through a symlink: a symlink where the apps directory or a repository would
// be is refused, never followed.
type Apps struct {
	// Dir is the server's data directory. It may itself be a symlink: whoever named it
	// chose it.
	Dir string
	// Git makes the repositories.
	Git Git
}

// AppInfo describes one app of the server.
type AppInfo struct {
	Name string `json:"name"`
	// Created is when the repository was made: the modification time of its HEAD, which
	// git writes when it makes a repository and a push never rewrites.
	Created time.Time `json:"created"`
}

// NameError is a name that cannot be an app's: not a DNS label, or one that would lead out
// of the apps directory.
type NameError struct {
	Name string
	Err  error
}

func (e *NameError) Error() string { return e.Err.Error() }
func (e *NameError) Unwrap() error { return e.Err }

// SymlinkError is a symlink where the apps directory or an app's repository would be:
// Slipway does not follow it.
type SymlinkError struct {
	// Path is the symlink; Target is where it points, as the link says.
	Path, Target string
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("%s is a symlink (to %s); Slipway does not follow symlinks in its data directory", e.Path, e.Target)
}

// Hint says how to keep the repositories elsewhere.
func (e *SymlinkError) Hint() string {
	return "move what it points to into its place, or point the data directory itself somewhere else"
}

// AppExistsError is an app created a second time.
type AppExistsError struct{ Name, Path string }

func (e *AppExistsError) Error() string {
	return fmt.Sprintf("app %q exists already (%s)", e.Name, e.Path)
}

// Hint says what to do instead.
func (e *AppExistsError) Hint() string {
	return "choose another name, or delete the app first to start again with an empty repository"
}

// NoAppError is an app the server does not have.
type NoAppError struct{ Name string }

func (e *NoAppError) Error() string { return fmt.Sprintf("no app %q on this server", e.Name) }

// Hint says how to make it.
func (e *NoAppError) Hint() string {
	return fmt.Sprintf("create it on the server with 'slipway server apps create %s'", e.Name)
}

// appsDir is the directory holding the repositories.
func (a *Apps) appsDir() string { return filepath.Join(a.Dir, "apps") }

// Path returns where app name's repository is, whether or not it exists. It refuses a
// name that is not an app name or would lead out of the apps directory (*NameError), and a
// symlink in place of the apps directory or the repository (*SymlinkError).
func (a *Apps) Path(name string) (string, error) {
	if err := app.CheckName(name); err != nil {
		return "", &NameError{Name: name, Err: err}
	}
	if a.Dir == "" {
		return "", errors.New("no data directory for the apps' repositories")
	}
	dir := a.appsDir()
	p := filepath.Join(dir, name+".git")
	// Defence in depth: whatever CheckName lets through must name one entry of dir.
	if rel, err := filepath.Rel(dir, p); err != nil || rel != name+".git" || !filepath.IsLocal(rel) {
		return "", &NameError{Name: name, Err: fmt.Errorf("app name %q leads out of %s", name, dir)}
	}
	for _, q := range []string{dir, p} {
		if err := notSymlink(q); err != nil {
			return "", err
		}
	}
	return p, nil
}

// notSymlink is nil unless p is a symlink (or cannot be examined).
func notSymlink(p string) error {
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("examine %s: %w", p, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			target = "?"
		}
		return &SymlinkError{Path: p, Target: target}
	}
	return nil
}

// Exists says whether app name has a repository. Something other than a directory in its
// place is an error.
func (a *Apps) Exists(name string) (bool, error) {
	p, err := a.Path(name)
	if err != nil {
		return false, err
	}
	return exists(p)
}

func exists(p string) (bool, error) {
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("examine %s: %w", p, err)
	case !fi.IsDir():
		return false, fmt.Errorf("%s is not a repository but a %s", p, kind(fi.Mode()))
	}
	return true, nil
}

func kind(m fs.FileMode) string {
	if m.IsRegular() {
		return "file"
	}
	return m.Type().String()
}

// Create makes app name's empty repository (*AppExistsError when it has one). The
// repository is made under a temporary name in the apps directory and renamed into place,
// so that nobody sees a half-made one.
func (a *Apps) Create(ctx context.Context, name string) error {
	p, err := a.Path(name)
	if err != nil {
		return err
	}
	if a.Git == nil {
		return fmt.Errorf("create app %q: no git implementation to make its repository", name)
	}
	if ok, err := exists(p); err != nil {
		return err
	} else if ok {
		return &AppExistsError{Name: name, Path: p}
	}
	dir := a.appsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create app %q: %w", name, err)
	}
	if err := notSymlink(dir); err != nil { // MkdirAll follows one made since Path looked
		return err
	}
	tmp := filepath.Join(dir, safefile.TempPrefix+name+".git-"+rand.Text()[:10])
	if err := a.Git.Init(ctx, tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("create app %q: %w", name, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.RemoveAll(tmp)
		// Another Create of the same app renamed its repository into place first.
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist) {
			return &AppExistsError{Name: name, Path: p}
		}
		return fmt.Errorf("create app %q: %w", name, err)
	}
	return nil
}

// List returns the apps, sorted by name. Entries of the apps directory that are not
// NAME.git directories holding a repository (leftovers of an interrupted Create or
// Delete, symlinks, other files) are not apps and are left out. No apps directory is no
// apps.
func (a *Apps) List() ([]AppInfo, error) {
	if a.Dir == "" {
		return nil, errors.New("no data directory for the apps' repositories")
	}
	dir := a.appsDir()
	if err := notSymlink(dir); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	var apps []AppInfo
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".git")
		if !ok || !e.IsDir() || app.CheckName(name) != nil {
			continue
		}
		head, err := os.Lstat(filepath.Join(dir, e.Name(), "HEAD"))
		if errors.Is(err, fs.ErrNotExist) || (err == nil && !head.Mode().IsRegular()) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list apps: %w", err)
		}
		apps = append(apps, AppInfo{Name: name, Created: head.ModTime()})
	}
	slices.SortFunc(apps, func(x, y AppInfo) int { return strings.Compare(x.Name, y.Name) })
	return apps, nil
}

// Delete removes app name's repository (*NoAppError when it has none). It removes the
// repository only: deleting never undeploys, and the app's environments on the cluster
// keep running the releases they have. The repository is first renamed out of the way, so
// that a push arriving meanwhile finds no app rather than half a repository.
func (a *Apps) Delete(name string) error {
	p, err := a.Path(name)
	if err != nil {
		return err
	}
	if ok, err := exists(p); err != nil {
		return err
	} else if !ok {
		return &NoAppError{Name: name}
	}
	gone := filepath.Join(a.appsDir(), safefile.TempPrefix+name+".git-deleted-"+rand.Text()[:10])
	if err := os.Rename(p, gone); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &NoAppError{Name: name}
		}
		return fmt.Errorf("delete app %q: %w", name, err)
	}
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("delete app %q: remove its old repository %s: %w", name, gone, err)
	}
	return nil
}
