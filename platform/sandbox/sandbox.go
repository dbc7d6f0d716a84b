package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/slipwayhq/slipway/internal/sysproc"
)

// Sandbox is one local cluster, kept in the state directory Dir.
type Sandbox struct {
	// Dir is the state directory: certificates, etcd's data, logs, PIDs, kubeconfig.
	Dir string
	// Binaries are the built programs (see Build).
	Binaries Binaries
	// Nodes is how many simulated nodes Up creates (default 2).
	Nodes int
	// RealNode also runs a real node: a kubelet on a containerd of the sandbox's own, with
	// kube-proxy and an image registry on loopback (see CheckRealNode for what it needs).
	// The simulated nodes are then tainted (FakeNodeTaint), so that workloads land on it.
	RealNode bool
	// Progress receives what Up and Down are doing.
	Progress io.Writer
	// Timeout bounds each wait of Up (default 90s).
	Timeout time.Duration
	// StopGrace is how long Down waits after SIGTERM before SIGKILL (default 5s).
	StopGrace time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Process is one started daemon, as recorded in the state file.
type Process struct {
	Name   string `json:"name"`
	PID    int    `json:"pid"`
	Binary string `json:"binary"`
	Log    string `json:"log"`
	// StartTime is the process's start time in /proc (clock ticks since boot), which tells
	// it from a later process given the same PID.
	StartTime uint64 `json:"startTime,omitempty"`
}

// state is the state file's content.
type state struct {
	KubernetesVersion string    `json:"kubernetesVersion"`
	Server            string    `json:"server"`
	Ports             Ports     `json:"ports"`
	Started           time.Time `json:"started"`
	Processes         []Process `json:"processes"`
	// RealNode is set when the sandbox runs a real node.
	RealNode *realNodeState `json:"realNode,omitempty"`
}

// components returns the daemons of a sandbox in start order.
func (st *state) components() []string {
	if st != nil && st.RealNode != nil {
		return append(append([]string{}, Components...), RealNodeComponents...)
	}
	return Components
}

// ComponentStatus says whether one component runs.
type ComponentStatus struct {
	Name    string
	PID     int
	Running bool
	Log     string
}

// UpResult is what Up did.
type UpResult struct {
	// Kubeconfig is the admin kubeconfig's path.
	Kubeconfig string
	// Server is the API server's URL.
	Server string
	// Registry is the real node's image registry, as host:port (localhost:PORT); empty
	// without a real node.
	Registry string
	// AlreadyRunning is true when Up found the sandbox running and changed nothing.
	AlreadyRunning bool
}

// ComponentError is the failure of one component, with the end of its log.
type ComponentError struct {
	Component string
	Log       string
	Tail      string
	Err       error
}

func (e *ComponentError) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Component, e.Err)
	if e.Log != "" {
		msg += fmt.Sprintf(" (log: %s)", e.Log)
	}
	if t := strings.TrimSpace(e.Tail); t != "" {
		msg += "\nlast lines of its log:\n  " + strings.ReplaceAll(t, "\n", "\n  ")
	}
	return msg
}

func (e *ComponentError) Unwrap() error { return e.Err }

// ErrPartlyRunning is returned by Up when some of the sandbox's processes run and others
// not, or all run but it never became ready: it has to be stopped first.
var ErrPartlyRunning = errors.New("the sandbox is partly running")

// ErrRunsWithoutRealNode is returned by Up with RealNode when the sandbox already runs
// without one: it has to be stopped first.
var ErrRunsWithoutRealNode = errors.New("the sandbox runs without a real node")

func (s *Sandbox) defaults() {
	if s.Nodes <= 0 {
		s.Nodes = 2
	}
	if s.Progress == nil {
		s.Progress = io.Discard
	}
	if s.Timeout <= 0 {
		s.Timeout = 90 * time.Second
	}
	if s.StopGrace <= 0 {
		s.StopGrace = 5 * time.Second
	}
	if s.Now == nil {
		s.Now = time.Now
	}
}

func (s *Sandbox) layout() layout { return layout{dir: s.Dir} }

// Kubeconfig returns the path of the admin kubeconfig Up writes.
func (s *Sandbox) Kubeconfig() string { return s.layout().kubeconfig() }

func (s *Sandbox) readState() (*state, error) {
	b, err := os.ReadFile(s.layout().stateFile())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read the sandbox state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read the sandbox state %s: %w", s.layout().stateFile(), err)
	}
	return &st, nil
}

func (s *Sandbox) writeState(st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.layout().stateFile() + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write the sandbox state: %w", err)
	}
	return os.Rename(tmp, s.layout().stateFile())
}

// Status reports each recorded component and whether it runs; an empty list means no
// sandbox has been started in Dir.
func (s *Sandbox) Status() ([]ComponentStatus, error) {
	s.defaults()
	st, err := s.readState()
	if err != nil || st == nil {
		return nil, err
	}
	recorded := map[string]Process{}
	for _, p := range st.Processes {
		recorded[p.Name] = p
	}
	var out []ComponentStatus
	for _, c := range st.components() {
		p, ok := recorded[c]
		cs := ComponentStatus{Name: c, Log: s.layout().logFile(c)}
		if ok {
			cs.PID = p.PID
			cs.Running = alive(p)
		}
		out = append(out, cs)
	}
	return out, nil
}

// Registry returns the real node's image registry (localhost:PORT), or "" when the
// sandbox has no real node or is not started.
func (s *Sandbox) Registry() (string, error) {
	st, err := s.readState()
	if err != nil || st == nil || st.RealNode == nil {
		return "", err
	}
	return st.RealNode.Registry, nil
}

// Up starts the sandbox and waits until the API server is ready and the nodes are Ready.
// When it is already running Up changes nothing.
func (s *Sandbox) Up(ctx context.Context) (*UpResult, error) {
	s.defaults()
	l := s.layout()
	st, err := s.readState()
	if err != nil {
		return nil, err
	}
	if st != nil {
		var up, down []string
		for _, p := range st.Processes {
			if alive(p) {
				up = append(up, p.Name)
			} else {
				down = append(down, p.Name)
			}
		}
		switch {
		case len(up) == len(st.components()):
			if s.RealNode && st.RealNode == nil {
				return nil, fmt.Errorf("%w (state directory %s)", ErrRunsWithoutRealNode, s.Dir)
			}
			if _, err := os.Stat(l.kubeconfig()); err == nil {
				res := &UpResult{Kubeconfig: l.kubeconfig(), Server: st.Server, AlreadyRunning: true}
				if st.RealNode != nil {
					res.Registry = st.RealNode.Registry
				}
				return res, nil
			}
			return nil, fmt.Errorf("%w in %s: every component runs but it never became ready (no kubeconfig)", ErrPartlyRunning, s.Dir)
		case len(up) > 0:
			return nil, fmt.Errorf("%w in %s: %s stopped (logs in %s)", ErrPartlyRunning, s.Dir, strings.Join(down, ", "), l.logs())
		}
		fmt.Fprintf(s.Progress, "removing the stopped sandbox's state in %s\n", s.Dir)
		if st.RealNode != nil {
			if err := cleanupRealNode(l, st.RealNode, s.Binaries.Path(KubeProxy)); err != nil {
				return nil, fmt.Errorf("clean up after the stopped sandbox's real node: %w", err)
			}
		}
		if err := removeState(l); err != nil {
			return nil, err
		}
	} else if err := checkEmptyOrAbsent(s.Dir); err != nil {
		return nil, err
	} else if hasSandboxFiles(l) {
		if err := removeState(l); err != nil {
			return nil, err
		}
	}

	if s.RealNode {
		if err := CheckRealNode(); err != nil {
			return nil, err
		}
		if missing := s.Binaries.MissingRealNode(); len(missing) > 0 {
			return nil, fmt.Errorf("%s not built in %s: build the sandbox with the real node first", strings.Join(missing, ", "), s.Binaries.Dir)
		}
		if err := s.reclaimBridge(); err != nil {
			return nil, err
		}
	}
	for _, dir := range []string{s.Dir, l.logs(), l.run()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create the state directory: %w", err)
		}
	}
	stages, err := s.Binaries.Stages()
	if err != nil {
		return nil, err
	}
	for _, c := range Components {
		if _, err := os.Stat(s.Binaries.Path(c)); err != nil {
			return nil, fmt.Errorf("%s is not built (%s): build the sandbox first", c, s.Binaries.Path(c))
		}
	}
	pki, err := GeneratePKI(l.pki(), s.Now())
	if err != nil {
		return nil, fmt.Errorf("create the sandbox's certificates: %w", err)
	}
	ports, err := freePorts(5)
	if err != nil {
		return nil, fmt.Errorf("find free loopback ports: %w", err)
	}
	p := Ports{EtcdClient: ports[0], EtcdPeer: ports[1], APIServer: ports[2], ControllerManager: ports[3], Scheduler: ports[4]}
	st = &state{KubernetesVersion: strings.TrimPrefix(filepath.Base(s.Binaries.Dir), "bin-"), Server: loopbackURL("https", p.APIServer), Ports: p, Started: s.Now()}
	if s.RealNode {
		if st.RealNode, err = newRealNodeState(); err != nil {
			return nil, err
		}
	}
	token, err := pki.AdminToken()
	if err != nil {
		return nil, err
	}
	ca, err := pki.CACert()
	if err != nil {
		return nil, err
	}
	if err := writeKubeconfig(l.componentKubeconfig(), st.Server, ca, token); err != nil {
		return nil, err
	}
	r := &run{s: s, l: l, st: st, exited: map[string]chan struct{}{}}
	res, err := r.up(ctx, stages, pki, ca, token)
	if err != nil {
		r.stopStarted()
		return nil, err
	}
	return res, nil
}

// run is one Up in progress.
type run struct {
	s      *Sandbox
	l      layout
	st     *state
	exited map[string]chan struct{}
	cmds   map[string]*exec.Cmd
}

func (r *run) up(ctx context.Context, stages []string, pki PKI, ca []byte, token string) (*UpResult, error) {
	s := r.s
	start := s.Now()
	client := apiClient(ca)
	phases := []struct {
		component string
		ready     func(context.Context) error
	}{
		{Etcd, r.ready(Etcd, client, token)},
		{KubeAPIServer, r.ready(KubeAPIServer, client, token)},
		{KubeControllerManager, r.ready(KubeControllerManager, client, token)},
		{KubeScheduler, r.ready(KubeScheduler, client, token)},
		{Kwok, nil},
	}
	for _, ph := range phases {
		fmt.Fprintf(s.Progress, "starting %s\n", ph.component)
		if err := r.start(ph.component, s.Binaries.Path(ph.component), componentArgs(ph.component, r.l, r.st.Ports, stages), nil); err != nil {
			return nil, err
		}
		if ph.ready != nil {
			if err := r.wait(ctx, ph.component, ph.component+" to become ready", ph.ready); err != nil {
				return nil, err
			}
		}
	}
	kube, err := newKubeClient(r.st.Server, ca, token)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(s.Progress, "creating %d simulated nodes\n", s.Nodes)
	if err := r.wait(ctx, KubeAPIServer, "the nodes to be created", func(ctx context.Context) error {
		return createNodes(ctx, kube, s.Nodes, s.RealNode)
	}); err != nil {
		return nil, err
	}
	if err := r.wait(ctx, Kwok, "the nodes to become Ready", func(ctx context.Context) error {
		return nodesReady(ctx, kube, s.Nodes)
	}); err != nil {
		return nil, err
	}
	if err := r.wait(ctx, KubeControllerManager, "the default service account", func(ctx context.Context) error {
		return defaultServiceAccount(ctx, kube)
	}); err != nil {
		return nil, err
	}
	res := &UpResult{Kubeconfig: r.l.kubeconfig(), Server: r.st.Server}
	nodes := fmt.Sprintf("%d simulated nodes", s.Nodes)
	if s.RealNode {
		if err := r.upRealNode(ctx, kube, pki, ca); err != nil {
			return nil, err
		}
		res.Registry = r.st.RealNode.Registry
		nodes = fmt.Sprintf("real node %s and %d simulated nodes (tainted %s), registry %s", RealNodeName, s.Nodes, FakeNodeTaint.ToString(), res.Registry)
	}
	if err := writeKubeconfig(r.l.kubeconfig(), r.st.Server, ca, token); err != nil {
		return nil, err
	}
	fmt.Fprintf(s.Progress, "sandbox ready in %s: %s, %s\n", s.Now().Sub(start).Round(100*time.Millisecond), r.st.Server, nodes)
	return res, nil
}

// ready returns the check that a control-plane component serves, nil for another
// component; client trusts the sandbox's CA, token is the admin's.
func (r *run) ready(component string, client *http.Client, token string) func(context.Context) error {
	p := r.st.Ports
	switch component {
	case Etcd:
		return func(ctx context.Context) error {
			return httpOK(ctx, http.DefaultClient, loopbackURL("http", p.EtcdClient)+"/health", "")
		}
	case KubeAPIServer:
		return func(ctx context.Context) error { return httpOK(ctx, client, r.st.Server+"/readyz", token) }
	case KubeControllerManager:
		return func(ctx context.Context) error {
			return httpOK(ctx, insecureClient, loopbackURL("https", p.ControllerManager)+"/healthz", "")
		}
	case KubeScheduler:
		return func(ctx context.Context) error {
			return httpOK(ctx, insecureClient, loopbackURL("https", p.Scheduler)+"/healthz", "")
		}
	}
	return nil
}

// start launches component's program bin detached (its own session), its output in its log
// file; env nil means this process's environment. It records the process in the state,
// in place of an earlier record of component (a restart).
func (r *run) start(component, bin string, args, env []string) error {
	logPath := r.l.logFile(component)
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return &ComponentError{Component: component, Err: err}
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = r.s.Dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return &ComponentError{Component: component, Log: logPath, Err: fmt.Errorf("start %s: %w", bin, err)}
	}
	done := make(chan struct{})
	r.exited[component] = done
	if r.cmds == nil {
		r.cmds = map[string]*exec.Cmd{}
	}
	r.cmds[component] = cmd
	go func() { _ = cmd.Wait(); close(done) }()
	rec := Process{Name: component, PID: cmd.Process.Pid, Binary: bin, Log: logPath, StartTime: sysproc.StartTime(cmd.Process.Pid)}
	if i := slices.IndexFunc(r.st.Processes, func(p Process) bool { return p.Name == component }); i >= 0 {
		r.st.Processes[i] = rec
	} else {
		r.st.Processes = append(r.st.Processes, rec)
	}
	return r.s.writeState(r.st)
}

// wait polls ready until it succeeds, the timeout passes, ctx ends or a started process exits
// (blamed on component when it is that component, else on the one that exited).
func (r *run) wait(ctx context.Context, component, what string, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, r.s.Timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		for name, done := range r.exited {
			select {
			case <-done:
				err := fmt.Errorf("exited while waiting for %s", what)
				if c := r.cmds[name]; c != nil && c.ProcessState != nil {
					err = fmt.Errorf("exited (%s) while waiting for %s", c.ProcessState, what)
				}
				return r.componentError(name, err)
			default:
			}
		}
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		last = ready(pctx)
		pcancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return r.componentError(component, fmt.Errorf("timed out after %s waiting for %s: %v", r.s.Timeout, what, last))
			}
			return fmt.Errorf("interrupted while waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
}

func (r *run) componentError(component string, err error) error {
	log := r.l.logFile(component)
	return &ComponentError{Component: component, Log: log, Tail: tailFile(log, 15), Err: err}
}

// stopStarted stops what this run started, after a failure; the state directory stays for
// its logs.
func (r *run) stopStarted() {
	stopProcesses(r.st.Processes, r.s.StopGrace)
	for _, done := range r.exited {
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	}
	if r.st.RealNode != nil {
		if err := cleanupRealNode(r.l, r.st.RealNode, r.s.Binaries.Path(KubeProxy)); err != nil {
			fmt.Fprintf(r.s.Progress, "cleaning up after the real node: %v\n", err)
		}
	}
	_ = os.Remove(r.l.stateFile())
}

// Down stops every process of the sandbox (SIGTERM, then SIGKILL after StopGrace) and
// removes its state unless keep. It returns the components it stopped; none when no
// sandbox was there.
func (s *Sandbox) Down(keep bool) ([]string, error) {
	s.defaults()
	l := s.layout()
	st, err := s.readState()
	if err != nil {
		return nil, err
	}
	var stopped []string
	if st != nil {
		for _, p := range st.Processes {
			if alive(p) {
				stopped = append(stopped, p.Name)
			}
		}
		if len(stopped) > 0 {
			fmt.Fprintf(s.Progress, "stopping %s\n", strings.Join(stopped, ", "))
		}
		if left := stopProcesses(st.Processes, s.StopGrace); len(left) > 0 {
			return stopped, fmt.Errorf("stop the sandbox: %s still running after SIGKILL", strings.Join(left, ", "))
		}
		if st.RealNode != nil {
			fmt.Fprintf(s.Progress, "removing the real node's containers, mounts, bridge and iptables rules\n")
			if err := cleanupRealNode(l, st.RealNode, s.Binaries.Path(KubeProxy)); err != nil {
				return stopped, fmt.Errorf("stop the sandbox's real node: %w", err)
			}
		}
	}
	if exists, owner := bridgeOwner(); exists && owner == l.dir && (st == nil || st.RealNode == nil) {
		// Its state went (removed, or a failed start's), the bridge in its name stayed.
		fmt.Fprintf(s.Progress, "removing the real node's containers, mounts, bridge and iptables rules left in %s's name\n", s.Dir)
		if err := cleanupRealNode(l, nil, s.Binaries.Path(KubeProxy)); err != nil {
			return stopped, fmt.Errorf("clean up after the sandbox's real node: %w", err)
		}
	}
	if keep {
		return stopped, nil
	}
	if st != nil || hasSandboxFiles(l) {
		if err := removeState(l); err != nil {
			return stopped, err
		}
	}
	return stopped, nil
}

func removeState(l layout) error {
	// Never delete through a mount (a volume, a container's root filesystem).
	if err := UnmountUnder(l.dir); err != nil {
		return fmt.Errorf("remove the sandbox state: %w", err)
	}
	for _, e := range l.entries() {
		if err := os.RemoveAll(e); err != nil {
			return fmt.Errorf("remove the sandbox state: %w", err)
		}
	}
	_ = os.Remove(l.dir) // only when empty
	return nil
}

func hasSandboxFiles(l layout) bool {
	for _, e := range l.entries() {
		if _, err := os.Lstat(e); err == nil {
			return true
		}
	}
	return false
}

// checkEmptyOrAbsent refuses to use a directory holding something else than a sandbox.
func checkEmptyOrAbsent(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("use %s as the sandbox state directory: %w", dir, err)
	}
	l := layout{dir: dir}
	known := map[string]bool{}
	for _, e := range l.entries() {
		known[filepath.Base(e)] = true
	}
	for _, e := range entries {
		if !known[e.Name()] {
			return fmt.Errorf("%s holds %s, which is not a sandbox's: choose an empty or new directory", dir, e.Name())
		}
	}
	return nil
}

// insecureClient probes the health endpoints of the controller manager and scheduler, which
// serve on loopback with certificates they make themselves.
var insecureClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

func apiClient(ca []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func httpOK(ctx context.Context, c *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
