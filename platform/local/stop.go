package local

import (
	"os"
	"syscall"
	"time"

	"github.com/slipwayhq/slipway/platform/lines"
)

// pollEvery is how often a stop looks at the process table.
const pollEvery = 20 * time.Millisecond

// giveUpAfter bounds the wait for processes that SIGKILL does not end (stuck in the kernel).
const giveUpAfter = 30 * time.Second

// stopper ends the instances a run started, and everything they started.
type stopper struct {
	runner *Runner
	sys    *lines.Source
	kill   <-chan struct{}
	all    []*instance
}

func (s *stopper) add(in *instance) { s.all = append(s.all, in) }

// stop sends SIGTERM to each instance's process group and to every process below Slipway
// that left its group, waits until nothing is left, and after the runner's Timeout (or at
// once when kill is closed) sends SIGKILL to whatever is. It returns once the process
// table holds nothing below Slipway and every instance's output has been read. announce
// says the SIGTERM in the log.
func (s *stopper) stop(announce bool) {
	self := os.Getpid()
	started := map[int]bool{}
	for _, in := range s.all {
		started[in.cmd.Process.Pid] = true
	}
	if live := s.live(); len(live) > 0 || len(descendants(self)) > 0 {
		if announce {
			s.sys.Line("sending SIGTERM to all processes")
		}
		s.signal(self, syscall.SIGTERM)
	}
	deadline := time.NewTimer(s.runner.Timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	escalate := false
	for !escalate && !s.gone(self, started) {
		select {
		case <-tick.C:
		case <-deadline.C:
			escalate = true
		case <-s.kill:
			escalate = true
		}
	}
	if escalate {
		s.sys.Line("sending SIGKILL to all processes")
		giveUp := time.Now().Add(giveUpAfter)
		for !s.gone(self, started) && time.Now().Before(giveUp) {
			s.signal(self, syscall.SIGKILL)
			time.Sleep(pollEvery / 2)
		}
	}
	for _, in := range s.all {
		<-in.done
		<-in.copied
	}
}

// live lists the instances that have not exited.
func (s *stopper) live() []*instance {
	var out []*instance
	for _, in := range s.all {
		select {
		case <-in.done:
		default:
			out = append(out, in)
		}
	}
	return out
}

// signal sends sig to the process group of every live instance and to each process below
// self that is in none of those groups (it called setsid or setpgid: a daemon).
func (s *stopper) signal(self int, sig syscall.Signal) {
	groups := map[int]bool{}
	for _, in := range s.live() {
		pid := in.cmd.Process.Pid
		groups[pid] = true
		_ = syscall.Kill(-pid, sig)
	}
	for _, p := range descendants(self) {
		if !groups[p.pgrp] || sig == syscall.SIGKILL {
			_ = syscall.Kill(p.pid, sig)
		}
	}
}

// gone reports whether nothing is left: every instance waited for, and no process below
// self but zombies, the ones it adopted being reaped on the way.
func (s *stopper) gone(self int, started map[int]bool) bool {
	reapAdopted(self, started)
	return len(s.live()) == 0 && len(descendants(self)) == 0
}
