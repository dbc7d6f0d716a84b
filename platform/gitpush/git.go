package gitpush

import (
	"context"
	"io"
	"os"
)

// Service is one of git's two smart-HTTP services.
type Service string

// The services: a push, and a clone or fetch.
const (
	ReceivePack Service = "git-receive-pack"
	UploadPack  Service = "git-upload-pack"
)

// Git is an implementation of git's smart protocol over bare repositories. GitCLI, git's own
// programs, is the one Slipway has; another (a library) can replace it.
type Git interface {
	// Init makes an empty bare repository at dir, which must not exist.
	Init(ctx context.Context, dir string) error
	// Advertise writes service's ref advertisement for the repository at dir (the body of
	// GET info/refs, without the "# service=" header).
	Advertise(ctx context.Context, dir string, service Service, w io.Writer) error
	// Serve runs one request of service on the repository at dir: the request body r, the
	// response written to w as it comes. For ReceivePack, hook (when not nil) is handed to
	// the pre-receive hook, which relays the updates to whoever holds its other end and
	// writes what comes back to the push (see RunHook).
	Serve(ctx context.Context, dir string, service Service, r io.Reader, w io.Writer, hook *os.File) error
	// IsAncestor reports whether commit ancestor is commit's ancestor (or commit itself),
	// reading objects with env (a push's quarantine).
	IsAncestor(ctx context.Context, dir string, env []string, ancestor, commit string) (bool, error)
	// Checkout writes the tree of commit into the empty directory dst as a work tree of
	// its own (a .git of its own, HEAD detached at commit), reading objects with env.
	Checkout(ctx context.Context, dir string, env []string, commit, dst string) error
}
