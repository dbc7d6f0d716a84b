package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/oneoff"
)

type runOptions struct {
	detach, noTTY bool
	env           []string
	size          string
}

func newRunCmd(g *globals) *cobra.Command {
	o := &runOptions{}
	c := &cobra.Command{
		Use:   "run -- COMMAND [ARG...]",
		Short: "Run a one-off command in a new pod of the app (a migration, a console)",
		Long: `Run starts a pod of its own for COMMAND, made from a running process's template (web's when
there is one): the release's image, the environment's config vars, its service account and
security settings, DYNO=run.1 — as heroku run does. One argument is a shell command line
(/bin/sh -c); several are a program and its arguments. Its output is shown from the first
line, standard input is passed on, its exit code is Slipway's, and the pod is removed when
it ends (or on Ctrl-C). On a terminal it gets a terminal (--no-tty: not). --detach starts it,
prints its pod's name and returns; read its output with 'slipway logs -p run'. The pod runs
in a Job the cluster removes by itself 10 minutes after the command ends, should Slipway be
killed before it can.`,
		Example: "  slipway run -- ./bin/sample migrate\n  slipway run 'echo $DATABASE_URL | wc -c'\n  slipway run --detach -- ./bin/sample report",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("run: name a command, e.g. slipway run -- ./manage.py migrate")}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			env := map[string]string{}
			for i, kv := range o.env {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					// Not quoted: it may be a value given without its name.
					return usageError{fmt.Errorf("--env (number %d): expected NAME=VALUE", i+1)}
				}
				if err := app.CheckVarName(k); err != nil {
					return usageError{fmt.Errorf("--env: %w", err)}
				}
				env[k] = v
			}
			var size *app.Resources
			if o.size != "" {
				r, err := app.SizeResources(o.size)
				if err != nil {
					return usageError{fmt.Errorf("--size: %w", err)}
				}
				size = &r
			}
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			s, restore := g.remoteStreams(!o.noTTY && !o.detach)
			defer restore()
			g.cleansUp() // the first Ctrl-C stops the command and removes its pod
			res, err := oneoff.Run(c.Context(), t.Kube, oneoff.RunOptions{App: t.Name, Command: args, Env: env, Detach: o.detach, Size: size, Streams: s})
			if o.detach && res != nil {
				fmt.Fprintf(g.streams.Out, "%s\n", res.Pod)
				fmt.Fprintf(g.streams.Err, "%s runs detached; follow its output with: slipway logs -p run -f\n", res.Pod)
			}
			return remoteExit(err)
		},
	}
	c.Flags().BoolVar(&o.detach, "detach", false, "start it and return; its output goes to its log")
	c.Flags().BoolVar(&o.noTTY, "no-tty", false, "no terminal, even when run from one")
	c.Flags().StringArrayVar(&o.env, "env", nil, "NAME=VALUE for this run (repeatable)")
	c.Flags().StringVar(&o.size, "size", "", "the dyno size of this run (standard-2x, performance-m …; default: the template's)")
	return c
}

type execOptions struct {
	process, pod    string
	stdin, terminal bool
}

func newExecCmd(g *globals) *cobra.Command {
	o := &execOptions{}
	c := &cobra.Command{
		Use:   "exec -- COMMAND [ARG...]",
		Short: "Run a command in a running pod of a process type (default web)",
		Long: `Exec runs COMMAND in the first ready pod of a process type (-p, default web) or in a named
pod (--pod), as kubectl exec does. -i passes standard input, -t gives it a terminal (a shell:
slipway exec -it -- sh). Its exit code is Slipway's.`,
		Example: "  slipway exec -- ls /app\n  slipway exec -p worker -it -- sh",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{errors.New("exec: name a command, e.g. slipway exec -- ls")}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			t, err := g.target(g.env, false)
			if err != nil {
				return err
			}
			s, restore := g.remoteStreams(o.terminal)
			defer restore()
			if !o.stdin && !o.terminal {
				s.In = nil
			}
			err = oneoff.Exec(c.Context(), t.Kube, oneoff.ExecOptions{App: t.Name, Process: o.process, Pod: o.pod, Command: args, Streams: s})
			return remoteExit(err)
		},
	}
	c.Flags().StringVarP(&o.process, "process", "p", "", "the process type (default web)")
	c.Flags().StringVar(&o.pod, "pod", "", "this pod of the app")
	c.Flags().BoolVarP(&o.stdin, "stdin", "i", false, "pass standard input to the command")
	c.Flags().BoolVarP(&o.terminal, "tty", "t", false, "give the command a terminal")
	return c
}

// remoteExit passes a remote command's exit code on as Slipway's.
func remoteExit(err error) error {
	var ee *oneoff.ExitError
	if errors.As(err, &ee) {
		return exitStatus{code: ee.Code}
	}
	return err
}

// remoteStreams connects a remote command to this process's standard streams. With
// wantTTY and a terminal on both sides, the terminal goes raw and its size follows; restore
// puts it back. Standard input is passed on when it is a terminal, a pipe or a file.
func (g *globals) remoteStreams(wantTTY bool) (oneoff.Streams, func()) {
	s := oneoff.Streams{Out: g.streams.Out, Err: g.streams.Err}
	in, ok := g.streams.In.(*os.File)
	if !ok {
		s.In = g.streams.In
		return s, func() {}
	}
	if fi, err := in.Stat(); err == nil && (fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0 || fi.Mode().IsRegular()) {
		s.In = in
	}
	fd := int(in.Fd())
	if !wantTTY || !term.IsTerminal(fd) || !g.streams.OutTTY {
		return s, func() {}
	}
	state, err := term.MakeRaw(fd)
	if err != nil {
		return s, func() {}
	}
	s.In, s.TTY = in, true
	q := &sizeQueue{fd: fd, sizes: make(chan os.Signal, 1), first: true}
	signal.Notify(q.sizes, syscall.SIGWINCH)
	s.Resize = q
	return s, func() {
		signal.Stop(q.sizes)
		close(q.sizes)
		_ = term.Restore(fd, state)
	}
}

// sizeQueue tells the remote terminal the local one's size, at first and on each SIGWINCH.
type sizeQueue struct {
	fd    int
	sizes chan os.Signal
	first bool
}

func (q *sizeQueue) Next() *remotecommand.TerminalSize {
	if !q.first {
		if _, ok := <-q.sizes; !ok {
			return nil
		}
	}
	q.first = false
	w, h, err := term.GetSize(q.fd)
	if err != nil {
		return nil
	}
	return &remotecommand.TerminalSize{Width: uint16(w), Height: uint16(h)}
}

// newRunDetachedCmd is heroku's run:detached: run --detach.
func newRunDetachedCmd(g *globals) *cobra.Command {
	c := newRunCmd(g)
	_ = c.Flags().Set("detach", "true")
	return c
}
