package sysproc

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Proc is what /proc/PID/stat says of a process.
type Proc struct {
	PID, PPID, PGRP int
	// Comm is the command name (at most 15 bytes, from the executable's name).
	Comm string
	// State is the state letter: R, S, D, Z (zombie), X (dead), …
	State byte
	// StartTime is when the process started, in clock ticks since boot: with the PID, it
	// tells a process from a later one given the same PID.
	StartTime uint64
}

// Exited tells whether the process has exited (a zombie waiting to be reaped, or dead).
func (p Proc) Exited() bool { return p.State == 'Z' || p.State == 'X' }

var errStat = errors.New("unexpected /proc/PID/stat format")

// ParseStat reads the content of /proc/PID/stat: "pid (comm) state ppid pgrp …", where comm
// may hold spaces and parentheses, so the fields are counted from the last ')'.
func ParseStat(stat []byte) (Proc, error) {
	open := bytes.IndexByte(stat, '(')
	i := bytes.LastIndexByte(stat, ')')
	if open < 0 || i < open || i+2 >= len(stat) {
		return Proc{}, errStat
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(stat[:open])))
	if err != nil {
		return Proc{}, errStat
	}
	// starttime is field 22 overall, the 20th after comm.
	f := strings.Fields(string(stat[i+2:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return Proc{}, errStat
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	start, err3 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Proc{}, errStat
	}
	return Proc{PID: pid, PPID: ppid, PGRP: pgrp, Comm: string(stat[open+1 : i]), State: f[0][0], StartTime: start}, nil
}

// Stat reads /proc/PID/stat.
func Stat(pid int) (Proc, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Proc{}, err
	}
	return ParseStat(b)
}

// StartTime returns pid's start time (see Proc.StartTime), or 0 when unknown.
func StartTime(pid int) uint64 {
	p, err := Stat(pid)
	if err != nil {
		return 0
	}
	return p.StartTime
}

// Running tells whether pid runs (a zombie does not) and, when startTime is not 0, is still
// the process that started then (PIDs get reused). Without /proc it asks with signal 0.
func Running(pid int, startTime uint64) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if _, perr := os.Stat("/proc/self/stat"); perr != nil {
			return syscall.Kill(pid, 0) == nil
		}
		return false
	}
	p, err := ParseStat(b)
	if err != nil {
		return true // there, though unreadable
	}
	return !p.Exited() && (startTime == 0 || p.StartTime == startTime)
}

// PIDs lists the processes in /proc.
func PIDs() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// All reads the stat of every process in /proc (those that went meanwhile left out).
func All() []Proc {
	var out []Proc
	for _, pid := range PIDs() {
		if p, err := Stat(pid); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Cmdline returns a process's arguments, or nil when it is gone (or a kernel thread).
func Cmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

// WithArg returns the running processes other than this one with an argument for which
// match is true.
func WithArg(match func(arg string) bool) []int {
	var out []int
	for _, pid := range PIDs() {
		if pid == os.Getpid() {
			continue
		}
		if args := Cmdline(pid); args != nil && slices.ContainsFunc(args, match) && Running(pid, 0) {
			out = append(out, pid)
		}
	}
	return out
}
