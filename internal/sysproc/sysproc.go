// Package sysproc finds the system's programs (containerd, runc, iptables, ip, dockerd, …),
// gives them an environment in which they find theirs, and reads the process table from
// /proc. The sandbox (platform/sandbox) and the end-to-end harness (internal/e2e) share it.
package sysproc

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Dirs are searched for the system's programs, in case PATH lacks the sbin ones.
var Dirs = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// NotFoundError says a system program is neither on PATH nor in Dirs.
type NotFoundError struct {
	Name string
}

func (e *NotFoundError) Error() string {
	return e.Name + ": not found on PATH or in " + strings.Join(Dirs, ", ")
}

// Look finds a system program on PATH or in Dirs; the error is a *NotFoundError.
func Look(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range Dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &NotFoundError{Name: name}
}

// Env returns this process's environment for a system program: Dirs added to the end of
// PATH where PATH lacks them (containerd looks for runc and its shim on PATH, the CNI
// plugins for iptables), without the variables whose names start with one of drop.
func Env(drop ...string) []string {
	var env []string
	path := ""
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH":
			path = v
		case slices.ContainsFunc(drop, func(p string) bool { return strings.HasPrefix(k, p) }):
		default:
			env = append(env, kv)
		}
	}
	for _, d := range Dirs {
		if !strings.Contains(":"+path+":", ":"+d+":") {
			path += ":" + d
		}
	}
	return append(env, "PATH="+strings.TrimPrefix(path, ":"))
}

// Command returns the command running the system program name (see Look) with Env().
func Command(ctx context.Context, name string, args ...string) (*exec.Cmd, error) {
	bin, err := Look(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = Env()
	return cmd, nil
}
