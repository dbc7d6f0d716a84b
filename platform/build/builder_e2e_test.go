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
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	imagetypes "github.com/docker/docker/api/types/image"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/platform/image"
)

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
	return &engine{t: t, builder: &Builder{Docker: docker, Host: h, Progress: out}, out: out, srv: srv,
		registry: reg}
}

func (e *engine) build(o Options) (*Result, error) {
	e.t.Helper()
	e.out.Reset()
	return e.builder.Build(context.Background(), o)
}

// TestBuildPushReuse builds a small app, pushes it, finds it unchanged the second time, and
// rebuilds only the last layer after a one-line change.
func TestBuildPushReuse(t *testing.T) {
	e := newEngine(t, "busybox:1.36")
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
	ex, _ := Excludes(dir, "Dockerfile")
	src, err := ReadSource(dir, ex)
	if err != nil {
		t.Fatal(err)
	}
	repo := e.registry + "/reuse"
	res, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: repo, Tag: src.Tag, Push: true})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, e.out)
	}
	if !res.Built || !res.Pushed || !strings.HasPrefix(res.Image.Digest, "sha256:") {
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

	write(t, dir, map[string]string{"app.sh": "echo two\n"})
	src2, _ := ReadSource(dir, ex)
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
	if n := strings.Count(e.out.String(), "Using cache"); n != 2 {
		t.Errorf("want the two layers before the changed COPY from the cache, got %d:\n%s", n, e.out)
	}
}

// TestBuildFailures: a broken Dockerfile names its step and pushes nothing; a registry or an
// engine that is down is named.
func TestBuildFailures(t *testing.T) {
	e := newEngine(t, "busybox:1.36")
	dir := t.TempDir()
	write(t, dir, map[string]string{"Dockerfile": "FROM busybox:1.36\nRUN echo fine\nRUN echo about to fail && exit 3\n"})
	repo := e.registry + "/broken"
	_, err := e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: repo, Tag: "v1", Push: true})
	var se *StepError
	if !errors.As(err, &se) || !strings.Contains(se.Step, "RUN echo about to fail") || !strings.Contains(se.Message, "non-zero code: 3") {
		t.Fatalf("want the failing step and its error, got %v\n%s", err, e.out)
	}
	if !strings.Contains(e.out.String(), "about to fail") {
		t.Errorf("the step's own output should be shown:\n%s", e.out)
	}
	if _, err := image.Resolve(context.Background(), image.Ref{Repository: repo, Tag: "v1"}); err == nil {
		t.Errorf("a failed build pushed an image")
	}

	write(t, dir, map[string]string{"Dockerfile": "FROM busybox:1.36\nRUN echo ok\n"})
	e.srv.Close()
	_, err = e.build(Options{Dir: dir, Dockerfile: "Dockerfile", Repository: repo, Tag: "v2", Push: true})
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

// TestGeneratedDockerfileInContext builds with a generated Dockerfile that is not in the
// repository.
func TestGeneratedDockerfileInContext(t *testing.T) {
	e := newEngine(t, "busybox:1.36")
	dir := t.TempDir()
	hello := fmt.Sprintf("hi %d", time.Now().UnixNano()) // new content: no build cache
	write(t, dir, map[string]string{"hello.txt": hello + "\n"})
	gen := []byte("FROM busybox:1.36\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt\n")
	res, err := e.build(Options{Dir: dir, Generated: gen, Repository: e.registry + "/gen", Tag: "v1", Push: true})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, e.out)
	}
	if !res.Pushed || !strings.Contains(e.out.String(), hello) {
		t.Errorf("generated build: %+v\n%s", res, e.out)
	}
	if _, err := os.Stat(filepath.Join(dir, GeneratedDockerfile)); err == nil {
		t.Errorf("the generated Dockerfile was written into the repository")
	}
}
