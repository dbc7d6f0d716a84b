package e2e

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/sysproc"
	"github.com/slipwayhq/slipway/platform/sandbox"
)

// Base images made on this machine and tagged with the official names, so that
// Dockerfiles (the samples', generated ones, real apps') build unchanged with nothing
// pulled. What is inside differs from the official images where it says so below: Debian's
// packages, whatever the tag's version.
//
// recipeVersion is part of every image's dev.slipway.e2e.recipe label; change it when a
// recipe changes and the images are made again.
const (
	recipeVersion = "1"
	recipeLabel   = "dev.slipway.e2e.recipe"
	madeKey       = "org.opencontainers.image.description"
	madeValue     = "made locally by slipway's test harness (internal/e2e/baseimages.go), not the official image"
	imagePath     = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// baseImage is how one base image is made: by make (after its from image), or as a second
// tag of the image sameAs.
type baseImage struct {
	from   string
	sameAs string
	make   func(t testing.TB, host, name, recipe string)
	// recipe adds to recipeVersion what else the content depends on (the Go toolchain's
	// version).
	recipe func(t testing.TB) string
}

var baseImages = map[string]baseImage{
	// debootstrap --variant=minbase of bookworm from this machine's Debian mirror, without
	// docs, man pages, locales and apt lists, as the official -slim images are; with this
	// machine's own CA certificates in /usr/local/share/ca-certificates (see localCAs).
	"debian:bookworm-slim": {make: makeDebian},
	// Debian's busybox-static (1.35 in bookworm) with its applets linked in /bin.
	"busybox:1.36": {make: makeBusybox},
	// debian:bookworm-slim with this machine's Go toolchain in /usr/local/go (it must be a
	// go1.26), ca-certificates and git; GOTOOLCHAIN=local. No C compiler, so cgo is off.
	"golang:1.26-bookworm": {from: "debian:bookworm-slim", make: makeGolang, recipe: goRecipe},
	"golang:1.26":          {sameAs: "golang:1.26-bookworm"},
	// A stand-in: no Go 1.25 toolchain can be had on this machine (only the 1.26 one), and
	// Go builds modules that ask for an older Go; apps whose go.mod says 1.25 (as Heroku's
	// go-getting-started does) get the 1.26 toolchain under this name.
	"golang:1.25-bookworm": {sameAs: "golang:1.26-bookworm"},
	// debian:bookworm-slim with Debian's nodejs and npm (Node 18 and npm 9 in bookworm,
	// whatever the tag says) and the official images' node user (uid 1000). No yarn.
	"node:22-bookworm-slim": {from: "debian:bookworm-slim", make: dockerfileImage(nodeDockerfile)},
	"node:20-bookworm-slim": {sameAs: "node:22-bookworm-slim"},
	"node:18-bookworm-slim": {sameAs: "node:22-bookworm-slim"},
	// debian:bookworm-slim with Debian's python3 (3.11), python3-pip and python3-venv,
	// python and pip linked to them, and PIP_BREAK_SYSTEM_PACKAGES=1 (the official image's
	// pip installs into the system; Debian's refuses to without it).
	"python:3.11-slim-bookworm": {from: "debian:bookworm-slim", make: dockerfileImage(pythonDockerfile)},
	"python:3.11-slim":          {sameAs: "python:3.11-slim-bookworm"},
}

const nodeDockerfile = `FROM debian:bookworm-slim
RUN groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
CMD ["node"]
`

const pythonDockerfile = `FROM debian:bookworm-slim
ENV LANG=C.UTF-8 PIP_BREAK_SYSTEM_PACKAGES=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/bin/python3 /usr/local/bin/python \
 && ln -s /usr/bin/pip3 /usr/local/bin/pip
CMD ["python3"]
`

var baseMu sync.Mutex

// BaseImages makes sure the engine at host (from DockerEngine) has the images names, each
// made on this machine once and then kept in the engine: debian:bookworm-slim,
// busybox:1.36, golang:1.26-bookworm (and golang:1.26), node:22-bookworm-slim (and the
// same image as node:20- and node:18-bookworm-slim) and python:3.11-slim-bookworm (and
// python:3.11-slim). Nothing is pulled. Ask only for what the test uses: busybox takes a
// second, Debian about half a minute on a new machine (debootstrap; its root filesystem is
// kept in CacheDir for the next engine), the others a minute or so each over Debian's
// mirror. An image of one of these names that the harness did not make (the official one,
// in an engine given by $DOCKER_HOST) is left as it is. A name it cannot make fails the
// test; a machine that cannot make one (no debootstrap, no busybox-static, not root) calls
// Missing.
func BaseImages(t testing.TB, host string, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, ok := baseImages[n]; !ok {
			t.Fatalf("BaseImages: no recipe for %q (it makes %s)", n, strings.Join(slices.Sorted(maps.Keys(baseImages)), ", "))
		}
	}
	baseMu.Lock()
	defer baseMu.Unlock()
	dir := filepath.Join(CacheDir(t), "baseimages")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Test binaries of other packages may be making the same images.
	lock, err := flock(filepath.Join(dir, "lock"), syscall.LOCK_EX)
	if err != nil {
		t.Fatalf("make base images: %v", err)
	}
	defer lock.Close()
	_, cas := localCAs(t)
	done := map[string]bool{}
	var ensure func(name string)
	ensure = func(name string) {
		t.Helper()
		if done[name] {
			return
		}
		done[name] = true
		b := baseImages[name]
		if b.sameAs != "" {
			ensure(b.sameAs)
			if got, ok := imageRecipe(host, name); ok && got == "" {
				return // not the harness's: keep it
			}
			docker(t, host, nil, "tag", b.sameAs, name)
			return
		}
		if b.from != "" {
			ensure(b.from)
		}
		recipe := name + " " + recipeVersion
		if cas != "" {
			recipe += " cas=" + cas
		}
		if b.recipe != nil {
			recipe += " " + b.recipe(t)
		}
		if got, ok := imageRecipe(host, name); ok && (got == recipe || got == "") {
			return // made by this recipe, or not the harness's (the official image): kept
		}
		start := time.Now()
		b.make(t, host, name, recipe)
		if got, _ := imageRecipe(host, name); got != recipe {
			t.Fatalf("made the base image %s, but the engine has it with recipe label %q, want %q", name, got, recipe)
		}
		t.Logf("made the base image %s in %s", name, time.Since(start).Round(100*time.Millisecond))
	}
	for _, n := range names {
		ensure(n)
	}
}

// imageRecipe returns the recipe label of the engine's image name ("" when it has none:
// the image was not made here), and whether the engine has the image.
func imageRecipe(host, name string) (recipe string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := dockerCommand(ctx, host, "image", "inspect", "--format", `{{index .Config.Labels "`+recipeLabel+`"}}`, name).Output()
	if err != nil {
		return "", false
	}
	recipe = strings.TrimSpace(string(out))
	if recipe == "<no value>" {
		recipe = ""
	}
	return recipe, true
}

// importChanges are docker import's --change flags for an image of recipe running cmd (a
// JSON array).
func importChanges(recipe string, cmd string) []string {
	return []string{
		"--change", "CMD " + cmd,
		"--change", "ENV " + imagePath,
		"--change", fmt.Sprintf("LABEL %s=%q %s=%q", madeKey, madeValue, recipeLabel, recipe),
	}
}

// makeBusybox imports /bin/busybox and its applet links with the directories and users of
// the official image.
func makeBusybox(t testing.TB, host, name, recipe string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	dir := func(path string, mode int64) {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: path + "/", Mode: mode, ModTime: now})
	}
	file := func(path string, mode int64, data []byte) {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: mode, Size: int64(len(data)), ModTime: now})
		_, _ = tw.Write(data)
	}
	for _, d := range []string{"bin", "dev", "etc", "home", "usr", "var", "var/spool", "var/www"} {
		dir(d, 0o755)
	}
	dir("root", 0o700)
	dir("tmp", 0o1777)
	file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"))
	file("etc/group", 0o644, []byte("root:x:0:\nnobody:x:65534:\n"))
	for _, f := range busyboxFiles(t) {
		path := strings.TrimPrefix(f.Path, "/")
		if f.Mode&fs.ModeSymlink != 0 {
			_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: path, Linkname: f.Link, Mode: 0o777, ModTime: now})
			continue
		}
		file(path, int64(f.Mode.Perm()), f.Data)
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("make %s: %v", name, err)
	}
	args := append([]string{"import"}, importChanges(recipe, `["sh"]`)...)
	docker(t, host, &buf, append(args, "-", name)...)
}

// makeDebian imports a debootstrap'd bookworm, kept as a tarball in CacheDir so that a new
// engine (or a wiped one) gets it in seconds.
func makeDebian(t testing.TB, host, name, recipe string) {
	t.Helper()
	tarball := filepath.Join(CacheDir(t), "baseimages", "debian-bookworm-slim-"+recipeVersion+".tar")
	if _, err := os.Stat(tarball); err != nil {
		if err := debootstrapTarball(t, tarball); err != nil {
			t.Fatalf("make %s: %v", name, err)
		}
	}
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cas, _ := localCAs(t)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(addFiles(pw, f, cas)) }()
	defer pr.Close()
	args := append([]string{"import"}, importChanges(recipe, `["bash"]`)...)
	docker(t, host, pr, append(args, "-", name)...)
}

// localCADir holds the certificate authorities this machine trusts beyond Debian's
// (update-ca-certificates adds them to /etc/ssl/certs).
const localCADir = "/usr/local/share/ca-certificates"

// localCAs returns the machine's own CA certificates (localCADir's *.crt files, by path in
// an image) and a short digest of them, or "" when there are none. They go into
// debian:bookworm-slim's localCADir, so that the images that install ca-certificates (all
// those built on it) trust what this machine trusts: here the npm registry answers through
// a TLS proxy whose CA only that makes trusted, and npm install fails without it.
func localCAs(t testing.TB) (files map[string][]byte, digest string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(localCADir, "*.crt"))
	sort.Strings(paths)
	if len(paths) == 0 {
		return nil, ""
	}
	files = map[string][]byte{}
	h := sha256.New()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("read the machine's CA certificates: %v", err)
		}
		rel := strings.TrimPrefix(p, "/")
		files[rel] = b
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
	}
	return files, hex.EncodeToString(h.Sum(nil))[:12]
}

// addFiles copies the tar stream in to out with files (regular, 0644, by path) added at
// the end, and the directories they need that in lacks.
func addFiles(out io.Writer, in io.Reader, files map[string][]byte) error {
	tr := tar.NewReader(in)
	tw := tar.NewWriter(out)
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read the root filesystem: %w", err)
		}
		seen[strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/")] = true
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	now := time.Now()
	for _, p := range slices.Sorted(maps.Keys(files)) {
		var dirs []string
		for d := filepath.Dir(p); d != "." && d != "/" && !seen[d]; d = filepath.Dir(d) {
			dirs = append([]string{d}, dirs...)
		}
		for _, d := range dirs {
			seen[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "./" + d + "/", Mode: 0o755, ModTime: now}); err != nil {
				return err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "./" + p, Mode: 0o644, Size: int64(len(files[p])), ModTime: now}); err != nil {
			return err
		}
		if _, err := tw.Write(files[p]); err != nil {
			return err
		}
	}
	return tw.Close()
}

// debootstrapTarball makes a minimal bookworm with debootstrap from this machine's Debian
// mirror, slims it and writes it to tarball.
func debootstrapTarball(t testing.TB, tarball string) (err error) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "debootstrap needs root to make debian:bookworm-slim")
	}
	debootstrap, lerr := sysproc.Look("debootstrap")
	if lerr != nil {
		Missing(t, "debootstrap is not installed (apt-get install debootstrap), so debian:bookworm-slim cannot be made")
	}
	mirror, security := debianMirrors(aptSources())
	if m := os.Getenv("SLIPWAY_DEBIAN_MIRROR"); m != "" {
		mirror = m
	}
	root, err := os.MkdirTemp(filepath.Dir(tarball), "debootstrap-")
	if err != nil {
		return err
	}
	defer func() {
		if rerr := removeRootfs(root); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, debootstrap, "--variant=minbase", "bookworm", root, mirror)
	cmd.Env = systemEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(filepath.Join(root, "debootstrap", "debootstrap.log"))
		return fmt.Errorf("debootstrap --variant=minbase bookworm %s: %w\n%s\ndebootstrap.log:\n%s", mirror, err, tail(out.String(), 30), tail(string(log), 30))
	}
	if err := sandbox.UnmountUnder(root); err != nil {
		return err
	}
	if err := slimRootfs(root, mirror, security); err != nil {
		return fmt.Errorf("slim the root filesystem: %w", err)
	}
	tmp := tarball + ".tmp"
	if out, err := exec.Command("tar", "--numeric-owner", "-C", root, "-cf", tmp, ".").CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("tar the root filesystem: %w: %s", err, out)
	}
	return os.Rename(tmp, tarball)
}

// removeRootfs removes a root filesystem made here, after unmounting what was left mounted
// in it (debootstrap mounts /proc and /sys; a bind of the host's /dev must never be
// removed through).
func removeRootfs(root string) error {
	if err := sandbox.UnmountUnder(root); err != nil {
		return fmt.Errorf("not removing %s, something is still mounted in it: %w", root, err)
	}
	return os.RemoveAll(root)
}

// slimRootfs makes a debootstrap'd root filesystem like the official -slim images: no
// docs (but the copyright files), man pages, info or locales, now or after an apt-get
// install; no apt caches or lists; an empty /dev; the machine's mirror and Debian's
// security updates as apt sources.
func slimRootfs(root, mirror, security string) error {
	p := func(rel string) string { return filepath.Join(root, rel) }
	var errs []error
	for _, d := range []string{"usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian", "var/lib/apt/lists", "var/cache/apt", "dev"} {
		errs = append(errs, emptyDir(p(d)))
	}
	errs = append(errs, os.MkdirAll(p("var/lib/apt/lists/partial"), 0o755), os.MkdirAll(p("var/cache/apt/archives/partial"), 0o755))
	// Docs go but for each package's copyright file.
	docs, _ := os.ReadDir(p("usr/share/doc"))
	for _, d := range docs {
		dir := filepath.Join(p("usr/share/doc"), d.Name())
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "copyright" {
				errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
			}
		}
	}
	for _, f := range []string{"var/log/bootstrap.log", "etc/hostname", "etc/apt/sources.list"} {
		if err := os.Remove(p(f)); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
	}
	files := map[string]string{
		"etc/resolv.conf": "",
		"etc/machine-id":  "",
		"etc/apt/sources.list.d/debian.sources": fmt.Sprintf(`Types: deb
URIs: %s
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: %s
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`, mirror, security),
		"etc/dpkg/dpkg.cfg.d/docker": `path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
`,
		"etc/apt/apt.conf.d/docker-clean": `DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
`,
		"etc/apt/apt.conf.d/docker-no-languages":        "Acquire::Languages \"none\";\n",
		"etc/apt/apt.conf.d/docker-autoremove-suggests": "Apt::AutoRemove::SuggestsImportant \"false\";\n",
	}
	for rel, content := range files {
		errs = append(errs, os.MkdirAll(filepath.Dir(p(rel)), 0o755), os.WriteFile(p(rel), []byte(content), 0o644))
	}
	return errors.Join(errs...)
}

// emptyDir removes what dir holds, keeping dir.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(errs...)
}

// aptSources returns this machine's apt source files by path (sources.list and
// sources.list.d's .list and .sources files).
func aptSources() map[string]string {
	out := map[string]string{}
	paths, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	for _, path := range append([]string{"/etc/apt/sources.list"}, paths...) {
		if !strings.HasSuffix(path, ".list") && !strings.HasSuffix(path, ".sources") {
			continue
		}
		if b, err := os.ReadFile(path); err == nil {
			out[path] = string(b)
		}
	}
	return out
}

// debianMirrors returns the Debian mirror and the security mirror the apt sources (by
// path) use for bookworm: the first URI for the bookworm suite and the first for
// bookworm-security, else deb.debian.org's.
func debianMirrors(sources map[string]string) (mirror, security string) {
	paths := slices.Sorted(maps.Keys(sources))
	see := func(uri string, suites []string) {
		uri = strings.TrimRight(uri, "/")
		for _, s := range suites {
			switch {
			case s == "bookworm" && mirror == "":
				mirror = uri
			case s == "bookworm-security" && security == "":
				security = uri
			}
		}
	}
	for _, path := range paths {
		if strings.HasSuffix(path, ".sources") {
			// deb822: stanzas of fields, separated by blank lines.
			for _, stanza := range strings.Split(sources[path], "\n\n") {
				fields := map[string][]string{}
				sc := bufio.NewScanner(strings.NewReader(stanza))
				for sc.Scan() {
					line := sc.Text()
					if strings.HasPrefix(line, "#") {
						continue
					}
					if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") {
						fields[strings.ToLower(strings.TrimSpace(k))] = strings.Fields(v)
					}
				}
				if !slices.Contains(fields["types"], "deb") || slices.Contains(fields["enabled"], "no") {
					continue
				}
				for _, uri := range fields["uris"] {
					see(uri, fields["suites"])
				}
			}
			continue
		}
		for _, line := range strings.Split(sources[path], "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || f[0] != "deb" {
				continue
			}
			f = f[1:]
			if strings.HasPrefix(f[0], "[") { // options: [arch=amd64 signed-by=…]
				for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
					f = f[1:]
				}
				if len(f) > 0 {
					f = f[1:]
				}
			}
			if len(f) >= 2 {
				see(f[0], f[1:2])
			}
		}
	}
	return cmp.Or(mirror, "http://deb.debian.org/debian"), cmp.Or(security, "http://deb.debian.org/debian-security")
}

// dockerfileImage makes an image from a Dockerfile with no build context.
func dockerfileImage(dockerfile string) func(t testing.TB, host, name, recipe string) {
	return func(t testing.TB, host, name, recipe string) {
		t.Helper()
		buildImage(t, host, name, recipe, strings.NewReader(dockerfile))
	}
}

// buildImage runs docker build with context (a tar stream, or a Dockerfile alone) on stdin.
func buildImage(t testing.TB, host, name, recipe string, context io.Reader) {
	t.Helper()
	docker(t, host, context, "build", "--quiet", "--tag", name, "--label", madeKey+"="+madeValue, "--label", recipeLabel+"="+recipe, "-")
}

// goToolchain returns the host's GOROOT and Go version (go1.26.8).
func goToolchain(t testing.TB) (goroot, version string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		Missing(t, "no go toolchain on PATH to put in golang:1.26-bookworm")
	}
	out, err := exec.Command("go", "env", "GOROOT", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOROOT GOVERSION: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		t.Fatalf("go env GOROOT GOVERSION printed %q", out)
	}
	return f[0], f[1]
}

func goRecipe(t testing.TB) string {
	_, version := goToolchain(t)
	return version
}

const golangDockerfile = `FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
ENV GOLANG_VERSION=%s GOTOOLCHAIN=local GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY go /usr/local/go
RUN mkdir -p /go/src /go/bin && chmod -R 1777 /go
WORKDIR /go
`

// makeGolang builds debian:bookworm-slim with the host's Go toolchain, sent as the build
// context (a tar stream of GOROOT: nothing copied on disk).
func makeGolang(t testing.TB, host, name, recipe string) {
	t.Helper()
	goroot, version := goToolchain(t)
	if !strings.HasPrefix(version, "go1.26.") && version != "go1.26" {
		Missing(t, "the Go toolchain on PATH is %s, so it cannot be golang:1.26 (install a go1.26)", version)
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeGoContext(pw, goroot, fmt.Sprintf(golangDockerfile, strings.TrimPrefix(version, "go"))))
	}()
	defer pr.Close()
	buildImage(t, host, name, recipe, pr)
}

// writeGoContext writes a build context holding dockerfile and goroot as go/.
func writeGoContext(w io.Writer, goroot, dockerfile string) error {
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile)), ModTime: time.Now()}); err != nil {
		return err
	}
	if _, err := io.WriteString(tw, dockerfile); err != nil {
		return err
	}
	err := filepath.WalkDir(goroot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(goroot, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(filepath.Join("go", rel))
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "root", "root"
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("send %s as the build context: %w", goroot, err)
	}
	return tw.Close()
}
