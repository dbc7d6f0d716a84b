package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/gitpush"
)

// remoteUser is the user name a remote's credentials carry: the server reads only the
// password (the token).
const remoteUser = "slipway"

type remoteAddOptions struct {
	tokenStdin bool
	force      bool
}

func newRemoteCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "remote add",
		Short: "Add the git remote that deploys the app with git push",
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown remote command %q: use add", args[0])}
			}
			return usageError{errors.New("slipway remote needs a command: add")}
		},
	}
	c.AddCommand(newRemoteAddCmd(g))
	return c
}

func newRemoteAddCmd(g *globals) *cobra.Command {
	o := &remoteAddOptions{}
	file := "$XDG_CONFIG_HOME/slipway/git-credentials"
	if f, err := credentialsFile(g.streams.Getenv); err == nil {
		file += " (here " + f + ")"
	}
	c := &cobra.Command{
		Use:   "add [NAME] URL",
		Short: "Add a git remote for a Slipway server, with its access token",
		Long: `Add the git remote NAME (default slipway) of the repository in the app's directory,
pointing at a Slipway server: URL is http(s)://HOST[:PORT]/APP.git (or /APP), APP the app
the server deploys. 'git push NAME main' then builds and deploys to staging.

The access token (slp_…) comes from --token-stdin (one line on stdin), else from
$SLIPWAY_TOKEN, else from a prompt that does not echo when stdin is a terminal. Without
one the remote is added anyway, and git asks for the token on the first push.

The token is kept by git's own credential store (git credential-store) in a file of
Slipway's, never in .git/config and never in ~/.git-credentials:
  ` + file + `
(default ~/.config/slipway/git-credentials), mode 0600. The repository's .git/config gets,
for this URL only: credential.helper "store --file=…" (after an empty helper, so a
helper from your global config is not asked), credential.username slipway and
credential.useHttpPath true (two apps on one server keep their own tokens).

A NAME that exists with the same URL gets its token replaced; with another URL it is an
error unless --force, which points it at URL.`,
		Example: `  slipway remote add https://deploy.example.com/shop.git --token-stdin < token
  SLIPWAY_TOKEN=slp_… slipway remote add production https://deploy.example.com/shop.git
  git push slipway main`,
		Args: argsBetween(1, 2, "[NAME] URL"),
		RunE: func(c *cobra.Command, args []string) error { return runRemoteAdd(g, o, args) },
	}
	c.Flags().BoolVar(&o.tokenStdin, "token-stdin", false, "read the access token from the first line of stdin")
	c.Flags().BoolVarP(&o.force, "force", "f", false, "point an existing remote NAME with another URL at URL")
	return c
}

func runRemoteAdd(g *globals, o *remoteAddOptions, args []string) error {
	name, raw := "slipway", args[0]
	if len(args) == 2 {
		name, raw = args[0], args[1]
	}
	r, err := parseRemoteURL(raw)
	if err != nil {
		return usageError{fmt.Errorf("remote add: %w", err)}
	}
	top, err := git(g.dir, "", "rev-parse", "--show-toplevel")
	if err != nil {
		err = fmt.Errorf("remote add: %s is not in a git work tree: %w", g.dir, err)
		var ge *gitError
		if errors.As(err, &ge) {
			return &withHint{err, "run 'git init' there, or give the repository's directory with -C"}
		}
		return err
	}
	repo := strings.TrimSpace(top)
	if _, err := git(repo, "", "check-ref-format", "refs/remotes/"+name+"/main"); err != nil {
		return usageError{fmt.Errorf("remote add: %q is not a valid remote name", name)}
	}
	file, err := credentialsFile(g.streams.Getenv)
	if err != nil {
		return fmt.Errorf("remote add: %w", err)
	}
	old, exists, err := existingURL(repo, name)
	if err != nil {
		return fmt.Errorf("remote add: %w", err)
	}
	if exists && old != r.url && !o.force {
		return fmt.Errorf("remote add: remote %s already points to %s; --force points it at %s", name, old, r.url)
	}

	if a, err := app.Load(g.dir, app.Options{Name: g.app}); err == nil && a.Name != r.app {
		g.warn(fmt.Sprintf("the app here is %s, but %s deploys the app %s: the server names the app after the URL", a.Name, r.url, r.app))
	}
	if r.scheme == "http" && !loopback(r.hostname) {
		g.warn(fmt.Sprintf("%s is plain http: the token crosses the network in clear text; put the server behind TLS and use https", r.url))
	}
	token, err := readToken(g, o, r)
	if err != nil {
		return fmt.Errorf("remote add: %w", err)
	}

	// Everything is checked: from here on, change the repository and the credentials file.
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("remote add: create the credentials directory: %w", err)
	}
	switch {
	case !exists:
		_, err = git(repo, "", "remote", "add", "--", name, r.url)
	case old != r.url:
		_, err = git(repo, "", "remote", "set-url", "--", name, r.url)
	}
	if err != nil {
		return fmt.Errorf("remote add: %w", err)
	}
	section := "credential." + r.url + "."
	for _, set := range [][]string{
		// The empty helper first drops the helpers of the global and system config (a
		// keychain) for this URL, so that git asks only Slipway's store.
		{"--replace-all", section + "helper", ""},
		{"--add", section + "helper", "store --file=" + shellQuote(file)},
		{section + "username", remoteUser},
		{section + "useHttpPath", "true"},
	} {
		if _, err := git(repo, "", append([]string{"config", "--local"}, set...)...); err != nil {
			return fmt.Errorf("remote add: configure credentials: %w", err)
		}
	}
	if token != "" {
		// The token goes on stdin, never on a command line (ps would show it). The path is
		// the one git asks for with useHttpPath: the URL's, without its leading slash.
		in := fmt.Sprintf("protocol=%s\nhost=%s\npath=%s\nusername=%s\npassword=%s\n\n", r.scheme, r.host, strings.TrimPrefix(r.path, "/"), remoteUser, token)
		if _, err := git(repo, in, "credential-store", "--file="+file, "store"); err != nil {
			return fmt.Errorf("remote add: store the token: %w", err)
		}
		if err := os.Chmod(file, 0o600); err != nil {
			return fmt.Errorf("remote add: %w", err)
		}
	}

	what := "no token stored"
	if token != "" {
		what = "token stored in " + file + ", git credential store"
	}
	switch {
	case exists && old != r.url:
		what = "was " + old + "; " + what
	case exists && token == "":
		what = "already there; no token given"
	}
	fmt.Fprintf(g.streams.Out, "remote %s → %s (%s)\n", name, r.url, what)
	if token == "" && !exists {
		fmt.Fprintf(g.streams.Err, "no token given: git asks for it on the first push (user name %s) and keeps it in %s; or store it now with 'slipway remote add %s %s --token-stdin'\n", remoteUser, file, name, r.url)
	}
	fmt.Fprintf(g.streams.Err, "'git push %s main' deploys to staging\n", name)
	return nil
}

// pushURL is a checked Slipway remote URL.
type pushURL struct {
	url      string // canonical: scheme and host in lowercase
	scheme   string
	host     string // with the port, as git's credential protocol has it
	hostname string
	path     string // /APP.git or /APP
	app      string
}

// parseRemoteURL checks raw is http(s)://HOST[:PORT]/APP.git or /APP, with no user info,
// query or fragment. Messages show the URL with any password masked.
func parseRemoteURL(raw string) (pushURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the URL, password and all
		}
		return pushURL{}, fmt.Errorf("the URL does not parse: %w", err)
	}
	shown := u.Redacted()
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return pushURL{}, fmt.Errorf("%s carries a password: a token in the URL would be kept in clear in .git/config; give the URL without it, and the token with --token-stdin or $SLIPWAY_TOKEN", shown)
		}
		return pushURL{}, fmt.Errorf("%s carries a user name: give the URL without it (the remote's user name is %s)", shown, remoteUser)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return pushURL{}, fmt.Errorf("%s: the URL must start with https:// or http:// (git's smart HTTP), as in https://HOST/APP.git", shown)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return pushURL{}, fmt.Errorf("%s has no host: want %s://HOST[:PORT]/APP.git", shown, scheme)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return pushURL{}, fmt.Errorf("%s: port %s is not a port number (1 to 65535)", shown, p)
		}
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return pushURL{}, fmt.Errorf("%s: a remote URL has no query or fragment: want %s://%s/APP.git", shown, scheme, u.Host)
	}
	path := u.EscapedPath()
	name := strings.TrimSuffix(strings.TrimPrefix(path, "/"), ".git")
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(name, "/%") || name == "" {
		return pushURL{}, fmt.Errorf("%s: the path must be one app name, /APP.git or /APP, as in %s://%s/shop.git", shown, scheme, u.Host)
	}
	if err := app.CheckName(name); err != nil {
		return pushURL{}, fmt.Errorf("%s: %w", shown, err)
	}
	host := strings.ToLower(u.Host)
	return pushURL{url: scheme + "://" + host + path, scheme: scheme, host: host, hostname: strings.ToLower(u.Hostname()), path: path, app: name}, nil
}

// loopback tells whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// credentialsFile is Slipway's git credential store: $XDG_CONFIG_HOME/slipway/git-credentials,
// by default ~/.config/slipway/git-credentials.
func credentialsFile(getenv func(string) string) (string, error) {
	dir := getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) { // the XDG spec: a relative path is ignored
		home := getenv("HOME")
		if !filepath.IsAbs(home) {
			return "", errors.New("find the credentials file: neither XDG_CONFIG_HOME nor HOME is set to an absolute path")
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "slipway", "git-credentials"), nil
}

// readToken reads the access token from stdin (--token-stdin), $SLIPWAY_TOKEN or a prompt
// on a terminal; "" when none is given. The token never appears in an error.
func readToken(g *globals, o *remoteAddOptions, r pushURL) (string, error) {
	var token, from string
	switch {
	case o.tokenStdin:
		from = "stdin"
		if g.streams.In == nil {
			return "", errors.New("--token-stdin: no stdin")
		}
		line, err := bufio.NewReader(g.streams.In).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the token from stdin: %w", err)
		}
		if token = strings.TrimSpace(line); token == "" {
			return "", errors.New("--token-stdin: stdin holds no token")
		}
	case g.streams.Getenv("SLIPWAY_TOKEN") != "":
		from = "SLIPWAY_TOKEN"
		token = strings.TrimSpace(g.streams.Getenv("SLIPWAY_TOKEN"))
	default:
		in, ok := g.streams.In.(*os.File)
		if !ok || !term.IsTerminal(int(in.Fd())) {
			return "", nil
		}
		from = "the prompt"
		fmt.Fprintf(g.streams.Err, "access token for %s on %s (input hidden; Enter for none): ", r.app, r.host)
		b, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(g.streams.Err)
		if err != nil {
			return "", fmt.Errorf("read the token: %w", err)
		}
		if token = strings.TrimSpace(string(b)); token == "" {
			return "", nil
		}
	}
	if !gitpush.WellFormed(token) {
		return "", fmt.Errorf("the token from %s is not a Slipway access token (slp_ and 52 characters a-z, 2-7)", from)
	}
	return token, nil
}

// existingURL is the URL of remote name in repo, and whether it exists.
func existingURL(repo, name string) (string, bool, error) {
	out, err := git(repo, "", "remote", "get-url", "--", name)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 { // git: no such remote
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(out), true, nil
}

// git runs git in dir, with the process's environment and in on stdin, and returns its
// stdout; a failure carries what git said on stderr.
func git(dir, in string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Stdin = strings.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return "", fmt.Errorf("run git: %w", err)
		}
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", &gitError{args: args, msg: msg, err: ee}
	}
	return out.String(), nil
}

// gitError is a git command that failed.
type gitError struct {
	args []string
	msg  string
	err  *exec.ExitError
}

func (e *gitError) Error() string { return "git " + strings.Join(e.args, " ") + ": " + e.msg }
func (e *gitError) Unwrap() error { return e.err }
