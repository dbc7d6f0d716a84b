// Package local runs an app's process types on the developer's machine, as foreman and
// `heroku local` do: each instance in a process group of its own, under /bin/sh, with its
// own PORT, DYNO and PS, its output merged into one stream of whole lines, and a stop that
// escalates from SIGTERM to SIGKILL and leaves no process behind.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slipwayhq/slipway/platform/lines"
	"github.com/slipwayhq/slipway/procfile"
)

// DefaultTimeout is the time between SIGTERM and SIGKILL, as foreman's: a local process is
// restarted often and seldom has in-flight work worth 30 seconds (Heroku's) of waiting.
const DefaultTimeout = 5 * time.Second

// DefaultBasePort is the base PORT when neither a flag nor the env files give one.
const DefaultBasePort = 5000

// Type is one process type to run.
type Type struct {
	// Name is the type as the Procfile writes it.
	Name string
	// Command is its command line, run with `/bin/sh -c`.
	Command string
	// Position is the type's index among the Procfile's long-running types (release is not
	// one); PORT is BasePort + 100 × Position + the instance's offset.
	Position int
	// Count is the number of instances.
	Count int
}

// Runner runs process types. The zero values of Shell and Now mean /bin/sh and time.Now.
type Runner struct {
	// Dir is the working directory of every process.
	Dir string
	// Env is every process's environment before PORT, DYNO and PS are set.
	Env []string
	// BasePort is the first process's PORT.
	BasePort int
	// Release is the release-phase command, run to completion before anything else starts;
	// empty for none.
	Release string
	// Types are the process types to run.
	Types []Type
	// Timeout is how long stopping waits after SIGTERM before SIGKILL (DefaultTimeout is
	// foreman's); zero kills at once.
	Timeout time.Duration
	// Out receives the merged log stream.
	Out io.Writer
	// Prefix writes each log line's prefix (default lines.TimeName: "15:04:05 web.1 | ");
	// the front end colours it if it likes. Sources are numbered in start order, the
	// release first; Slipway's own messages come from "system", index -1.
	Prefix lines.Prefix
	// Shell runs the commands (default /bin/sh).
	Shell string
	// Now is the clock of the log lines' timestamps.
	Now func() time.Time
}

// Result says how a run ended.
type Result struct {
	// Process is the instance whose exit ended the run ("web.1", "release"); empty when
	// the run was interrupted or its log output went away.
	Process string
	// Code is that instance's exit code; 128+N when signal N ended it.
	Code int
	// Release is set when the release phase failed (or was interrupted) and nothing else
	// started.
	Release bool
	// Interrupted is set when the context ended the run.
	Interrupted bool
}

// ErrOutputClosed ends a run whose log stream can no longer be written (a closed pipe).
var ErrOutputClosed = errors.New("the log output was closed")

// instance is one running process.
type instance struct {
	name   string
	cmd    *exec.Cmd
	src    *lines.Source
	done   chan struct{} // closed once the process has exited and been waited for
	copied chan struct{} // closed once its output has been read to the end
	code   int
}

// Run runs the release command, then every instance of every type, until one of them exits,
// ctx ends, or the log output is closed; then it stops them all. Closing kill makes a stop
// that is under way (or the next one) use SIGKILL at once. The error is for what could not
// start; a process's own failure is in the Result.
func (r *Runner) Run(ctx context.Context, kill <-chan struct{}) (Result, error) {
	if r.Shell == "" {
		r.Shell = "/bin/sh"
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Release == "" && r.total() == 0 {
		return Result{}, errors.New("nothing to run")
	}
	// Without it, a process that daemonizes escapes the stop; with it, it is found in the
	// process table below this one. Failure (an old kernel) leaves the process groups.
	_ = becomeSubreaper()

	width := len("system")
	if r.Release != "" {
		width = max(width, len("release"))
	}
	for _, t := range r.Types {
		width = max(width, len(instanceName(t.Name, t.Count)))
	}
	m := lines.New(r.Out, lines.Options{Prefix: r.Prefix, Width: width, Now: r.Now})
	s := &stopper{runner: r, sys: m.Source("system", -1), kill: kill}
	exits := make(chan *instance, 1+r.total())

	if r.Release != "" {
		in, err := r.start(m.Source("release", 0), r.Release, r.BasePort, exits)
		if err != nil {
			return Result{}, fmt.Errorf("start the release command: %w", err)
		}
		s.add(in)
		select {
		case <-in.done:
			if in.code != 0 {
				s.sys.Line(fmt.Sprintf("release failed (exit code %d): nothing else starts", in.code))
				s.stop(false)
				return Result{Process: in.name, Code: in.code, Release: true}, nil
			}
			<-exits
		case <-ctx.Done():
			s.sys.Line("interrupted during the release phase")
			s.stop(true)
			return Result{Interrupted: true, Release: true}, nil
		case <-m.Broken():
			s.stop(true)
			return Result{Release: true}, ErrOutputClosed
		}
	}

	if r.total() == 0 {
		// Only the release phase was asked for: end what it left running.
		s.stop(false)
		return Result{Process: "release"}, nil
	}
	colour := 1
	for _, t := range r.Types {
		for i := range t.Count {
			name := t.Name + "." + strconv.Itoa(i+1)
			port := r.BasePort + 100*t.Position + i
			in, err := r.start(m.Source(name, colour), t.Command, port, exits)
			if err != nil {
				s.stop(true)
				return Result{}, fmt.Errorf("start %s: %w", name, err)
			}
			colour++
			s.add(in)
		}
	}

	select {
	case in := <-exits:
		s.stop(true)
		return Result{Process: in.name, Code: in.code}, nil
	case <-ctx.Done():
		s.sys.Line("interrupted: stopping (press Ctrl-C again to kill at once)")
		s.stop(true)
		return Result{Interrupted: true}, nil
	case <-m.Broken():
		s.stop(true)
		return Result{}, ErrOutputClosed
	}
}

func (r *Runner) total() int {
	n := 0
	for _, t := range r.Types {
		n += t.Count
	}
	return n
}

// instanceName is the longest name a type's instances take.
func instanceName(typ string, count int) string {
	return typ + "." + strconv.Itoa(max(count, 1))
}

// start runs one instance, reading its output into the mux and reporting its exit on exits.
func (r *Runner) start(src *lines.Source, command string, port int, exits chan<- *instance) (*instance, error) {
	script, _ := procfile.ExecCommand(command)
	cmd := exec.Command(r.Shell, "-c", script)
	cmd.Dir = r.Dir
	cmd.Env = SetEnv(r.Env, "PORT", strconv.Itoa(port), "DYNO", src.Name(), "PS", src.Name())
	cmd.SysProcAttr = sysProcAttr()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	// stdout and stderr share one pipe, so their lines keep the order the process wrote them.
	cmd.Stdout, cmd.Stderr = pw, pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, err
	}
	in := &instance{name: src.Name(), cmd: cmd, src: src, done: make(chan struct{}), copied: make(chan struct{})}
	src.Line(fmt.Sprintf("started with pid %d (PORT=%d)", cmd.Process.Pid, port))
	go func() {
		src.Copy(pr)
		pr.Close()
		close(in.copied)
	}()
	go func() {
		err := cmd.Wait()
		in.code = ExitCode(cmd.ProcessState)
		// Its last lines first, unless something it started still holds the pipe.
		select {
		case <-in.copied:
		case <-time.After(50 * time.Millisecond):
		}
		src.Line(describeExit(cmd.ProcessState, err))
		close(in.done)
		exits <- in
	}()
	return in, nil
}

// SetEnv returns env (KEY=VALUE entries) with each name in pairs set to the value after
// it, replacing earlier settings.
func SetEnv(env []string, pairs ...string) []string {
	out := make([]string, 0, len(env)+len(pairs)/2)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i := 0; i < len(pairs); i += 2 {
			if pairs[i] == name {
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, pairs[i]+"="+pairs[i+1])
	}
	return out
}

// ExitCode is the shell's view of an exit: the code, or 128+N for signal N; 1 when there
// is no state (the process could not be waited for).
func ExitCode(ps *os.ProcessState) int {
	if ps == nil {
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	if c := ps.ExitCode(); c >= 0 {
		return c
	}
	return 1
}

func describeExit(ps *os.ProcessState, err error) string {
	if ps == nil {
		return fmt.Sprintf("could not be waited for: %v", err)
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "terminated by " + signalName(ws.Signal())
	}
	return fmt.Sprintf("exited with code %d", ps.ExitCode())
}

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGSEGV:
		return "SIGSEGV"
	case syscall.SIGPIPE:
		return "SIGPIPE"
	}
	return "signal " + strconv.Itoa(int(sig))
}

// proc is one row of the process table.
type proc struct {
	pid, ppid, pgrp int
}
