package local

import (
	"bytes"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// becomeSubreaper makes processes orphaned below this one (a daemon that forks and lets its
// parent exit) children of this process instead of init's, so that stopping finds them.
func becomeSubreaper() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// sysProcAttr puts a process in a process group of its own (so signals reach what it
// starts, and a Ctrl-C on the terminal reaches Slipway only) and has the kernel kill it
// should Slipway die without stopping it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// descendants lists the processes below pid that have not exited, read from /proc: the
// process table itself, not anything Slipway remembers. Zombies are left out.
func descendants(pid int) []proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]proc{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(p); ok {
			children[st.ppid] = append(children[st.ppid], st)
		}
	}
	var out []proc
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if !c.zombie {
				out = append(out, c)
			}
			queue = append(queue, c.pid)
		}
	}
	return out
}

// readStat reads /proc/PID/stat ("pid (comm) state ppid pgrp …"; comm may hold spaces and
// parentheses, so the fields are counted from the last ')').
func readStat(pid int) (proc, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return proc{}, false
	}
	f := bytes.Fields(data[i+1:])
	if len(f) < 3 {
		return proc{}, false
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgrp, err2 := strconv.Atoi(string(f[2]))
	if err1 != nil || err2 != nil {
		return proc{}, false
	}
	return proc{pid: pid, ppid: ppid, pgrp: pgrp, zombie: string(f[0]) == "Z" || string(f[0]) == "X"}, true
}

// reapAdopted collects the exit status of zombies this process adopted as a subreaper; the
// children os/exec started (in started) are left to their own Wait.
func reapAdopted(self int, started map[int]bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || started[p] {
			continue
		}
		if st, ok := readStat(p); ok && st.ppid == self && st.zombie {
			var ws unix.WaitStatus
			_, _ = unix.Wait4(p, &ws, unix.WNOHANG, nil)
		}
	}
}
