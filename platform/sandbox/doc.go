// Package sandbox runs a throwaway local Kubernetes cluster: the upstream control plane
// (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) built from the upstream
// Go modules, and simulated nodes from kwok. Nothing is pulled from a cloud: the binaries
// are built once with the local go toolchain into a cache directory and reused.
//
// Build compiles the binaries; Sandbox starts, inspects and stops a cluster whose state
// (certificates, etcd data, logs, PIDs, kubeconfig) lives in one directory, and stops and
// starts one control-plane component at a time (Stop, Kill, Start), for tests of how
// clients cope with the API server going away.
//
// With RealNode the sandbox also runs a real node on this machine (root): a kubelet on a
// containerd of its own, kube-proxy, and an image registry on loopback that the node pulls
// from (PushImage puts locally assembled images there). Its files live under the state
// directory too; Down removes what it set up on the host (containers, mounts, the bridge,
// iptables rules, kernel settings). There is one real node per machine (one bridge, named
// after its state directory): Up refuses while another real-node sandbox runs, and takes
// the machine over from one that runs no process any more (killed), undoing what it left.
//
// The package never prints and never exits: progress goes to an injected io.Writer, and
// failures come back as errors naming the component and the tail of its log.
package sandbox
