package sandbox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"
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

// OCI media types of what PushImage writes.
const (
	mediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	mediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// PushImage makes a one-layer OCI image of files and pushes it as repository:tag to
// registry (host:port, spoken to in plain HTTP: the sandbox's registry on loopback). It
// returns the image's reference by digest, registry/repository@sha256:…. The image is
// reproducible: the same files and config give the same digest. Parent directories
// missing from files are added (mode 0755).
func PushImage(ctx context.Context, registry, repository, tag string, files []ImageFile, cfg ImageConfig) (string, error) {
	layer, diffID, err := imageLayer(files)
	if err != nil {
		return "", fmt.Errorf("push %s/%s:%s: make the layer: %w", registry, repository, tag, err)
	}
	config, err := json.Marshal(imageConfigJSON(cfg, diffID))
	if err != nil {
		return "", err
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaTypeManifest,
		"config":        descriptor(mediaTypeConfig, config),
		"layers":        []any{descriptor(mediaTypeLayer, layer)},
	})
	if err != nil {
		return "", err
	}
	r := registryClient{base: "http://" + registry, repo: repository, client: &http.Client{Timeout: 2 * time.Minute}}
	for _, blob := range [][]byte{layer, config} {
		if err := r.pushBlob(ctx, blob); err != nil {
			return "", fmt.Errorf("push %s/%s:%s: %w", registry, repository, tag, err)
		}
	}
	digest, err := r.putManifest(ctx, tag, manifest)
	if err != nil {
		return "", fmt.Errorf("push %s/%s:%s: %w", registry, repository, tag, err)
	}
	return registry + "/" + repository + "@" + digest, nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func descriptor(mediaType string, b []byte) map[string]any {
	return map[string]any{"mediaType": mediaType, "digest": digestOf(b), "size": len(b)}
}

func imageConfigJSON(cfg ImageConfig, diffID string) map[string]any {
	c := map[string]any{}
	if len(cfg.Entrypoint) > 0 {
		c["Entrypoint"] = cfg.Entrypoint
	}
	if len(cfg.Cmd) > 0 {
		c["Cmd"] = cfg.Cmd
	}
	if len(cfg.Env) > 0 {
		c["Env"] = cfg.Env
	}
	if cfg.WorkingDir != "" {
		c["WorkingDir"] = cfg.WorkingDir
	}
	if cfg.User != "" {
		c["User"] = cfg.User
	}
	if len(cfg.Labels) > 0 {
		c["Labels"] = cfg.Labels
	}
	return map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config":       c,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	}
}

// imageLayer returns the gzipped tar of files and the digest of the uncompressed tar.
func imageLayer(files []ImageFile) (layer []byte, diffID string, err error) {
	entries := map[string]ImageFile{}
	for _, f := range files {
		p := path.Clean("/" + f.Path)
		if p == "/" {
			continue
		}
		if _, dup := entries[p]; dup {
			return nil, "", fmt.Errorf("%s is listed twice", p)
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
				return nil, "", fmt.Errorf("%s: %s is not a directory", p, dir)
			}
		}
	}
	paths := make([]string, 0, len(entries))
	for p := range entries {
		paths = append(paths, p)
	}
	sort.Strings(paths) // a directory sorts before what it holds

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
			return nil, "", fmt.Errorf("%s: unsupported file mode %v", p, f.Mode)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, "", err
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, "", err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return nil, "", err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return gz.Bytes(), digestOf(raw.Bytes()), nil
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

// registryClient speaks the OCI distribution API to one repository.
type registryClient struct {
	base, repo string
	client     *http.Client
}

func (r registryClient) do(ctx context.Context, method, u, contentType string, body []byte, want ...int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return nil, fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, strings.TrimSpace(string(msg)))
}

func (r registryClient) pushBlob(ctx context.Context, blob []byte) error {
	digest := digestOf(blob)
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, r.base+"/v2/"+r.repo+"/blobs/"+digest, nil)
	if err != nil {
		return err
	}
	if resp, err := r.client.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
	resp, err := r.do(ctx, http.MethodPost, r.base+"/v2/"+r.repo+"/blobs/uploads/", "", nil, http.StatusAccepted)
	if err != nil {
		return fmt.Errorf("start the upload of %s: %w", digest, err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return fmt.Errorf("start the upload of %s: the registry gave no usable Location (%q)", digest, resp.Header.Get("Location"))
	}
	base, _ := url.Parse(r.base)
	u := base.ResolveReference(loc)
	q := u.Query()
	q.Set("digest", digest)
	u.RawQuery = q.Encode()
	resp, err = r.do(ctx, http.MethodPut, u.String(), "application/octet-stream", blob, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("upload %s: %w", digest, err)
	}
	resp.Body.Close()
	return nil
}

func (r registryClient) putManifest(ctx context.Context, tag string, manifest []byte) (string, error) {
	resp, err := r.do(ctx, http.MethodPut, r.base+"/v2/"+r.repo+"/manifests/"+tag, mediaTypeManifest, manifest, http.StatusCreated)
	if err != nil {
		return "", fmt.Errorf("put the manifest: %w", err)
	}
	resp.Body.Close()
	digest := digestOf(manifest)
	if got := resp.Header.Get("Docker-Content-Digest"); got != "" && got != digest {
		return "", fmt.Errorf("put the manifest: the registry stored %s, want %s", got, digest)
	}
	return digest, nil
}
