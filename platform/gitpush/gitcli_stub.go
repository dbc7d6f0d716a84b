package gitpush

// A placeholder for the real GitCLI, which replaces this file: only Init works here.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// GitCLI is git's own programs as the Git implementation (placeholder: only Init works).
type GitCLI struct{}

var _ Git = GitCLI{}

// Init runs git init --bare.
func (GitCLI) Init(ctx context.Context, dir string) error {
	if out, err := exec.CommandContext(ctx, "git", "init", "--bare", "-q", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("git init --bare %s: %w: %s", dir, err, out)
	}
	return nil
}

// Advertise is not implemented in the placeholder.
func (GitCLI) Advertise(context.Context, string, Service, io.Writer) error {
	return errors.New("not implemented")
}

// Serve is not implemented in the placeholder.
func (GitCLI) Serve(context.Context, string, Service, io.Reader, io.Writer, *os.File) error {
	return errors.New("not implemented")
}
