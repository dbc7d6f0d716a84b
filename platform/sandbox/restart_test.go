package sandbox

import (
	"errors"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/sysproc"
)

// TestFakeEtcd is not a test: run by the fake etcd of TestStartStop (SLIPWAY_FAKE_ETCD
// set), it serves /health on the client URL of its command line until killed.
func TestFakeEtcd(t *testing.T) {
	if os.Getenv("SLIPWAY_FAKE_ETCD") == "" {
		t.Skip("the fake etcd of TestStartStop")
	}
	for _, a := range os.Args {
		if v, ok := strings.CutPrefix(a, "--listen-client-urls="); ok {
			u, err := url.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			l, err := net.Listen("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			t.Fatal(http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
		}
	}
	t.Fatal("no --listen-client-urls")
}

// sleeper starts a process that sleeps, as a recorded component, and ends it with the test.
func sleeper(t *testing.T, name string) Process {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	return Process{Name: name, PID: cmd.Process.Pid, Binary: "/bin/sleep", StartTime: sysproc.StartTime(cmd.Process.Pid)}
}

// deadProcess returns the record of a process that has exited.
func deadProcess(t *testing.T, name, bin string) Process {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	return Process{Name: name, PID: cmd.Process.Pid, Binary: bin, StartTime: 1}
}

func TestStopStartRefusals(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	dir := t.TempDir()
	s := &Sandbox{Dir: dir}
	if _, err := s.Stop(Etcd); !errors.Is(err, ErrNoSandbox) {
		t.Errorf("Stop without a sandbox: err = %v, want ErrNoSandbox", err)
	}
	if err := s.writeState(&state{Processes: []Process{
		deadProcess(t, Etcd, "/x/etcd"),
		deadProcess(t, KubeAPIServer, "/x/kube-apiserver"),
		sleeper(t, KubeControllerManager),
	}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, component string
		op              func(string) (bool, error)
		want            string
	}{
		{"kwok is not the control plane", Kwok, s.Stop, `"kwok" is not a control-plane component of the sandbox: one of etcd, kube-apiserver, kube-controller-manager, kube-scheduler can be stopped and started`},
		{"nor the kubelet", Kubelet, func(c string) (bool, error) { return s.Start(t.Context(), c) }, `"kubelet" is not a control-plane component`},
		{"an unknown name", "apiserver", s.Stop, `"apiserver" is not a control-plane component`},
		{"kill kwok", Kwok, s.Kill, `"kwok" is not a control-plane component`},
		{"not in the state", KubeScheduler, s.Stop, "never started kube-scheduler"},
		{"the API server needs etcd", KubeAPIServer, func(c string) (bool, error) { return s.Start(t.Context(), c) }, "kube-apiserver needs etcd, which is stopped: start etcd first"},
		{"the controller manager needs the API server", KubeControllerManager, func(c string) (bool, error) {
			if _, err := s.Stop(c); err != nil {
				return false, err
			}
			return s.Start(t.Context(), c)
		}, "kube-controller-manager needs kube-apiserver, which is stopped"},
	} {
		t.Run(c.name, func(t *testing.T) {
			changed, err := c.op(c.component)
			if err == nil || !strings.Contains(err.Error(), c.want) || changed {
				t.Errorf("%s: %v, %v; want a refusal containing %q", c.component, changed, err, c.want)
			}
			var nc *NotControlPlaneError
			if errors.As(err, &nc) != strings.Contains(c.want, "not a control-plane") {
				t.Errorf("%s: err %T, NotControlPlaneError only for a component outside the control plane", c.component, err)
			}
		})
	}
}

// TestStartStop stops a recorded component, starts it again with a fake etcd that serves
// /health, and checks the state at each step.
func TestStartStop(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	testBin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLIPWAY_FAKE_ETCD", "1")
	bins := fakeBinaries(t, map[string]string{Etcd: `exec "` + testBin + `" -test.run='^TestFakeEtcd$' -- "$@"`})
	dir := filepath.Join(t.TempDir(), "state")
	s := &Sandbox{Dir: dir, Binaries: bins, Timeout: 20 * time.Second, StopGrace: time.Second}
	if _, err := GeneratePKI(s.layout().pki(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.layout().logs(), 0o700); err != nil {
		t.Fatal(err)
	}
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	first := sleeper(t, Etcd)
	first.Binary = bins.Path(Etcd)
	sched := sleeper(t, KubeScheduler)
	if err := s.writeState(&state{Ports: Ports{EtcdClient: ports[0], EtcdPeer: ports[1]}, Processes: []Process{first, sched}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = s.Down(true) })

	running := func() map[string]bool {
		t.Helper()
		comps, err := s.Status()
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, c := range comps {
			if c.PID != 0 {
				m[c.Name] = c.Running
			}
		}
		return m
	}
	for _, step := range []struct {
		name    string
		op      func() (bool, error)
		changed bool
		want    map[string]bool
	}{
		{"stop", func() (bool, error) { return s.Stop(Etcd) }, true, map[string]bool{Etcd: false, KubeScheduler: true}},
		{"stop again", func() (bool, error) { return s.Stop(Etcd) }, false, map[string]bool{Etcd: false, KubeScheduler: true}},
		{"kill the stopped", func() (bool, error) { return s.Kill(Etcd) }, false, map[string]bool{Etcd: false, KubeScheduler: true}},
		{"start", func() (bool, error) { return s.Start(t.Context(), Etcd) }, true, map[string]bool{Etcd: true, KubeScheduler: true}},
		{"start again", func() (bool, error) { return s.Start(t.Context(), Etcd) }, false, map[string]bool{Etcd: true, KubeScheduler: true}},
		{"kill", func() (bool, error) { return s.Kill(Etcd) }, true, map[string]bool{Etcd: false, KubeScheduler: true}},
		{"start after the kill", func() (bool, error) { return s.Start(t.Context(), Etcd) }, true, map[string]bool{Etcd: true, KubeScheduler: true}},
	} {
		changed, err := step.op()
		if err != nil || changed != step.changed {
			t.Fatalf("%s: %v, %v; want %v, no error", step.name, changed, err, step.changed)
		}
		if got := running(); !maps.Equal(got, step.want) {
			t.Errorf("after %s, running: %v, want %v", step.name, got, step.want)
		}
	}
	st, err := s.readState()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Processes) != 2 || st.Processes[0].Name != Etcd || st.Processes[0].PID == first.PID || st.Processes[1] != sched {
		t.Errorf("state after the restart: %+v; want etcd's new process in its place, then the scheduler's unchanged", st.Processes)
	}
	if err := httpOK(t.Context(), http.DefaultClient, loopbackURL("http", ports[0])+"/health", ""); err != nil {
		t.Errorf("the restarted etcd does not serve on its port: %v", err)
	}
	if _, err := s.Down(true); err != nil {
		t.Fatal(err)
	}
	if alive(st.Processes[0]) {
		t.Errorf("Down left the restarted etcd (pid %d) running", st.Processes[0].PID)
	}
}

// TestStartFailing: a component that exits or never serves is reported with its log and
// left stopped.
func TestStartFailing(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	for _, c := range []struct {
		name, script, want string
	}{
		{"exits", `echo "etcd: bad data dir" >&2; exit 2`, "exited (exit status 2)"},
		{"never serves", `echo "etcd: waiting" >&2; exec sleep 60`, "timed out"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bins := fakeBinaries(t, map[string]string{Etcd: c.script})
			s := &Sandbox{Dir: filepath.Join(t.TempDir(), "state"), Binaries: bins, Timeout: time.Second, StopGrace: time.Second}
			if _, err := GeneratePKI(s.layout().pki(), time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(s.layout().logs(), 0o700); err != nil {
				t.Fatal(err)
			}
			ports, err := freePorts(2)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.writeState(&state{Ports: Ports{EtcdClient: ports[0], EtcdPeer: ports[1]}, Processes: []Process{deadProcess(t, Etcd, bins.Path(Etcd))}}); err != nil {
				t.Fatal(err)
			}
			started, err := s.Start(t.Context(), Etcd)
			var ce *ComponentError
			if started || !errors.As(err, &ce) || ce.Component != Etcd || !strings.Contains(err.Error(), c.want) || !strings.Contains(ce.Tail, "etcd: ") {
				t.Fatalf("Start: %v, %v; want an etcd ComponentError saying %q with the tail of its log", started, err, c.want)
			}
			st, err := s.readState()
			if err != nil {
				t.Fatal(err)
			}
			if p := st.Processes[0]; alive(p) {
				t.Errorf("the failed etcd (pid %d) still runs", p.PID)
			}
		})
	}
}
