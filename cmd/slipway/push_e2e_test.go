package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// TestPushToDeployOnRealNode: `git push slipway main` through the real binaries — the real
// `slipway server` as a process of its own, the real git client with credentials that
// `slipway remote add` stored, a real Docker Engine, the sandbox's registry and real node.
// A push builds and deploys the Go sample; a second one rolls a change out; an unchanged
// commit deploys nothing; a broken build, a failing release command and an unmapped branch
// are refused with their reasons and leave the branch and the running version as they were;
// two pushes at once deploy one after the other; a client killed mid-push leaves no lock;
// pushes without a valid token are refused; and two real Heroku apps are pushed unchanged.
// The subtests share one server, one app and one real node (there is one per machine), and
// run in order: each starts from what the one before left.
func TestPushToDeployOnRealNode(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	host := e2e.DockerEngine(t)
	e2e.BaseImages(t, host, "golang:1.26-bookworm", "debian:bookworm-slim", "node:22-bookworm-slim")
	kubeconfig, registry := e2e.RealNodeSandbox(t)
	c := clusterAt(t, kubeconfig)
	srv := startPushServer(t, host, kubeconfig, registry)
	g := newGitClient(t)
	http5 := &http.Client{Timeout: 5 * time.Second}

	const app, ns = "pushed", "pushed-staging"
	srv.admin(t, "apps", "create", app)
	token := strings.TrimSpace(srv.admin(t, "tokens", "create", "laptop"))
	url := srv.url + "/" + app + ".git"

	// The Go sample with no image repository (the server's --registry is used) and the web at
	// the smallest size: the whole app on the one 2-core node.
	dir := copyDir(t, filepath.Join(e2e.ModuleRoot(t), "samples", "go"))
	manifest := filepath.Join(dir, "slipway.yaml")
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "sample-go", app)
	s = strings.Replace(s, "image:\n  repository: localhost:5000/"+app+"\n", "", 1)
	s = strings.Replace(s, "processes:\n", "processes:\n  web:\n    size: basic\n", 1)
	if strings.Contains(s, "repository:") || !strings.Contains(s, "size: basic") {
		t.Fatalf("the sample's slipway.yaml changed; edit it anew:\n%s", s)
	}
	if err := os.WriteFile(manifest, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	// New content each run, so that the first push really builds (the engine keeps its cache).
	appendFile(t, filepath.Join(dir, "web.go"), fmt.Sprintf("// run %d\n", time.Now().UnixNano()))
	gitInit(t, dir)
	g.git(t, dir, "branch", "-M", "main")
	g.remoteAdd(t, dir, url, token)
	var base string    // the web's Service
	var serving string // the commit the web serves
	revs := func() int { return len(c.revisions(ns, app)) }

	t.Run("push deploys", func(t *testing.T) {
		head := g.head(t, dir)
		r := g.push(t, dir, "push", "slipway", "main")
		r.ok(t)
		r.has(t, "remote: deploying "+app+" "+head[:7]+" (branch main) to staging",
			"built and pushed "+registry+"/"+app+":"+head[:12]+"@sha256:",
			"deployed "+app+" v1 to staging (namespace "+ns+")")
		// The build's steps, the go build really run; the release command; the rollout.
		if m := goBuildStep.FindStringSubmatch(r.out); m == nil || !strings.Contains(r.out, "remote: #"+m[1]+" DONE ") {
			t.Errorf("the push should show the build's steps as remote: lines, the go build run (not cached):\n%s", r.out)
		}
		r.has(t, "remote: Release command: running (pod "+app+"-release-", "remote: Release command: done",
			"remote: web: 2/2 updated, 2/2 ready", "remote: Released v1: Deploy "+head[:7])
		t.Logf("the first push, in %s:\n%s", r.took.Round(time.Second), r.out)
		eq(t, "the server's main", srv.ref(t, app, "main"), head)
		svc, err := c.kc.CoreV1().Services(ns).Get(t.Context(), app+"-web", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("web Service: %v", err)
		}
		base = fmt.Sprintf("http://%s:%d", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
		waitServes(t, http5, base, head)
		serving = head

		head = g.change(t, dir, "web.go", "// the second push")
		r = g.push(t, dir, "push", "slipway", "main")
		r.ok(t)
		r.has(t, "deployed "+app+" v2 to staging")
		eq(t, "the server's main", srv.ref(t, app, "main"), head)
		waitServes(t, http5, base, head)
		serving = head
	})
	if base == "" {
		t.Fatal("the first push did not deploy: the rest depends on it")
	}

	t.Run("unchanged commit", func(t *testing.T) {
		// master deploys to staging too: its commit runs there already.
		before := revs()
		r := g.push(t, dir, "push", "slipway", "main:master")
		r.ok(t)
		r.has(t, "remote: nothing to deploy: staging runs "+serving[:7]+" already")
		if strings.Contains(r.out, "built and pushed") || buildKitStep.MatchString(r.out) {
			t.Errorf("an unchanged commit should build nothing:\n%s", r.out)
		}
		eq(t, "the server's master", srv.ref(t, app, "master"), serving)
		eq(t, "Helm revisions", revs(), before)
	})

	// refused pushes a commit of dir that must be refused with want among its remote lines,
	// checks that nothing moved, and takes the commit back.
	refused := func(t *testing.T, want ...string) pushResult {
		t.Helper()
		before := revs()
		r := g.push(t, dir, "push", "slipway", "main")
		r.refused(t, "main")
		r.has(t, append(want, "remote: push refused: main stays at "+serving[:7])...)
		eq(t, "the server's main", srv.ref(t, app, "main"), serving)
		waitServes(t, http5, base, serving)
		g.git(t, dir, "reset", "-q", "--hard", "HEAD~1")
		t.Logf("refused push (%d Helm revisions before, %d after):\n%s", before, revs(), r.out)
		return r
	}

	t.Run("broken build", func(t *testing.T) {
		before := revs()
		g.change(t, dir, "Dockerfile", "RUN echo broken step && false")
		r := refused(t, "remote: error: build failed at ", "RUN echo broken step && false", "exit code: 1")
		// The step's own output, not only its command line.
		if !regexp.MustCompile(`(?m)^remote: .* broken step\s*$`).MatchString(r.out) {
			t.Errorf("the failing step's output should be among the remote: lines:\n%s", r.out)
		}
		eq(t, "a failed build makes no Helm revision", revs(), before)
	})

	t.Run("release command fails", func(t *testing.T) {
		procfile := filepath.Join(dir, "Procfile")
		p, err := os.ReadFile(procfile)
		if err != nil {
			t.Fatal(err)
		}
		failing := regexp.MustCompile(`(?m)^release: .*$`).ReplaceAllString(string(p), `release: sh -c 'echo migration exploded; exit 1'`)
		if err := os.WriteFile(procfile, []byte(failing), 0o644); err != nil {
			t.Fatal(err)
		}
		g.git(t, dir, "commit", "-qam", "a failing release command")
		r := refused(t, "remote: error: release v", "the release command did not succeed", "remote: rolled back: ")
		// The release command's own output, under the error.
		if !regexp.MustCompile(`(?m)^remote: +migration exploded\s*$`).MatchString(r.out) {
			t.Errorf("the release command's output should be among the remote: lines:\n%s", r.out)
		}
	})

	t.Run("unmapped branch", func(t *testing.T) {
		r := g.push(t, dir, "push", "slipway", "main:feature")
		r.refused(t, "feature")
		r.has(t, "remote: error: branch feature deploys to no environment; the branches that deploy: main → staging, master → staging",
			"remote: push refused: feature stays at nothing")
		eq(t, "the server's feature branch", srv.ref(t, app, "feature"), "")
	})

	t.Run("concurrent pushes", func(t *testing.T) {
		a := g.change(t, dir, "web.go", "// concurrent A")
		b := g.change(t, dir, "web.go", "// concurrent B")
		first := g.start(t, dir, "push", "slipway", a+":refs/heads/main")
		first.waitFor(t, "remote: deploying ")
		second := g.start(t, dir, "push", "slipway", b+":refs/heads/main")
		r1, r2 := first.wait(t), second.wait(t)
		r1.ok(t)
		r2.ok(t)
		r1.has(t, "deployed "+app+" ")
		r2.has(t, "remote: waiting for the push in progress to "+app+" (main "+a[:7]+", started ",
			"remote: main moved to "+a[:7]+" while this push waited; "+b[:7]+" contains it: going on",
			"deployed "+app+" ")
		if strings.Index(r2.out, "waiting for the push in progress") > strings.Index(r2.out, "deploying") {
			t.Errorf("the second push should wait before it deploys:\n%s", r2.out)
		}
		eq(t, "the server's main", srv.ref(t, app, "main"), b)
		waitServes(t, http5, base, b)
		serving = b
	})

	t.Run("client killed mid-push", func(t *testing.T) {
		killed := g.change(t, dir, "web.go", "// its pusher is killed")
		p := g.start(t, dir, "push", "slipway", "main")
		p.waitFor(t, "remote: deploying ")
		if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill the push's process group: %v", err)
		}
		if r := p.wait(t); r.code == 0 {
			t.Fatalf("the killed push exited 0:\n%s", r.out)
		}
		// The push outlives its client: the server deploys it all the same.
		srv.waitLog(t, "push to "+app+" (main "+killed[:7]+"): accepted", 5*time.Minute)
		eq(t, "the server's main after the killed push", srv.ref(t, app, "main"), killed)
		waitServes(t, http5, base, killed)

		next := g.change(t, dir, "web.go", "// after the killed push")
		r := g.push(t, dir, "push", "slipway", "main")
		r.ok(t)
		if strings.Contains(r.out, "waiting for the push in progress") {
			t.Errorf("the push after a killed one waited for a lock nobody holds:\n%s", r.out)
		}
		eq(t, "the server's main", srv.ref(t, app, "main"), next)
		waitServes(t, http5, base, next)
		serving = next
	})

	t.Run("auth", func(t *testing.T) {
		// Another developer (the credentials file is per user and URL: a revoked token stored
		// for this URL would be erased from the first one's when git rejects it).
		g := newGitClient(t)
		// A repository with the remote but no credentials: git cannot ask (no terminal).
		bare := t.TempDir()
		g.git(t, bare, "clone", "-q", dir, "clone")
		clone := filepath.Join(bare, "clone")
		g.git(t, clone, "remote", "add", "slipway", url)
		g.change(t, clone, "web.go", "// pushed without a token")
		r := g.push(t, clone, "push", "slipway", "HEAD:main")
		if r.code == 0 || !strings.Contains(r.out, "terminal prompts disabled") {
			t.Errorf("a push without credentials should fail when git cannot prompt:\n%s", r.out)
		}
		// A revoked token, stored by slipway remote add.
		ci := strings.TrimSpace(srv.admin(t, "tokens", "create", "ci"))
		g.git(t, clone, "remote", "remove", "slipway")
		g.remoteAdd(t, clone, url, ci)
		srv.admin(t, "tokens", "revoke", "ci")
		r = g.push(t, clone, "push", "slipway", "HEAD:main")
		if r.code == 0 || !strings.Contains(r.out, "Authentication failed") {
			t.Errorf("a push with a revoked token should fail authentication:\n%s", r.out)
		}
		eq(t, "the server's main", srv.ref(t, app, "main"), serving)
		if !strings.Contains(srv.log.String(), "refused: unknown or revoked token") {
			t.Errorf("the server should log the revoked token's refusal:\n%s", srv.log.String())
		}
	})

	t.Run("heroku node-js-sample", func(t *testing.T) {
		const name = "node-js-sample"
		src := filepath.Join(e2e.ModuleRoot(t), "..", "shared", "apps", "heroku__"+name)
		if _, err := os.Stat(src); err != nil {
			e2e.Missing(t, "the real Heroku app %s: %v", src, err)
		}
		dir := copyDir(t, src)
		gitInit(t, dir)
		g.git(t, dir, "branch", "-M", "main")
		srv.admin(t, "apps", "create", name)
		g.remoteAdd(t, dir, srv.url+"/"+name+".git", token)
		r := g.push(t, dir, "push", "slipway", "main")
		t.Logf("%s, pushed unchanged, in %s:\n%s", name, r.took.Round(time.Second), r.out)
		r.ok(t)
		r.has(t, `remote: warning: package.json engines.node "4.0.0" matches none of the supported Node.js majors`,
			"node:22-bookworm-slim", "deployed "+name+" v1 to staging")
		svc, err := c.kc.CoreV1().Services(name+"-staging").Get(t.Context(), name+"-web", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("web Service: %v", err)
		}
		page := fmt.Sprintf("http://%s:%d/", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
		var body string
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			if body, err = getBody(http5, page); err == nil {
				break
			}
		}
		if err != nil || !strings.Contains(body, "Hello World") {
			t.Errorf("GET %s: %v %q, want index.js's Hello World", page, err, body)
		}
	})

	// heroku__go-getting-started is not pushed here: TestImportHerokuAppsOnRealNode imports
	// and deploys it unchanged (its Dockerfile, which builds only on Heroku's builders, left
	// unused as Heroku does; the generated one built), and a push runs the same pipeline.

	t.Run("server stopped mid-push", func(t *testing.T) {
		// SIGTERM while a push releases: the release is cancelled and the previous one
		// restored, the pusher hears it, the branch stays, and the server exits 0.
		g.change(t, dir, "web.go", "// the server stops under this push")
		p := g.start(t, dir, "push", "slipway", "main")
		p.waitFor(t, "remote: Releasing v")
		stopped := make(chan error, 1)
		go func() { stopped <- srv.stop() }()
		p.limit = 3 * time.Minute // the restore's rollout is bounded by the server's --timeout
		r := p.wait(t)
		t.Logf("the push the server stopped under, in %s:\n%s", r.took.Round(time.Second), r.out)
		if err := <-stopped; err != nil {
			t.Errorf("slipway server, stopped with SIGTERM mid-push: %v", err)
		}
		r.refused(t, "main")
		r.has(t, "remote: push refused: main stays at "+serving[:7])
		eq(t, "the server's main", srv.ref(t, app, "main"), serving)
		waitServes(t, http5, base, serving)
		if !strings.Contains(srv.log.String(), "slipway server: stopping") {
			t.Errorf("the server should say it stops:\n%s", srv.log.String())
		}
	})

	t.Run("nothing left", func(t *testing.T) {
		// Every push's work tree and spooled pack are gone, the killed one's too.
		for _, d := range []string{"work", "tmp"} {
			entries, err := os.ReadDir(filepath.Join(srv.data, d))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			for _, e := range entries {
				t.Errorf("left in the server's data directory: %s", filepath.Join(d, e.Name()))
			}
		}
	})
}

// buildKitStep is a BuildKit step line as docker build prints it off a terminal, relayed;
// goBuildStep the Go sample's go build step, its number captured.
var (
	buildKitStep = regexp.MustCompile(`(?m)^remote: #\d+ \[[^\]]+\] RUN `)
	goBuildStep  = regexp.MustCompile(`(?m)^remote: #(\d+) \[build \d+/\d+\] RUN .*go build `)
)

// pushServer is the real `slipway server`, a process of the test's own.
type pushServer struct {
	bin, data, url string
	env            []string
	log            *syncBuffer
	// stop sends SIGTERM once and returns how the server exited.
	stop    func() error
	stopErr error
}

// startPushServer starts `slipway server` on a free loopback port with a data directory of
// its own, the engine at host, the sandbox's kubeconfig and registry; it stops it with
// SIGTERM when the test ends and checks that it exits, showing its log when the test failed.
func startPushServer(t testing.TB, host, kubeconfig, registry string) *pushServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &pushServer{bin: e2e.Slipway(t), data: filepath.Join(t.TempDir(), "server"), url: "http://" + addr, log: &syncBuffer{}}
	s.env = append(withoutEnv(os.Environ(), "KUBECONFIG"), "DOCKER_HOST="+host, "NO_COLOR=1", "DOCKER_BUILDKIT=")
	cmd := exec.Command(s.bin, "server", "--data", s.data, "--listen", addr, "--registry", registry, "--kubeconfig", kubeconfig, "--timeout", "3m")
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slipway server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	s.stop = func() error {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case s.stopErr = <-exited:
			case <-time.After(3 * time.Minute):
				_ = cmd.Process.Kill()
				<-exited
				s.stopErr = errors.New("it did not stop within 3 minutes of SIGTERM: killed")
			}
		})
		return s.stopErr
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("slipway server, stopped with SIGTERM: %v", err)
		}
		if t.Failed() {
			t.Logf("slipway server's log:\n%s", s.log.String())
		}
	})
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("slipway server exited at start (%v):\n%s", err, s.log.String())
		default:
		}
		if resp, err := client.Get(s.url + "/"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slipway server does not answer on %s after 30 s:\n%s", s.url, s.log.String())
		}
	}
	return s
}

// admin runs `slipway server ARGS --data DATA` and returns its stdout.
func (s *pushServer) admin(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.bin, append(append([]string{"server"}, args...), "--data", s.data)...)
	cmd.Env = s.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("slipway server %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// ref is the commit branch is at in app's repository on the server, "" when there is none.
func (s *pushServer) ref(t testing.TB, app, branch string) string {
	t.Helper()
	cmd := exec.Command("git", "--git-dir", filepath.Join(s.data, "apps", app+".git"), "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return ""
	}
	if err != nil {
		t.Fatalf("read %s of %s on the server: %v", branch, app, err)
	}
	return strings.TrimSpace(string(out))
}

// waitLog waits for the server's log to hold s.
func (s *pushServer) waitLog(t testing.TB, want string, limit time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(limit); !strings.Contains(s.log.String(), want); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server's log lacks %q after %s:\n%s", want, limit, s.log.String())
		}
	}
}

// gitClient is a developer's git: the real client with a home, a global config and a
// credentials file of the test's own, and no terminal to ask on.
type gitClient struct {
	env []string
}

func newGitClient(t testing.TB) *gitClient {
	t.Helper()
	home := t.TempDir()
	global := filepath.Join(home, "gitconfig")
	if err := os.WriteFile(global, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := os.Environ()
	for _, k := range []string{"KUBECONFIG", "SLIPWAY_TOKEN", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_DIR", "GIT_WORK_TREE"} {
		env = withoutEnv(env, k)
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "GIT_CONFIG_GLOBAL="+global,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "NO_COLOR=1", "LC_ALL=C",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	return &gitClient{env: env}
}

func (g *gitClient) command(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, g.env
	return cmd
}

// git runs git in dir and returns its stdout, or fails the test.
func (g *gitClient) git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := g.command(dir, "git", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (g *gitClient) head(t testing.TB, dir string) string {
	t.Helper()
	return strings.TrimSpace(g.git(t, dir, "rev-parse", "HEAD"))
}

// change appends line to file, commits it and returns the commit.
func (g *gitClient) change(t testing.TB, dir, file, line string) string {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, line)
	f.Close()
	g.git(t, dir, "commit", "-qam", line)
	return g.head(t, dir)
}

// remoteAdd runs the real `slipway remote add URL --token-stdin` in dir.
func (g *gitClient) remoteAdd(t testing.TB, dir, url, token string) {
	t.Helper()
	cmd := g.command(dir, e2e.Slipway(t), "remote", "add", url, "--token-stdin")
	cmd.Stdin = strings.NewReader(token + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "remote slipway → "+url) {
		t.Fatalf("slipway remote add %s: %v\n%s", url, err, out)
	}
	if strings.Contains(string(out), token) {
		t.Errorf("slipway remote add printed the token:\n%s", out)
	}
}

// pushResult is one run of git: its output (stderr and stdout, as they came), exit code and
// duration, and when each line came.
type pushResult struct {
	out   string
	code  int
	took  time.Duration
	lines []timedLine
}

type timedLine struct {
	at   time.Duration
	text string
}

func (r pushResult) ok(t testing.TB) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("git push exited %d:\n%s", r.code, r.out)
	}
}

// refused checks that git push failed and reports branch as refused by the hook.
func (r pushResult) refused(t testing.TB, branch string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("git push should have been refused, but exited 0:\n%s", r.out)
	}
	if !strings.Contains(r.out, "! [remote rejected]") || !strings.Contains(r.out, "pre-receive hook declined") || !strings.Contains(r.out, "-> "+branch) {
		t.Errorf("git should report %s rejected by the pre-receive hook:\n%s", branch, r.out)
	}
}

func (r pushResult) has(t testing.TB, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.out, w) {
			t.Errorf("git push's output lacks %q:\n%s", w, r.out)
		}
	}
}

// firstLine is when the first line holding s came (false when none did).
func (r pushResult) firstLine(s string) (time.Duration, bool) {
	for _, l := range r.lines {
		if strings.Contains(l.text, s) {
			return l.at, true
		}
	}
	return 0, false
}

// running is a git command under way, in a process group of its own.
type running struct {
	cmd   *exec.Cmd
	start time.Time
	out   *lineClock
	done  chan error
	// limit bounds wait (default 10 minutes).
	limit time.Duration
}

// start starts git in dir in a process group of its own (so that it can be killed with its
// helper, git-remote-http).
func (g *gitClient) start(t testing.TB, dir string, args ...string) *running {
	t.Helper()
	cmd := g.command(dir, "git", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r := &running{cmd: cmd, out: &lineClock{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	r.start = time.Now()
	r.out.start = r.start
	if err := cmd.Start(); err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	return r
}

// waitFor waits (up to 5 minutes) for a line holding s, or fails the test.
func (r *running) waitFor(t testing.TB, s string) {
	t.Helper()
	deadline := time.After(5 * time.Minute)
	for {
		if _, ok := r.out.first(s); ok {
			return
		}
		select {
		case err := <-r.done:
			r.done <- err
			if _, ok := r.out.first(s); ok {
				return
			}
			t.Fatalf("git ended (%v) before a line holding %q:\n%s", err, s, r.out.String())
		case <-deadline:
			t.Fatalf("no line holding %q after 5 minutes:\n%s", s, r.out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// wait waits (up to limit) for git to end.
func (r *running) wait(t testing.TB) pushResult {
	t.Helper()
	limit := cmp.Or(r.limit, 10*time.Minute)
	var err error
	select {
	case err = <-r.done:
	case <-time.After(limit):
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		err = <-r.done
		t.Errorf("git %s still ran after %s: killed", strings.Join(r.cmd.Args[1:], " "), limit)
	}
	res := pushResult{out: r.out.String(), took: time.Since(r.start), lines: r.out.all()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
		if res.code < 0 {
			res.code = 128 + int(ee.Sys().(syscall.WaitStatus).Signal())
		}
	case err != nil:
		t.Fatalf("git %s: %v", strings.Join(r.cmd.Args[1:], " "), err)
	}
	noStackTrace(t, res.out)
	return res
}

// push runs git in dir to its end.
func (g *gitClient) push(t testing.TB, dir string, args ...string) pushResult {
	t.Helper()
	return g.start(t, dir, args...).wait(t)
}

// lineClock keeps a command's output and when each of its lines (ended by \n or \r) came.
type lineClock struct {
	mu    sync.Mutex
	start time.Time
	buf   bytes.Buffer
	part  []byte
	lines []timedLine
}

func (c *lineClock) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	at := time.Since(c.start)
	for _, b := range p {
		if b == '\n' || b == '\r' {
			if len(c.part) > 0 {
				c.lines = append(c.lines, timedLine{at: at, text: string(c.part)})
			}
			c.part = c.part[:0]
			continue
		}
		c.part = append(c.part, b)
	}
	return len(p), nil
}

func (c *lineClock) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.ReplaceAll(c.buf.String(), "\r", "\n")
}

func (c *lineClock) all() []timedLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]timedLine(nil), c.lines...)
}

func (c *lineClock) first(s string) (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if strings.Contains(l.text, s) {
			return l.at, true
		}
	}
	return 0, false
}

// waitServes waits (up to 2 minutes) until the web behind base answers with version want:
// after a rollout, kube-proxy moves the Service to the new pods within seconds.
func waitServes(t testing.TB, client *http.Client, base, want string) {
	t.Helper()
	var got string
	var err error
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if got, err = get(client, base+"/version"); err == nil && got == want {
			return
		}
	}
	t.Fatalf("the web at %s serves version %q (%v), want %s", base, got, err, want)
}

// getBody returns the body of a GET that answered 200.
func getBody(client *http.Client, url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	return string(b), nil
}
