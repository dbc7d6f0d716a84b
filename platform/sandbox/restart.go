package sandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ControlPlane lists the components Stop, Kill and Start act on one at a time, in start order:
// a client of the sandbox can be shown its API server, or etcd behind it, going away and
// coming back. The nodes' daemons (kwok, the real node's) are left to Up and Down.
var ControlPlane = []string{Etcd, KubeAPIServer, KubeControllerManager, KubeScheduler}

// controlPlaneNeeds names the component each one cannot become ready without.
var controlPlaneNeeds = map[string]string{
	KubeAPIServer:         Etcd,
	KubeControllerManager: KubeAPIServer,
	KubeScheduler:         KubeAPIServer,
}

// ErrNoSandbox is returned by Stop, Kill and Start when no sandbox was started in the state
// directory.
var ErrNoSandbox = errors.New("no sandbox has been started")

// NotControlPlaneError is the refusal of Stop, Kill or Start to act on a component that is not
// in ControlPlane.
type NotControlPlaneError struct {
	Component string
}

func (e *NotControlPlaneError) Error() string {
	return fmt.Sprintf("%q is not a control-plane component of the sandbox: one of %s can be stopped and started", e.Component, strings.Join(ControlPlane, ", "))
}

// process returns the record of a control-plane component in the sandbox's state.
func (s *Sandbox) process(component string) (*state, int, error) {
	if !slices.Contains(ControlPlane, component) {
		return nil, 0, &NotControlPlaneError{Component: component}
	}
	st, err := s.readState()
	if err != nil {
		return nil, 0, err
	}
	if st == nil {
		return nil, 0, fmt.Errorf("%w in %s", ErrNoSandbox, s.Dir)
	}
	i := slices.IndexFunc(st.Processes, func(p Process) bool { return p.Name == component })
	if i < 0 {
		return nil, 0, fmt.Errorf("the sandbox in %s never started %s", s.Dir, component)
	}
	return st, i, nil
}

// Stop stops one control-plane component (SIGTERM, then SIGKILL after StopGrace), the rest
// of the sandbox running on. It reports false when the component was not running. The
// state keeps the component's record, so that Status shows it stopped and Start starts
// it again. The API server, whose clients keep their watches open, takes the whole grace.
func (s *Sandbox) Stop(component string) (stopped bool, err error) {
	return s.stop(component, false)
}

// Kill is Stop with SIGKILL at once, as a crash would end the component: its clients see
// their connections reset, without a graceful shutdown first.
func (s *Sandbox) Kill(component string) (killed bool, err error) {
	return s.stop(component, true)
}

func (s *Sandbox) stop(component string, kill bool) (bool, error) {
	s.defaults()
	st, i, err := s.process(component)
	if err != nil {
		return false, err
	}
	p := st.Processes[i]
	if !alive(p) {
		return false, nil
	}
	if kill {
		fmt.Fprintf(s.Progress, "killing %s\n", component)
		signalGroup(p.PID, syscall.SIGKILL)
		if !waitGone(p, 3*time.Second) {
			return false, &ComponentError{Component: component, Log: p.Log, Err: errors.New("still running after SIGKILL")}
		}
		return true, nil
	}
	fmt.Fprintf(s.Progress, "stopping %s\n", component)
	if left := stopProcesses([]Process{p}, s.StopGrace); len(left) > 0 {
		return false, &ComponentError{Component: component, Log: p.Log, Err: errors.New("still running after SIGKILL")}
	}
	return true, nil
}

// Start starts a control-plane component that Stop stopped (or that died) with the
// program, arguments and ports it had, waits until it serves, and records its new process
// in the state (Down stops it). It reports false when the component was running already.
// The components it needs (etcd for the API server, the API server for the others) must
// be running. When it does not become ready before Timeout it is stopped again and the
// error carries the end of its log, which the new process appends to.
func (s *Sandbox) Start(ctx context.Context, component string) (started bool, err error) {
	s.defaults()
	st, i, err := s.process(component)
	if err != nil {
		return false, err
	}
	p := st.Processes[i]
	if alive(p) {
		return false, nil
	}
	if need := controlPlaneNeeds[component]; need != "" {
		if j := slices.IndexFunc(st.Processes, func(p Process) bool { return p.Name == need }); j < 0 || !alive(st.Processes[j]) {
			return false, fmt.Errorf("%s needs %s, which is stopped: start %s first", component, need, need)
		}
	}
	l := s.layout()
	pki := PKI{Dir: l.pki()}
	token, err := pki.AdminToken()
	if err != nil {
		return false, err
	}
	ca, err := pki.CACert()
	if err != nil {
		return false, fmt.Errorf("read the sandbox's CA certificate: %w", err)
	}
	bin := p.Binary
	if bin == "" {
		bin = s.Binaries.Path(component)
	}
	r := &run{s: s, l: l, st: st, exited: map[string]chan struct{}{}}
	fmt.Fprintf(s.Progress, "starting %s\n", component)
	if err := r.start(component, bin, componentArgs(component, l, st.Ports, nil), nil); err != nil {
		return false, err
	}
	if err := r.wait(ctx, component, component+" to become ready", r.ready(component, apiClient(ca), token)); err != nil {
		stopProcesses([]Process{st.Processes[i]}, s.StopGrace)
		return false, err
	}
	return true, nil
}
