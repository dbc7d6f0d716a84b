package sandbox

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/slipwayhq/slipway/platform/safefile"
)

// Versions the sandbox builds by default.
const (
	// KubernetesVersion is the version of k8s.io/kubernetes the control plane is built from.
	KubernetesVersion = "v1.36.3"
	// KwokVersion is the version of sigs.k8s.io/kwok that simulates the nodes.
	KwokVersion = "v0.8.0"
	// RegistryModuleVersion is the version of github.com/google/go-containerregistry whose
	// pkg/registry serves the real-node mode's image registry.
	RegistryModuleVersion = "v0.22.1"
)

// Component names, in start order.
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	KubeScheduler         = "kube-scheduler"
	Kwok                  = "kwok"
)

// Components lists the sandbox's daemons in the order they start.
var Components = []string{Etcd, KubeAPIServer, KubeControllerManager, KubeScheduler, Kwok}

// Components of the real-node mode, started after Components.
const (
	// Registry is the OCI image registry on loopback the real node pulls from.
	Registry = "registry"
	// Containerd is the node's container runtime: the system's containerd (Debian's
	// docker.io), running as a daemon of the sandbox's own.
	Containerd = "containerd"
	Kubelet    = "kubelet"
	KubeProxy  = "kube-proxy"
	// Pause is the program of the pod sandbox image (it waits for a signal); it is built,
	// not run as a daemon.
	Pause = "pause"
)

// RealNodeComponents lists the daemons the real-node mode adds, in the order they start.
var RealNodeComponents = []string{Registry, Containerd, Kubelet, KubeProxy}

// realNodeBuilt are the programs the real-node mode needs built (containerd is the system's).
var realNodeBuilt = []string{Kubelet, KubeProxy, Registry, Pause}

// ErrNoGo is returned when a build is needed and no go toolchain is on PATH; its Hint says
// what to install.
var ErrNoGo error = &hintError{
	msg:  "the go toolchain is not on PATH: the sandbox is built from the Kubernetes Go modules the first time",
	hint: "install Go 1.26 or later (https://go.dev/dl)",
}

// hintError is an error whose fix is obvious, given by Hint.
type hintError struct{ msg, hint string }

func (e *hintError) Error() string { return e.msg }
func (e *hintError) Hint() string  { return e.hint }

// Binaries locates the built programs and kwok's stage files.
type Binaries struct {
	// Dir holds one executable per component and a kwok-stages directory.
	Dir string
}

// Path returns the executable of component.
func (b Binaries) Path(component string) string { return filepath.Join(b.Dir, component) }

// Stages returns kwok's stage files (sorted).
func (b Binaries) Stages() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(b.Dir, "kwok-stages", "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no kwok stage files in %s", filepath.Join(b.Dir, "kwok-stages"))
	}
	sort.Strings(files)
	return files, nil
}

// MissingRealNode returns the programs of the real-node mode not yet built.
func (b Binaries) MissingRealNode() []string {
	var out []string
	for _, c := range realNodeBuilt {
		if st, err := os.Stat(b.Path(c)); err != nil || st.IsDir() {
			out = append(out, c)
		}
	}
	return out
}

// Missing returns the components (and "kwok-stages") not yet built.
func (b Binaries) Missing() []string {
	var out []string
	for _, c := range Components {
		if st, err := os.Stat(b.Path(c)); err != nil || st.IsDir() {
			out = append(out, c)
		}
	}
	if _, err := b.Stages(); err != nil {
		out = append(out, "kwok-stages")
	}
	return out
}

// Build compiles the sandbox's binaries into CacheDir/sandbox/bin-<KubernetesVersion>,
// skipping what is already there.
type Build struct {
	// CacheDir is the root of slipway's cache (see DefaultCacheDir).
	CacheDir string
	// KubernetesVersion and KwokVersion default to the package constants.
	KubernetesVersion string
	KwokVersion       string
	// RealNode also builds what the real-node mode needs: the kubelet and kube-proxy (from
	// the same Kubernetes modules), the registry and the pod sandbox's pause program. A
	// simulated-nodes-only user never waits for them.
	RealNode bool
	// Go is the go command (default: "go" from PATH).
	Go string
	// Progress receives what the build is doing, including the go command's output.
	Progress io.Writer
}

// DefaultCacheDir returns $SLIPWAY_CACHE, else the user cache directory's slipway/.
func DefaultCacheDir(getenv func(string) string) (string, error) {
	if dir := getenv("SLIPWAY_CACHE"); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache directory: %w (set SLIPWAY_CACHE)", err)
	}
	return filepath.Join(base, "slipway"), nil
}

func (b *Build) defaults() {
	b.KubernetesVersion = cmp.Or(b.KubernetesVersion, KubernetesVersion)
	b.KwokVersion = cmp.Or(b.KwokVersion, KwokVersion)
	if b.Progress == nil {
		b.Progress = io.Discard
	}
}

// Binaries returns where Run puts the binaries, built or not.
func (b *Build) Binaries() Binaries {
	b.defaults()
	return Binaries{Dir: filepath.Join(b.CacheDir, "sandbox", "bin-"+b.KubernetesVersion)}
}

// Run builds what is missing and returns the binaries.
func (b *Build) Run(ctx context.Context) (Binaries, error) {
	b.defaults()
	bins := b.Binaries()
	missing := b.missing(bins)
	if len(missing) == 0 {
		return bins, nil
	}
	goCmd := cmp.Or(b.Go, "go")
	if _, err := exec.LookPath(goCmd); err != nil {
		return bins, ErrNoGo
	}
	b.Go = goCmd
	buildDir := filepath.Join(b.CacheDir, "sandbox", "build-"+b.KubernetesVersion)
	if err := os.MkdirAll(buildDir, 0o755); err != nil {
		return bins, fmt.Errorf("build the sandbox: %w", err)
	}
	// One build at a time per cache: another slipway may be building the same binaries.
	unlock, err := safefile.Lock(filepath.Join(buildDir, ".lock"))
	if err != nil {
		return bins, fmt.Errorf("build the sandbox: %w", err)
	}
	defer unlock()
	if missing = b.missing(bins); len(missing) == 0 {
		return bins, nil
	}
	partial, err := os.MkdirTemp(filepath.Dir(bins.Dir), ".partial-")
	if err != nil {
		return bins, fmt.Errorf("build the sandbox: %w", err)
	}
	defer os.RemoveAll(partial)

	var k8s, tools []string
	var needKwok, needStages bool
	for _, m := range missing {
		switch m {
		case Kwok:
			needKwok = true
		case "kwok-stages":
			needStages = true
		case Registry, Pause:
			tools = append(tools, m)
		default:
			k8s = append(k8s, m)
		}
	}
	// The control plane and kwok build side by side. kwok's commands run outside the build
	// module (in partial), so that they never touch its go.mod while go build edits it.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	if len(k8s) > 0 {
		wg.Go(func() { errs[0] = b.buildKubernetes(ctx, buildDir, partial, k8s) })
	}
	if needKwok {
		wg.Go(func() {
			fmt.Fprintf(b.Progress, "building kwok %s (about 2 minutes the first time)\n", b.KwokVersion)
			if _, err := b.goRun(ctx, partial, []string{"GOBIN=" + partial}, "install", "sigs.k8s.io/kwok/cmd/kwok@"+b.KwokVersion); err != nil {
				errs[1] = fmt.Errorf("build kwok %s: %w", b.KwokVersion, err)
			}
		})
	}
	if needStages {
		wg.Go(func() { errs[2] = b.copyStages(ctx, partial, filepath.Join(partial, "kwok-stages")) })
	}
	if len(tools) > 0 {
		wg.Go(func() { errs[3] = b.buildTools(ctx, filepath.Join(buildDir, "tools"), partial, tools) })
	}
	wg.Wait()
	// Keep what was built, even when another part failed.
	if err := keepBuilt(partial, bins.Dir); err != nil {
		errs = append(errs, fmt.Errorf("build the sandbox: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return bins, err
	}
	if still := b.missing(bins); len(still) > 0 {
		return bins, fmt.Errorf("build the sandbox: %s still missing in %s after the build", strings.Join(still, ", "), bins.Dir)
	}
	fmt.Fprintf(b.Progress, "sandbox binaries ready in %s\n", bins.Dir)
	return bins, nil
}

// missing returns what Run has to build.
func (b *Build) missing(bins Binaries) []string {
	out := bins.Missing()
	if b.RealNode {
		out = append(out, bins.MissingRealNode()...)
	}
	return out
}

// keepBuilt moves the finished files of a build from partial into dir.
func keepBuilt(partial, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(partial)
	if err != nil {
		return err
	}
	for _, e := range entries {
		dst := filepath.Join(dir, e.Name())
		if e.IsDir() {
			_ = os.RemoveAll(dst)
		}
		if err := os.Rename(filepath.Join(partial, e.Name()), dst); err != nil {
			return err
		}
	}
	return nil
}

// moduleInfo is what `go mod download -json` prints.
type moduleInfo struct {
	Path, Version, Error, GoMod, Dir string
}

func (b *Build) download(ctx context.Context, dir, module string) (moduleInfo, error) {
	out, err := b.goRun(ctx, dir, nil, "mod", "download", "-json", module)
	var mi moduleInfo
	if jerr := json.Unmarshal(out, &mi); jerr == nil && mi.Error != "" {
		return mi, fmt.Errorf("download %s: %s", module, mi.Error)
	}
	if err != nil {
		return mi, fmt.Errorf("download %s: %w", module, err)
	}
	if err := json.Unmarshal(out, &mi); err != nil {
		return mi, fmt.Errorf("download %s: read go's answer: %w", module, err)
	}
	return mi, nil
}

func (b *Build) buildKubernetes(ctx context.Context, buildDir, out string, components []string) error {
	fmt.Fprintf(b.Progress, "building %s %s from its Go modules (about 6 minutes on 2 cores the first time)\n", strings.Join(components, ", "), b.KubernetesVersion)
	mi, err := b.download(ctx, buildDir, "k8s.io/kubernetes@"+b.KubernetesVersion)
	if err != nil {
		return fmt.Errorf("build the control plane: %w", err)
	}
	k8sMod, err := os.ReadFile(mi.GoMod)
	if err != nil {
		return fmt.Errorf("build the control plane: %w", err)
	}
	gomod, err := GenerateGoMod(k8sMod, b.KubernetesVersion)
	if err != nil {
		return fmt.Errorf("build the control plane: %w", err)
	}
	if err := writeIfChanged(filepath.Join(buildDir, "go.mod"), gomod); err != nil {
		return fmt.Errorf("build the control plane: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(buildDir, "etcd"), 0o755); err != nil {
		return fmt.Errorf("build the control plane: %w", err)
	}
	if err := writeIfChanged(filepath.Join(buildDir, "etcd", "main.go"), []byte(program("etcd"))); err != nil {
		return fmt.Errorf("build the control plane: %w", err)
	}
	args := []string{"build", "-mod=mod", "-ldflags", VersionLDFlags(b.KubernetesVersion), "-o", out + string(filepath.Separator)}
	for _, c := range components {
		if c == Etcd {
			args = append(args, "./etcd")
		} else {
			args = append(args, "k8s.io/kubernetes/cmd/"+c)
		}
	}
	if _, err := b.goRun(ctx, buildDir, nil, args...); err != nil {
		return fmt.Errorf("build %s %s: %w", strings.Join(components, ", "), b.KubernetesVersion, err)
	}
	return nil
}

func (b *Build) copyStages(ctx context.Context, workDir, dst string) error {
	mi, err := b.download(ctx, workDir, "sigs.k8s.io/kwok@"+b.KwokVersion)
	if err != nil {
		return fmt.Errorf("find kwok's stages: %w", err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	n := 0
	for _, sub := range []string{"node", "pod"} {
		dir := filepath.Join(mi.Dir, "kustomize", "stage", sub, "fast")
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range files {
			if filepath.Base(f) == "kustomization.yaml" {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("copy kwok's stages: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644); err != nil {
				return fmt.Errorf("copy kwok's stages: %w", err)
			}
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("copy kwok's stages: no stage files under %s", filepath.Join(mi.Dir, "kustomize", "stage"))
	}
	return nil
}

// goRun runs the go command in dir, streaming its stderr to Progress; the error carries the
// tail of its output.
func (b *Build) goRun(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, b.Go, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS=-buildvcs=false"), env...)
	var stdout bytes.Buffer
	tail := &tailWriter{max: 4096}
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(b.Progress, tail)
	if err := cmd.Run(); err != nil {
		msg := cmp.Or(strings.TrimSpace(tail.String()), strings.TrimSpace(lastBytes(stdout.Bytes(), 2048)))
		return stdout.Bytes(), fmt.Errorf("go %s: %w\n%s", args[0], err, msg)
	}
	return stdout.Bytes(), nil
}

// VersionLDFlags stamps the Kubernetes version into the binaries, so that clients (kubectl,
// Helm's kubeVersion checks) can parse what the server reports.
func VersionLDFlags(version string) string {
	major, minor := "", ""
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	return strings.Join([]string{
		"-X k8s.io/component-base/version.gitVersion=" + version,
		"-X k8s.io/component-base/version.gitMajor=" + major,
		"-X k8s.io/component-base/version.gitMinor=" + minor,
	}, " ")
}

// buildTools builds the registry and the pause program in a module of their own beside the
// Kubernetes build module, so that their dependencies never move Kubernetes' versions.
func (b *Build) buildTools(ctx context.Context, dir, out string, tools []string) error {
	fmt.Fprintf(b.Progress, "building %s\n", strings.Join(tools, ", "))
	files := map[string]string{
		"go.mod":           toolsGoMod,
		"registry/main.go": program("registry"),
		"pause/main.go":    program("pause"),
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("build %s: %w", strings.Join(tools, ", "), err)
		}
		if err := writeIfChanged(path, []byte(content)); err != nil {
			return fmt.Errorf("build %s: %w", strings.Join(tools, ", "), err)
		}
	}
	args := []string{"build", "-mod=mod", "-trimpath", "-o", out + string(filepath.Separator)}
	for _, t := range tools {
		args = append(args, "./"+t)
	}
	// The pause program runs inside the pod sandbox image: static, whatever the host has.
	if _, err := b.goRun(ctx, dir, []string{"CGO_ENABLED=0"}, args...); err != nil {
		return fmt.Errorf("build %s: %w", strings.Join(tools, ", "), err)
	}
	return nil
}

// programs holds the Go programs the sandbox builds beside the upstream ones, one
// programs/NAME/main.go each. Their first line keeps them out of Slipway's own build;
// program returns them as written out for building (without it).
//
//go:embed programs
var programs embed.FS

// buildIgnore is the first line of each of programs' files.
const buildIgnore = "//go:build ignore\n\n"

// program returns the source of programs/name/main.go as it is built.
func program(name string) string {
	b, err := programs.ReadFile("programs/" + name + "/main.go")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	return strings.TrimPrefix(string(b), buildIgnore)
}

var toolsGoMod = `// Generated by slipway sandbox: the real-node mode's registry and pause programs.
module slipway.local/sandbox-tools

go 1.25.0

require github.com/google/go-containerregistry ` + RegistryModuleVersion + `
`

// GenerateGoMod returns the go.mod of the build module for k8s.io/kubernetes at version,
// given that version's own go.mod (k8sMod): it requires k8s.io/kubernetes and etcd's server
// at the version Kubernetes pins, and replaces every staging module (the ones Kubernetes
// replaces with ./staging/src/…) with its published v0.Y.Z.
func GenerateGoMod(k8sMod []byte, version string) ([]byte, error) {
	if !strings.HasPrefix(version, "v1.") {
		return nil, fmt.Errorf("kubernetes version %q: expected v1.Y.Z", version)
	}
	staging := "v0" + strings.TrimPrefix(version, "v1")
	var goVersion, etcdVersion string
	var replaced []string
	sc := bufio.NewScanner(bytes.NewReader(k8sMod))
	inBlock := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if line == ")" {
			inBlock = ""
			continue
		}
		fields := strings.Fields(line)
		verb := ""
		switch fields[0] {
		case "go", "module", "toolchain", "godebug", "exclude", "retract", "tool", "ignore":
			if len(fields) == 2 && fields[0] == "go" {
				goVersion = fields[1]
			}
			if len(fields) == 2 && fields[1] == "(" {
				inBlock = fields[0]
			}
			continue
		case "require", "replace":
			if len(fields) == 2 && fields[1] == "(" {
				inBlock = fields[0]
				continue
			}
			verb, fields = fields[0], fields[1:]
		default:
			verb = inBlock
		}
		switch verb {
		case "require":
			if len(fields) >= 2 && fields[0] == "go.etcd.io/etcd/server/v3" {
				etcdVersion = fields[1]
			}
		case "replace":
			// k8s.io/api => ./staging/src/k8s.io/api
			if len(fields) >= 3 && fields[1] == "=>" && strings.HasPrefix(fields[2], "./staging/") && strings.HasPrefix(fields[0], "k8s.io/") {
				replaced = append(replaced, fields[0])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(replaced) == 0 {
		return nil, errors.New("kubernetes' go.mod replaces no staging module (./staging/src/k8s.io/…)")
	}
	if etcdVersion == "" {
		return nil, errors.New("kubernetes' go.mod does not require go.etcd.io/etcd/server/v3")
	}
	goVersion = cmp.Or(goVersion, "1.26.0")
	slices.Sort(replaced)
	var out bytes.Buffer
	fmt.Fprintf(&out, "// Generated by slipway sandbox: builds Kubernetes %s from its Go modules.\n", version)
	fmt.Fprintf(&out, "module slipway.local/sandbox-build\n\ngo %s\n\n", goVersion)
	fmt.Fprintf(&out, "require (\n\tgo.etcd.io/etcd/server/v3 %s\n\tk8s.io/kubernetes %s\n)\n\n", etcdVersion, version)
	out.WriteString("replace (\n")
	for _, m := range replaced {
		fmt.Fprintf(&out, "\t%s => %s %s\n", m, m, staging)
	}
	out.WriteString(")\n")
	return out.Bytes(), nil
}

func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return os.WriteFile(path, data, 0o644)
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailWriter) String() string { return string(t.buf) }

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
