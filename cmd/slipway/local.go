package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/local"
	"github.com/slipwayhq/slipway/procfile"
)

const localHelp = `Runs the Procfile's process types on this machine, as foreman and 'heroku local' do: all
of them, or the TYPEs named. The release command runs first, once, to completion, as in
Heroku's release phase; if it fails nothing else starts and Slipway exits with its code.

Each process runs under /bin/sh -c in the app's directory, in a process group of its own,
with stdin from /dev/null. Its environment is this shell's, then the env files over it
(.env when it exists, or the -e files, later files winning), then:
  PORT   base + 100 × the type's position among the Procfile's types (release not counted)
         + the instance's offset: web.1=5000, web.2=5001, worker.1=5100 when web comes first.
         The base is -p, else PORT from the env files, else 5000.
  DYNO   the instance, e.g. web.1 (PS is set too, as foreman does).

Output: "15:04:05 web.1 | line" on stdout, stdout and stderr of every process together,
one colour per process on a terminal (not with --no-color or NO_COLOR). Lines are never
split or mixed; a line longer than 1 MiB is cut into 1 MiB pieces.

Stopping: when one process exits, or on Ctrl-C, SIGTERM or SIGHUP, every process group
gets SIGTERM (and so does any process that left its group, e.g. a daemon); whatever is
still running after -t (default 5s, as foreman; Heroku waits 30s, but local processes are
restarted often and seldom have work worth the wait) gets SIGKILL, as it does at once on a
second Ctrl-C. Nothing is left running. Slipway exits with the code of the process that
exited first (128+N when signal N ended it), or 130/143/129 after SIGINT/SIGTERM/SIGHUP.`

// localFlags are the flags local and local run share.
type localFlags struct {
	envFiles []string
	port     int
}

func (f *localFlags) bind(c *cobra.Command) {
	c.Flags().StringSliceVarP(&f.envFiles, "env", "e", nil, "env files to read, comma-separated or repeated; later files win (default: .env if it exists)")
	c.Flags().IntVarP(&f.port, "port", "p", 0, "the base PORT (default: PORT from the env files, else 5000)")
}

func newLocalCmd(g *globals) *cobra.Command {
	var (
		lf        localFlags
		procFile  string
		formation []string
		timeout   string
		noRelease bool
	)
	c := &cobra.Command{
		Use:     "local [TYPE...]",
		Aliases: []string{"start"},
		Short:   "Run the Procfile's processes on this machine",
		Long:    localHelp,
		Example: `  slipway local                     # every type once, after the release command
  slipway local web worker -m web=2
  slipway local -m all=1,clock=0 -e .env,.env.local
  slipway local run rails console   # one command with the app's environment`,
		RunE: func(c *cobra.Command, args []string) error {
			t, err := parseTimeout(timeout)
			if err != nil {
				return usageError{err}
			}
			f, err := local.ParseFormation(formation)
			if err != nil {
				return usageError{err}
			}
			entries, release, err := g.localProcfile(procFile)
			if err != nil {
				return err
			}
			types, releaseNamed, err := local.Select(entries, release != "", args, f)
			if err != nil {
				return usageError{err}
			}
			if noRelease || (len(args) > 0 && !releaseNamed && len(types) == 0) {
				release = ""
			}
			if len(types) == 0 && release == "" {
				return usageError{errors.New("nothing to run: every process type has a count of 0")}
			}
			env, base, err := g.localEnv(lf)
			if err != nil {
				return err
			}
			r := &local.Runner{
				Dir: g.dir, Env: env, BasePort: base, Release: release, Types: types, Timeout: t,
				Out: g.streams.Out, Color: g.streams.OutTTY && !g.noColor && g.streams.Getenv("NO_COLOR") == "",
			}
			if top := base + topOffset(types); top > 65535 {
				return usageError{fmt.Errorf("ports from %d reach %d, past 65535: choose a lower -p", base, top)}
			}
			trimMemory()
			return runLocal(c.Context(), r)
		},
	}
	lf.bind(c)
	c.Flags().StringVarP(&procFile, "procfile", "f", "", "the Procfile to run, relative to the app's directory (default: Procfile)")
	c.Flags().StringArrayVarP(&formation, "formation", "m", nil, "instances per type: web=2,worker=1; all=N for the others; repeatable")
	c.Flags().StringVarP(&timeout, "timeout", "t", local.DefaultTimeout.String(), "time between SIGTERM and SIGKILL when stopping (5s, 500ms, or seconds)")
	c.Flags().BoolVar(&noRelease, "no-release", false, "skip the release command")
	c.AddCommand(newLocalRunCmd(g))
	return c
}

// runLocal runs r until it ends. The first SIGINT, SIGTERM or SIGHUP stops the processes
// gracefully, a second one kills them.
func runLocal(parent context.Context, r *local.Runner) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// A closed stdout (slipway local | head) is then an error to handle, not death by
	// SIGPIPE with the processes left behind. A handler, unlike ignoring the signal, is not
	// inherited by the processes.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)

	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	kill := make(chan struct{})
	var (
		mu    sync.Mutex
		first os.Signal
	)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case sig := <-sigs:
				mu.Lock()
				isFirst := first == nil
				if isFirst {
					first = sig
				}
				mu.Unlock()
				if isFirst {
					cancel()
					continue
				}
				close(kill)
				return
			case <-done:
				return
			}
		}
	}()
	// The command's context may already be cancelled by main's handler for the same signal.
	res, err := r.Run(ctx, kill)
	if err != nil {
		return err
	}
	switch {
	case res.Interrupted:
		mu.Lock()
		sig := first
		mu.Unlock()
		return exitStatus{code: 128 + signalNumber(sig)}
	case res.Release && res.Code != 0:
		return exitStatus{code: res.Code, err: fmt.Errorf("the release command failed (exit code %d); nothing else was started", res.Code)}
	case res.Code != 0:
		return exitStatus{code: res.Code, err: fmt.Errorf("%s exited with code %d; the other processes were stopped", res.Process, res.Code)}
	}
	return nil
}

func signalNumber(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return int(syscall.SIGINT) // main's handler cancelled before ours saw the signal
}

func newLocalRunCmd(g *globals) *cobra.Command {
	var lf localFlags
	c := &cobra.Command{
		Use:   "run COMMAND [ARG...]",
		Short: "Run one command with the app's local environment",
		Long: `Runs COMMAND with the environment 'slipway local' gives its processes (this shell's,
then the env files, then PORT=base, DYNO=run.1), in the app's directory, attached to this
terminal. COMMAND runs as given, without a shell: use sh -c '…' for shell syntax. Slipway
exits with its exit code (128+N when signal N ended it, 127 when it cannot be found).`,
		Example: `  slipway local run ./bin/sample migrate
  slipway local run -e .env.test sh -c 'echo $DATABASE_URL'`,
		Args: argsBetween(1, -1, "a COMMAND"),
		RunE: func(c *cobra.Command, args []string) error {
			env, base, err := g.localEnv(lf)
			if err != nil {
				return err
			}
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = g.dir
			cmd.Env = local.SetEnv(env, "PORT", strconv.Itoa(base), "DYNO", "run.1", "PS", "run.1")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = g.streams.In, g.streams.Out, g.streams.Err
			return runOneOff(cmd, g.streams.In)
		},
	}
	lf.bind(c)
	c.Flags().SetInterspersed(false) // flags after COMMAND are COMMAND's
	return c
}

// runOneOff runs cmd in the foreground, forwarding the signals a terminal would not have
// delivered to it already, and returns its exit status.
func runOneOff(cmd *exec.Cmd, stdin any) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		code := 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			code = 127
		}
		return exitStatus{code: code, err: fmt.Errorf("local run: %w", err)}
	}
	// On a terminal, Ctrl-C and Ctrl-\ reach the command (it is in the foreground process
	// group with Slipway); forwarding them would deliver them twice.
	tty := false
	if f, ok := stdin.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if tty && (sig == os.Interrupt || sig == syscall.SIGQUIT) {
				continue
			}
			_ = cmd.Process.Signal(sig)
		case <-waited:
			if code := local.ExitCode(cmd.ProcessState); code != 0 {
				return exitStatus{code: code}
			}
			return nil
		}
	}
}

// localProcfile reads the process types: the file -f names, else the app's Procfile, else
// what Slipway would deploy without one (package.json's start script). It returns the
// long-running types in file order and the release command.
func (g *globals) localProcfile(file string) ([]local.Entry, string, error) {
	path := filepath.Join(g.dir, app.ProcfileFile)
	if file != "" {
		path = filepath.Join(g.dir, file)
	}
	pf, err := procfile.ParseFile(path)
	if errors.Is(err, fs.ErrNotExist) && file == "" {
		a, err := app.Load(g.dir, app.Options{})
		if err != nil {
			return nil, "", err
		}
		for _, w := range a.Warnings {
			g.warn(w.String())
		}
		var entries []local.Entry
		for _, p := range a.Processes {
			entries = append(entries, local.Entry{Name: p.Name, Command: p.Command})
		}
		release := ""
		if a.Release != nil {
			release = a.Release.Command
		}
		return entries, release, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: no such file (-f names a Procfile relative to the app's directory, %s)", path, g.dir)
	}
	if err != nil {
		return nil, "", err
	}
	for _, w := range pf.Warnings {
		g.warn(w.String())
	}
	var entries []local.Entry
	release := ""
	for _, e := range pf.Entries {
		if e.Release() {
			release = e.Command
			continue
		}
		entries = append(entries, local.Entry{Name: e.Name, Command: e.Command})
	}
	if len(entries) == 0 && release == "" {
		return nil, "", fmt.Errorf("%s declares no process type", path)
	}
	return entries, release, nil
}

// localEnv is the environment local processes start from, and the base PORT.
func (g *globals) localEnv(lf localFlags) ([]string, int, error) {
	files := lf.envFiles
	if files == nil {
		if _, err := os.Stat(filepath.Join(g.dir, ".env")); err == nil {
			files = []string{".env"}
		}
	}
	vars := map[string]string{}
	portFrom := ""
	for _, f := range files {
		ef, err := app.ReadEnvFile(filepath.Join(g.dir, f), filepath.Join(g.dir, f))
		if err != nil {
			return nil, 0, err
		}
		for k, v := range ef.Vars {
			vars[k] = v
			if k == "PORT" {
				portFrom = ef.Path
			}
		}
	}
	base := local.DefaultBasePort
	switch {
	case lf.port != 0:
		if lf.port < 1 || lf.port > 65535 {
			return nil, 0, usageError{fmt.Errorf("--port %d: a port is 1 to 65535", lf.port)}
		}
		base = lf.port
	case portFrom != "":
		p, err := strconv.Atoi(vars["PORT"])
		if err != nil || p < 1 || p > 65535 {
			return nil, 0, fmt.Errorf("%s: PORT=%q is not a port number (1 to 65535)", portFrom, vars["PORT"])
		}
		base = p
	}
	env := os.Environ()
	pairs := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		pairs = append(pairs, k, v)
	}
	return local.SetEnv(env, pairs...), base, nil
}

// parseTimeout reads -t: a duration (5s, 500ms) or a number of seconds (foreman's form).
func parseTimeout(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--timeout %q: want a duration such as 5s or 500ms, or a number of seconds", s)
	}
	return d, nil
}

// topOffset is the highest PORT offset the types take.
func topOffset(types []local.Type) int {
	m := 0
	for _, t := range types {
		m = max(m, 100*t.Position+t.Count-1)
	}
	return m
}
