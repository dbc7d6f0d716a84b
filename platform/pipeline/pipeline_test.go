package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/build"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/progress"
)

func TestHasRegistry(t *testing.T) {
	for repo, want := range map[string]bool{
		"localhost:5000/shop":           true,
		"localhost/shop":                true,
		"registry.example.com/team/app": true,
		"ghcr.io/acme/shop":             true,
		"shop":                          false,
		"acme/shop":                     false,
	} {
		if got := hasRegistry(repo); got != want {
			t.Errorf("hasRegistry(%q) = %v, want %v", repo, got, want)
		}
	}
}

// TestBuildNeedsARegistryToPush: a push to a repository without a registry is refused
// before the engine is even asked, with the fact in the error and the fix in its hint.
func TestBuildNeedsARegistryToPush(t *testing.T) {
	p := &Pipeline{Connect: func() (client.APIClient, string, error) {
		t.Fatal("the engine was contacted")
		return nil, "", nil
	}}
	_, err := p.Build(context.Background(), &app.App{Name: "shop", Image: app.Image{Repository: "shop"}}, true)
	var nr *NoRegistryError
	if !errors.As(err, &nr) {
		t.Fatalf("err = %v, want a NoRegistryError", err)
	}
	if strings.Contains(err.Error(), "hint") || strings.Contains(err.Error(), "slipway ") || !strings.Contains(nr.Hint(), "localhost:5000/shop") {
		t.Errorf("error %q, hint %q", err, nr.Hint())
	}
}

func TestVersion(t *testing.T) {
	for _, c := range []struct {
		src  *build.Source
		want string
	}{
		{nil, ""},
		{&build.Source{Commit: "3f2a1c9e", Tag: "3f2a1c9"}, "3f2a1c9e"},
		{&build.Source{Commit: "3f2a1c9e", Dirty: true, Tag: "3f2a1c9-d1e2f3"}, "3f2a1c9-d1e2f3"},
		{&build.Source{Tag: "c0ffee1"}, "c0ffee1"},
	} {
		if got := (&Built{Source: c.src}).Version(); got != c.want {
			t.Errorf("Version(%+v) = %q, want %q", c.src, got, c.want)
		}
	}
}

// TestResolveImage: a tag is resolved to its digest within ResolveTimeout; a tag the
// registry does not have is an error; a registry that cannot answer leaves the tag with a
// warning event.
func TestResolveImage(t *testing.T) {
	tag := image.Ref{Repository: "localhost:5000/shop", Tag: "v1"}
	var events []progress.Event
	p := &Pipeline{Progress: func(e progress.Event) { events = append(events, e) }, ResolveTimeout: 50 * time.Millisecond}

	p.Resolve = func(_ context.Context, r image.Ref) (image.Ref, error) { r.Digest = "sha256:abc"; return r, nil }
	got, err := p.ResolveImage(context.Background(), tag)
	if err != nil || got.Digest != "sha256:abc" {
		t.Errorf("resolved: %v, %v", got, err)
	}

	p.Resolve = func(_ context.Context, r image.Ref) (image.Ref, error) { return r, &image.NotFoundError{Ref: r} }
	if _, err := p.ResolveImage(context.Background(), tag); err == nil {
		t.Error("a missing tag was accepted")
	}

	p.Resolve = func(ctx context.Context, r image.Ref) (image.Ref, error) {
		<-ctx.Done() // a registry that never answers
		return r, ctx.Err()
	}
	got, err = p.ResolveImage(context.Background(), tag)
	if err != nil || got != tag {
		t.Errorf("unreachable registry: %v, %v; want the tag and no error", got, err)
	}
	if n := len(events); n != 1 || events[0].Status != progress.Warning || !strings.Contains(events[0].Message, "by tag") {
		t.Errorf("events: %+v", events)
	}
}

// TestBuildSaysWhichDockerfile: before the engine is reached, Build says which Dockerfile
// builds the image: a repository's Dockerfile that is not used is named in a note (a Prepare
// event, which every front end shows), and the detection line does not claim there is none.
func TestBuildSaysWhichDockerfile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []progress.Event
	}{
		{
			name:  "a Dockerfile Heroku would not use",
			files: map[string]string{"Dockerfile": "FROM busybox:1.36\n"},
			want: []progress.Event{
				{Phase: progress.Prepare, Message: "Dockerfile not used: no heroku.yml build.docker: Heroku builds this app with buildpacks; Slipway generates one (build.generate: false in slipway.yaml builds yours)"},
				{Phase: progress.Detect, Message: "generated Dockerfile: building for Go 1.25 (go.mod found → Go; "},
			},
		},
		{
			name: "no Dockerfile",
			want: []progress.Event{{Phase: progress.Detect, Message: "no Dockerfile: building for Go 1.25 (go.mod found → Go; "}},
		},
		{
			name:  "the repository's Dockerfile",
			files: map[string]string{"Dockerfile": "FROM busybox:1.36\n", "heroku.yml": "build:\n  docker:\n    web: Dockerfile\n"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"Procfile": "web: shop\n", "go.mod": "module example.com/shop\n\ngo 1.25\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			for name, body := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			a, err := app.Load(dir, app.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var events []progress.Event
			noEngine := errors.New("no engine here")
			p := &Pipeline{
				Progress: func(e progress.Event) { events = append(events, e) },
				Getenv:   func(string) string { return "" },
				Connect:  func() (client.APIClient, string, error) { return nil, "", noEngine },
			}
			if _, err := p.Build(context.Background(), a, false); !errors.Is(err, noEngine) {
				t.Fatalf("Build: %v, want the engine's error", err)
			}
			var said []progress.Event
			for _, e := range events {
				if e.Phase == progress.Prepare || e.Phase == progress.Detect {
					said = append(said, e)
				}
			}
			if len(said) != len(tc.want) {
				t.Fatalf("events %+v, want %d like %+v", said, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if said[i].Phase != w.Phase || said[i].Status != progress.Info || !strings.HasPrefix(said[i].Message, w.Message) {
					t.Errorf("event %d = %+v, want a %s note starting %q", i, said[i], w.Phase, w.Message)
				}
			}
		})
	}
}
