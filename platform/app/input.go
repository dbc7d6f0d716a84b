package app

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxInputSize is the largest input file Slipway reads: a Procfile, an env file, app.json,
// heroku.yml, slipway.yaml or package.json. Real ones are a few kilobytes; a Kubernetes
// Secret, where config vars end up, holds at most 1 MiB.
const MaxInputSize = 1 << 20

// ReadAppFile reads name, a file of the app in dir (a slash-separated path relative to dir),
// the way Slipway reads every input a repository holds:
//
//   - it must be a regular file: a directory, a named pipe, a socket or a device is refused
//     before anything is read (a named pipe would block a reader forever);
//   - it may be a symbolic link only if the link is relative and stays inside dir: a
//     repository cannot make Slipway read /etc/shadow by committing a link to it;
//   - it may be at most MaxInputSize bytes.
//
// A file that does not exist gives an error matching fs.ErrNotExist; a link that points
// nowhere is an error of its own. Other errors are *FileError naming the file as name.
func ReadAppFile(dir, name string) ([]byte, error) {
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return nil, &FileError{File: name, Msg: "not a path inside the app directory: the app's files are named relative to it, without .."}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open the app directory %s: %w", dir, err)
	}
	defer root.Close()
	// O_NONBLOCK: opening a named pipe must not wait for a writer; it is refused below.
	f, err := root.OpenFile(filepath.FromSlash(name), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, openError(dir, name, err)
	}
	defer f.Close()
	return readRegular(f, name, false)
}

// ReadNamedFile reads a file someone named explicitly (a command-line argument), at path,
// named display in messages. Unlike an app's own files it may be anywhere and may be a
// pipe (`-e <(sops -d .env.enc)`); a directory, a socket or a device is refused, and it may
// be at most MaxInputSize bytes.
func ReadNamedFile(path, display string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, &FileError{File: display, Msg: errText(err)}
	}
	if err := checkKind(st.Mode(), display, true); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{File: display, Msg: errText(err)}
	}
	defer f.Close()
	return readRegular(f, display, true)
}

func readRegular(f *os.File, display string, pipes bool) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, &FileError{File: display, Msg: errText(err)}
	}
	if err := checkKind(st.Mode(), display, pipes); err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() && st.Size() > MaxInputSize {
		return nil, tooLarge(display, st.Size(), true)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxInputSize+1))
	if err != nil {
		return nil, &FileError{File: display, Msg: errText(err)}
	}
	if len(data) > MaxInputSize {
		return nil, tooLarge(display, int64(len(data)), false)
	}
	return data, nil
}

// tooLarge says file is over MaxInputSize: size bytes, or more than the limit when the
// size is not known (a pipe).
func tooLarge(display string, size int64, known bool) error {
	what := fmt.Sprintf("%d bytes", size)
	if !known {
		what = fmt.Sprintf("more than %d bytes", MaxInputSize)
	}
	return &FileError{File: display, Msg: fmt.Sprintf("is %s; Slipway reads input files of at most 1 MiB", what),
		Fix: "check that this is the right file"}
}

// checkKind refuses what is not a regular file (or, when pipes is true, a pipe).
func checkKind(m fs.FileMode, display string, pipes bool) error {
	var kind string
	switch {
	case m.IsRegular():
		return nil
	case m&fs.ModeNamedPipe != 0:
		if pipes {
			return nil
		}
		kind = "a named pipe (FIFO)"
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		kind = "a device"
	default:
		kind = "not a regular file (" + m.Type().String() + ")"
		return &FileError{File: display, Msg: "is " + kind}
	}
	return &FileError{File: display, Msg: "is " + kind + ", not a file"}
}

// openError explains why name could not be opened in dir: it does not exist (fs.ErrNotExist),
// or a symbolic link on the way points nowhere or out of dir.
func openError(dir, name string, err error) error {
	link, target, found := firstLink(dir, name)
	switch {
	case found && errors.Is(err, fs.ErrNotExist):
		if link != name {
			return &FileError{File: name, Msg: fmt.Sprintf("is reached through %s, a symbolic link to %s, which does not exist", link, target)}
		}
		return &FileError{File: name, Msg: fmt.Sprintf("is a symbolic link to %s, which does not exist", target)}
	case errors.Is(err, fs.ErrNotExist):
		return err
	case found && (filepath.IsAbs(target) || escapes(dir, name)):
		what := "is a symbolic link to " + target
		if link != name {
			what = fmt.Sprintf("is reached through %s, a symbolic link to %s", link, target)
		}
		if escapes(dir, name) {
			return &FileError{File: name, Msg: what + ", outside the app directory: Slipway reads an app's files only from inside it",
				Fix: "make it a regular file, or a relative link to a file inside the app directory"}
		}
		return &FileError{File: name, Msg: what + ", an absolute link: Slipway follows only relative links that stay inside the app directory",
			Fix: "make it a relative link"}
	}
	return &FileError{File: name, Msg: errText(err)}
}

// firstLink finds the first symbolic link on the way from dir to name: its path (relative
// to dir) and target.
func firstLink(dir, name string) (link, target string, found bool) {
	parts := strings.Split(filepath.ToSlash(name), "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return "", "", false
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(filepath.Join(dir, filepath.FromSlash(p)))
			return p, t, err == nil
		}
	}
	return "", "", false
}

// escapes reports whether name, with its links resolved, lies outside dir.
func escapes(dir, name string) bool {
	base, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return true
	}
	real, err := filepath.EvalSymlinks(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return true
	}
	rel, err := filepath.Rel(base, real)
	return err != nil || !filepath.IsLocal(rel)
}

// errText is an error's text without the operation and path os adds ("open x: ").
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
