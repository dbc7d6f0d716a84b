package build

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
)

// Context is the build context: the files of an app directory that are sent to the engine,
// and from which the content tag is computed. Both come from Files, so the tag follows
// exactly what enters the image.
//
// Inside a git work tree the context is what git would commit: tracked files plus untracked
// files that are not ignored (git ls-files --cached --others --exclude-standard), relative
// to the app directory, minus .dockerignore. Outside git it is every file, minus
// .dockerignore, minus .git and every .env* file. Nothing under a .git directory is ever
// sent. Symbolic links are sent as links, never followed.
type Context struct {
	// Dir is the app directory.
	Dir string
	// Git says the context was read from git (Dir is inside a work tree).
	Git bool
	// Files are the context's files, slash paths relative to Dir, sorted.
	Files []string
	// LeftOutEnv are the .env* files in Dir that are not in the context: git-ignored, or
	// left out by default outside git, or .dockerignore'd. Names only.
	LeftOutEnv []string
	// DockerIgnored counts the files .dockerignore left out.
	DockerIgnored int
	// Warnings are facts the user should know: an .env* file that will be shipped.
	Warnings []string
}

// isEnvFile reports whether the slash path's base name is .env or starts with .env.
func isEnvFile(p string) bool {
	return strings.HasPrefix(path.Base(p), ".env")
}

// isEnvTemplate reports whether an .env* file is a template meant to be committed
// (.env.example, .env.sample, .env.template, .env.dist).
func isEnvTemplate(p string) bool {
	switch path.Ext(path.Base(p)) {
	case ".example", ".sample", ".template", ".dist":
		return true
	}
	return false
}

// underGitDir reports whether a slash path is, or is under, a directory named .git.
func underGitDir(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".git" {
			return true
		}
	}
	return false
}

// ReadContext reads the build context of dir (see Context). dockerfile, the Dockerfile's
// path in dir ("" for none), and .dockerignore are sent even when git or .dockerignore
// leaves them out, as docker's CLI does.
func ReadContext(dir, dockerfile string) (*Context, error) {
	excludes, err := Excludes(dir, dockerfile)
	if err != nil {
		return nil, err
	}
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	c := &Context{Dir: dir}
	candidates, ignoredEnv, inGit, err := gitFiles(dir)
	if err != nil {
		return nil, err
	}
	if inGit {
		c.Git = true
		c.LeftOutEnv = ignoredEnv
	} else {
		candidates, c.LeftOutEnv, err = walkFiles(dir)
		if err != nil {
			return nil, err
		}
		if gitMissing() {
			c.Warnings = append(c.Warnings, "git is not installed: the build context is every file except .git and .env* files, minus .dockerignore")
		}
	}
	seen := map[string]bool{}
	for _, f := range candidates {
		if seen[f] {
			continue
		}
		seen[f] = true
		skip, err := pm.MatchesOrParentMatches(f)
		if err != nil {
			return nil, fmt.Errorf(".dockerignore: %w", err)
		}
		if skip {
			c.DockerIgnored++
			if isEnvFile(f) {
				c.LeftOutEnv = append(c.LeftOutEnv, f)
			}
			continue
		}
		c.Files = append(c.Files, f)
	}
	for _, f := range []string{filepath.ToSlash(dockerfile), ".dockerignore"} {
		if f == "" || seen[f] || !filepath.IsLocal(filepath.FromSlash(f)) {
			continue
		}
		if st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f))); err == nil && st.Mode().IsRegular() {
			c.Files = append(c.Files, f)
		}
	}
	sort.Strings(c.Files)
	sort.Strings(c.LeftOutEnv)
	if c.Git {
		for _, f := range c.Files {
			if isEnvFile(f) && !isEnvTemplate(f) {
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s will be in the image: git tracks it or does not ignore it\n  hint: add it to .gitignore (and 'git rm --cached %s' if it is tracked) or to .dockerignore", f, f))
			}
		}
	}
	return c, nil
}

// gitFiles lists what git would commit under dir, relative to dir, skipping files deleted
// from the work tree, directories (nested repositories, submodules) and anything under
// .git; and the git-ignored .env* files. inGit is false outside a work tree or without git.
func gitFiles(dir string) (files, ignoredEnv []string, inGit bool, err error) {
	out, err := git(dir, "rev-parse", "--is-inside-work-tree")
	if err != nil || strings.TrimSpace(out) != "true" {
		return nil, nil, false, nil
	}
	out, err = git(dir, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, nil, false, fmt.Errorf("read the build context %s: %w", dir, err)
	}
	for _, f := range strings.Split(out, "\x00") {
		if f == "" || strings.HasSuffix(f, "/") || underGitDir(f) || !filepath.IsLocal(filepath.FromSlash(f)) {
			continue
		}
		st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil || st.IsDir() {
			continue // deleted from the work tree, or a submodule
		}
		files = append(files, f)
	}
	out, err = git(dir, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", ":(glob)**/.env*", ":(glob)**/.env*/**")
	if err != nil {
		return nil, nil, false, fmt.Errorf("read the build context %s: %w", dir, err)
	}
	for _, f := range strings.Split(out, "\x00") {
		if f != "" && !underGitDir(f) {
			ignoredEnv = append(ignoredEnv, f)
		}
	}
	return files, ignoredEnv, true, nil
}

// walkFiles lists every file under dir except .git and .env* (files or directories), and
// the .env* files it left out.
func walkFiles(dir string) (files, leftOut []string, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.Name() == ".git" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if isEnvFile(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			leftOut = append(leftOut, rel)
			return nil
		}
		if !d.IsDir() {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read the build context %s: %w", dir, err)
	}
	return files, leftOut, nil
}

// Hash hashes the context's files (paths, modes, contents; a link's target, not what it
// points to) and extra (the Dockerfile when generated, build args): the same content gives
// the same hash.
func (c *Context) Hash(extra ...[]byte) (string, error) {
	h := sha256.New()
	for _, f := range c.Files {
		p := filepath.Join(c.Dir, filepath.FromSlash(f))
		info, err := os.Lstat(p)
		if err != nil {
			return "", fmt.Errorf("read the build context: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%o\x00", f, info.Mode()&(fs.ModeType|0o111))
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return "", fmt.Errorf("read the build context: %w", err)
			}
			io.WriteString(h, target)
		} else if info.Mode().IsRegular() {
			fh, err := os.Open(p)
			if err != nil {
				return "", fmt.Errorf("read the build context: %w", err)
			}
			_, err = io.Copy(h, fh)
			fh.Close()
			if err != nil {
				return "", fmt.Errorf("read the build context: %w", err)
			}
		}
		h.Write([]byte{0})
	}
	for _, e := range extra {
		h.Write(e)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Tar streams the context as a tar archive: each file's parent directories, then the file
// (a link as a link); a generated Dockerfile, when given, is added as GeneratedDockerfile in
// place of any file of that name. Only regular files and links are sent. Owners are root.
func (c *Context) Tar(generated []byte) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(c.writeTar(pw, generated))
	}()
	return pr
}

func (c *Context) writeTar(w io.Writer, generated []byte) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	var addDirs func(string) error
	addDirs = func(d string) error {
		if d == "." || d == "/" || dirs[d] {
			return nil
		}
		dirs[d] = true
		if err := addDirs(path.Dir(d)); err != nil {
			return err
		}
		st, err := os.Lstat(filepath.Join(c.Dir, filepath.FromSlash(d)))
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(st, "")
		if err != nil {
			return err
		}
		hdr.Name = d + "/"
		clearOwner(hdr)
		return tw.WriteHeader(hdr)
	}
	for _, f := range c.Files {
		if generated != nil && f == GeneratedDockerfile {
			continue
		}
		p := filepath.Join(c.Dir, filepath.FromSlash(f))
		st, err := os.Lstat(p)
		if err != nil {
			return fmt.Errorf("read the build context: %w", err)
		}
		if !st.Mode().IsRegular() && st.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if err := addDirs(path.Dir(f)); err != nil {
			return fmt.Errorf("read the build context: %w", err)
		}
		link := ""
		if st.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return fmt.Errorf("read the build context: %w", err)
			}
		}
		hdr, err := tar.FileInfoHeader(st, link)
		if err != nil {
			return err
		}
		hdr.Name = f
		clearOwner(hdr)
		if !st.Mode().IsRegular() {
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			continue
		}
		if err := copyFile(tw, hdr, p); err != nil {
			return err
		}
	}
	if generated != nil {
		hdr := &tar.Header{Name: GeneratedDockerfile, Mode: 0o644, Size: int64(len(generated)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, bytes.NewReader(generated)); err != nil {
			return err
		}
	}
	return tw.Close()
}

// copyFile writes the header and p's content; a file whose size changed since it was
// listed is an error rather than a corrupt archive.
func copyFile(tw *tar.Writer, hdr *tar.Header, p string) error {
	fh, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("read the build context: %w", err)
	}
	defer fh.Close()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(fh, hdr.Size))
	if err != nil {
		return fmt.Errorf("read the build context: %w", err)
	}
	if n != hdr.Size {
		return errors.New("read the build context: " + hdr.Name + " changed while it was sent")
	}
	return nil
}

func clearOwner(h *tar.Header) {
	h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
}

// gitMissing reports whether git is not installed.
func gitMissing() bool {
	_, err := exec.LookPath("git")
	return err != nil
}
