package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher/ignorefile"
)

// Source is what a build is made from, and the tag that names it.
type Source struct {
	// Commit is the git commit (full sha), "" outside git.
	Commit string
	// Dirty is true when the work tree differs from the commit (untracked files count
	// unless .dockerignore'd or git-ignored).
	Dirty bool
	// Tag is the image tag: the short sha; a dirty tree, or a tree outside git, gets a
	// suffix from the content of its build context (same content, same tag).
	Tag string
}

// Excludes reads dir's .dockerignore, as docker does; the Dockerfile and .dockerignore are
// never excluded (docker's CLI sends them anyway).
func Excludes(dir, dockerfile string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	defer f.Close()
	ex, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	if dockerfile != "" {
		ex = append(ex, "!"+filepath.ToSlash(dockerfile))
	}
	return append(ex, "!.dockerignore"), nil
}

// ReadSource names the source of the build context c: its git commit and whether the tree
// is dirty, and the tag. extra is what else the image depends on (see Context.Hash).
func ReadSource(c *Context, extra ...[]byte) (*Source, error) {
	dir := c.Dir
	s := &Source{}
	commit, err := git(dir, "rev-parse", "--verify", "-q", "HEAD")
	if err == nil {
		s.Commit = strings.TrimSpace(commit)
		status, err := git(dir, "status", "--porcelain", "--untracked-files=normal", "--", ".")
		if err != nil {
			return nil, err
		}
		s.Dirty = strings.TrimSpace(status) != ""
	}
	var extraHash string
	if len(extra) > 0 {
		h := sha256.New()
		for _, e := range extra {
			h.Write(e)
			h.Write([]byte{0})
		}
		extraHash = hex.EncodeToString(h.Sum(nil))[:8]
	}
	switch {
	case s.Commit != "" && !s.Dirty:
		s.Tag = s.Commit[:12]
		if extraHash != "" {
			s.Tag += "-" + extraHash
		}
	default:
		sum, err := c.Hash(extra...)
		if err != nil {
			return nil, err
		}
		if s.Commit != "" {
			s.Tag = s.Commit[:12] + "-dirty-" + sum[:12]
		} else {
			s.Tag = "src-" + sum[:12]
		}
	}
	return s, nil
}

// git runs git in dir; no repository is an error the caller treats as "outside git".
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}
