package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipwayhq/slipway/platform/gitpush"
	"github.com/slipwayhq/slipway/platform/pipeline"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
)

type serverOptions struct {
	listen, registry, tlsCert, tlsKey string
	createOnPush                      bool
	maxPush                           int64
	builds                            int
	pushWait, timeout, idle           time.Duration
}

func newServerCmd(g *globals) *cobra.Command {
	o := &serverOptions{}
	var data string
	c := &cobra.Command{
		Use:   "server",
		Short: "Receive git pushes and deploy them (git push slipway main)",
		Long: `Server serves git's smart HTTP protocol for one repository per app, at /APP.git, and
deploys what is pushed, as Heroku does: before a pushed branch moves, the commit is checked out
into a clean work tree, its image is built with the Docker Engine (DOCKER_HOST, as docker) and
pushed, and a release is made in the environment of the branch (main or master: staging; any
environment can name its own with environments.ENV.branch in slipway.yaml), with the cluster of
--kubeconfig and --context. The push shows every step as "remote:" lines. A failed build or
release refuses the push: the branch stays where it was and the environment keeps serving its
previous release.

Apps whose slipway.yaml names no image.repository (Heroku apps) are pushed to --registry, as
HOST[/PREFIX]/APP. One push per app runs at a time (the next waits, and says so); --builds
pushes build at once across apps.

Every request needs a token (slipway server tokens create) as the password of HTTP basic auth;
developers add the remote with 'slipway remote add URL'. Repositories, tokens (hashed) and work
trees live under --data.

Without --tls-cert and --tls-key the server speaks plain HTTP, which sends tokens in the clear:
keep it on loopback (the default) or put it behind a TLS-terminating proxy.`,
		Example: `  slipway server apps create shop
  slipway server tokens create laptop
  slipway server --registry localhost:5000
  slipway server --listen :8443 --tls-cert cert.pem --tls-key key.pem --registry registry.example.com/apps --create-on-push`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runServer(c.Context(), g, o, data) },
	}
	pf := c.PersistentFlags()
	pf.StringVar(&data, "data", "", "the directory of the repositories, tokens and work trees (default $XDG_DATA_HOME/slipway/server)")
	f := c.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8700", "the address to serve on")
	f.StringVar(&o.registry, "registry", "", "where the images of apps without image.repository go: HOST[/PREFIX]")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; with --tls-key)")
	f.StringVar(&o.tlsKey, "tls-key", "", "the certificate's private key (PEM)")
	f.BoolVar(&o.createOnPush, "create-on-push", false, "create an app's repository on its first push (by a token allowed that app)")
	f.Int64Var(&o.maxPush, "max-push-size", gitpush.DefaultMaxPush, "the largest push accepted, in bytes (git's receive.maxInputSize)")
	f.IntVar(&o.builds, "builds", gitpush.DefaultBuilds, "how many pushes build and deploy at once, across apps")
	f.DurationVar(&o.pushWait, "push-wait", gitpush.DefaultPushWait, "how long a push waits for another push of the same app before it is refused")
	f.DurationVar(&o.timeout, "timeout", release.DefaultTimeout, "how long a release command and rollout may take")
	f.DurationVar(&o.idle, "idle-timeout", gitpush.DefaultIdle, "how long a request may send and receive nothing before it is cut")
	c.AddCommand(newServerAppsCmd(g, &data), newServerTokensCmd(g, &data), newServerHookCmd(g))
	c.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		// cobra runs only the nearest persistent hook: the root's first.
		if err := c.Root().PersistentPreRunE(c, args); err != nil {
			return err
		}
		if data == "" {
			d, err := defaultServerData(g.streams.Getenv)
			if err != nil {
				return err
			}
			data = d
		}
		abs, err := filepath.Abs(g.path(data))
		if err != nil {
			return fmt.Errorf("--data: %w", err)
		}
		data = abs
		return nil
	}
	return c
}

// defaultServerData is $XDG_DATA_HOME/slipway/server, or ~/.local/share/slipway/server.
func defaultServerData(getenv func(string) string) (string, error) {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "slipway", "server"), nil
	}
	home := getenv("HOME")
	if home == "" {
		return "", usageError{errors.New("--data: no default without HOME or XDG_DATA_HOME; name the directory")}
	}
	return filepath.Join(home, ".local", "share", "slipway", "server"), nil
}

func (o *serverOptions) check() error {
	switch {
	case (o.tlsCert == "") != (o.tlsKey == ""):
		return usageError{errors.New("--tls-cert and --tls-key go together")}
	case o.builds < 1:
		return usageError{fmt.Errorf("--builds %d: at least 1", o.builds)}
	case o.maxPush < 1<<20:
		return usageError{fmt.Errorf("--max-push-size %d: at least 1 MiB (1048576)", o.maxPush)}
	case o.pushWait <= 0 || o.timeout <= 0 || o.idle <= 0:
		return usageError{errors.New("--push-wait, --timeout and --idle-timeout must be positive")}
	}
	if o.registry != "" {
		if strings.Contains(o.registry, "://") || strings.ContainsAny(o.registry, " @") || strings.HasPrefix(o.registry, "/") || strings.HasSuffix(o.registry, "/") {
			return usageError{fmt.Errorf("--registry %q: expected HOST[:PORT][/PREFIX], e.g. localhost:5000 or registry.example.com/apps", o.registry)}
		}
	}
	return nil
}

func runServer(ctx context.Context, g *globals, o *serverOptions, data string) error {
	if err := o.check(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the slipway binary for the git hook: %w", err)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	// What an earlier server left behind when it stopped mid-push.
	for _, d := range []string{"work", "tmp"} {
		if err := os.RemoveAll(filepath.Join(data, d)); err != nil {
			return fmt.Errorf("clean %s: %w", filepath.Join(data, d), err)
		}
	}
	hooks := filepath.Join(data, "hooks")
	if err := gitpush.WriteHook(hooks, []string{exe, "server", "hook"}); err != nil {
		return err
	}
	logger := log.New(g.streams.Err, "", log.LstdFlags)
	git := &gitpush.GitCLI{HooksDir: hooks, MaxInputSize: o.maxPush}
	g.cleansUp() // SIGINT or SIGTERM: pushes in progress restore their environment, then stop
	s := &gitpush.Server{
		Apps:   &gitpush.Apps{Dir: data, Git: git},
		Tokens: &gitpush.Tokens{File: gitpush.TokensFile(data)},
		Git:    git,
		Receiver: &gitpush.Deployer{Git: git, WorkDir: filepath.Join(data, "work"), Registry: o.registry,
			Kubeconfig: g.kubeconfig, Context: g.context, Timeout: o.timeout,
			Pipeline: func(p progress.Func) *pipeline.Pipeline {
				return &pipeline.Pipeline{Progress: p, Getenv: g.streams.Getenv}
			}},
		CreateOnPush: o.createOnPush,
		MaxPush:      o.maxPush + 1<<20, // the commands and framing around the pack
		PushWait:     o.pushWait,
		Builds:       o.builds,
		Idle:         o.idle,
		Context:      ctx,
		Log:          logger.Printf,
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: o.idle, MaxHeaderBytes: 64 << 10,
		ErrorLog: log.New(g.streams.Err, "http: ", log.LstdFlags)}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(g.streams.Err, "slipway server: git on %s://%s/APP.git (data %s)\n", scheme, ln.Addr(), data)
	if o.registry == "" {
		g.warn("no --registry: only apps whose slipway.yaml names an image.repository can be deployed")
	}
	if scheme == "http" && !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		g.warn("plain HTTP on a non-loopback address sends tokens in the clear: use --tls-cert and --tls-key or a TLS proxy")
	}
	served := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			served <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			served <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(g.streams.Err, "slipway server: stopping; pushes in progress are cancelled and restore their environment")
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	return nil
}

// newServerHookCmd is the pre-receive hook the server's git runs (hidden: only git runs it).
func newServerHookCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "hook",
		Short:  "The git pre-receive hook of slipway server (run by git)",
		Hidden: true,
		Args:   noArgs,
		RunE: func(*cobra.Command, []string) error {
			if code := gitpush.RunHook(g.streams.In, g.streams.Out, g.streams.Getenv); code != 0 {
				return exitStatus{code: code}
			}
			return nil
		},
	}
}
