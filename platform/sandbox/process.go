package sandbox

import (
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/slipwayhq/slipway/internal/sysproc"
)

// stopProcesses stops the live processes in reverse start order (the API server before
// etcd, which it needs to shut down cleanly): SIGTERM to the process's group, up to grace to
// exit, then SIGKILL. It returns the names of processes still alive after that.
func stopProcesses(ps []Process, grace time.Duration) []string {
	var left []string
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		if !alive(p) {
			continue
		}
		signalGroup(p.PID, syscall.SIGTERM)
		if waitGone(p, grace) {
			continue
		}
		signalGroup(p.PID, syscall.SIGKILL)
		if !waitGone(p, 3*time.Second) {
			left = append(left, p.Name)
		}
	}
	return left
}

// signalGroup signals the process group pid leads (each daemon leads its own session), or
// the process alone when that fails.
func signalGroup(pid int, sig syscall.Signal) {
	if err := syscall.Kill(-pid, sig); err != nil {
		_ = syscall.Kill(pid, sig)
	}
}

// waitGone waits up to d for p to end.
func waitGone(p Process, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for alive(p) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// alive tells whether p still runs (a zombie does not), checking that the PID still belongs
// to the process started then (PIDs get reused).
func alive(p Process) bool { return sysproc.Running(p.PID, p.StartTime) }

// freePorts returns n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tailFile returns the last n lines of a file.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 16 << 10
	if st, err := f.Stat(); err == nil && st.Size() > max {
		_, _ = f.Seek(st.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
