package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Tokens of the tests: the form of real ones (slp_ and 52 characters of base32).
var (
	tokenShop = "slp_" + strings.Repeat("a2", 26)
	tokenBlog = "slp_" + strings.Repeat("b3", 26)
)

// remoteEnv gives the test a home and an XDG_CONFIG_HOME of its own (with a space and a
// quote, which the helper's command line in .git/config must survive), a global git config
// whose credential helper answers every request with a wrong password (Slipway's helper
// must shadow it), no system config, no prompts and no proxy. It returns the path the
// credentials file must have.
func remoteEnv(t *testing.T) string {
	t.Helper()
	xdg := filepath.Join(t.TempDir(), "it's config")
	global := filepath.Join(t.TempDir(), "gitconfig")
	mustWrite(t, global, "[credential]\n\thelper = \"!f() { echo username=slipway; echo password=from-global-helper; }; f\"\n", 0o644)
	for k, v := range map[string]string{
		"HOME": t.TempDir(), "XDG_CONFIG_HOME": xdg, "GIT_CONFIG_GLOBAL": global, "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": "", "SLIPWAY_TOKEN": "",
		"http_proxy": "", "HTTP_PROXY": "", "https_proxy": "", "HTTPS_PROXY": "", "all_proxy": "", "ALL_PROXY": "",
	} {
		t.Setenv(k, v)
	}
	return filepath.Join(xdg, "slipway", "git-credentials")
}

// newGitRepo is an empty git work tree.
func newGitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := gitOut(dir, "", "init", "-q"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// gitOut runs git in dir with the test's environment and returns its stdout.
func gitOut(dir, stdin string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), &gitError{args: args, msg: strings.TrimSpace(errb.String())}
	}
	return out.String(), nil
}

// credentialFill is the password `git credential fill` finds in repo for url, as git's
// HTTP transport asks for it.
func credentialFill(repo, url string) (string, error) {
	out, err := gitOut(repo, "url="+url+"\n\n", "credential", "fill")
	if err != nil {
		return "", err
	}
	for line := range strings.SplitSeq(out, "\n") {
		if p, ok := strings.CutPrefix(line, "password="); ok {
			return p, nil
		}
	}
	return "", nil
}

// slipwayWith runs slipway in process with stdin and the test's environment.
func slipwayWith(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	s := &Streams{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: os.Getenv}
	code = Main(args, s)
	return code, out.String(), errb.String()
}

// gitServer answers git's smart-HTTP ref advertisement with an empty repository once a
// request has basic auth, and records the password each repository path was sent.
type gitServer struct {
	*httptest.Server
	mu        sync.Mutex
	passwords map[string]string
}

func newGitServer(t *testing.T) *gitServer {
	s := &gitServer{passwords: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pass, ok := r.BasicAuth()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="slipway"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		s.passwords[strings.TrimSuffix(r.URL.Path, "/info/refs")] = pass
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		io.WriteString(w, "001e# service=git-upload-pack\n0000"+"0000")
	}))
	t.Cleanup(s.Close)
	return s
}

// sent is the password git sent for path.
func (s *gitServer) sent(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.passwords[path]
}

// checkCredentials checks that git, in repo, sends token to url's server for remote name
// (both as `git credential fill` finds it and on the wire), that the token is nowhere in
// .git/config, and that the credentials file and its directory are private.
func checkCredentials(t *testing.T, repo, file string, srv *gitServer, name, url, token string) {
	t.Helper()
	if got, err := gitOut(repo, "", "remote", "get-url", name); err != nil || strings.TrimSpace(got) != url {
		t.Errorf("remote %s: URL %q (%v), want %s", name, got, err, url)
	}
	if got, err := credentialFill(repo, url); err != nil || got != token {
		t.Errorf("git credential fill for %s: password %q (%v), want the token", url, got, err)
	}
	if _, err := gitOut(repo, "", "ls-remote", name); err != nil {
		t.Errorf("git ls-remote %s: %v", name, err)
	}
	path := strings.TrimPrefix(url, srv.URL)
	if got := srv.sent(path); got != token {
		t.Errorf("git ls-remote %s sent password %q for %s, want the token", name, got, path)
	}
	config, err := os.ReadFile(filepath.Join(repo, ".git", "config"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(config), token) {
		t.Errorf(".git/config holds the token:\n%s", config)
	}
	// git stored the credential again after the push (approve): it must have taken
	// Slipway's entry for its own and replaced it, not added a second one.
	store, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	entries := 0
	for line := range strings.SplitSeq(string(store), "\n") {
		if strings.HasSuffix(line, path) {
			entries++
		}
	}
	if entries != 1 {
		t.Errorf("%s holds %d entries for %s, want 1", file, entries, path)
	}
	for p, want := range map[string]os.FileMode{file: 0o600, filepath.Dir(file): 0o700} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v (%v), want mode %v", p, st.Mode().Perm(), err, want)
		}
	}
}

// TestRemoteAdd: the remote is added, and git finds the token in Slipway's credential
// store and sends it, whichever way the token came.
func TestRemoteAdd(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string // after "remote add"; {URL} is the server's URL
		stdin    string
		env      string // SLIPWAY_TOKEN
		remote   string
		path     string
		token    string
		tokenOut bool
	}{
		{name: "token on stdin", args: []string{"{URL}/shop.git", "--token-stdin"}, stdin: tokenShop + "\n", remote: "slipway", path: "/shop.git", token: tokenShop},
		{name: "token on stdin without a newline", args: []string{"{URL}/shop.git", "--token-stdin"}, stdin: tokenShop, remote: "slipway", path: "/shop.git", token: tokenShop},
		{name: "SLIPWAY_TOKEN, a NAME, no .git", args: []string{"production", "{URL}/shop"}, env: tokenShop, remote: "production", path: "/shop", token: tokenShop},
		{name: "stdin wins over SLIPWAY_TOKEN", args: []string{"{URL}/shop.git", "--token-stdin"}, stdin: tokenShop + "\n", env: tokenBlog, remote: "slipway", path: "/shop.git", token: tokenShop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := remoteEnv(t)
			t.Setenv("SLIPWAY_TOKEN", tc.env)
			srv := newGitServer(t)
			repo := newGitRepo(t)
			args := []string{"-C", repo, "remote", "add"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "{URL}", srv.URL))
			}
			code, out, errOut := slipwayWith(tc.stdin, args...)
			url := srv.URL + tc.path
			wantOut := "remote " + tc.remote + " → " + url + " (token stored in " + file + ", git credential store)\n"
			wantErr := "'git push " + tc.remote + " main' deploys to staging\n"
			if code != 0 || out != wantOut || errOut != wantErr {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0, %q, %q", code, out, errOut, wantOut, wantErr)
			}
			checkCredentials(t, repo, file, srv, tc.remote, url, tc.token)
		})
	}
}

// TestRemoteAddTwoApps: two apps on one server keep their own tokens (useHttpPath).
func TestRemoteAddTwoApps(t *testing.T) {
	file := remoteEnv(t)
	srv := newGitServer(t)
	repo := newGitRepo(t)
	apps := []struct{ remote, url, token string }{
		{"shop", srv.URL + "/shop.git", tokenShop},
		{"blog", srv.URL + "/blog.git", tokenBlog},
	}
	for _, a := range apps {
		if code, _, errOut := slipwayWith(a.token+"\n", "-C", repo, "remote", "add", a.remote, a.url, "--token-stdin"); code != 0 {
			t.Fatalf("remote add %s: exit %d: %s", a.remote, code, errOut)
		}
	}
	for _, a := range apps {
		checkCredentials(t, repo, file, srv, a.remote, a.url, a.token)
	}
}

// TestRemoteAddRefuses: a wrong URL, name or token is refused before anything changes,
// and a password given in the URL or as a token is never repeated.
func TestRemoteAddRefuses(t *testing.T) {
	bad := "slp_" + strings.Repeat("A", 52) // uppercase: not base32 as Slipway writes it
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		msg   string
	}{
		{"ftp scheme", []string{"ftp://deploy.example.com/shop.git"}, "", 2, "ftp://deploy.example.com/shop.git: the URL must start with https:// or http://"},
		{"no scheme", []string{"deploy.example.com/shop.git"}, "", 2, "the URL must start with https:// or http://"},
		{"two segments", []string{"https://deploy.example.com/apps/shop.git"}, "", 2, "the path must be one app name, /APP.git or /APP"},
		{"dot dot", []string{"https://deploy.example.com/../shop.git"}, "", 2, "the path must be one app name"},
		{"escaped dot dot", []string{"https://deploy.example.com/%2e%2e"}, "", 2, "the path must be one app name"},
		{"escaped slash", []string{"https://deploy.example.com/a%2Fb.git"}, "", 2, "the path must be one app name"},
		{"no path", []string{"https://deploy.example.com"}, "", 2, "the path must be one app name"},
		{"trailing slash", []string{"https://deploy.example.com/shop.git/"}, "", 2, "the path must be one app name"},
		{"user and password", []string{"https://slipway:hunter2@deploy.example.com/shop.git"}, "", 2, "carries a password: a token in the URL would be kept in clear in .git/config"},
		{"user name", []string{"https://me@deploy.example.com/shop.git"}, "", 2, "carries a user name"},
		{"invalid app name", []string{"https://deploy.example.com/Shop_1.git"}, "", 2, `app name "Shop_1" is not usable in Kubernetes`},
		{"query", []string{"https://deploy.example.com/shop.git?x=1"}, "", 2, "no query or fragment"},
		{"fragment", []string{"https://deploy.example.com/shop.git#main"}, "", 2, "no query or fragment"},
		{"no host", []string{"https:///shop.git"}, "", 2, "has no host"},
		{"bad port", []string{"https://deploy.example.com:99999/shop.git"}, "", 2, "port 99999 is not a port number"},
		{"invalid remote name", []string{"a..b", "https://deploy.example.com/shop.git"}, "", 2, `"a..b" is not a valid remote name`},
		{"three arguments", []string{"a", "b", "https://deploy.example.com/shop.git"}, "", 2, "takes [NAME] URL, got 3 arguments"},
		{"malformed token", []string{"https://deploy.example.com/shop.git", "--token-stdin"}, bad + "\n", 1, "the token from stdin is not a Slipway access token"},
		{"empty stdin", []string{"https://deploy.example.com/shop.git", "--token-stdin"}, "\n", 1, "stdin holds no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := remoteEnv(t)
			repo := newGitRepo(t)
			config := filepath.Join(repo, ".git", "config")
			before, err := os.ReadFile(config)
			if err != nil {
				t.Fatal(err)
			}
			code, out, errOut := slipwayWith(tc.stdin, append([]string{"-C", repo, "remote", "add"}, tc.args...)...)
			if code != tc.code || out != "" || !strings.Contains(errOut, tc.msg) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stderr with %q", code, out, errOut, tc.code, tc.msg)
			}
			for _, secret := range []string{"hunter2", bad} {
				if strings.Contains(errOut, secret) {
					t.Errorf("stderr repeats a secret: %q", errOut)
				}
			}
			if after, _ := os.ReadFile(config); !bytes.Equal(after, before) {
				t.Errorf(".git/config changed:\n%s", after)
			}
			if _, err := os.Lstat(filepath.Dir(file)); !os.IsNotExist(err) {
				t.Errorf("%s was created (%v)", filepath.Dir(file), err)
			}
		})
	}
}

// TestRemoteAddOutsideRepo: outside a git work tree nothing is done, and the hint says why.
func TestRemoteAddOutsideRepo(t *testing.T) {
	file := remoteEnv(t)
	dir := t.TempDir()
	code, out, errOut := slipwayWith(tokenShop+"\n", "-C", dir, "remote", "add", "https://deploy.example.com/shop.git", "--token-stdin")
	want := "error: remote add: " + dir + " is not in a git work tree: git rev-parse --show-toplevel: fatal: not a git repository"
	if code != 1 || out != "" || !strings.HasPrefix(errOut, want) || !strings.Contains(errOut, "hint: run 'git init' there") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1, stderr starting %q with a hint", code, out, errOut, want)
	}
	if _, err := os.Lstat(file); !os.IsNotExist(err) {
		t.Errorf("%s was written (%v)", file, err)
	}
}

// TestRemoteAddExisting: a remote with another URL is kept unless --force; with the same
// URL only the token is replaced.
func TestRemoteAddExisting(t *testing.T) {
	file := remoteEnv(t)
	srv := newGitServer(t)
	repo := newGitRepo(t)
	if _, err := gitOut(repo, "", "remote", "add", "slipway", "https://old.example.com/shop.git"); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/shop.git"
	for _, step := range []struct {
		name   string
		args   []string
		token  string
		code   int
		stdout string
		msg    string
		url    string
	}{
		{"another URL", []string{url, "--token-stdin"}, tokenShop, 1, "",
			"error: remote add: remote slipway already points to https://old.example.com/shop.git; --force points it at " + url, "https://old.example.com/shop.git"},
		{"another URL with --force", []string{url, "--token-stdin", "--force"}, tokenShop, 0,
			"remote slipway → " + url + " (was https://old.example.com/shop.git; token stored in " + file + ", git credential store)\n", "", url},
		{"same URL, a new token", []string{url, "--token-stdin"}, tokenBlog, 0,
			"remote slipway → " + url + " (token stored in " + file + ", git credential store)\n", "", url},
	} {
		code, out, errOut := slipwayWith(step.token+"\n", append([]string{"-C", repo, "remote", "add"}, step.args...)...)
		if code != step.code || out != step.stdout || !strings.Contains(errOut, step.msg) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr with %q", step.name, code, out, errOut, step.code, step.stdout, step.msg)
		}
		if got, err := gitOut(repo, "", "remote", "get-url", "slipway"); err != nil || strings.TrimSpace(got) != step.url {
			t.Errorf("%s: remote URL %q (%v), want %s", step.name, got, err, step.url)
		}
	}
	checkCredentials(t, repo, file, srv, "slipway", url, tokenBlog)
	if data, err := os.ReadFile(file); err != nil || strings.Contains(string(data), tokenShop) {
		t.Errorf("%s still holds the replaced token (%v)", file, err)
	}
}

// TestRemoteAddNoToken: without a token the remote is added with Slipway's helper and no
// credentials, and stderr says how the token gets there.
func TestRemoteAddNoToken(t *testing.T) {
	file := remoteEnv(t)
	repo := newGitRepo(t)
	url := "http://127.0.0.1:8080/shop.git"
	code, out, errOut := slipwayWith("", "-C", repo, "remote", "add", url)
	wantOut := "remote slipway → " + url + " (no token stored)\n"
	if code != 0 || out != wantOut || !strings.Contains(errOut, "no token given: git asks for it on the first push (user name slipway) and keeps it in "+file) ||
		!strings.Contains(errOut, "--token-stdin") || strings.Contains(errOut, "warning") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0, %q and a note", code, out, errOut, wantOut)
	}
	if got, err := gitOut(repo, "", "remote", "get-url", "slipway"); err != nil || strings.TrimSpace(got) != url {
		t.Errorf("remote URL %q (%v), want %s", got, err, url)
	}
	if got, err := credentialFill(repo, url); err == nil {
		t.Errorf("git credential fill found password %q; want none (and not the global helper's)", got)
	}
	if _, err := os.Lstat(file); !os.IsNotExist(err) {
		t.Errorf("%s was written (%v)", file, err)
	}
	helpers, err := gitOut(repo, "", "config", "--local", "--get-all", "credential."+url+".helper")
	if want := "\nstore --file=" + shellQuote(file) + "\n"; err != nil || helpers != want {
		t.Errorf("credential helpers %q (%v), want %q", helpers, err, want)
	}
}

// TestRemoteAddWarnings: plain http off this machine and a URL naming another app are
// allowed, with a warning each.
func TestRemoteAddWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		warnings  []string
	}{
		{"https, same app", "https://deploy.example.com/shop.git", nil},
		{"http on loopback", "http://localhost:8080/shop.git", nil},
		{"http on IPv6 loopback", "http://[::1]:8080/shop", nil},
		{"http elsewhere", "http://deploy.example.com/shop.git", []string{"http://deploy.example.com/shop.git is plain http: the token crosses the network in clear text"}},
		{"another app", "https://DEPLOY.example.com/blog.git", []string{"the app here is shop, but https://deploy.example.com/blog.git deploys the app blog"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remoteEnv(t)
			repo := newGitRepo(t)
			mustWrite(t, filepath.Join(repo, "Procfile"), "web: ./server\n", 0o644)
			mustWrite(t, filepath.Join(repo, "slipway.yaml"), "name: shop\n", 0o644)
			code, _, errOut := slipwayWith("", "-C", repo, "remote", "add", tc.url)
			if code != 0 || strings.Count(errOut, "warning:") != len(tc.warnings) {
				t.Errorf("exit %d, stderr %q; want 0 and %d warnings", code, errOut, len(tc.warnings))
			}
			for _, w := range tc.warnings {
				if !strings.Contains(errOut, "warning: "+w) {
					t.Errorf("stderr %q, want the warning %q", errOut, w)
				}
			}
		})
	}
}

// TestRemoteAddHelp: the help says which credential mechanism keeps the token, and where.
func TestRemoteAddHelp(t *testing.T) {
	file := remoteEnv(t)
	code, out, _ := slipwayWith("", "remote", "add", "--help")
	for _, want := range []string{"git credential-store", "$XDG_CONFIG_HOME/slipway/git-credentials", "(here " + file + ")", "never in .git/config"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d, help without %q:\n%s", code, want, out)
		}
	}
}
