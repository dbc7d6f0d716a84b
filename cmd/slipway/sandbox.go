package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/sandbox"
)

type sandboxOptions struct {
	dir      string
	nodes    int
	realNode bool
	keep     bool
	kill     bool
}

func newSandboxCmd(g *globals) *cobra.Command {
	o := &sandboxOptions{}
	c := &cobra.Command{
		Use:   "sandbox up|down|env|status|stop|start",
		Short: "Run a throwaway local Kubernetes cluster",
		Long: `Run a throwaway Kubernetes cluster on this machine, no cloud needed: the upstream
control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) on loopback,
and simulated nodes from kwok that run pods without running their containers.

The first 'sandbox up' builds the binaries from the upstream Go modules with the local go
toolchain (about 6 minutes on 2 cores) into slipway's cache ($SLIPWAY_CACHE, else the user
cache directory); later runs start in seconds.

With --real-node (root; apt-get install docker.io containernetworking-plugins) the sandbox
also runs a real node: a kubelet on a containerd of its own, kube-proxy, and an image
registry on localhost:5000 (or another free port) that pods pull from. Pods really run
there, with probes, logs, exec and Services; the simulated nodes are tainted
kwok.x-k8s.io/node=fake:NoSchedule so that workloads land on the real node.

'sandbox stop COMPONENT' and 'sandbox start COMPONENT' stop one control-plane component
(etcd, kube-apiserver, kube-controller-manager or kube-scheduler) and start it again with
the same ports and state, to see how a client copes with the API server going away;
'sandbox down' stops it too.`,
		Example: `  slipway sandbox up                 # start, then: eval "$(slipway sandbox env)"
  slipway sandbox up --real-node     # with a kubelet on containerd and a registry (root)
  slipway sandbox status
  slipway sandbox stop kube-apiserver    # the API server goes away…
  slipway sandbox start kube-apiserver   # …and comes back on the same port
  slipway sandbox down               # stop everything and remove the state`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown sandbox command %q: use up, down, env, status, stop or start", args[0])}
			}
			return usageError{errors.New("slipway sandbox needs a command: up, down, env, status, stop or start")}
		},
	}
	c.PersistentFlags().StringVar(&o.dir, "state-dir", "", "the sandbox's state directory, relative to the app directory (-C) unless absolute (default: <cache>/sandbox/state)")

	up := &cobra.Command{
		Use:   "up",
		Short: "Start the sandbox (building it the first time) and print its KUBECONFIG",
		Args:  noArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runSandboxUp(c.Context(), g, o) },
	}
	up.Flags().IntVar(&o.nodes, "nodes", 2, "how many simulated nodes to create")
	up.Flags().BoolVar(&o.realNode, "real-node", false, "also run a real node (kubelet on containerd, kube-proxy) and an image registry; needs root, docker.io and containernetworking-plugins")
	down := &cobra.Command{
		Use:   "down",
		Short: "Stop every process of the sandbox and remove its state",
		Args:  noArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runSandboxDown(g, o) },
	}
	down.Flags().BoolVar(&o.keep, "keep", false, "keep the state directory (logs, certificates, etcd data)")
	env := &cobra.Command{
		Use:   "env",
		Short: `Print "export KUBECONFIG=…" (and SLIPWAY_SANDBOX_REGISTRY=… with a real node) for eval "$(slipway sandbox env)"`,
		Args:  noArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runSandboxEnv(g, o) },
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "List the sandbox's components and whether each runs",
		Args:  noArgs,
		RunE:  func(c *cobra.Command, _ []string) error { return runSandboxStatus(g, o) },
	}
	components := strings.Join(sandbox.ControlPlane, ", ")
	stop := &cobra.Command{
		Use:   "stop COMPONENT",
		Short: "Stop one control-plane component, the rest of the sandbox running on",
		Long: `Stop one control-plane component of the running sandbox (SIGTERM, then SIGKILL after
5 seconds), leaving the others running. COMPONENT is one of:
  ` + components + `
'sandbox start COMPONENT' starts it again; 'sandbox status' shows it stopped. The API
server shuts down gracefully but keeps its clients' watches open until it is killed, 5
seconds later; with --kill it ends at once, as in a crash.`,
		Example: `  slipway sandbox stop kube-apiserver
  slipway sandbox stop --kill etcd`,
		Args: argsBetween(1, 1, "one COMPONENT"),
		RunE: func(c *cobra.Command, args []string) error { return runSandboxStop(g, o, args[0]) },
	}
	stop.Flags().BoolVar(&o.kill, "kill", false, "send SIGKILL at once, as a crash would, instead of SIGTERM and 5 seconds' grace")
	start := &cobra.Command{
		Use:   "start COMPONENT",
		Short: "Start a stopped control-plane component again and wait until it serves",
		Long: `Start a control-plane component of the sandbox that 'sandbox stop' stopped (or that died)
with the program, arguments and ports it had, and wait until it serves. COMPONENT is one of:
  ` + components + `
The API server needs etcd running; the controller manager and the scheduler need the API
server.`,
		Example: `  slipway sandbox start kube-apiserver`,
		Args:    argsBetween(1, 1, "one COMPONENT"),
		RunE:    func(c *cobra.Command, args []string) error { return runSandboxStart(c.Context(), g, o, args[0]) },
	}
	c.AddCommand(up, down, env, status, stop, start)
	return c
}

// sandboxFor resolves the cache and state directories.
func sandboxFor(g *globals, o *sandboxOptions) (*sandbox.Sandbox, *sandbox.Build, error) {
	cache, err := sandbox.DefaultCacheDir(g.streams.Getenv)
	if err != nil {
		return nil, nil, err
	}
	dir := g.path(o.dir)
	if dir == "" {
		dir = filepath.Join(cache, "sandbox", "state")
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, nil, err
	}
	b := &sandbox.Build{CacheDir: cache, RealNode: o.realNode, Progress: g.streams.Err}
	s := &sandbox.Sandbox{Dir: dir, Binaries: b.Binaries(), Nodes: o.nodes, RealNode: o.realNode, Progress: g.streams.Err}
	return s, b, nil
}

func runSandboxUp(ctx context.Context, g *globals, o *sandboxOptions) error {
	if o.nodes < 1 {
		return usageError{fmt.Errorf("--nodes %d: at least one node is needed", o.nodes)}
	}
	g.cleansUp() // an interrupted start stops what it started

	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, b, err := sandboxFor(g, o)
	if err != nil {
		return err
	}
	if o.realNode {
		// Before a build of minutes: say now what this machine lacks.
		if err := sandbox.CheckRealNode(); err != nil {
			return fmt.Errorf("sandbox up --real-node: %w", err)
		}
	}
	if _, err := b.Run(ctx); err != nil {
		return err
	}
	res, err := s.Up(ctx)
	if err != nil {
		return sandboxHint(fmt.Errorf("sandbox up: %w", err))
	}
	if res.AlreadyRunning {
		fmt.Fprintf(g.streams.Err, "the sandbox is already running (%s)\n", res.Server)
	}
	fmt.Fprintf(g.streams.Out, "export KUBECONFIG=%s\n", shellQuote(res.Kubeconfig))
	if res.Registry != "" {
		fmt.Fprintf(g.streams.Out, "export %s=%s\n", registryEnv, shellQuote(res.Registry))
	}
	return nil
}

// sandboxHint adds to an error of Up the command that fixes it, when there is one.
func sandboxHint(err error) error {
	var taken *sandbox.RealNodeTakenError
	switch {
	case errors.As(err, &taken) && taken.Owner != "":
		return &withHint{err, fmt.Sprintf("stop it with 'slipway sandbox down --state-dir %s'", shellQuote(taken.Owner))}
	case errors.As(err, &taken):
		return &withHint{err, fmt.Sprintf("stop that sandbox first, or delete the bridge with 'ip link del %s'", taken.Bridge)}
	case errors.Is(err, sandbox.ErrRunsWithoutRealNode):
		return &withHint{err, "run 'slipway sandbox down' first, then 'slipway sandbox up --real-node'"}
	case errors.Is(err, sandbox.ErrPartlyRunning):
		return &withHint{err, "run 'slipway sandbox down' first"}
	}
	return err
}

// registryEnv names the real node's registry in 'sandbox up' and 'sandbox env' output.
const registryEnv = "SLIPWAY_SANDBOX_REGISTRY"

func runSandboxDown(g *globals, o *sandboxOptions) error {
	g.cleansUp() // a stop is not left half done by one Ctrl-C
	s, _, err := sandboxFor(g, o)
	if err != nil {
		return err
	}
	stopped, err := s.Down(o.keep)
	if err != nil {
		return fmt.Errorf("sandbox down: %w", err)
	}
	if len(stopped) == 0 {
		fmt.Fprintln(g.streams.Err, "no sandbox was running")
	} else {
		fmt.Fprintf(g.streams.Err, "sandbox stopped\n")
	}
	return nil
}

// componentError makes a name outside the control plane a usage error, and adds the
// command that starts a sandbox when there is none.
func componentError(verb string, err error) error {
	var nc *sandbox.NotControlPlaneError
	switch {
	case errors.As(err, &nc):
		return usageError{fmt.Errorf("sandbox %s: %w", verb, err)}
	case errors.Is(err, sandbox.ErrNoSandbox):
		return &withHint{fmt.Errorf("sandbox %s: %w", verb, err), "start one with 'slipway sandbox up'"}
	}
	return sandboxHint(fmt.Errorf("sandbox %s: %w", verb, err))
}

func runSandboxStop(g *globals, o *sandboxOptions, component string) error {
	g.cleansUp() // a stop is not left half done by one Ctrl-C
	s, _, err := sandboxFor(g, o)
	if err != nil {
		return err
	}
	stop, done := s.Stop, "stopped"
	if o.kill {
		stop, done = s.Kill, "killed"
	}
	stopped, err := stop(component)
	if err != nil {
		return componentError("stop", err)
	}
	if stopped {
		fmt.Fprintf(g.streams.Err, "%s %s\n", component, done)
	} else {
		fmt.Fprintf(g.streams.Err, "%s was not running\n", component)
	}
	return nil
}

func runSandboxStart(ctx context.Context, g *globals, o *sandboxOptions, component string) error {
	g.cleansUp() // an interrupted start stops what it started
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, _, err := sandboxFor(g, o)
	if err != nil {
		return err
	}
	started, err := s.Start(ctx, component)
	if err != nil {
		return componentError("start", err)
	}
	if started {
		fmt.Fprintf(g.streams.Err, "%s started\n", component)
	} else {
		fmt.Fprintf(g.streams.Err, "%s was already running\n", component)
	}
	return nil
}

func runSandboxEnv(g *globals, o *sandboxOptions) error {
	s, _, err := sandboxFor(g, o)
	if err != nil {
		return err
	}
	if _, err := os.Stat(s.Kubeconfig()); err != nil {
		return fmt.Errorf("no sandbox kubeconfig at %s: start the sandbox with 'slipway sandbox up'", s.Kubeconfig())
	}
	fmt.Fprintf(g.streams.Out, "export KUBECONFIG=%s\n", shellQuote(s.Kubeconfig()))
	registry, err := s.Registry()
	if err != nil {
		return err
	}
	if registry != "" {
		fmt.Fprintf(g.streams.Out, "export %s=%s\n", registryEnv, shellQuote(registry))
	}
	return nil
}

func runSandboxStatus(g *globals, o *sandboxOptions) error {
	s, _, err := sandboxFor(g, o)
	if err != nil {
		return err
	}
	comps, err := s.Status()
	if err != nil {
		return err
	}
	if len(comps) == 0 {
		fmt.Fprintf(g.streams.Out, "no sandbox in %s (start one with 'slipway sandbox up')\n", s.Dir)
		return nil
	}
	w := tabwriter.NewWriter(g.streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "COMPONENT\tSTATUS\tPID\tLOG")
	for _, c := range comps {
		st, pid := "stopped", "-"
		if c.Running {
			st = "running"
		}
		if c.PID > 0 {
			pid = fmt.Sprint(c.PID)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Name, st, pid, c.Log)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	registry, err := s.Registry()
	if err != nil {
		return err
	}
	if registry != "" {
		fmt.Fprintf(g.streams.Out, "\nregistry: %s (node %s pulls from it)\n", registry, sandbox.RealNodeName)
	}
	return nil
}

// shellQuote quotes p for a POSIX shell when it needs it.
func shellQuote(p string) string {
	for _, r := range p {
		if !(r == '/' || r == '.' || r == '-' || r == '_' || r == '+' || r == ':' || r == ',' || r == '@' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
	}
	return p
}
