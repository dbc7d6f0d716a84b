package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"slices"
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

Formation (-m TYPE=N,…): as foreman, -m web=2 alone runs web only. *=N sets every type
not named (quote it from the shell: -m '*=1,web=2'); all=N does the same unless the
Procfile has a type named all, which all=N then counts (use *=N for the others). The
release command runs once, before the others, and takes no count: --no-release skips it,
'slipway local release' runs it alone.

A process type named run: 'slipway local -- run' (after --, words are TYPEs), or
'slipway local run' without a COMMAND when the Procfile has such a type; 'slipway local
run COMMAND' runs a one-off command.

Paths (-f, -e files) are relative to the app directory (-C) unless absolute.

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
	cmd      *cobra.Command // whose flags these are: -p 0 given is not -p left out
}

func (f *localFlags) bind(c *cobra.Command) {
	f.cmd = c
	c.Flags().StringSliceVarP(&f.envFiles, "env", "e", nil, "env files to read, comma-separated or repeated, relative to the app directory unless absolute; later files win (default: .env if it exists)")
	c.Flags().IntVarP(&f.port, "port", "p", 0, "the base PORT, 1 to 65535 (default: PORT from the env files, else 5000)")
}

// localOptions are local's flags.
type localOptions struct {
	lf        localFlags
	procFile  string
	formation []string
	timeout   string
	noRelease bool
	// runType is set by 'local run' without a COMMAND: start the Procfile's process type
	// "run", if it has one.
	runType bool
}

func newLocalCmd(g *globals) *cobra.Command {
	o := &localOptions{}
	c := &cobra.Command{
		Use:     "local [TYPE...]",
		Aliases: []string{"start"},
		Short:   "Run the Procfile's processes on this machine",
		Long:    localHelp,
		Example: `  slipway local                     # every type once, after the release command
  slipway local web worker -m web=2
  slipway local -m '*=1,clock=0' -e .env,.env.local
  slipway local run rails console   # one command with the app's environment
  slipway local -- run              # the Procfile's process type named run`,
		RunE: func(c *cobra.Command, args []string) error { return o.run(c, g, args) },
	}
	o.lf.bind(c)
	c.Flags().StringVarP(&o.procFile, "procfile", "f", "", "the Procfile to run, relative to the app directory unless absolute (default: Procfile)")
	c.Flags().StringArrayVarP(&o.formation, "formation", "m", nil, "instances per type: web=2,worker=1; *=N for the types not named (all=N too, unless a type is named all); repeatable")
	c.Flags().StringVarP(&o.timeout, "timeout", "t", local.DefaultTimeout.String(), "time between SIGTERM and SIGKILL when stopping (5s, 500ms, or seconds)")
	c.Flags().BoolVar(&o.noRelease, "no-release", false, "skip the release command")
	c.AddCommand(newLocalRunCmd(g))
	return c
}

// run starts the process types args names (every type when none).
func (o *localOptions) run(c *cobra.Command, g *globals, args []string) error {
	t, err := parseTimeout(o.timeout)
	if err != nil {
		return usageError{err}
	}
	f, err := local.ParseFormation(o.formation)
	if err != nil {
		return usageError{err}
	}
	entries, release, err := g.localProcfile(o.procFile)
	if o.runType {
		if err != nil || !slices.ContainsFunc(entries, func(e local.Entry) bool { return e.Name == "run" }) {
			return usageError{fmt.Errorf("%s takes a COMMAND, got 0 arguments (without one it starts the Procfile's process type run, and there is none)", c.CommandPath())}
		}
		args = []string{"run"}
	}
	if err != nil {
		return err
	}
	types, releaseNamed, err := local.Select(entries, release != "", args, f)
	if errors.Is(err, local.ErrReleaseCount) {
		return usageError{fmt.Errorf("%w; --no-release skips it, 'slipway local release' runs it alone", err)}
	}
	if err != nil {
		return usageError{err}
	}
	if o.noRelease || (len(args) > 0 && !releaseNamed && len(types) == 0) {
		release = ""
	}
	if len(types) == 0 && release == "" {
		return usageError{errors.New("nothing to run: every process type has a count of 0")}
	}
	env, base, err := g.localEnv(o.lf)
	if err != nil {
		return err
	}
	r := &local.Runner{
		Dir: g.dir, Env: env, BasePort: base, Release: release, Types: types, Timeout: t,
		Out: g.streams.Out,
	}
	if g.streams.OutTTY && !g.noColor && g.streams.Getenv("NO_COLOR") == "" {
		r.Prefix = colourPrefix
	}
	if top := base + topOffset(types); top > 65535 {
		return usageError{fmt.Errorf("ports from %d reach %d, past 65535: choose a lower -p", base, top)}
	}
	trimMemory()
	g.cleansUp() // from here on a signal stops the processes it started
	return runLocal(c.Context(), r)
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
exits with its exit code (128+N when signal N ended it, 127 when it cannot be found).

Without a COMMAND, when the Procfile has a process type named run, it starts that type
as 'slipway local -- run' does (which also takes local's other flags).`,
		Example: `  slipway local run ./bin/sample migrate
  slipway local run -e .env.test sh -c 'echo $DATABASE_URL'`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				o := &localOptions{lf: lf, timeout: local.DefaultTimeout.String(), runType: true}
				return o.run(c, g, nil)
			}
			env, base, err := g.localEnv(lf)
			if err != nil {
				return err
			}
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = g.dir
			cmd.Env = local.SetEnv(env, "PORT", strconv.Itoa(base), "DYNO", "run.1", "PS", "run.1")
			cmd.Stdin, cmd.Stdout, cmd.Stderr = g.streams.In, g.streams.Out, g.streams.Err
			g.cleansUp() // the command gets the signal; Slipway waits for it to end
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
	var (
		data []byte
		err  error
		name = app.ProcfileFile
	)
	if file == "" {
		data, err = app.ReadAppFile(g.dir, app.ProcfileFile)
	} else {
		name = file
		data, err = app.ReadNamedFile(g.path(file), file)
	}
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
		return nil, "", fmt.Errorf("%s: no such file (-f names a Procfile, relative to the app's directory %s unless absolute)", g.path(file), g.dir)
	}
	if err != nil {
		return nil, "", err
	}
	pf, err := procfile.Parse(bytes.NewReader(data), name)
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
		return nil, "", fmt.Errorf("%s declares no process type", name)
	}
	return entries, release, nil
}

// localEnv is the environment local processes start from, and the base PORT.
func (g *globals) localEnv(lf localFlags) ([]string, int, error) {
	// The app's own .env is read as every input of the app is (inside its directory, a
	// regular file); files named with -e are read as named.
	var envFiles []*app.EnvFile
	if lf.envFiles == nil {
		ef, found, err := app.ReadAppEnvFile(g.dir, ".env")
		if err != nil {
			return nil, 0, err
		}
		if found {
			envFiles = append(envFiles, ef)
		}
	}
	for _, f := range lf.envFiles {
		ef, err := app.ReadEnvFile(g.path(f), g.path(f))
		if err != nil {
			return nil, 0, err
		}
		envFiles = append(envFiles, ef)
	}
	vars := map[string]string{}
	var portFrom *app.EnvFile
	for _, ef := range envFiles {
		for k, v := range ef.Vars {
			vars[k] = v
			if k == "PORT" {
				portFrom = ef
			}
		}
	}
	base := local.DefaultBasePort
	switch {
	case lf.cmd != nil && lf.cmd.Flags().Changed("port"):
		if lf.port < 1 || lf.port > 65535 {
			return nil, 0, usageError{fmt.Errorf("--port %d: a port is 1 to 65535", lf.port)}
		}
		base = lf.port
	case portFrom != nil:
		p, err := strconv.Atoi(vars["PORT"])
		if err != nil || p < 1 || p > 65535 {
			// The value is not quoted: an env file's values may be secrets.
			return nil, 0, &app.FileError{File: portFrom.Path, Line: portFrom.Line("PORT"), Msg: "PORT is not a port number (1 to 65535)"}
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
