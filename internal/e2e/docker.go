package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/sysproc"
	"github.com/slipwayhq/slipway/platform/sandbox"
)

// The harness's Docker Engine: one per machine, shared by the test binaries of every
// package. Its runtime files (socket, pidfile, exec root, log, locks) live under
// dockerRunDir; its images and build cache under CacheDir/docker, so they outlive it.
//
// Its network is a bridge of its own, dockerBridge with dockerBridgeAddr, and user-defined
// networks come from dockerPool: neither meets the sandbox's real node (slipway0,
// 10.85.0.0/24, services 10.96.0.0/16) nor names "slipway" in an iptables rule (the
// sandbox's tests compare those rules before and after). Docker keeps its iptables rules
// (NAT, so builds reach Debian's mirror and the npm registry; its DOCKER chains); when the
// engine stops, the harness removes them, and the bridge.
//
// Lifetime: each test that calls DockerEngine holds the engine (a shared flock on
// users.lock) until it ends; the last holder on the machine stops it, so nothing is left
// running. SLIPWAY_DOCKER_KEEP=1 leaves it running for the next run (a rerun then starts in
// no time). Starting and stopping take start.lock, so concurrent test binaries never race.
const (
	dockerRunDir     = "/run/slipway-e2e-docker"
	dockerBridge     = "e2edocker0"
	dockerBridgeAddr = "10.86.0.1/24"
	dockerSubnet     = "10.86.0.0/24"
	dockerPool       = "10.87.0.0/16"
)

type dockerLayout struct{ run string }

func (l dockerLayout) socket() string       { return filepath.Join(l.run, "docker.sock") }
func (l dockerLayout) host() string         { return "unix://" + l.socket() }
func (l dockerLayout) pidfile() string      { return filepath.Join(l.run, "dockerd.pid") }
func (l dockerLayout) execRoot() string     { return filepath.Join(l.run, "exec") }
func (l dockerLayout) logFile() string      { return filepath.Join(l.run, "dockerd.log") }
func (l dockerLayout) configFile() string   { return filepath.Join(l.run, "daemon.json") }
func (l dockerLayout) dataRootFile() string { return filepath.Join(l.run, "data-root") }
func (l dockerLayout) startLock() string    { return filepath.Join(l.run, "start.lock") }
func (l dockerLayout) usersLock() string    { return filepath.Join(l.run, "users.lock") }

// engine is this process's hold on the harness's engine.
var engine struct {
	mu    sync.Mutex
	users int      // tests of this process holding it
	held  *os.File // the shared flock on users.lock while users > 0
	// exited reports the end of the dockerd this process started (its child until this
	// process ends), so that stopping it reaps it.
	exited chan error
}

// DockerEngine returns a DOCKER_HOST value (unix:///…) for a Docker Engine the test may
// use until it ends. When $DOCKER_HOST is set and answers, that engine. Otherwise the
// harness's own dockerd (Debian's docker.io, API 1.41: a Go client must negotiate the API
// version), started if it is not running, with its images and build cache kept in
// CacheDir/docker between runs, and stopped when the last test using it on the machine
// ends (SLIPWAY_DOCKER_KEEP=1 leaves it running). Nothing can be pulled: BaseImages makes
// the base images. Without the docker CLI, dockerd, root or the tools dockerd needs, it
// calls Missing.
func DockerEngine(t testing.TB) (host string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		Missing(t, "the docker CLI is not installed (apt-get install docker.io)")
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		err := pingDocker(h)
		if err == nil {
			return h
		}
		t.Logf("DOCKER_HOST=%s does not answer (%v); using the harness's own engine", h, err)
	}
	if os.Geteuid() != 0 {
		Missing(t, "starting a Docker Engine needs root")
	}
	var missing []string
	for _, p := range []string{"dockerd", "containerd", "runc", "iptables", "iptables-save", "iptables-restore", "ip"} {
		if _, err := sysproc.Look(p); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		Missing(t, "a Docker Engine needs %s (apt-get install docker.io iptables iproute2)", strings.Join(missing, ", "))
	}
	l := dockerLayout{run: dockerRunDir}
	dataRoot := filepath.Join(CacheDir(t), "docker")
	if err := holdEngine(l, dataRoot); err != nil {
		t.Fatalf("start the test Docker Engine: %v", err)
	}
	t.Cleanup(func() {
		if err := releaseEngine(l); err != nil {
			t.Errorf("stop the test Docker Engine: %v", err)
		}
	})
	return l.host()
}

// holdEngine starts the engine unless it answers, and counts this test among its users.
func holdEngine(l dockerLayout, dataRoot string) error {
	engine.mu.Lock()
	defer engine.mu.Unlock()
	if err := os.MkdirAll(l.run, 0o700); err != nil {
		return err
	}
	start, err := flock(l.startLock(), syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer start.Close()
	if err := pingDocker(l.host()); err != nil {
		if err := startDockerd(l, dataRoot); err != nil {
			return err
		}
	}
	if engine.users == 0 {
		held, err := flock(l.usersLock(), syscall.LOCK_SH)
		if err != nil {
			return err
		}
		engine.held = held
	}
	engine.users++
	return nil
}

// releaseEngine ends one test's hold; the last holder on the machine stops the engine
// unless SLIPWAY_DOCKER_KEEP=1.
func releaseEngine(l dockerLayout) error {
	engine.mu.Lock()
	defer engine.mu.Unlock()
	if engine.users--; engine.users > 0 {
		return nil
	}
	start, err := flock(l.startLock(), syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer start.Close()
	engine.held.Close() // gives back the shared lock
	engine.held = nil
	if os.Getenv("SLIPWAY_DOCKER_KEEP") == "1" {
		return nil
	}
	last, err := flock(l.usersLock(), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil // another test binary still uses it
	}
	if err != nil {
		return err
	}
	defer last.Close()
	return stopDockerd(l)
}

// flock opens path and takes how (syscall.LOCK_SH or LOCK_EX, maybe |LOCK_NB) on it; closing
// the file gives the lock back.
func flock(path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the lock %s: %w", path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, err
		}
		return nil, fmt.Errorf("take the lock %s: %w", path, err)
	}
	return f, nil
}

// pingDocker asks the engine at host for its version through the docker CLI.
func pingDocker(host string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := dockerCommand(ctx, host, "version", "--format", "{{.Server.Version}}")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker version: %w: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

// dockerCommand is the docker CLI aimed at host, with the legacy builder (the engine has
// BuildKit, but the CLI's buildx plugin is not installed) and no hints.
func dockerCommand(ctx context.Context, host string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "docker", args...)
	env := []string{"DOCKER_HOST=" + host, "DOCKER_BUILDKIT=0", "DOCKER_CLI_HINTS=false"}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "DOCKER_HOST" && k != "DOCKER_CONTEXT" && k != "DOCKER_BUILDKIT" {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// docker runs the docker CLI on host with stdin and returns its standard output, or fails
// t with what it printed.
func docker(t testing.TB, host string, stdin io.Reader, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := dockerCommand(ctx, host, args...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, tail(out.String(), 60), tail(errb.String(), 60))
	}
	return out.String()
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[… %d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// startDockerd starts the harness's dockerd, in a session of its own so that it outlives
// this test binary for the others using it, and waits for it to answer. Leftovers of an
// engine that died are cleaned first.
func startDockerd(l dockerLayout, dataRoot string) error {
	if err := stopDockerd(l); err != nil {
		return fmt.Errorf("clean up after the previous engine: %w", err)
	}
	dockerd, err := sysproc.Look("dockerd")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataRoot, 0o711); err != nil {
		return err
	}
	if err := ensureBridge(); err != nil {
		return err
	}
	// Its own (empty) daemon.json: the machine's /etc/docker/daemon.json may set hosts,
	// bridges or a data root of its own.
	if err := os.WriteFile(l.configFile(), []byte("{}\n"), 0o600); err != nil {
		return err
	}
	// Noted for stopDockerd, which cleans up after a dockerd that died.
	if err := os.WriteFile(l.dataRootFile(), []byte(dataRoot+"\n"), 0o600); err != nil {
		return err
	}
	logf, err := os.OpenFile(l.logFile(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(dockerd,
		"--config-file", l.configFile(),
		"--data-root", dataRoot,
		"--exec-root", l.execRoot(),
		"--pidfile", l.pidfile(),
		"--host", l.host(),
		"--bridge", dockerBridge,
		"--default-address-pool", "base="+dockerPool+",size=24",
		"--shutdown-timeout", "5",
		"--log-level", "warn",
	)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = systemEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	closeInheritedOnExec()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", dockerd, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); close(exited) }()
	engine.exited = exited
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := pingDocker(l.host())
		if err == nil {
			return nil
		}
		select {
		case werr := <-exited:
			return fmt.Errorf("dockerd exited (%v) before it answered; its log %s ends:\n%s", werr, l.logFile(), logTail(l.logFile()))
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return fmt.Errorf("dockerd did not answer within a minute (%v); its log %s ends:\n%s", err, l.logFile(), logTail(l.logFile()))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// closeInheritedOnExec marks close-on-exec the descriptors this process inherited open
// (Go opens its own so), lest the long-lived dockerd hold them: a lock taken by flock(1)
// around go test, or a test binary's, would then never be given back.
func closeInheritedOnExec() {
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

func logTail(path string) string {
	b, _ := os.ReadFile(path)
	return tail(string(b), 20)
}

// ensureBridge makes the engine's bridge (dockerd uses a bridge of another name than
// docker0 only when it exists) with its gateway address.
func ensureBridge() error {
	ctx := context.Background()
	if _, err := net.InterfaceByName(dockerBridge); err != nil {
		if err := runSystem(ctx, "ip", "link", "add", "name", dockerBridge, "type", "bridge"); err != nil {
			return fmt.Errorf("create the bridge %s: %w", dockerBridge, err)
		}
	}
	addrs, err := exec.Command("ip", "-o", "-4", "addr", "show", "dev", dockerBridge).Output()
	if err != nil {
		return fmt.Errorf("read the addresses of %s: %w", dockerBridge, err)
	}
	if !strings.Contains(string(addrs), " "+dockerBridgeAddr+" ") {
		if err := runSystem(ctx, "ip", "addr", "add", dockerBridgeAddr, "dev", dockerBridge); err != nil {
			return fmt.Errorf("give the bridge %s the address %s: %w", dockerBridge, dockerBridgeAddr, err)
		}
	}
	if err := runSystem(ctx, "ip", "link", "set", dockerBridge, "up"); err != nil {
		return fmt.Errorf("bring the bridge %s up: %w", dockerBridge, err)
	}
	return nil
}

// stopDockerd removes the dangling images of the harness's dockerd and stops it (SIGTERM:
// it stops its containers and its containerd), kills what a dockerd that died left running
// (containerd, shims, containers), unmounts what it left mounted, removes its iptables
// rules, bridge and runtime files. With nothing running it only cleans up. It goes on past
// a failure and returns them all.
func stopDockerd(l dockerLayout) error {
	var errs []error
	if pid := dockerdPID(l); pid > 0 {
		// Images left untagged (replaced by a rebuild, or by a test's image of the same
		// name) go, so that the kept data root does not grow run after run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_ = dockerCommand(ctx, l.host(), "image", "prune", "--force").Run()
		cancel()
		_ = syscall.Kill(pid, syscall.SIGTERM)
		if !waitExit(pid, 30*time.Second) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			if !waitExit(pid, 5*time.Second) {
				errs = append(errs, fmt.Errorf("dockerd %d still runs after SIGKILL", pid))
			}
		}
	}
	if engine.exited != nil {
		select {
		case <-engine.exited:
		case <-time.After(5 * time.Second):
		}
		engine.exited = nil
	}
	// A dockerd killed outright leaves its containerd, the shims and their containers.
	ctx := context.Background()
	runcRoot := filepath.Join(l.execRoot(), "runtime-runc", "moby")
	if ids, _ := os.ReadDir(runcRoot); len(ids) > 0 {
		for _, id := range ids {
			if err := runSystem(ctx, "runc", "--root", runcRoot, "delete", "--force", id.Name()); err != nil {
				errs = append(errs, fmt.Errorf("remove the container %s: %w", id.Name(), err))
			}
		}
	}
	for _, pid := range pidsMentioning(l.execRoot()) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		if !waitExit(pid, 5*time.Second) {
			errs = append(errs, fmt.Errorf("process %d of the engine still runs after SIGKILL", pid))
		}
	}
	// Shims killed so leave their sockets in containerd's built-in /run/containerd/s, named
	// after containerd's socket, the namespace and the container.
	containerdSock := filepath.Join(l.execRoot(), "containerd", "containerd.sock")
	tasks, _ := filepath.Glob(filepath.Join(l.execRoot(), "containerd", "daemon", "io.containerd.runtime.v2.task", "*", "*"))
	for _, task := range tasks {
		ns, id := filepath.Base(filepath.Dir(task)), filepath.Base(task)
		sum := sha256.Sum256([]byte(filepath.Join(containerdSock, ns, id)))
		_ = os.Remove(fmt.Sprintf("/run/containerd/s/%x", sum))
	}
	mountsLeft := false
	dirs := []string{l.execRoot()}
	if b, err := os.ReadFile(l.dataRootFile()); err == nil && strings.TrimSpace(string(b)) != "" {
		dirs = append(dirs, strings.TrimSpace(string(b)))
	}
	for _, dir := range dirs {
		if err := sandbox.UnmountUnder(dir); err != nil {
			errs = append(errs, err)
			mountsLeft = true
		}
	}
	errs = append(errs, removeDockerIptables(ctx, !otherDockerd()))
	if _, err := net.InterfaceByName(dockerBridge); err == nil {
		if err := runSystem(ctx, "ip", "link", "del", dockerBridge); err != nil {
			errs = append(errs, fmt.Errorf("delete the bridge %s: %w", dockerBridge, err))
		}
	}
	if !mountsLeft {
		if err := os.RemoveAll(l.execRoot()); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range []string{l.pidfile(), l.socket()} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
	}
	// containerd's shims put their sockets in /run/containerd/s whatever its root; the
	// directories go when empty (a running containerd makes them again when it needs them).
	_ = os.Remove("/run/containerd/s")
	_ = os.Remove("/run/containerd")
	return errors.Join(errs...)
}

// dockerdPID returns the pid in the engine's pidfile when that process is a dockerd serving
// the engine's socket (not a process that reused a dead one's pid), else 0.
func dockerdPID(l dockerLayout) int {
	b, err := os.ReadFile(l.pidfile())
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	args := sysproc.Cmdline(pid)
	if len(args) == 0 || filepath.Base(args[0]) != "dockerd" || !slices.Contains(args, l.host()) {
		return 0
	}
	return pid
}

// waitExit waits up to d for pid to be gone (or a zombie).
func waitExit(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for sysproc.Running(pid, 0) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

// pidsMentioning returns the processes (not this one) with an argument under dir, or dir.
func pidsMentioning(dir string) []int {
	return sysproc.WithArg(func(a string) bool {
		return a == dir || strings.HasPrefix(a, dir+"/") || strings.Contains(a, "="+dir+"/")
	})
}

// otherDockerd reports whether a dockerd runs on this machine (the harness's is stopped
// when this is asked).
func otherDockerd() bool {
	return slices.ContainsFunc(sysproc.All(), func(p sysproc.Proc) bool { return p.Comm == "dockerd" && !p.Exited() })
}

// dockerChains are the chains every dockerd makes.
var dockerChains = map[string]bool{"DOCKER": true, "DOCKER-USER": true, "DOCKER-ISOLATION-STAGE-1": true, "DOCKER-ISOLATION-STAGE-2": true}

// removeDockerIptables removes the engine's iptables rules (those naming its bridge or an
// address of its networks) and, when allChains (no dockerd runs any more), Docker's chains
// and the rules jumping to them.
func removeDockerIptables(ctx context.Context, allChains bool) error {
	cmd, err := sysproc.Command(ctx, "iptables-save")
	if err != nil {
		return err
	}
	cmd.Env = systemEnv()
	save, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("read the iptables rules: %w", err)
	}
	script := dockerSweep(string(save), allChains)
	if script == "" {
		return nil
	}
	if cmd, err = sysproc.Command(ctx, "iptables-restore", "--noflush", "-w", "10"); err != nil {
		return err
	}
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = systemEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("remove the test Docker Engine's iptables rules: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// dockerSweep returns the iptables-restore --noflush input that removes from save (the
// output of iptables-save) the harness engine's rules, and Docker's chains when allChains,
// or "" when there is nothing to remove.
func dockerSweep(save string, allChains bool) string {
	var out strings.Builder
	var table string
	var lines, drop []string
	flush := func() {
		if table != "" && len(lines)+len(drop) > 0 {
			for _, c := range drop {
				lines = append(lines, "-F "+c)
			}
			for _, c := range drop {
				lines = append(lines, "-X "+c)
			}
			fmt.Fprintf(&out, "*%s\n%s\nCOMMIT\n", table, strings.Join(lines, "\n"))
		}
		table, lines, drop = "", nil, nil
	}
	for _, line := range strings.Split(save, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			flush()
			table = line[1:]
		case line == "COMMIT":
			flush()
		case strings.HasPrefix(line, ":"):
			if f := strings.Fields(line[1:]); len(f) > 0 && allChains && dockerChains[f[0]] {
				drop = append(drop, f[0])
			}
		case strings.HasPrefix(line, "-A "):
			chain, args, _ := strings.Cut(line[3:], " ")
			if allChains && dockerChains[chain] {
				continue // goes with its chain
			}
			if engineRule(args) || (allChains && dockerChains[ruleJump(args)]) {
				lines = append(lines, "-D "+chain+" "+args)
			}
		}
	}
	flush()
	return out.String()
}

// engineRule tells whether a rule names the engine's bridge or an address of its networks.
func engineRule(args string) bool {
	_, bridgeNet, _ := net.ParseCIDR(dockerSubnet)
	_, pool, _ := net.ParseCIDR(dockerPool)
	f := strings.Fields(args)
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "-i", "-o", "--in-interface", "--out-interface":
			if f[i+1] == dockerBridge {
				return true
			}
		case "-s", "-d", "--source", "--destination", "--to-destination":
			addr, _, _ := strings.Cut(f[i+1], ":")
			ip, _, err := net.ParseCIDR(addr)
			if err != nil {
				ip = net.ParseIP(addr)
			}
			if ip != nil && (bridgeNet.Contains(ip) || pool.Contains(ip)) {
				return true
			}
		}
	}
	return false
}

// ruleJump returns the chain a rule jumps or goes to.
func ruleJump(args string) string {
	f := strings.Fields(args)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "-j" || f[i] == "-g" || f[i] == "--jump" || f[i] == "--goto" {
			return f[i+1]
		}
	}
	return ""
}

// runSystem runs a system program and returns its output in the error when it fails.
func runSystem(ctx context.Context, name string, args ...string) error {
	cmd, err := sysproc.Command(ctx, name, args...)
	if err != nil {
		return err
	}
	cmd.Env = systemEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// systemEnv is the environment of the system programs the harness runs, without the
// DOCKER_* settings of the tests' docker client.
func systemEnv() []string { return sysproc.Env("DOCKER_") }
