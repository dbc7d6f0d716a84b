package sandbox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ImageFile is one entry of an image's single layer.
type ImageFile struct {
	// Path is where the entry goes in the image, absolute ("/app/bin/sample").
	Path string
	// Mode holds the permission bits (with fs.ModeSticky, fs.ModeSetuid, fs.ModeSetgid),
	// plus fs.ModeDir for a directory or fs.ModeSymlink for a symbolic link.
	Mode fs.FileMode
	// Data is a regular file's content.
	Data []byte
	// Link is a symbolic link's target.
	Link string
}

// ImageConfig says how a container of the image runs.
type ImageConfig struct {
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	User       string
	Labels     map[string]string
}

// PushImage makes a one-layer OCI image of files and pushes it as repository:tag to
// registry (host:port, spoken to in plain HTTP: the sandbox's registry on loopback). It
// returns the image's reference by digest, registry/repository@sha256:…. The image is
// reproducible: the same files and config give the same digest. Parent directories
// missing from files are added (mode 0755).
func PushImage(ctx context.Context, registry, repository, tag string, files []ImageFile, cfg ImageConfig) (string, error) {
	img, err := newImage(files, cfg)
	if err != nil {
		return "", fmt.Errorf("push %s/%s:%s: %w", registry, repository, tag, err)
	}
	ref, err := name.NewTag(registry+"/"+repository+":"+tag, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("push %s/%s:%s: %w", registry, repository, tag, err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("push %s/%s:%s: %w", registry, repository, tag, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("push %s/%s:%s: %w", registry, repository, tag, err)
	}
	return registry + "/" + repository + "@" + digest.String(), nil
}

// newImage makes the OCI image of files (one layer, gzipped) for this machine's
// architecture.
func newImage(files []ImageFile, cfg ImageConfig) (v1.Image, error) {
	raw, err := imageLayer(files)
	if err != nil {
		return nil, fmt.Errorf("make the layer: %w", err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		return nil, fmt.Errorf("make the layer: %w", err)
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint: cfg.Entrypoint,
			Cmd:        cfg.Cmd,
			Env:        cfg.Env,
			WorkingDir: cfg.WorkingDir,
			User:       cfg.User,
			Labels:     cfg.Labels,
		},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer})
}

// imageLayer returns the (uncompressed) tar of files, the same for the same files.
func imageLayer(files []ImageFile) ([]byte, error) {
	entries := map[string]ImageFile{}
	for _, f := range files {
		p := path.Clean("/" + f.Path)
		if p == "/" {
			continue
		}
		if _, dup := entries[p]; dup {
			return nil, fmt.Errorf("%s is listed twice", p)
		}
		f.Path = p
		entries[p] = f
		for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
			if _, ok := entries[dir]; !ok {
				entries[dir] = ImageFile{Path: dir, Mode: fs.ModeDir | 0o755}
			}
		}
	}
	for p, f := range entries {
		if f.Mode.IsDir() {
			continue
		}
		for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
			if !entries[dir].Mode.IsDir() {
				return nil, fmt.Errorf("%s: %s is not a directory", p, dir)
			}
		}
	}
	paths := slices.Sorted(maps.Keys(entries)) // a directory sorts before what it holds

	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, p := range paths {
		f := entries[p]
		hdr := &tar.Header{
			Name:    strings.TrimPrefix(p, "/"),
			Mode:    tarMode(f.Mode),
			ModTime: time.Unix(0, 0),
			Format:  tar.FormatPAX,
		}
		switch {
		case f.Mode.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		case f.Mode&fs.ModeSymlink != 0:
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, f.Link
		case f.Mode.IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.Data))
		default:
			return nil, fmt.Errorf("%s: unsupported file mode %v", p, f.Mode)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return raw.Bytes(), nil
}

func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
