//go:build !linux

package local

import "syscall"

// On systems other than Linux there is no subreaper and no parent-death signal: stopping
// relies on the process groups alone.

func becomeSubreaper() error { return nil }

func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func descendants(int) []proc { return nil }

func reapAdopted(int, map[int]bool) {}
