package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	imagetypes "github.com/docker/docker/api/types/image"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/render"
)

// backends are the engine's two builders, and how each shows a step in its output.
var backends = []struct {
	name    string
	backend Backend
	// step is how the output names step n of total (Dockerfile instructions for the
	// classic builder, FROM/RUN/COPY… for BuildKit).
	step func(n, total int, instruction string) string
	// cached counts the steps the output says came from the cache.
	cached func(out string) int
	// exit is how the engine's error gives a RUN step's exit code.
	exit func(code int) string
}{
	{
		name:    "buildkit",
		backend: BackendBuildKit,
		step:    func(n, total int, in string) string { return fmt.Sprintf("[%d/%d] %s", n, total, in) },
		cached:  func(out string) int { return len(regexp.MustCompile(`(?m)^#\d+ CACHED$`).FindAllString(out, -1)) },
		exit:    func(code int) string { return fmt.Sprintf("exit code: %d", code) },
	},
	{
		name:    "classic",
		backend: BackendClassic,
		step:    func(n, total int, in string) string { return fmt.Sprintf("Step %d/%d : %s", n, total, in) },
		cached:  func(out string) int { return strings.Count(out, "Using cache") },
		exit:    func(code int) string { return fmt.Sprintf("non-zero code: %d", code) },
	},
}

// engine is a real Docker Engine and a real registry on loopback for one test.
type engine struct {
	t        *testing.T
	builder  *Builder
	out      *bytes.Buffer
	registry string
	srv      *httptest.Server
}

func newEngine(t *testing.T, bases ...string) *engine {
	host := e2e.DockerEngine(t)
	e2e.BaseImages(t, host, bases...)
	t.Setenv("DOCKER_HOST", host)
	docker, h, err := Connect()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	out := &bytes.Buffer{}
	reg := "localhost:" + srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	t.Cleanup(func() {
		// The engine is shared and kept: remove what this test tagged.
		imgs, err := docker.ImageList(context.Background(), imagetypes.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", reg+"/*"))})
		if err != nil {
			return
		}
		for _, im := range imgs {
			for _, tag := range im.RepoTags {
				_, _ = docker.ImageRemove(context.Background(), tag, imagetypes.RemoveOptions{PruneChildren: true})
			}
		}
	})
	return &engine{t: t, builder: &Builder{Docker: docker, Host: h, Progress: render.Build(out, render.BuildOptions{})}, out: out, srv: srv,
		registry: reg}
}

func (e *engine) build(o Options) (*Result, error) {
	e.t.Helper()
	e.out.Reset()
	return e.builder.Build(context.Background(), o)
}

// TestBuildPushReuse builds a small app with each builder, pushes it, finds it unchanged the
// second time, and rebuilds only the last layers after a one-line change; .dockerignore keeps
// files out of the context.
func TestBuildPushReuse(t *testing.T) {
	e := newEngine(t, "busybox:1.36")
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			e.t, e.builder.Backend = t, bk.backend
			testBuildPushReuse(t, e, bk.name, bk.cached)
		})
	}
}

func testBuildPushReuse(t *testing.T, e *engine, name string, cached func(string) int) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"Dockerfile":      "FROM busybox:1.36\nCOPY base.txt /app/base.txt\nRUN cat /app/base.txt > /app/copy.txt\nCOPY . /ctx\nRUN ls -a /ctx\n",
		".dockerignore":   ".env*\n",
		".env.production": "SECRET=do-not-ship\n",
		"base.txt":        "base\n",
		"app.sh":          fmt.Sprintf("echo one %d\n", time.Now().UnixNano()), // past the cache from here on
	})
	gitRun(t, dir, "init", "-q")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-qm", "one")
	src, err := ReadSource(mustContext(t, dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	repo := e.registry + "/reuse-" + name
	res, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: repo, Tag: src.Tag, Push: true})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, e.out)
	}
	if !res.Built || !res.Pushed || !strings.HasPrefix(res.Image.Digest, "sha256:") || res.Backend != e.builder.Backend {
		t.Fatalf("first build: %+v", res)
	}
	if strings.Contains(e.out.String(), ".env.production") || !strings.Contains(e.out.String(), "app.sh") {
		t.Errorf("the build context should hold app.sh and not .env.production (.dockerignore):\n%s", e.out)
	}
	got, err := image.Resolve(context.Background(), image.Ref{Repository: repo, Tag: src.Tag})
	if err != nil || got.Digest != res.Image.Digest {
		t.Errorf("the registry has %v (%v), the build says %s", got, err, res.Image.Digest)
	}

	again, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: repo, Tag: src.Tag, Push: true})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Reused || again.Built || again.Pushed || again.Image.Digest != res.Image.Digest {
		t.Errorf("an unchanged tree should be neither built nor pushed: %+v", again)
	}

	write(t, dir, map[string]string{"app.sh": fmt.Sprintf("echo two %d\n", time.Now().UnixNano())}) // new content: an earlier run's cache must not match
	src2, _ := ReadSource(mustContext(t, dir, "Dockerfile"))
	if src2.Tag == src.Tag {
		t.Fatalf("a changed tree kept its tag %s", src.Tag)
	}
	res2, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: repo, Tag: src2.Tag, Push: true})
	if err != nil {
		t.Fatalf("rebuild: %v\n%s", err, e.out)
	}
	if res2.Image.Digest == res.Image.Digest {
		t.Errorf("a changed tree gave the same digest")
	}
	// Steps 2 and 3 come from the cache; the COPY of the changed tree and after are rebuilt.
	if n := cached(e.out.String()); n != 2 {
		t.Errorf("want the two layers before the changed COPY from the cache, got %d:\n%s", n, e.out)
	}
}

// TestBuildFailures: a broken Dockerfile names its step, shows the step's output and pushes
// nothing, with each builder; a registry or an engine that is down is named.
func TestBuildFailures(t *testing.T) {
	e := newEngine(t, "busybox:1.36")
	dir := t.TempDir()
	// New content each run, so that the failing step really runs.
	write(t, dir, map[string]string{"Dockerfile": fmt.Sprintf("FROM busybox:1.36\nRUN echo fine %d\nRUN echo about to fail && echo on stderr >&2 && exit 3\n", time.Now().UnixNano())})
	repo := e.registry + "/broken"
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			e.t, e.builder.Backend = t, bk.backend
			_, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: repo, Tag: bk.name, Push: true})
			var se *StepError
			wantStep := bk.step(3, 3, "RUN echo about to fail && echo on stderr >&2 && exit 3")
			if !errors.As(err, &se) || se.Step != wantStep || !strings.Contains(se.Message, bk.exit(3)) {
				t.Fatalf("want the failing step %q and its exit code (%s), got %v\n%s", wantStep, bk.exit(3), err, e.out)
			}
			if !strings.Contains(err.Error(), "build failed at "+wantStep+": ") {
				t.Errorf("the error should say which step failed: %v", err)
			}
			for _, want := range []string{"about to fail", "on stderr"} {
				if !strings.Contains(e.out.String(), want) {
					t.Errorf("the step's own output (%q) should be shown:\n%s", want, e.out)
				}
			}
			if _, err := image.Resolve(context.Background(), image.Ref{Repository: repo, Tag: bk.name}); err == nil {
				t.Errorf("a failed build pushed an image")
			}
		})
	}
	e.t, e.builder.Backend = t, BackendAuto

	write(t, dir, map[string]string{"Dockerfile": "FROM busybox:1.36\nRUN echo ok\n"})
	e.srv.Close()
	_, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: repo, Tag: "v2", Push: true})
	var pe *PushError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "the registry "+e.registry) {
		t.Errorf("registry down: %v", err)
	}

	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "nope.sock"))
	docker, host, err := Connect()
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Docker: docker, Host: host}
	_, err = b.Build(context.Background(), Options{Dir: dir, Dockerfile: "Dockerfile", Repository: repo, Tag: "v3"})
	var ee *EngineError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "nope.sock (DOCKER_HOST)") {
		t.Errorf("engine down: %v", err)
	}
}

// TestGeneratedDockerfileInContext builds, with each builder, with a generated Dockerfile
// that is not in the repository.
func TestGeneratedDockerfileInContext(t *testing.T) {
	e := newEngine(t, "busybox:1.36")
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			e.t, e.builder.Backend = t, bk.backend
			dir := t.TempDir()
			hello := fmt.Sprintf("hi %d", time.Now().UnixNano()) // new content: no build cache
			write(t, dir, map[string]string{"hello.txt": hello + "\n"})
			gen := []byte("FROM busybox:1.36\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt\n")
			res, err := e.build(Options{Dir: dir, Generated: gen, Repository: e.registry + "/gen-" + bk.name, Tag: "v1", Push: true})
			if err != nil {
				t.Fatalf("build: %v\n%s", err, e.out)
			}
			if !res.Pushed || !strings.Contains(e.out.String(), hello) {
				t.Errorf("generated build: %+v\n%s", res, e.out)
			}
			if _, err := os.Stat(filepath.Join(dir, GeneratedDockerfile)); err == nil {
				t.Errorf("the generated Dockerfile was written into the repository")
			}
		})
	}
}

// TestBuildKitCacheMount: a RUN step's cache mount (RUN --mount=type=cache) keeps its
// content from one build to the next, as it does for docker build with BuildKit, so a
// compiler's cache survives a change of the sources; the classic builder refuses the
// Dockerfile, naming the step, and a generated one that needs BuildKit before it is sent.
func TestBuildKitCacheMount(t *testing.T) {
	e := newEngine(t, "busybox:1.36")
	dir := t.TempDir()
	id := fmt.Sprintf("slipway-test-%d", time.Now().UnixNano()) // a cache of this run's own
	write(t, dir, map[string]string{
		"Dockerfile": "FROM busybox:1.36\nCOPY src.txt /src.txt\n" +
			"RUN --mount=type=cache,id=" + id + ",target=/cache sh -c 'echo \"cache holds: $(cat /cache/seen 2>/dev/null)\"; cat /src.txt >> /cache/seen'\n",
		"src.txt": "one\n",
	})
	e.builder.Backend = BackendBuildKit
	if _, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: e.registry + "/cachemount", Tag: "v1"}); err != nil {
		t.Fatalf("build: %v\n%s", err, e.out)
	}
	if !strings.Contains(e.out.String(), "cache holds: \n") && !strings.Contains(e.out.String(), "cache holds:\n") {
		t.Errorf("the first build should find the cache empty:\n%s", e.out)
	}
	write(t, dir, map[string]string{"src.txt": "two\n"})
	if _, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: e.registry + "/cachemount", Tag: "v2"}); err != nil {
		t.Fatalf("build: %v\n%s", err, e.out)
	}
	if !strings.Contains(e.out.String(), "cache holds: one") {
		t.Errorf("the second build should find what the first left in the cache mount:\n%s", e.out)
	}

	e.builder.Backend = BackendClassic
	write(t, dir, map[string]string{"src.txt": "three\n"})
	_, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: e.registry + "/cachemount", Tag: "v3"})
	var se *StepError
	if !errors.As(err, &se) || !strings.HasPrefix(se.Step, "Step 3/3 : RUN --mount=type=cache") || !strings.Contains(se.Message, "requires BuildKit") {
		t.Errorf("the classic builder should refuse the cache mount, naming the step: %v", err)
	}
	// A generated Dockerfile that needs BuildKit is refused before anything is sent.
	_, err = e.build(Options{Dir: dir, Generated: []byte("FROM busybox:1.36\n"), NeedsBuildKit: true, Repository: e.registry + "/cachemount", Tag: "v4"})
	var be *BackendError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "BuildKit cache mount") || !strings.Contains(be.Hint(), "DOCKER_BUILDKIT=0") || e.out.Len() != 0 {
		t.Errorf("a generated Dockerfile for BuildKit, with the classic builder: want an error with a hint and no build, got %v\n%s", err, e.out)
	}
}
