package render

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types"
	buildtypes "github.com/docker/docker/api/types/build"
	imagetypes "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/slipwayhq/slipway/platform/build"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/progress"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// fakeEngine is a Docker Engine that answers a build and a push with recorded output.
type fakeEngine struct {
	client.APIClient
	build, push []byte
}

func (f *fakeEngine) Ping(context.Context) (types.Ping, error) {
	return types.Ping{APIVersion: "1.41", OSType: "linux"}, nil
}

func (f *fakeEngine) ImageInspect(context.Context, string, ...client.ImageInspectOption) (imagetypes.InspectResponse, error) {
	return imagetypes.InspectResponse{}, errors.New("no such image")
}

func (f *fakeEngine) ImageBuild(_ context.Context, body io.Reader, _ buildtypes.ImageBuildOptions) (buildtypes.ImageBuildResponse, error) {
	_, _ = io.Copy(io.Discard, body)
	return buildtypes.ImageBuildResponse{Body: io.NopCloser(bytes.NewReader(f.build))}, nil
}

func (f *fakeEngine) ImagePush(context.Context, string, imagetypes.PushOptions) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(f.push)), nil
}

// engineBuild runs platform/build's Builder against an engine that answers with the given
// output (a push too, when push is not nil), sending its progress to f.
func engineBuild(t *testing.T, backend build.Backend, out, push []byte, f progress.Func) (*build.Result, error) {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox:1.36\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &build.Builder{Docker: &fakeEngine{build: out, push: push}, Host: "fake", Progress: f, Backend: backend,
		Resolve: func(context.Context, image.Ref) (image.Ref, error) {
			return image.Ref{}, errors.New("not in the registry")
		}}
	return b.Build(context.Background(), build.Options{Dir: dir, Dockerfile: "Dockerfile", Repository: "localhost:5000/app", Tag: "v1", Push: push != nil})
}

// recorded is a Docker Engine's recorded output, kept with the decoder's tests.
func recorded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "platform", "build", "testdata", "buildkit", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with the file at path, or rewrites the file with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./render -run '%s' -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./render -run '%s' -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, t.Name(), got, want)
	}
}
