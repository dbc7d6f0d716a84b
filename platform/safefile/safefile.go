package safefile

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// TempPrefix starts the name of every temporary file Slipway writes before renaming it into
// place; a file so named is a leftover of an interrupted write.
const TempPrefix = ".slipway-tmp-"

// SymlinkError is the refusal to write, replace or remove a file where a symlink is.
type SymlinkError struct {
	// Path is the symlink, as named in messages.
	Path string
	// Target is where it points, as the link says.
	Target string
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("%s is a symlink (to %s); Slipway does not write through symlinks, so nothing was written", e.Path, e.Target)
}

// Dir is a directory Slipway writes into. Every name given to its methods is relative to it
// and reaches nothing through a symlink: a symlink where a file or directory would be
// written is a *SymlinkError.
type Dir struct {
	root *os.Root
	path string
}

// Open opens the existing directory path, which may be a symlink to a directory: whoever
// named path chose it.
func Open(path string) (*Dir, error) {
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Dir{root: root, path: path}, nil
}

// Create opens the directory path, creating it and its parents when missing. path itself,
// and the directories above it, may be symlinks: whoever named path chose them.
func Create(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return Open(path)
}

// CreateBelow opens the directory rel below base, creating the missing components of rel.
// base is taken as it is; no component of rel may be a symlink.
func CreateBelow(base, rel string) (*Dir, error) {
	if !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("%s is not a path below %s", rel, base)
	}
	top, err := os.OpenRoot(base)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", base, err)
	}
	defer top.Close()
	d := &Dir{root: top, path: base}
	sofar := ""
	for _, c := range strings.Split(filepath.Clean(rel), string(filepath.Separator)) {
		sofar = filepath.Join(sofar, c)
		if err := d.Mkdir(sofar); err != nil {
			return nil, err
		}
	}
	sub, err := top.OpenRoot(sofar)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", d.Path(sofar), err)
	}
	return &Dir{root: sub, path: filepath.Join(base, rel)}, nil
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// Path is name as messages show it: joined to the directory's path.
func (d *Dir) Path(name string) string { return filepath.Join(d.path, name) }

// Lstat describes name without following a symlink.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) { return d.root.Lstat(name) }

// ReadDir lists the directory name ("." for d itself), sorted by name, without following
// symlinks.
func (d *Dir) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := d.isDir(name); err != nil {
		return nil, err
	}
	f, err := d.root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", d.Path(name), err)
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", d.Path(name), err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// Head reads at most n bytes from the start of the regular file name. Anything else (a
// symlink, a directory, a FIFO) is an error, and is not opened.
func (d *Dir) Head(name string, n int) ([]byte, error) {
	if err := d.Check(name); err != nil {
		return nil, err
	}
	f, err := d.root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", d.Path(name), err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", d.Path(name), err)
	}
	return b, nil
}

// Mkdir makes the directory name unless it is one already. A symlink there, even to a
// directory, is a *SymlinkError.
func (d *Dir) Mkdir(name string) error {
	err := d.isDir(name)
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := d.root.Mkdir(name, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", d.Path(name), err)
	}
	return nil
}

// isDir is nil when name is a directory (not a symlink to one).
func (d *Dir) isDir(name string) error {
	fi, err := d.root.Lstat(name)
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", d.Path(name), err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return d.symlinkError(name)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", d.Path(name))
	}
	return nil
}

// Check says whether a regular file may be written as name: nil when there is none or a
// regular file is there; a *SymlinkError for a symlink; an error for anything else.
func (d *Dir) Check(name string) error {
	fi, err := d.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", d.Path(name), err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return d.symlinkError(name)
	case fi.IsDir():
		return fmt.Errorf("%s is a directory, not a file", d.Path(name))
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%s)", d.Path(name), fi.Mode().Type())
	}
	return nil
}

func (d *Dir) symlinkError(name string) error {
	target, err := d.root.Readlink(name)
	if err != nil {
		target = "?"
	}
	return &SymlinkError{Path: d.Path(name), Target: target}
}

// Pending is a file written under a temporary name next to where it goes, not yet in place.
type Pending struct {
	d         *Dir
	tmp, name string
}

// Prepare writes data to a new temporary file (mode perm from the start, less the umask)
// in name's directory and flushes it to disk. Commit puts it in place; Discard removes it.
func (d *Dir) Prepare(name string, data []byte, perm fs.FileMode) (*Pending, error) {
	if err := d.Check(name); err != nil {
		return nil, err
	}
	var (
		f   *os.File
		tmp string
		err error
	)
	for range 5 {
		tmp = filepath.Join(filepath.Dir(name), TempPrefix+filepath.Base(name)+"-"+rand.Text()[:10])
		f, err = d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", d.Path(name), err)
	}
	p := &Pending{d: d, tmp: tmp, name: name}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		p.Discard()
		return nil, fmt.Errorf("write %s: %w", d.Path(name), err)
	}
	return p, nil
}

// Commit renames the file into place, replacing what is there: the rename replaces a
// directory entry, so it never writes through a symlink that appeared since Prepare.
func (p *Pending) Commit() error {
	if err := p.d.root.Rename(p.tmp, p.name); err != nil {
		p.Discard()
		return fmt.Errorf("write %s: %w", p.d.Path(p.name), err)
	}
	return nil
}

// Discard removes the temporary file.
func (p *Pending) Discard() { _ = p.d.root.Remove(p.tmp) }

// WriteFile writes data as name atomically, with mode perm (less the umask) from the start.
func (d *Dir) WriteFile(name string, data []byte, perm fs.FileMode) error {
	p, err := d.Prepare(name, data, perm)
	if err != nil {
		return err
	}
	if err := p.Commit(); err != nil {
		return err
	}
	return d.Sync(filepath.Dir(name))
}

// Remove removes the regular file name; it removes nothing else.
func (d *Dir) Remove(name string) error {
	if err := d.Check(name); err != nil {
		return err
	}
	if err := d.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", d.Path(name), err)
	}
	return nil
}

// Sync flushes the directory name, so that renames in it survive a crash.
func (d *Dir) Sync(name string) error {
	f, err := d.root.Open(name)
	if err != nil {
		return fmt.Errorf("sync %s: %w", d.Path(name), err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", d.Path(name), err)
	}
	return nil
}
