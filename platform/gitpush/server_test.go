package gitpush

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// The test binary is the pre-receive hook too, as the slipway binary is for slipway server.
func TestMain(m *testing.M) {
	if os.Getenv("SLIPWAY_GITPUSH_TEST_HOOK") == "1" {
		os.Exit(RunHook(os.Stdin, os.Stdout, os.Getenv))
	}
	os.Exit(m.Run())
}

// fakeReceiver records pushes and answers as told.
type fakeReceiver struct {
	mu     sync.Mutex
	pushes []*Push
	files  []string // the Procfile of each push's checkout
	// gate, when set, is waited on after the first line.
	gate chan struct{}
	fail error
}

func (f *fakeReceiver) Receive(ctx context.Context, p *Push, out io.Writer) error {
	fmt.Fprintf(out, "receiving %s\n", describe(p.Updates))
	work, err := os.MkdirTemp("", "checkout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := (&GitCLI{}).Checkout(ctx, p.Repo, p.Env, p.Updates[0].New, filepath.Join(work, "w")); err != nil {
		fmt.Fprintf(out, "error: %v\n", err)
		return err
	}
	b, _ := os.ReadFile(filepath.Join(work, "w", "Procfile"))
	f.mu.Lock()
	f.pushes = append(f.pushes, p)
	f.files = append(f.files, string(b))
	gate, fail := f.gate, f.fail
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if fail != nil {
		fmt.Fprintf(out, "error: %v\n", fail)
		return fail
	}
	fmt.Fprintln(out, "deployed")
	return nil
}

type testServer struct {
	*Server
	url, data, secret string
	recv              *fakeReceiver
}

func newTestServer(t *testing.T, recv *fakeReceiver) *testServer {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		e2e.Missing(t, "git is not installed (apt-get install git)")
	}
	data := t.TempDir()
	hooks := filepath.Join(data, "hooks")
	if err := WriteHook(hooks, []string{os.Args[0]}); err != nil {
		t.Fatal(err)
	}
	git := &GitCLI{HooksDir: hooks, Env: append(os.Environ(), "SLIPWAY_GITPUSH_TEST_HOOK=1")}
	s := &Server{Apps: &Apps{Dir: data, Git: git}, Tokens: &Tokens{File: filepath.Join(data, "tokens.json")}, Git: git, Receiver: recv,
		PushWait: time.Minute, Log: t.Logf}
	if err := s.Apps.Create(t.Context(), "shop"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := s.Tokens.Create("all", nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &testServer{Server: s, url: hs.URL, data: data, secret: secret, recv: recv}
}

// repoURL is the app's URL with the token in it (tests only: slipway remote add keeps it
// out of the URL).
func (ts *testServer) repoURL(app, secret string) string {
	return strings.Replace(ts.url, "http://", "http://slipway:"+secret+"@", 1) + "/" + app + ".git"
}

// git runs the real git client in dir, without the machine's configuration.
func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "SLIPWAY_GITPUSH_TEST_HOOK=")
	return cmd
}

func gitOut(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	out, err := gitCmd(dir, args...).CombinedOutput()
	return string(out), err
}

func mustGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := gitOut(t, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// workTree makes a repository with a Procfile saying web: v and returns it and its commit.
func workTree(t *testing.T, v string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	mustGit(t, dir, "init", "-q")
	commit(t, dir, v)
	return dir, mustGit(t, dir, "rev-parse", "HEAD")
}

func commit(t *testing.T, dir, v string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: "+v+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, dir, "add", ".")
	mustGit(t, dir, "commit", "-qm", v)
	return mustGit(t, dir, "rev-parse", "HEAD")
}

func serverRef(t *testing.T, ts *testServer, app, ref string) string {
	t.Helper()
	out, err := exec.Command("git", "--git-dir", filepath.Join(ts.data, "apps", app+".git"), "rev-parse", "--verify", "-q", ref).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func TestPush(t *testing.T) {
	ts := newTestServer(t, &fakeReceiver{})
	dir, c1 := workTree(t, "one")
	out := mustGit(t, dir, "push", ts.repoURL("shop", ts.secret), "main")
	for _, want := range []string{"remote: receiving main " + c1[:7], "remote: deployed", "* [new branch]      main -> main"} {
		if !strings.Contains(out, want) {
			t.Errorf("push output lacks %q:\n%s", want, out)
		}
	}
	if got := serverRef(t, ts, "shop", "refs/heads/main"); got != c1 {
		t.Errorf("main on the server = %q, want %s", got, c1)
	}
	if got := ts.recv.files[0]; got != "web: one\n" {
		t.Errorf("the checkout's Procfile = %q", got)
	}

	// A refused push: the reason in remote: lines, the ref where it was.
	ts.recv.fail = errors.New("the build failed at step 3")
	c2 := commit(t, dir, "two")
	out, err := gitOut(t, dir, "push", ts.repoURL("shop", ts.secret), "HEAD:main")
	if err == nil || !strings.Contains(out, "remote: error: the build failed at step 3") || !strings.Contains(out, "[remote rejected] HEAD -> main (pre-receive hook declined)") {
		t.Errorf("a refused push should fail with the reason (%v):\n%s", err, out)
	}
	if got := serverRef(t, ts, "shop", "refs/heads/main"); got != c1 {
		t.Errorf("after a refused push main = %q, want %s (not %s)", got, c1, c2)
	}

	// A force push of another history.
	ts.recv.fail = nil
	other, c3 := workTree(t, "three")
	out = mustGit(t, other, "push", "--force", ts.repoURL("shop", ts.secret), "main")
	if !strings.Contains(out, "+ "+c1[:7]) || serverRef(t, ts, "shop", "refs/heads/main") != c3 {
		t.Errorf("a force push should move main to %s:\n%s", c3, out)
	}

	// A clone gets what was pushed.
	clone := filepath.Join(t.TempDir(), "clone")
	mustGit(t, t.TempDir(), "clone", "-q", ts.repoURL("shop", ts.secret), clone)
	if got := mustGit(t, clone, "rev-parse", "HEAD"); got != c3 {
		t.Errorf("the clone is at %s, want %s", got, c3)
	}
}

func TestPushStreamsProgress(t *testing.T) {
	gate := make(chan struct{})
	ts := newTestServer(t, &fakeReceiver{gate: gate})
	dir, _ := workTree(t, "one")
	cmd := gitCmd(dir, "push", "--progress", ts.repoURL("shop", ts.secret), "main")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The receiver waits on the gate after its first line: that line must reach the client
	// while it waits, or the handler buffers.
	seen := make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(stderr)
		sc.Split(scanCRLF)
		sent := false
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if !sent && strings.Contains(sc.Text(), "remote: receiving main") {
				seen <- all.String()
				sent = true
			}
		}
		if !sent {
			seen <- ""
		}
	}()
	select {
	case s := <-seen:
		if s == "" {
			t.Error("the push ended without the receiver's first line")
		}
	case <-time.After(30 * time.Second):
		t.Error("the receiver's first line did not reach the client while the receiver worked: the response is buffered")
	}
	close(gate)
	if err := cmd.Wait(); err != nil {
		t.Errorf("push: %v", err)
	}
}

// scanCRLF splits on \n and \r: git rewrites progress lines in place with \r.
func scanCRLF(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\n' || b == '\r' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

func TestAccess(t *testing.T) {
	ts := newTestServer(t, &fakeReceiver{})
	if err := ts.Apps.Create(t.Context(), "other"); err != nil {
		t.Fatal(err)
	}
	limited, _, err := ts.Tokens.Create("limited", []string{"other"})
	if err != nil {
		t.Fatal(err)
	}
	revoked, _, err := ts.Tokens.Create("revoked", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Tokens.Revoke("revoked"); err != nil {
		t.Fatal(err)
	}
	get := func(path, secret string) *http.Response {
		req, _ := http.NewRequest("GET", ts.url+path, nil)
		if secret != "" {
			req.SetBasicAuth("slipway", secret)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	for _, c := range []struct {
		name, path, secret string
		want               int
	}{
		{"no token, push", "/shop.git/info/refs?service=git-receive-pack", "", 401},
		{"no token, clone", "/shop.git/info/refs?service=git-upload-pack", "", 401},
		{"wrong token", "/shop.git/info/refs?service=git-receive-pack", "slp_nope", 401},
		{"revoked token", "/shop.git/info/refs?service=git-receive-pack", revoked, 401},
		{"token for another app", "/shop.git/info/refs?service=git-receive-pack", limited, 403},
		{"token for another app, app missing", "/nosuch.git/info/refs?service=git-receive-pack", limited, 403},
		{"the limited token's app", "/other.git/info/refs?service=git-receive-pack", limited, 200},
		{"without .git", "/shop/info/refs?service=git-upload-pack", ts.secret, 200},
		{"no such app", "/nosuch.git/info/refs?service=git-receive-pack", ts.secret, 404},
		{"dumb protocol", "/shop.git/info/refs", ts.secret, 403},
		{"unknown service", "/shop.git/info/refs?service=git-upload-archive", ts.secret, 403},
		{"two services", "/shop.git/info/refs?service=git-upload-pack&service=git-receive-pack", ts.secret, 403},
		{"dot dot", "/../shop.git/info/refs?service=git-upload-pack", ts.secret, 404},
		{"encoded dots", "/%2e%2e/shop.git/info/refs?service=git-upload-pack", ts.secret, 404},
		{"encoded slash", "/x%2f..%2fshop.git/info/refs?service=git-upload-pack", ts.secret, 404},
		{"two segments", "/a/shop.git/info/refs?service=git-upload-pack", ts.secret, 404},
		{"upper case", "/Shop.git/info/refs?service=git-upload-pack", ts.secret, 404},
		{"a file of the repository", "/shop.git/HEAD", ts.secret, 404},
		{"objects", "/shop.git/objects/info/packs", ts.secret, 404},
		{"POST as GET", "/shop.git/git-receive-pack", ts.secret, 405},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := get(c.path, c.secret)
			if res.StatusCode != c.want {
				t.Errorf("GET %s = %d, want %d", c.path, res.StatusCode, c.want)
			}
			if c.want == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("a 401 without a Basic challenge: %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}

	// A real git client without a token, and with a revoked one: refused, nothing pushed.
	dir, _ := workTree(t, "one")
	for _, url := range []string{ts.url + "/shop.git", ts.repoURL("shop", revoked), ts.repoURL("shop", limited)} {
		out, err := gitOut(t, dir, "push", url, "main")
		if err == nil {
			t.Errorf("push to %s succeeded:\n%s", url, out)
		}
	}
	if _, err := gitOut(t, t.TempDir(), "clone", ts.url+"/shop.git", "c"); err == nil {
		t.Error("a clone without a token succeeded")
	}
	if ref := serverRef(t, ts, "shop", "refs/heads/main"); ref != "" {
		t.Errorf("main exists after refused pushes: %s", ref)
	}
	// Nothing outside the data directory's apps.
	entries, _ := os.ReadDir(filepath.Join(ts.data, "apps"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "other.git shop.git" {
		t.Errorf("apps/ holds %v, want other.git and shop.git", names)
	}
}

func TestCreateOnPush(t *testing.T) {
	ts := newTestServer(t, &fakeReceiver{})
	dir, c1 := workTree(t, "one")
	if out, err := gitOut(t, dir, "push", ts.repoURL("fresh", ts.secret), "main"); err == nil {
		t.Fatalf("a push to a missing app succeeded without --create-on-push:\n%s", out)
	}
	ts.CreateOnPush = true
	mustGit(t, dir, "push", ts.repoURL("fresh", ts.secret), "main")
	if got := serverRef(t, ts, "fresh", "refs/heads/main"); got != c1 {
		t.Errorf("fresh's main = %q, want %s", got, c1)
	}
	limited, _, _ := ts.Tokens.Create("limited", []string{"mine"})
	if out, err := gitOut(t, dir, "push", ts.repoURL("notmine", limited), "main"); err == nil {
		t.Errorf("a limited token created another app:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(ts.data, "apps", "notmine.git")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("notmine.git exists: %v", err)
	}
}

// Two pushes at once to one app: the second waits, says so, and lands on top of the first.
func TestConcurrentPushes(t *testing.T) {
	gate := make(chan struct{})
	ts := newTestServer(t, &fakeReceiver{gate: gate})
	a, base := workTree(t, "base")
	ts.recv.gate = nil
	mustGit(t, a, "push", ts.repoURL("shop", ts.secret), "main")
	ts.recv.gate = gate

	b := filepath.Join(t.TempDir(), "b")
	mustGit(t, t.TempDir(), "clone", "-q", ts.repoURL("shop", ts.secret), b)
	first := commit(t, a, "first")
	mustGit(t, b, "pull", "-q", a, "main") // b builds on first: a fast-forward of it
	second := commit(t, b, "second")

	type result struct {
		out string
		err error
	}
	done1, done2 := make(chan result, 1), make(chan result, 1)
	go func() {
		out, err := gitOut(t, a, "push", ts.repoURL("shop", ts.secret), "main")
		done1 <- result{out, err}
	}()
	waitFor(t, "the first push to reach the receiver", func() bool { ts.recv.mu.Lock(); defer ts.recv.mu.Unlock(); return len(ts.recv.pushes) == 2 })
	go func() {
		out, err := gitOut(t, b, "push", ts.repoURL("shop", ts.secret), "main")
		done2 <- result{out, err}
	}()
	time.Sleep(time.Second) // the second push waits on the first
	close(gate)
	r1, r2 := <-done1, <-done2
	if r1.err != nil || r2.err != nil {
		t.Fatalf("both pushes should succeed:\nfirst (%v):\n%s\nsecond (%v):\n%s", r1.err, r1.out, r2.err, r2.out)
	}
	if !strings.Contains(r2.out, "remote: waiting for the push in progress to shop (main "+first[:7]) {
		t.Errorf("the second push should say it waits:\n%s", r2.out)
	}
	if got := serverRef(t, ts, "shop", "refs/heads/main"); got != second {
		t.Errorf("main = %s, want the second push's %s", got, second)
	}
	p := ts.recv.pushes[2]
	if p.Updates[0].Old != first || p.Updates[0].New != second {
		t.Errorf("the second push's update = %+v, want %s..%s (rebased on the first, not on %s)", p.Updates[0], first, second, base)
	}

	// A push that does not contain what landed while it waited is refused.
	c := filepath.Join(t.TempDir(), "c")
	mustGit(t, t.TempDir(), "clone", "-q", ts.repoURL("shop", ts.secret), c)
	ts.recv.gate = make(chan struct{})
	mustGit(t, a, "pull", "-q", "--ff-only", b, "main")
	commit(t, a, "third")
	go func() {
		out, err := gitOut(t, a, "push", ts.repoURL("shop", ts.secret), "main")
		done1 <- result{out, err}
	}()
	waitFor(t, "the third push to reach the receiver", func() bool { ts.recv.mu.Lock(); defer ts.recv.mu.Unlock(); return len(ts.recv.pushes) == 4 })
	commit(t, c, "diverged")
	go func() {
		out, err := gitOut(t, c, "push", "--force", ts.repoURL("shop", ts.secret), "main")
		done2 <- result{out, err}
	}()
	time.Sleep(time.Second)
	close(ts.recv.gate)
	r1, r2 = <-done1, <-done2
	if r1.err != nil {
		t.Errorf("the third push: %v\n%s", r1.err, r1.out)
	}
	if r2.err == nil || !strings.Contains(r2.out, "while this push waited (another push), and") {
		t.Errorf("a push that would drop another's commit should be refused (%v):\n%s", r2.err, r2.out)
	}
}

// A client that goes away mid-push: the receiver finishes, the ref moves, the app's lock is
// free for the next push.
func TestClientGoneMidPush(t *testing.T) {
	gate := make(chan struct{})
	ts := newTestServer(t, &fakeReceiver{gate: gate})
	dir, c1 := workTree(t, "one")
	cmd := gitCmd(dir, "push", ts.repoURL("shop", ts.secret), "main")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the push to reach the receiver", func() bool { ts.recv.mu.Lock(); defer ts.recv.mu.Unlock(); return len(ts.recv.pushes) == 1 })
	// git push runs git-remote-http, which holds the connection: kill them all.
	killTree(cmd.Process.Pid)
	_ = cmd.Wait()
	close(gate)
	waitFor(t, "the abandoned push to land", func() bool { return serverRef(t, ts, "shop", "refs/heads/main") == c1 })
	ts.recv.gate = nil
	c2 := commit(t, dir, "two")
	mustGit(t, dir, "push", ts.repoURL("shop", ts.secret), "main")
	if got := serverRef(t, ts, "shop", "refs/heads/main"); got != c2 {
		t.Errorf("the next push: main = %s, want %s", got, c2)
	}
}

// killTree kills pid and its descendants.
func killTree(pid int) {
	out, _ := exec.Command("pgrep", "-P", fmt.Sprint(pid)).Output()
	for _, f := range strings.Fields(string(out)) {
		var child int
		fmt.Sscan(f, &child)
		killTree(child)
	}
	p, err := os.FindProcess(pid)
	if err == nil {
		_ = p.Kill()
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Pushes of different apps build at once up to Builds; one more waits for a slot, and says so.
func TestBuildSlots(t *testing.T) {
	gate := make(chan struct{})
	ts := newTestServer(t, &fakeReceiver{gate: gate})
	ts.Builds = 1
	if err := ts.Apps.Create(t.Context(), "other"); err != nil {
		t.Fatal(err)
	}
	a, _ := workTree(t, "a")
	b, _ := workTree(t, "b")
	type result struct {
		out string
		err error
	}
	first, second := make(chan result, 1), make(chan result, 1)
	go func() {
		out, err := gitOut(t, a, "push", ts.repoURL("shop", ts.secret), "main")
		first <- result{out, err}
	}()
	waitFor(t, "the first push to reach the receiver", func() bool { ts.recv.mu.Lock(); defer ts.recv.mu.Unlock(); return len(ts.recv.pushes) == 1 })
	go func() {
		out, err := gitOut(t, b, "push", ts.repoURL("other", ts.secret), "main")
		second <- result{out, err}
	}()
	time.Sleep(time.Second)
	ts.recv.mu.Lock()
	n := len(ts.recv.pushes)
	ts.recv.mu.Unlock()
	if n != 1 {
		t.Errorf("with one build slot, %d pushes reached the receiver at once", n)
	}
	close(gate)
	r1, r2 := <-first, <-second
	if r1.err != nil || r2.err != nil {
		t.Fatalf("both pushes should succeed:\n%v\n%s\n%v\n%s", r1.err, r1.out, r2.err, r2.out)
	}
	if !strings.Contains(r2.out, "remote: waiting for a build slot: this server builds 1 push(es) at a time") {
		t.Errorf("the second push should say it waits for a slot:\n%s", r2.out)
	}
}
