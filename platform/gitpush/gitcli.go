package gitpush

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// GitCLI is Git through git's own programs: git receive-pack and git upload-pack with
// --stateless-rpc, as git http-backend runs them, under this package's handler.
type GitCLI struct {
	// Path is the git program (default "git", found on PATH).
	Path string
	// HooksDir is the directory of the pre-receive hook every push runs (core.hooksPath);
	// empty runs the repositories' own hooks, which Slipway's repositories do not have.
	HooksDir string
	// MaxInputSize refuses a push whose pack is larger, in bytes (receive.maxInputSize);
	// 0 for no limit.
	MaxInputSize int64
	// Env is git's environment (default this process's, without GIT_* variables that would
	// point git elsewhere).
	Env []string
}

var _ Git = (*GitCLI)(nil)

func (g *GitCLI) command(ctx context.Context, args ...string) *exec.Cmd {
	path := g.Path
	if path == "" {
		path = "git"
	}
	cmd := exec.CommandContext(ctx, path, args...)
	env := g.Env
	if env == nil {
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GIT_") {
				env = append(env, kv)
			}
		}
	}
	cmd.Env = env
	return cmd
}

// run runs git and returns its error with what it said on stderr.
func run(cmd *exec.Cmd) error {
	var stderr bytes.Buffer
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, msg)
		}
		return fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	return nil
}

// Init runs git init --bare.
func (g *GitCLI) Init(ctx context.Context, dir string) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("make repository %s: it exists", dir)
	}
	return run(g.command(ctx, "init", "--quiet", "--bare", dir))
}

// config is what every service runs with: the hooks, the push limit, and no reference to
// the server's own configuration beyond it.
func (g *GitCLI) config() []string {
	var c []string
	if g.HooksDir != "" {
		c = append(c, "-c", "core.hooksPath="+g.HooksDir)
	}
	if g.MaxInputSize > 0 {
		c = append(c, "-c", "receive.maxInputSize="+strconv.FormatInt(g.MaxInputSize, 10))
	}
	return c
}

func checkService(s Service) error {
	if s != ReceivePack && s != UploadPack {
		return fmt.Errorf("unknown git service %q", s)
	}
	return nil
}

// Advertise runs the service with --advertise-refs.
func (g *GitCLI) Advertise(ctx context.Context, dir string, service Service, w io.Writer) error {
	if err := checkService(service); err != nil {
		return err
	}
	name := strings.TrimPrefix(string(service), "git-")
	cmd := g.command(ctx, append(g.config(), name, "--stateless-rpc", "--advertise-refs", dir)...)
	cmd.Stdout = w
	return run(cmd)
}

// Serve runs the service with --stateless-rpc. The hook's end of the relay is the hook's
// file descriptor 3 (see RunHook).
func (g *GitCLI) Serve(ctx context.Context, dir string, service Service, r io.Reader, w io.Writer, hook *os.File) error {
	if err := checkService(service); err != nil {
		return err
	}
	name := strings.TrimPrefix(string(service), "git-")
	cmd := g.command(ctx, append(g.config(), name, "--stateless-rpc", dir)...)
	cmd.Stdin, cmd.Stdout = r, w
	if hook != nil {
		cmd.ExtraFiles = []*os.File{hook}
	}
	return run(cmd)
}

// IsAncestor runs git merge-base --is-ancestor.
func (g *GitCLI) IsAncestor(ctx context.Context, dir string, env []string, ancestor, commit string) (bool, error) {
	cmd := g.command(ctx, "--git-dir="+dir, "merge-base", "--is-ancestor", ancestor, commit)
	cmd.Env = append(cmd.Env, env...)
	err := run(cmd)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return false, nil
	}
	return false, err
}

// Checkout makes dst a repository of its own whose objects are those of the push (its
// quarantine and the repository's, as alternates) and checks commit out there, detached:
// the build then sees a clean git work tree at the pushed commit.
func (g *GitCLI) Checkout(ctx context.Context, dir string, env []string, commit, dst string) error {
	if err := run(g.command(ctx, "init", "--quiet", dst)); err != nil {
		return err
	}
	var alternates []string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "GIT_OBJECT_DIRECTORY":
			alternates = append(alternates, v)
		case "GIT_ALTERNATE_OBJECT_DIRECTORIES":
			alternates = append(alternates, filepath.SplitList(v)...)
		}
	}
	alternates = append(alternates, filepath.Join(dir, "objects"))
	for i, a := range alternates {
		if !filepath.IsAbs(a) {
			alternates[i] = filepath.Join(dir, a)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, ".git", "objects", "info", "alternates"), []byte(strings.Join(alternates, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("check out %s: %w", commit, err)
	}
	return run(g.command(ctx, "-C", dst, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit))
}
