// Package image names container images (repository, tag, digest) and resolves a tag to the
// digest a registry holds for it, so that releases refer to images by digest.
//
// It never prints or exits.
package image

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Ref is an image reference: REPOSITORY[:TAG][@DIGEST].
type Ref struct {
	Repository, Tag, Digest string
}

// String is the reference, by digest when known.
func (r Ref) String() string {
	if r.Digest != "" {
		return r.Repository + "@" + r.Digest
	}
	tag := r.Tag
	if tag == "" {
		tag = "latest"
	}
	return r.Repository + ":" + tag
}

// Parse splits REPOSITORY[:TAG][@sha256:HEX]; a reference with neither tag nor digest means
// :latest, as for docker.
func Parse(ref string) (Ref, error) {
	var r Ref
	rest := ref
	if i := strings.Index(rest, "@"); i >= 0 {
		r.Digest, rest = rest[i+1:], rest[:i]
		hex, ok := strings.CutPrefix(r.Digest, "sha256:")
		if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
			return r, fmt.Errorf("image %q: the digest must be sha256: and 64 lowercase hex digits", ref)
		}
	}
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		r.Tag, rest = rest[i+1:], rest[:i]
		if r.Tag == "" {
			return r, fmt.Errorf("image %q: empty tag", ref)
		}
	}
	if rest == "" || strings.ContainsAny(rest, " \t\n") || strings.ToLower(rest) != rest {
		return r, fmt.Errorf("image %q: expected REPOSITORY[:TAG][@sha256:DIGEST] with a lowercase repository", ref)
	}
	r.Repository = rest
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// NotFoundError says the registry answered that it has no such image.
type NotFoundError struct{ Ref Ref }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("image %s: the registry has no such tag", e.Ref)
}

// Resolve asks the registry for the digest of r's tag and returns r with it; a reference
// that has a digest is returned as it is. Credentials come from the docker config
// (~/.docker/config.json), as for docker pull; registries on localhost are spoken to over
// plain HTTP.
func Resolve(ctx context.Context, r Ref) (Ref, error) {
	if r.Digest != "" {
		return r, nil
	}
	tag, err := name.NewTag(r.Repository+":"+r.Tag, nameOptions(r.Repository)...)
	if err != nil {
		return r, fmt.Errorf("image %s: %w", r, err)
	}
	desc, err := remote.Head(tag, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain))
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return r, &NotFoundError{Ref: r}
	}
	if err != nil {
		return r, fmt.Errorf("resolve %s to a digest: %w", r, err)
	}
	r.Digest = desc.Digest.String()
	return r, nil
}

// loopback tells whether a repository's registry is on this machine (plain HTTP, as docker
// allows without configuration).
func loopback(repo string) bool {
	host, _, _ := strings.Cut(repo, "/")
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || h == "[::1]"
}

// Copy copies the image from (which must have a digest) into the repository to, by digest
// and under from's tag if it has one, registry to registry without a Docker Engine. The copy
// has the same digest.
func Copy(ctx context.Context, from Ref, to string) (Ref, error) {
	if from.Digest == "" {
		return Ref{}, fmt.Errorf("copy %s: only an image with a digest is copied", from)
	}
	src, err := name.NewDigest(from.Repository+"@"+from.Digest, nameOptions(from.Repository)...)
	if err != nil {
		return Ref{}, fmt.Errorf("copy %s: %w", from, err)
	}
	dstRef := Ref{Repository: to, Tag: from.Tag, Digest: from.Digest}
	var dst name.Reference
	if from.Tag != "" {
		dst, err = name.NewTag(to+":"+from.Tag, nameOptions(to)...)
	} else {
		dst, err = name.NewDigest(to+"@"+from.Digest, nameOptions(to)...)
	}
	if err != nil {
		return Ref{}, fmt.Errorf("copy to %s: %w", to, err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
	desc, err := remote.Get(src, opts...)
	if err != nil {
		return Ref{}, fmt.Errorf("copy %s: read it: %w", from, err)
	}
	if err := remote.Put(dst, desc, opts...); err != nil {
		return Ref{}, fmt.Errorf("copy %s to %s: %w", from, to, err)
	}
	got, err := remote.Head(dst, opts...)
	if err != nil {
		return Ref{}, fmt.Errorf("copy %s to %s: check it: %w", from, to, err)
	}
	if got.Digest.String() != from.Digest {
		return Ref{}, fmt.Errorf("copy %s to %s: the copy has digest %s", from, to, got.Digest)
	}
	return dstRef, nil
}

func nameOptions(repo string) []name.Option {
	opts := []name.Option{name.WeakValidation}
	if loopback(repo) {
		opts = append(opts, name.Insecure)
	}
	return opts
}
