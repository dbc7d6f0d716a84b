package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
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
func alive(p Process) bool {
	if p.PID <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID))
	if err != nil {
		if _, perr := os.Stat("/proc/self/stat"); perr != nil {
			// No /proc: fall back to signal 0.
			return syscall.Kill(p.PID, 0) == nil
		}
		return false
	}
	state, start, ok := parseStat(stat)
	if !ok {
		return true
	}
	if state == 'Z' || state == 'X' {
		return false
	}
	return p.StartTime == 0 || start == p.StartTime
}

// parseStat returns the state and start time (clock ticks since boot) of /proc/PID/stat.
func parseStat(stat []byte) (state byte, start uint64, ok bool) {
	// pid (comm) state ppid …: comm may hold spaces and parentheses, so fields count from
	// the last ')'. starttime is field 22 overall, the 20th after comm.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return 0, 0, false
	}
	fields := strings.Fields(string(stat[i+2:]))
	if len(fields) < 20 {
		return 0, 0, false
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return fields[0][0], start, true
}

// startTime returns pid's start time from /proc, or 0 when unknown.
func startTime(pid int) uint64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	_, start, _ := parseStat(stat)
	return start
}

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
