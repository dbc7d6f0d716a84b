package image

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestParseImage(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		ref  string
		want Ref
		err  string
	}{
		{"localhost:5000/app", Ref{Repository: "localhost:5000/app", Tag: "latest"}, ""},
		{"localhost:5000/app:v1", Ref{Repository: "localhost:5000/app", Tag: "v1"}, ""},
		{"localhost:5000/app@" + d, Ref{Repository: "localhost:5000/app", Digest: d}, ""},
		{"ghcr.io/org/app:v1@" + d, Ref{Repository: "ghcr.io/org/app", Tag: "v1", Digest: d}, ""},
		{"app@sha256:abc", Ref{}, "the digest must be sha256: and 64 lowercase hex digits"},
		{"app:", Ref{}, "empty tag"},
		{"App:v1", Ref{}, "lowercase repository"},
		{"", Ref{}, "expected REPOSITORY"},
	}
	for _, tc := range cases {
		got, err := Parse(tc.ref)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q): error %v, want %q", tc.ref, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.ref, got, err, tc.want)
		}
	}
}

// TestResolve asks a real registry (go-containerregistry's, on loopback) for a tag's digest.
func TestResolve(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(host+"/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := Resolve(ctx, Ref{Repository: host + "/app", Tag: "v1"})
	if err != nil || got.Digest != want.String() || got.Tag != "v1" {
		t.Fatalf("Resolve: %+v, %v; want digest %s", got, err, want)
	}
	pinned := Ref{Repository: host + "/app", Digest: "sha256:" + strings.Repeat("0", 64)}
	if got, err := Resolve(ctx, pinned); err != nil || got != pinned {
		t.Errorf("a digest reference should be kept as it is: %+v, %v", got, err)
	}
	_, err = Resolve(ctx, Ref{Repository: host + "/app", Tag: "v9"})
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "the registry has no such tag") {
		t.Errorf("a missing tag: %v", err)
	}
	srv.Close()
	_, err = Resolve(ctx, Ref{Repository: host + "/app", Tag: "v1"})
	if err == nil || errors.As(err, &nf) {
		t.Errorf("an unreachable registry should be a plain error: %v", err)
	}
}

// TestCopy copies an image between two real registries by digest.
func TestCopy(t *testing.T) {
	a := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer a.Close()
	b := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer b.Close()
	ha, hb := strings.TrimPrefix(a.URL, "http://"), strings.TrimPrefix(b.URL, "http://")
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(ha+"/app:v1", name.Insecure)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	ctx := context.Background()
	got, err := Copy(ctx, Ref{Repository: ha + "/app", Tag: "v1", Digest: d.String()}, hb+"/prod/app")
	if err != nil {
		t.Fatal(err)
	}
	if got.Repository != hb+"/prod/app" || got.Digest != d.String() {
		t.Errorf("copy: %+v", got)
	}
	r, err := Resolve(ctx, Ref{Repository: hb + "/prod/app", Tag: "v1"})
	if err != nil || r.Digest != d.String() {
		t.Errorf("the target registry has %+v, %v", r, err)
	}
	if _, err := Copy(ctx, Ref{Repository: ha + "/app", Tag: "v1"}, hb+"/x"); err == nil {
		t.Errorf("a copy without a digest should be refused")
	}
}
