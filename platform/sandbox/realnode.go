package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/slipwayhq/slipway/internal/sysproc"
)

// RealNodeName is the Node the real node's kubelet registers.
const RealNodeName = "real-node"

// The real node's network: one bridge per machine, so one real-node sandbox at a time.
const (
	realNodeBridge = "slipway0"
	realNodeSubnet = "10.85.0.0/24"
	// realNodeIP is the bridge's address: the pods' gateway and the node's InternalIP (the
	// kubelet refuses a loopback address).
	realNodeIP     = "10.85.0.1"
	cniNetworkName = "slipway-sandbox"
	// DefaultRegistryPort is the registry's port when it is free on 127.0.0.1.
	DefaultRegistryPort = 5000
	pauseRepository     = "slipway/pause"
	pauseTag            = "1"
)

// ErrRealNodeTaken is returned by Up when another real-node sandbox holds this machine's
// bridge (as a *RealNodeTakenError).
var ErrRealNodeTaken = errors.New("another real-node sandbox runs on this machine")

// RealNodeTakenError says which sandbox holds the bridge; it matches ErrRealNodeTaken.
type RealNodeTakenError struct {
	// Bridge is the bridge's name.
	Bridge string
	// Owner is the state directory of the sandbox that holds it, "" when the bridge names
	// none (another program made it).
	Owner string
}

func (e *RealNodeTakenError) Error() string {
	if e.Owner != "" {
		return fmt.Sprintf("%v (bridge %s, state directory %s)", ErrRealNodeTaken, e.Bridge, e.Owner)
	}
	return fmt.Sprintf("%v (bridge %s exists)", ErrRealNodeTaken, e.Bridge)
}

func (e *RealNodeTakenError) Is(target error) bool { return target == ErrRealNodeTaken }

// realNodeState is what the state file records of the real node.
type realNodeState struct {
	// Registry is the registry's host:port as pods and clients name it (localhost:PORT).
	Registry     string `json:"registry"`
	RegistryPort int    `json:"registryPort"`
	KubeletPort  int    `json:"kubeletPort"`
	// KubeletHealthzPort, ProxyHealthzPort and ProxyMetricsPort are on 127.0.0.1.
	KubeletHealthzPort int `json:"kubeletHealthzPort"`
	ProxyHealthzPort   int `json:"proxyHealthzPort"`
	ProxyMetricsPort   int `json:"proxyMetricsPort"`
	// Sysctls are the values before Up of the kernel settings the node changes; Down puts
	// them back.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// Created are the directories of hostPaths that did not exist before Up; Down removes
	// what the node left in them, and them when empty.
	Created []string `json:"created,omitempty"`
}

// hostPaths are the directories outside the state directory where the node's programs
// keep files at paths built into them: the kubelet's device-plugin socket, its
// /var/log/containers links, the CNI plugins' result cache, containerd's shim sockets and
// util-linux's mount table. (And containerd's cgroups: see newRealNodeState.)
var hostPaths = []string{"/var/lib/kubelet", "/var/log/containers", "/var/lib/cni", "/run/containerd", "/run/mount"}

// sysctlsTouched are the kernel settings the kubelet (setupKernelTunables) and kube-proxy
// may change on the host. Not net.ipv4.ip_forward: the CNI bridge plugin turns it on, as
// Docker does, and turning it off again would cut off the containers of a Docker Engine
// started in the meantime.
var sysctlsTouched = []string{
	"net/ipv4/conf/all/route_localnet",
	"vm/overcommit_memory",
	"vm/panic_on_oom",
	"kernel/panic",
	"kernel/panic_on_oops",
	"kernel/keys/root_maxkeys",
	"kernel/keys/root_maxbytes",
}

// cniDirs are where Debian (containernetworking-plugins) and upstream put the CNI plugins.
var cniDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// cniPlugins are the plugins the real node's network uses.
var cniPlugins = []string{"bridge", "host-local", "portmap", "firewall", "loopback"}

// cniBinDir returns the directory holding every CNI plugin the node needs.
func cniBinDir() (string, []string) {
	var best string
	var bestMissing []string
	for _, d := range cniDirs {
		var missing []string
		for _, p := range cniPlugins {
			if _, err := os.Stat(filepath.Join(d, p)); err != nil {
				missing = append(missing, p)
			}
		}
		if len(missing) == 0 {
			return d, nil
		}
		if best == "" || len(missing) < len(bestMissing) {
			best, bestMissing = d, missing
		}
	}
	return "", bestMissing
}

// PrerequisiteError lists what the real-node mode needs and this machine lacks.
type PrerequisiteError struct {
	// Missing are the missing things, each saying where it comes from.
	Missing []string
	// Packages is true when some of them come from packages to install.
	Packages bool
}

func (e *PrerequisiteError) Error() string {
	return "the real-node sandbox needs what this machine lacks: " + strings.Join(e.Missing, "; ")
}

// Hint says which packages to install, when some are missing.
func (e *PrerequisiteError) Hint() string {
	if e.Packages {
		return "on Debian or Ubuntu, as root: apt-get install docker.io containernetworking-plugins"
	}
	return ""
}

// CheckRealNode returns a *PrerequisiteError when this machine cannot run the real-node
// mode: it needs root, containerd and runc (Debian's docker.io), the CNI plugins
// (containernetworking-plugins), iptables and iproute2, and cgroups.
func CheckRealNode() error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (it runs containerd and a kubelet, which set up mounts, cgroups and network interfaces: run it with sudo)")
	}
	asRoot := len(missing)
	var fromDocker, fromIptables []string
	for _, p := range []string{"containerd", "containerd-shim-runc-v2", "runc"} {
		if _, err := sysproc.Look(p); err != nil {
			fromDocker = append(fromDocker, p)
		}
	}
	if len(fromDocker) > 0 {
		missing = append(missing, strings.Join(fromDocker, ", ")+" (Debian's docker.io brings containerd 1.6 and runc)")
	}
	for _, p := range []string{"iptables", "iptables-save", "iptables-restore"} {
		if _, err := sysproc.Look(p); err != nil {
			fromIptables = append(fromIptables, p)
		}
	}
	if len(fromIptables) > 0 {
		missing = append(missing, strings.Join(fromIptables, ", ")+" (the iptables package)")
	}
	if _, err := sysproc.Look("ip"); err != nil {
		missing = append(missing, "ip (the iproute2 package)")
	}
	if dir, lack := cniBinDir(); dir == "" {
		missing = append(missing, fmt.Sprintf("the CNI plugins %s in %s (containernetworking-plugins)", strings.Join(lack, ", "), strings.Join(cniDirs, " or ")))
	}
	if st, err := os.Stat("/sys/fs/cgroup"); err != nil || !st.IsDir() {
		missing = append(missing, "cgroups mounted at /sys/fs/cgroup")
	}
	if len(missing) > 0 {
		return &PrerequisiteError{Missing: missing, Packages: len(missing) > asRoot}
	}
	return nil
}

// bridgeOwner tells whether the bridge exists, and the state directory of the sandbox
// that made it (its alias; "" when it has none).
func bridgeOwner() (exists bool, owner string) {
	ifi, err := net.InterfaceByName(realNodeBridge)
	if err != nil {
		return false, ""
	}
	if b, err := os.ReadFile("/sys/class/net/" + ifi.Name + "/ifalias"); err == nil {
		owner = strings.TrimSpace(string(b))
	}
	return true, owner
}

// checkBridgeFree fails with a *RealNodeTakenError when the bridge exists.
func checkBridgeFree() error {
	if exists, owner := bridgeOwner(); exists {
		return &RealNodeTakenError{Bridge: realNodeBridge, Owner: owner}
	}
	return nil
}

// reclaimBridge lets Up start when the bridge is another sandbox's that runs no process
// any more (killed with SIGKILL, its machine's processes gone): it undoes what that one
// left on the host (containers, mounts, bridge, iptables rules, kernel settings). Its state
// directory stays, for its logs. A bridge of a sandbox that runs, or that names no sandbox,
// is a *RealNodeTakenError.
func (s *Sandbox) reclaimBridge() error {
	exists, owner := bridgeOwner()
	if !exists {
		return nil
	}
	if owner == "" || sandboxRuns(owner) {
		return &RealNodeTakenError{Bridge: realNodeBridge, Owner: owner}
	}
	fmt.Fprintf(s.Progress, "removing what the stopped real-node sandbox of %s left on this machine\n", owner)
	other := &Sandbox{Dir: owner}
	var rn *realNodeState
	if st, err := other.readState(); err == nil && st != nil {
		rn = st.RealNode
	}
	if err := cleanupRealNode(other.layout(), rn, s.Binaries.Path(KubeProxy)); err != nil {
		return fmt.Errorf("clean up after the stopped real-node sandbox of %s: %w", owner, err)
	}
	return checkBridgeFree()
}

// sandboxRuns tells whether a process of the sandbox in dir runs: one its state records,
// or any with its state directory in its arguments (containerd's shims, a slipway working
// on it).
func sandboxRuns(dir string) bool {
	if st, err := (&Sandbox{Dir: dir}).readState(); err == nil && st != nil {
		if slices.ContainsFunc(st.Processes, alive) {
			return true
		}
	}
	return len(sysproc.WithArg(func(a string) bool {
		return a == dir || strings.HasPrefix(a, dir+"/") || strings.Contains(a, "="+dir)
	})) > 0
}

// registryPort returns DefaultRegistryPort when it is free on 127.0.0.1, else a free port.
func registryPort() (int, error) {
	if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(DefaultRegistryPort))); err == nil {
		l.Close()
		return DefaultRegistryPort, nil
	}
	ports, err := freePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// Paths of the real node's files, all under the state directory.
func (l layout) node() string             { return filepath.Join(l.dir, "node") }
func (l layout) containerdDir() string    { return filepath.Join(l.node(), "containerd") }
func (l layout) containerdConfig() string { return filepath.Join(l.containerdDir(), "config.toml") }
func (l layout) containerdSocket() string { return filepath.Join(l.containerdDir(), "containerd.sock") }
func (l layout) containerdRoot() string   { return filepath.Join(l.containerdDir(), "root") }
func (l layout) containerdState() string  { return filepath.Join(l.containerdDir(), "state") }
func (l layout) runcRoot() string         { return filepath.Join(l.containerdDir(), "runc") }
func (l layout) cniConfDir() string       { return filepath.Join(l.node(), "cni", "net.d") }
func (l layout) cniIPAMDir() string       { return filepath.Join(l.node(), "cni", "ipam") }
func (l layout) kubeletDir() string       { return filepath.Join(l.node(), "kubelet") }
func (l layout) kubeletConfig() string    { return filepath.Join(l.node(), "kubelet-config.json") }
func (l layout) kubeletKubeconfig() string {
	return filepath.Join(l.node(), "kubelet.kubeconfig")
}
func (l layout) proxyKubeconfig() string { return filepath.Join(l.node(), "kube-proxy.kubeconfig") }
func (l layout) podLogs() string         { return filepath.Join(l.node(), "pod-logs") }
func (l layout) registryBlobs() string   { return filepath.Join(l.node(), "registry") }

// toml quotes s as a TOML basic string.
func toml(s string) string { return strconv.Quote(s) }

// containerdConfig is containerd's configuration: its own root, state and socket, the CRI
// plugin set up for this machine (see TESTING.md), the CNI network, and a mirror sending
// pulls of registry (localhost:PORT) to it in plain HTTP.
func containerdConfig(l layout, cniBin, registry string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Generated by slipway sandbox: the real node's containerd.")
	w("version = 2")
	w("root = %s", toml(l.containerdRoot()))
	w("state = %s", toml(l.containerdState()))
	w(`disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]`)
	w("")
	w("[grpc]")
	w("  address = %s", toml(l.containerdSocket()))
	w("[ttrpc]")
	w("  address = %s", toml(l.containerdSocket()+".ttrpc"))
	w("[debug]")
	w(`  address = ""`)
	w(`  level = "warn"`)
	w("[metrics]")
	w(`  address = ""`)
	w("")
	w(`[plugins."io.containerd.internal.v1.opt"]`)
	w("  path = %s", toml(filepath.Join(l.containerdDir(), "opt")))
	w(`[plugins."io.containerd.grpc.v1.cri"]`)
	w("  sandbox_image = %s", toml(registry+"/"+pauseRepository+":"+pauseTag))
	// Otherwise every pod sandbox fails with runc's "can't get final child's PID from pipe".
	w("  enable_unprivileged_ports = false")
	w("  enable_unprivileged_icmp = false")
	w("  restrict_oom_score_adj = true")
	w("  disable_apparmor = true")
	w("  netns_mounts_under_state_dir = true")
	w(`  stream_server_address = "127.0.0.1"`)
	w(`  stream_server_port = "0"`)
	w(`  [plugins."io.containerd.grpc.v1.cri".containerd]`)
	w(`    snapshotter = "overlayfs"`)
	w(`    default_runtime_name = "runc"`)
	w(`    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]`)
	w(`      runtime_type = "io.containerd.runc.v2"`)
	w(`      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]`)
	w("        SystemdCgroup = false")
	w("        Root = %s", toml(l.runcRoot()))
	w(`  [plugins."io.containerd.grpc.v1.cri".cni]`)
	w("    bin_dir = %s", toml(cniBin))
	w("    conf_dir = %s", toml(l.cniConfDir()))
	w(`  [plugins."io.containerd.grpc.v1.cri".registry.mirrors.%s]`, toml(registry))
	w("    endpoint = [%s]", toml("http://"+registry))
	return b.String()
}

// cniConfList is the pods' network: a bridge with the node's address as gateway, addresses
// from host-local (its data under the state directory), host ports, and firewall rules that
// let the pods' traffic through a FORWARD chain another program (Docker) set to DROP.
func cniConfList(l layout) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       cniNetworkName,
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      realNodeBridge,
				"isGateway":   true,
				"ipMasq":      true,
				"hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  []any{[]any{map[string]any{"subnet": realNodeSubnet, "gateway": realNodeIP}}},
					"routes":  []any{map[string]any{"dst": "0.0.0.0/0"}},
					"dataDir": l.cniIPAMDir(),
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]any{"portMappings": true}},
			map[string]any{"type": "firewall"},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// kubeletConfig is the kubelet's KubeletConfiguration, for this machine (see TESTING.md):
// cgroupfs on cgroup v1 without QoS cgroups, anonymous access (a test cluster on loopback
// and a private bridge), no eviction or image garbage collection that a busy disk would
// set off, and everything under the state directory.
func kubeletConfig(l layout, rn *realNodeState) ([]byte, error) {
	conf := map[string]any{
		"apiVersion":               "kubelet.config.k8s.io/v1beta1",
		"kind":                     "KubeletConfiguration",
		"address":                  realNodeIP,
		"port":                     rn.KubeletPort,
		"readOnlyPort":             0,
		"healthzBindAddress":       "127.0.0.1",
		"healthzPort":              rn.KubeletHealthzPort,
		"containerRuntimeEndpoint": "unix://" + l.containerdSocket(),
		"cgroupDriver":             "cgroupfs",
		"failCgroupV1":             false,
		"failSwapOn":               false,
		"cgroupsPerQOS":            false,
		"enforceNodeAllocatable":   []string{},
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": true},
			"webhook":   map[string]any{"enabled": false},
		},
		"authorization":               map[string]any{"mode": "AlwaysAllow"},
		"podLogsDir":                  l.podLogs(),
		"volumePluginDir":             filepath.Join(l.kubeletDir(), "volume-plugins"),
		"evictionHard":                map[string]string{"memory.available": "1Mi", "nodefs.available": "1%", "imagefs.available": "1%"},
		"imageGCHighThresholdPercent": 100,
		"imageGCLowThresholdPercent":  99,
		"serializeImagePulls":         false,
		"nodeStatusReportFrequency":   "10s",
		"rotateCertificates":          false,
		"serverTLSBootstrap":          false,
		"registerNode":                true,
		"maxPods":                     110,
	}
	return json.MarshalIndent(conf, "", "  ")
}

// realNodeArgs returns the command line of one of the real node's daemons.
func realNodeArgs(component string, l layout, rn *realNodeState) []string {
	switch component {
	case Registry:
		return []string{"-addr=127.0.0.1:" + strconv.Itoa(rn.RegistryPort), "-blobs=" + l.registryBlobs()}
	case Containerd:
		return []string{"--config=" + l.containerdConfig()}
	case Kubelet:
		return []string{
			"--config=" + l.kubeletConfig(),
			"--kubeconfig=" + l.kubeletKubeconfig(),
			"--root-dir=" + l.kubeletDir(),
			"--cert-dir=" + filepath.Join(l.kubeletDir(), "pki"),
			"--hostname-override=" + RealNodeName,
			"--node-ip=" + realNodeIP,
			"--node-labels=type=real",
		}
	case KubeProxy:
		return []string{
			"--kubeconfig=" + l.proxyKubeconfig(),
			"--hostname-override=" + RealNodeName,
			"--proxy-mode=iptables",
			"--cluster-cidr=" + realNodeSubnet,
			"--nodeport-addresses=" + realNodeSubnet,
			"--iptables-localhost-nodeports=false",
			"--healthz-bind-address=127.0.0.1:" + strconv.Itoa(rn.ProxyHealthzPort),
			"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(rn.ProxyMetricsPort),
			// Leave the host's conntrack settings alone.
			"--conntrack-max-per-core=0",
			"--conntrack-tcp-timeout-established=0",
			"--conntrack-tcp-timeout-close-wait=0",
		}
	}
	return nil
}

// upRealNode starts the registry, containerd, the kubelet and kube-proxy, and waits until
// the node is Ready and Services answer.
func (r *run) upRealNode(ctx context.Context, kube kubernetes.Interface, pki PKI, ca []byte) error {
	s, l := r.s, r.l
	rn := r.st.RealNode
	cniBin, _ := cniBinDir()
	for _, dir := range []string{l.node(), l.containerdDir(), l.cniConfDir(), l.kubeletDir(), l.podLogs()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create the real node's directories: %w", err)
		}
	}

	if rn.RegistryPort == DefaultRegistryPort {
		fmt.Fprintf(s.Progress, "starting %s on 127.0.0.1:%d\n", Registry, rn.RegistryPort)
	} else {
		fmt.Fprintf(s.Progress, "starting %s on 127.0.0.1:%d (%d is taken)\n", Registry, rn.RegistryPort, DefaultRegistryPort)
	}
	if err := r.start(Registry, r.s.Binaries.Path(Registry), realNodeArgs(Registry, l, rn), nil); err != nil {
		return err
	}
	registryURL := loopbackURL("http", rn.RegistryPort)
	if err := r.wait(ctx, Registry, "the registry to answer", func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, registryURL+"/v2/", "")
	}); err != nil {
		return err
	}
	pause, err := os.ReadFile(r.s.Binaries.Path(Pause))
	if err != nil {
		return fmt.Errorf("read the pause program: %w", err)
	}
	if _, err := PushImage(ctx, "127.0.0.1:"+strconv.Itoa(rn.RegistryPort), pauseRepository, pauseTag,
		[]ImageFile{{Path: "/pause", Mode: 0o755, Data: pause}}, ImageConfig{Entrypoint: []string{"/pause"}}); err != nil {
		return fmt.Errorf("put the pod sandbox image in the registry: %w", err)
	}

	if err := createBridge(l); err != nil {
		return err
	}
	conflist, err := cniConfList(l)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(l.cniConfDir(), "10-"+cniNetworkName+".conflist"), conflist, 0o644); err != nil {
		return fmt.Errorf("write the CNI configuration: %w", err)
	}
	if err := os.WriteFile(l.containerdConfig(), []byte(containerdConfig(l, cniBin, rn.Registry)), 0o600); err != nil {
		return fmt.Errorf("write containerd's configuration: %w", err)
	}
	containerd, err := sysproc.Look("containerd")
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Progress, "starting %s\n", Containerd)
	if err := r.start(Containerd, containerd, realNodeArgs(Containerd, l, rn), sysproc.Env()); err != nil {
		return err
	}
	if err := r.wait(ctx, Containerd, "containerd's socket", func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", l.containerdSocket())
		if err != nil {
			return err
		}
		return c.Close()
	}); err != nil {
		return err
	}

	kubeletToken, err := pki.token(kubeletTokenFile)
	if err != nil {
		return err
	}
	if err := writeKubeconfig(l.kubeletKubeconfig(), r.st.Server, ca, kubeletToken); err != nil {
		return err
	}
	kc, err := kubeletConfig(l, rn)
	if err != nil {
		return err
	}
	if err := os.WriteFile(l.kubeletConfig(), kc, 0o600); err != nil {
		return fmt.Errorf("write the kubelet's configuration: %w", err)
	}
	fmt.Fprintf(s.Progress, "starting %s (node %s, %s)\n", Kubelet, RealNodeName, realNodeIP)
	if err := r.start(Kubelet, r.s.Binaries.Path(Kubelet), realNodeArgs(Kubelet, l, rn), sysproc.Env()); err != nil {
		return err
	}
	if err := r.wait(ctx, Kubelet, "node "+RealNodeName+" to become Ready", func(ctx context.Context) error {
		return nodeReady(ctx, kube, RealNodeName)
	}); err != nil {
		return err
	}

	proxyToken, err := pki.token(kubeProxyTokenFile)
	if err != nil {
		return err
	}
	if err := writeKubeconfig(l.proxyKubeconfig(), r.st.Server, ca, proxyToken); err != nil {
		return err
	}
	fmt.Fprintf(s.Progress, "starting %s\n", KubeProxy)
	if err := r.start(KubeProxy, r.s.Binaries.Path(KubeProxy), realNodeArgs(KubeProxy, l, rn), sysproc.Env()); err != nil {
		return err
	}
	return r.wait(ctx, KubeProxy, "kube-proxy to become healthy", func(ctx context.Context) error {
		return httpOK(ctx, http.DefaultClient, loopbackURL("http", rn.ProxyHealthzPort)+"/healthz", "")
	})
}

// newRealNodeState picks the real node's ports and records the kernel settings it may change.
func newRealNodeState() (*realNodeState, error) {
	reg, err := registryPort()
	if err != nil {
		return nil, fmt.Errorf("find a port for the registry: %w", err)
	}
	// Held together, so that none of them is the registry's.
	ports, err := freePortsExcept(4, reg)
	if err != nil {
		return nil, fmt.Errorf("find free ports for the real node: %w", err)
	}
	rn := &realNodeState{
		Registry:           "localhost:" + strconv.Itoa(reg),
		RegistryPort:       reg,
		KubeletPort:        ports[0],
		KubeletHealthzPort: ports[1],
		ProxyHealthzPort:   ports[2],
		ProxyMetricsPort:   ports[3],
		Sysctls:            map[string]string{},
	}
	// containerd puts the containers' cgroups under k8s.io in each hierarchy.
	paths := append([]string{}, hostPaths...)
	hierarchies, _ := os.ReadDir("/sys/fs/cgroup")
	for _, h := range hierarchies {
		if h.IsDir() {
			paths = append(paths, filepath.Join("/sys/fs/cgroup", h.Name(), "k8s.io"))
		}
	}
	paths = append(paths, "/sys/fs/cgroup/k8s.io") // cgroup v2
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			rn.Created = append(rn.Created, p)
		}
	}
	for _, k := range sysctlsTouched {
		if b, err := os.ReadFile(filepath.Join("/proc/sys", k)); err == nil {
			rn.Sysctls[k] = strings.TrimSpace(string(b))
		}
	}
	return rn, nil
}

// freePortsExcept returns n free loopback ports other than except.
func freePortsExcept(n, except int) ([]int, error) {
	ports, err := freePorts(n + 1)
	if err != nil {
		return nil, err
	}
	out := ports[:0]
	for _, p := range ports {
		if p != except && len(out) < n {
			out = append(out, p)
		}
	}
	return out, nil
}

// createBridge creates the pods' bridge with the node's address, named after the state
// directory (its alias) so that another sandbox's error can say whose it is.
func createBridge(l layout) error {
	if err := checkBridgeFree(); err != nil {
		return err
	}
	steps := [][]string{
		{"link", "add", realNodeBridge, "type", "bridge"},
		{"link", "set", realNodeBridge, "alias", l.dir},
		{"addr", "add", realNodeIP + "/24", "dev", realNodeBridge},
		{"link", "set", realNodeBridge, "up"},
		// Services' ClusterIPs are routed to the bridge: until kube-proxy's rules exist, a
		// request to one fails here instead of leaving the machine by the default route.
		{"route", "add", ServiceCIDR, "dev", realNodeBridge},
	}
	for _, args := range steps {
		if err := runSystem(context.Background(), "ip", args...); err != nil {
			return fmt.Errorf("create the bridge %s: %w", realNodeBridge, err)
		}
	}
	return nil
}

// runSystem runs a system program; the error carries its output.
func runSystem(ctx context.Context, name string, args ...string) error {
	_, err := outputSystem(ctx, name, args...)
	return err
}

func outputSystem(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd, err := sysproc.Command(ctx, name, args...)
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
