package local

import (
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/slipwayhq/slipway/internal/sysproc"
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
	children := map[int][]sysproc.Proc{}
	for _, p := range sysproc.All() {
		children[p.PPID] = append(children[p.PPID], p)
	}
	var out []proc
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if !c.Exited() {
				out = append(out, proc{pid: c.PID, ppid: c.PPID, pgrp: c.PGRP})
			}
			queue = append(queue, c.PID)
		}
	}
	return out
}

// reapAdopted collects the exit status of zombies this process adopted as a subreaper; the
// children os/exec started (in started) are left to their own Wait.
func reapAdopted(self int, started map[int]bool) {
	for _, p := range sysproc.All() {
		if p.PPID == self && p.Exited() && !started[p.PID] {
			var ws unix.WaitStatus
			_, _ = unix.Wait4(p.PID, &ws, unix.WNOHANG, nil)
		}
	}
}
