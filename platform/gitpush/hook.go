package gitpush

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// The pre-receive hook is a relay: git receive-pack runs it with the pushed updates on its
// stdin and sends what it writes to the pusher as "remote:" lines. The server gives every
// receive-pack it runs one end of a socket pair as file descriptor 3, which the hook
// inherits; the hook sends the updates and git's object environment over it, and copies the
// server's answer to its stdout until the server says how the push ends. So the pipeline
// runs in the server process (one push per app, a limit on parallel builds, pushes that
// outlive their clients), and git runs nothing of Slipway's but this relay.

// hookFD is the hook's end of the relay.
const hookFD = 3

// hookRequest is what the hook sends: the updates and the environment git gave it, which
// makes the pushed objects readable while they are quarantined.
type hookRequest struct {
	Updates []Update `json:"updates"`
	Env     []string `json:"env"`
}

// objectEnv are the variables of git's object quarantine (git help receive-pack).
var objectEnv = []string{"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"}

// The server's answer is a sequence of frames: a kind byte, a 4-byte big-endian length,
// that many bytes. frameOut is output for the pusher; frameExit ends the answer with the
// hook's exit status as one byte.
const (
	frameOut  = 'o'
	frameExit = 'x'
)

// RunHook is the pre-receive hook: it relays the updates read from stdin to the server that
// runs this receive-pack and copies the server's answer to stdout. It returns the hook's exit
// status: 0 lets the refs move, anything else refuses the push.
func RunHook(stdin io.Reader, stdout io.Writer, getenv func(string) string) int {
	var st syscall.Stat_t
	if err := syscall.Fstat(hookFD, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
		fmt.Fprintln(stdout, "this hook runs under slipway server only: the push cannot be deployed")
		return 1
	}
	conn := os.NewFile(hookFD, "slipway-server")
	defer conn.Close()
	var req hookRequest
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			fmt.Fprintf(stdout, "unexpected update line from git: %q\n", sc.Text())
			return 1
		}
		req.Updates = append(req.Updates, Update{Old: f[0], New: f[1], Ref: f[2]})
	}
	for _, k := range objectEnv {
		if v := getenv(k); v != "" {
			req.Env = append(req.Env, k+"="+v)
		}
	}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		fmt.Fprintf(stdout, "the server is gone: %v\n", err)
		return 1
	}
	r := bufio.NewReader(conn)
	for {
		kind, data, err := readFrame(r)
		if err != nil {
			fmt.Fprintln(stdout, "the server stopped before the push was deployed; the branch is unchanged")
			return 1
		}
		switch kind {
		case frameOut:
			// A pusher that went away is no reason to stop relaying: the server finishes.
			_, _ = stdout.Write(data)
		case frameExit:
			if len(data) != 1 {
				return 1
			}
			return int(data[0])
		}
	}
}

func readFrame(r io.Reader) (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("relay frame of %d bytes", n)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return 0, nil, err
	}
	return head[0], data, nil
}

// hookConn is the server's end of one receive-pack's relay.
type hookConn struct {
	mu   sync.Mutex
	w    io.Writer
	dead bool
}

// Write sends p to the pusher. A hook that is gone (its push ended) makes no error: the
// deploy goes on without an audience.
func (c *hookConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for rest := p; len(rest) > 0 && !c.dead; {
		n := min(len(rest), 1<<16)
		if err := writeFrame(c.w, frameOut, rest[:n]); err != nil {
			c.dead = true
		}
		rest = rest[n:]
	}
	return len(p), nil
}

func (c *hookConn) exit(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead {
		_ = writeFrame(c.w, frameExit, []byte{byte(code)})
	}
}

func writeFrame(w io.Writer, kind byte, data []byte) error {
	buf := make([]byte, 5+len(data))
	buf[0] = kind
	binary.BigEndian.PutUint32(buf[1:], uint32(len(data)))
	copy(buf[5:], data)
	_, err := w.Write(buf)
	return err
}

// readHookRequest reads the hook's request; io.EOF when receive-pack ran no hook.
func readHookRequest(r io.Reader) (*hookRequest, error) {
	var req hookRequest
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&req); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("read the hook's request: %w", err)
	}
	for _, kv := range req.Env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(objectEnv, k) {
			return nil, fmt.Errorf("read the hook's request: unexpected variable %s", k)
		}
	}
	return &req, nil
}

// socketPair returns the two ends of a Unix stream socket pair: the server's and the hook's.
func socketPair() (server, hook *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("make the hook's relay: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "hook-relay"), os.NewFile(uintptr(fds[1]), "hook-relay"), nil
}

// WriteHook writes the pre-receive hook into dir: a script that runs argv (the relay,
// RunHook, e.g. the slipway binary's "server hook").
func WriteHook(dir string, argv []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("make the hooks directory: %w", err)
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	script := "#!/bin/sh\n# Written by slipway server: relays a push to the server that deploys it.\nexec " + strings.Join(quoted, " ") + "\n"
	tmp := filepath.Join(dir, ".pre-receive.tmp")
	if err := os.WriteFile(tmp, []byte(script), 0o700); err != nil {
		return fmt.Errorf("write the pre-receive hook: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "pre-receive")); err != nil {
		return fmt.Errorf("write the pre-receive hook: %w", err)
	}
	return nil
}
