package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slipwayhq/slipway/internal/sysproc"
)

// cleanupRealNode undoes on the host what the real node did, once its daemons are stopped:
// it kills the containers containerd left running, unmounts what lies under the state
// directory (container root filesystems, volumes, network namespaces), deletes the bridge
// and its veths, removes the iptables rules of kube-proxy, the kubelet and the CNI plugins,
// and puts back the kernel settings the kubelet changed (ip_forward stays on). rn may be
// nil when the state file went. When the bridge is another sandbox's (one that took over
// after this one was killed), the host-wide part (bridge, rules, settings, the pods'
// cgroups) is that one's and stays. It goes on past a failure and returns them all.
func cleanupRealNode(l layout, rn *realNodeState, kubeProxy string) error {
	var errs []error
	ctx := context.Background()
	exists, owner := bridgeOwner()
	ours := !exists || owner == "" || owner == l.dir
	errs = append(errs, killContainers(ctx, l))
	if ours {
		// Containers whose runc state went with the state directory.
		errs = append(errs, killPodCgroups(rn == nil))
	}
	errs = append(errs, UnmountUnder(l.dir))
	if !ours {
		removeHostLeftovers(l, rn, false)
		return errors.Join(errs...)
	}
	errs = append(errs, deleteBridge(ctx))
	if _, err := os.Stat(kubeProxy); err == nil {
		// kube-proxy's own cleanup first (it knows its nftables and IPVS leftovers too);
		// what it leaves the sweep below takes.
		_ = runLogged(ctx, kubeProxy, l.logFile(KubeProxy), "--cleanup")
	}
	for _, family := range []string{"iptables", "ip6tables"} {
		errs = append(errs, sweepIptables(ctx, family))
	}
	if rn != nil {
		errs = append(errs, restoreSysctls(rn.Sysctls))
	}
	removeHostLeftovers(l, rn, true)
	return errors.Join(errs...)
}

// podCgroups returns the cgroup directories containerd puts the pods' containers under
// (k8s.io in each hierarchy). They are the real node's: it is this machine's only
// Kubernetes node.
func podCgroups() []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/k8s.io")
	if _, err := os.Stat("/sys/fs/cgroup/k8s.io"); err == nil {
		dirs = append(dirs, "/sys/fs/cgroup/k8s.io") // cgroup v2
	}
	return dirs
}

// killPodCgroups kills the processes left in the pods' cgroups and, when remove, removes
// the cgroups once empty (when the state file that says whether Up created them went).
func killPodCgroups(remove bool) error {
	var pids []int
	for _, dir := range podCgroups() {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Name() == "cgroup.procs" {
				b, _ := os.ReadFile(p)
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, pid) {
						pids = append(pids, pid)
					}
				}
			}
			return nil
		})
	}
	var errs []error
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range pids {
		if !waitGone(Process{PID: pid}, 3*time.Second) {
			errs = append(errs, fmt.Errorf("container process %d still runs after SIGKILL", pid))
		}
	}
	// A cgroup goes once its killed processes are reaped, which takes a moment.
	for deadline := time.Now().Add(5 * time.Second); remove && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, dir := range podCgroups() {
			removeEmptyDirs(dir)
		}
		if len(podCgroups()) == 0 {
			break
		}
	}
	return errors.Join(errs...)
}

// killContainers kills and deletes, through runc, the containers of the sandbox's
// containerd, then its shims (they outlive containerd).
func killContainers(ctx context.Context, l layout) error {
	var errs []error
	nsDirs, _ := os.ReadDir(l.runcRoot())
	for _, ns := range nsDirs {
		if !ns.IsDir() {
			continue
		}
		root := filepath.Join(l.runcRoot(), ns.Name())
		out, err := outputSystem(ctx, "runc", "--root", root, "list", "--format", "json")
		if err != nil {
			errs = append(errs, fmt.Errorf("list the containers: %w", err))
			continue
		}
		var list []struct {
			ID string `json:"id"`
		}
		if len(bytes.TrimSpace(out)) > 0 && !bytes.Equal(bytes.TrimSpace(out), []byte("null")) {
			if err := json.Unmarshal(out, &list); err != nil {
				errs = append(errs, fmt.Errorf("list the containers: read runc's answer: %w", err))
				continue
			}
		}
		for _, c := range list {
			if err := runSystem(ctx, "runc", "--root", root, "delete", "--force", c.ID); err != nil {
				errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID, err))
			}
		}
	}
	// The shims name containerd's socket on their command line.
	isSocket := func(arg string) bool { return arg == l.containerdSocket() }
	for _, pid := range sysproc.WithArg(isSocket) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range sysproc.WithArg(isSocket) {
		if !waitGone(Process{PID: pid, StartTime: sysproc.StartTime(pid)}, 3*time.Second) {
			errs = append(errs, fmt.Errorf("containerd shim %d still runs after SIGKILL", pid))
		}
	}
	// Their sockets are under containerd's built-in /run/containerd/s, named after the
	// socket, namespace and container.
	tasks := filepath.Join(l.containerdState(), "io.containerd.runtime.v2.task")
	nss, _ := os.ReadDir(tasks)
	for _, ns := range nss {
		ids, _ := os.ReadDir(filepath.Join(tasks, ns.Name()))
		for _, id := range ids {
			sum := sha256.Sum256([]byte(filepath.Join(l.containerdSocket(), ns.Name(), id.Name())))
			_ = os.Remove(fmt.Sprintf("/run/containerd/s/%x", sum))
		}
	}
	return errors.Join(errs...)
}

// mountsUnder returns the mount points under dir (dir included), deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	prefix := filepath.Clean(dir) + "/"
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if strings.HasPrefix(mp, prefix) || mp == filepath.Clean(dir) {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// UnmountUnder detaches every mount under dir (dir included), deepest first, retrying a few
// times for mounts that appear as others go (a container's shm under its root).
func UnmountUnder(dir string) error {
	for range 5 {
		mps, err := mountsUnder(dir)
		if err != nil {
			return fmt.Errorf("list the mounts under %s: %w", dir, err)
		}
		if len(mps) == 0 {
			return nil
		}
		for _, mp := range mps {
			_ = syscall.Unmount(mp, syscall.MNT_DETACH)
		}
	}
	mps, _ := mountsUnder(dir)
	if len(mps) > 0 {
		return fmt.Errorf("unmount under %s: still mounted: %s", dir, strings.Join(mps, ", "))
	}
	return nil
}

// deleteBridge deletes the veths on the bridge, then the bridge. Veths of pods whose
// network namespace is gone went with it.
func deleteBridge(ctx context.Context) error {
	if _, err := net.InterfaceByName(realNodeBridge); err != nil {
		return nil
	}
	var errs []error
	if ports, err := os.ReadDir("/sys/class/net/" + realNodeBridge + "/brif"); err == nil {
		for _, p := range ports {
			if err := runSystem(ctx, "ip", "link", "del", p.Name()); err != nil {
				if _, gone := net.InterfaceByName(p.Name()); gone == nil {
					errs = append(errs, fmt.Errorf("delete the pods' interface %s: %w", p.Name(), err))
				}
			}
		}
	}
	if err := runSystem(ctx, "ip", "link", "del", realNodeBridge); err != nil {
		errs = append(errs, fmt.Errorf("delete the bridge %s: %w", realNodeBridge, err))
	}
	return errors.Join(errs...)
}

// runLogged runs a program, appending its output to log.
func runLogged(ctx context.Context, bin, log string, args ...string) error {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := execCommand(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = sysproc.Env()
	return cmd.Run()
}

// restoreSysctls writes back the kernel settings recorded before Up that differ now.
func restoreSysctls(saved map[string]string) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(saved)) {
		p := filepath.Join("/proc/sys", k)
		now, err := os.ReadFile(p)
		if err != nil || strings.TrimSpace(string(now)) == saved[k] {
			continue
		}
		if err := os.WriteFile(p, []byte(saved[k]+"\n"), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restore %s to %s: %w", strings.ReplaceAll(k, "/", "."), saved[k], err))
		}
	}
	return errors.Join(errs...)
}

// removeHostLeftovers removes the files the node's programs keep outside the state
// directory (see hostPaths): the CNI result cache of the sandbox's network, the
// /var/log/containers links into its pod logs, and, when Up created /var/lib/kubelet, the
// kubelet's device-plugin socket. The directories Up created go when left empty. When the
// host is another sandbox's (not ours), what may be that one's stays.
func removeHostLeftovers(l layout, rn *realNodeState, ours bool) {
	// The cache names a result after the network (the sandbox's, or containerd's
	// cni-loopback) and the pod sandbox.
	results, _ := filepath.Glob("/var/lib/cni/results/*")
	ids := podSandboxIDs(l)
	for _, r := range results {
		name := filepath.Base(r)
		if ours && strings.HasPrefix(name, cniNetworkName+"-") {
			_ = os.Remove(r)
			continue
		}
		for id := range ids {
			if strings.Contains(name, "-"+id+"-") {
				_ = os.Remove(r)
			}
		}
	}
	links, _ := filepath.Glob("/var/log/containers/*.log")
	for _, link := range links {
		if target, err := os.Readlink(link); err == nil && strings.HasPrefix(target, l.podLogs()+"/") {
			_ = os.Remove(link)
		}
	}
	if rn == nil || !ours {
		return
	}
	for _, p := range rn.Created {
		if p == "/var/lib/kubelet" {
			for _, f := range []string{"kubelet.sock", "kubelet_internal_checkpoint"} {
				_ = os.Remove(filepath.Join(p, "device-plugins", f))
			}
		}
		removeEmptyDirs(p)
	}
}

// podSandboxIDs returns the IDs of the pod sandboxes containerd made (whatever their state).
func podSandboxIDs(l layout) map[string]bool {
	ids := map[string]bool{}
	for _, dir := range []string{
		filepath.Join(l.containerdRoot(), "io.containerd.grpc.v1.cri", "sandboxes"),
		filepath.Join(l.containerdState(), "io.containerd.grpc.v1.cri", "sandboxes"),
	} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			ids[e.Name()] = true
		}
	}
	return ids
}

// removeEmptyDirs removes dir and the directories under it, bottom up, as far as they are
// empty.
func removeEmptyDirs(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			removeEmptyDirs(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir) // only when empty
}
