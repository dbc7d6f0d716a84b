package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/slipwayhq/slipway/render"
)

// Exit codes, documented in `slipway --help`.
const (
	exitOK    = 0
	exitError = 1 // the command failed: bad input, a failed operation
	exitUsage = 2 // the command line was wrong
)

// Streams are the command's input and output. Results go to Out, progress and warnings
// to Err; a terminal changes decoration (colour), never content.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
	// ErrTTY and OutTTY tell whether Err and Out are terminals (colour allowed).
	ErrTTY, OutTTY bool
	// Getenv reads the environment (NO_COLOR).
	Getenv func(string) string
	// CleansUp, when set, is told that the running command now has something to clean up
	// when its context is cancelled (a release to restore, processes to stop). Until then,
	// main ends the command at once on the first SIGINT or SIGTERM.
	CleansUp func()
}

func defaultStreams() *Streams {
	return &Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())), Getenv: os.Getenv}
}

// globals are the flags every command takes.
type globals struct {
	dir        string
	app        string
	env        string
	kubeconfig string
	context    string
	noColor    bool
	streams    *Streams
}

func (g *globals) color() bool {
	return g.streams.ErrTTY && !g.noColor && g.streams.Getenv("NO_COLOR") == ""
}

// warn prints a warning line on stderr.
func (g *globals) warn(msg string) {
	prefix := "warning:"
	if g.color() {
		prefix = "\x1b[33mwarning:\x1b[0m"
	}
	fmt.Fprintln(g.streams.Err, prefix, msg)
}

// path resolves the value of a flag naming a file or directory: an absolute path is taken
// as it is, a relative one is relative to the app's directory (-C), as with git -C and
// make -C. "~" is not expanded: the shell does that before Slipway sees the argument.
func (g *globals) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(g.dir, p)
}

// cleansUp tells main that the command from now on cleans up after itself when its
// context is cancelled, so the first SIGINT or SIGTERM cancels it rather than ending it.
func (g *globals) cleansUp() {
	if g.streams.CleansUp != nil {
		g.streams.CleansUp()
	}
}

// usageError marks errors in the command line itself (exit 2); Main adds where to read
// the usage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func newRoot(s *Streams) *cobra.Command {
	g := &globals{streams: s}
	root := &cobra.Command{
		Use:   "slipway",
		Short: "Heroku-style apps on Kubernetes",
		Long: `Slipway runs a repository kept the Heroku way (Procfile, .env, app.json, heroku.yml)
on Kubernetes: it generates a real Helm chart with a Deployment per process type and deploys it.

Results go to stdout, progress and warnings to stderr.
Exit codes: 0 success, 1 the command failed, 2 the command line was wrong; 'local' and
'local run' exit with the code of the process that ended them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s: %w", c.CommandPath(), err)}
	})
	pf := root.PersistentFlags()
	pf.StringVarP(&g.dir, "dir", "C", ".", "the app's directory; run as if started there: other flags' relative paths (-f, -e files, -o, --kubeconfig, --state-dir) are relative to it, absolute ones are taken as they are")
	pf.StringVarP(&g.app, "app", "a", "", "the app name (default: slipway.yaml's name, else the directory's)")
	pf.StringVarP(&g.env, "env", "e", "", "the environment: staging, production, … (cluster commands default to staging)")
	pf.StringVar(&g.kubeconfig, "kubeconfig", "", "path to the kubeconfig file, relative to the app directory unless absolute (default: $KUBECONFIG or ~/.kube/config)")
	pf.StringVar(&g.context, "context", "", "the kubeconfig context (default: the environment's, else the current one)")
	pf.BoolVar(&g.noColor, "no-color", false, "no colour in output (also NO_COLOR=1)")

	root.AddCommand(newInitCmd(g), newChartCmd(g), newVersionCmd(g), newSandboxCmd(g),
		newBuildCmd(g), newDeployCmd(g), newPromoteCmd(g), newReleasesCmd(g), newRollbackCmd(g),
		newScaleCmd(g), newPsCmd(g), newLogsCmd(g), newRunCmd(g), newExecCmd(g), colonAlias(g, "run:detached", newRunDetachedCmd), newAutoscaleCmd(g), newConfigCmd(g), newAppsCmd(g), newTUICmd(g), newServerCmd(g), newImportCmd(g),
		colonAlias(g, "config:set", newConfigSetCmd), colonAlias(g, "config:get", newConfigGetCmd),
		colonAlias(g, "config:unset", newConfigUnsetCmd), newLocalCmd(g), colonAlias(g, "local:run", newLocalRunCmd))
	root.AddCommand(newRemoteCmd(g))
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		g.kubeconfig = g.path(g.kubeconfig)
		return nil
	}
	strictCompletion(root)
	usageArgs(root)
	return root
}

// completionShells are the shells cobra writes completion scripts for.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// strictCompletion makes `completion` without a supported shell a usage error; cobra's
// own prints its help and exits 0 for any word it does not know.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error {
			supported := strings.Join(completionShells, ", ")
			if len(args) == 0 {
				return usageError{fmt.Errorf("%s needs a shell: %s", c.CommandPath(), supported)}
			}
			return usageError{fmt.Errorf("%s %s: unsupported shell; Slipway completes %s", c.CommandPath(), args[0], supported)}
		}
	}
}

// Main runs slipway with args and returns the exit code.
func Main(args []string, s *Streams) int {
	return MainContext(context.Background(), args, s)
}

// MainContext is Main with a context that interrupts the command.
func MainContext(ctx context.Context, args []string, s *Streams) int {
	root := newRoot(s)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var es exitStatus
	if errors.As(err, &es) {
		if es.err != nil {
			fmt.Fprintln(s.Err, "error:", es.err)
			printHint(s.Err, es.err)
		}
		return es.code
	}
	var ue usageError
	if cmd == root && !errors.As(err, &ue) {
		// The root command runs nothing itself: what it returns is about the command line
		// (cobra's unknown command).
		err = usageError{err}
	}
	fmt.Fprintln(s.Err, "error:", err)
	printHint(s.Err, err)
	if !errors.As(err, &ue) {
		return exitError
	}
	where := "slipway"
	if c, _, ferr := root.Find(args); ferr == nil && c != nil {
		where = c.CommandPath()
	}
	fmt.Fprintf(s.Err, "Run '%s --help' for usage.\n", where)
	return exitUsage
}

// hint returns the first non-empty hint in err's chain.
func hint(err error) string { return render.Hint(err) }

// withHint is an error with the fix a command words for it (a slipway command, a flag).
type withHint struct {
	err  error
	hint string
}

func (e *withHint) Error() string { return e.err.Error() }
func (e *withHint) Unwrap() error { return e.err }
func (e *withHint) Hint() string  { return e.hint }

// printHint prints err's hint, if it has one, under it.
func printHint(w io.Writer, err error) {
	if h := hint(err); h != "" {
		fmt.Fprintln(w, "  hint:", h)
	}
}

// exitStatus ends a command with a code of its own, that of a process it ran; err, if any,
// is printed first.
type exitStatus struct {
	code int
	err  error
}

func (e exitStatus) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

// usageArgs makes every argument check of the command tree under c return a usageError,
// cobra's own (cobra.NoArgs of the completion commands) included.
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(c *cobra.Command, args []string) error {
			err := check(c, args)
			var ue usageError
			if err != nil && !errors.As(err, &ue) {
				return usageError{err}
			}
			return err
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// argsBetween accepts min to max arguments (max < 0: no limit); otherwise a usage error
// saying what the command takes (want, e.g. "one KEY").
func argsBetween(min, max int, want string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < min || (max >= 0 && len(args) > max) {
			got := fmt.Sprintf("%d arguments", len(args))
			if len(args) == 1 {
				got = "1 argument"
			}
			return usageError{fmt.Errorf("%s takes %s, got %s", c.CommandPath(), want, got)}
		}
		return nil
	}
}

// noArgs is cobra.NoArgs with a usage error.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", c.CommandPath(), strings.Join(args, " "))}
	}
	return nil
}
