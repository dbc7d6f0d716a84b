package sandbox

import (
	"path/filepath"
	"strconv"
)

// Node annotation kwok selects the nodes it simulates by.
const (
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	kwokNodeValue      = "fake"
)

// Ports are the loopback ports the daemons listen on.
type Ports struct {
	EtcdClient, EtcdPeer int
	APIServer            int
	ControllerManager    int
	Scheduler            int
}

// layout names the files inside a state directory.
type layout struct{ dir string }

func (l layout) stateFile() string           { return filepath.Join(l.dir, "sandbox.json") }
func (l layout) pki() string                 { return filepath.Join(l.dir, "pki") }
func (l layout) etcdData() string            { return filepath.Join(l.dir, "etcd-data") }
func (l layout) logs() string                { return filepath.Join(l.dir, "logs") }
func (l layout) logFile(c string) string     { return filepath.Join(l.dir, "logs", c+".log") }
func (l layout) run() string                 { return filepath.Join(l.dir, "run") }
func (l layout) componentKubeconfig() string { return filepath.Join(l.dir, "control-plane.kubeconfig") }
func (l layout) kubeconfig() string          { return filepath.Join(l.dir, "kubeconfig") }

// entries are the names a sandbox creates in its state directory; Down removes only these.
func (l layout) entries() []string {
	return []string{l.stateFile(), l.pki(), l.etcdData(), l.logs(), l.run(), l.componentKubeconfig(), l.kubeconfig(), l.node()}
}

func loopbackURL(scheme string, port int) string {
	return scheme + "://127.0.0.1:" + strconv.Itoa(port)
}

// componentArgs returns the command-line arguments of one component.
func componentArgs(component string, l layout, p Ports, stages []string) []string {
	pki := PKI{Dir: l.pki()}
	kc := l.componentKubeconfig()
	port := strconv.Itoa
	switch component {
	case Etcd:
		peer := loopbackURL("http", p.EtcdPeer)
		client := loopbackURL("http", p.EtcdClient)
		return []string{
			"--name=sandbox",
			"--data-dir=" + l.etcdData(),
			"--listen-client-urls=" + client,
			"--advertise-client-urls=" + client,
			"--listen-peer-urls=" + peer,
			"--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=sandbox=" + peer,
			"--initial-cluster-state=new",
			"--unsafe-no-fsync=true", // a throwaway cluster: speed over durability
			"--log-level=warn",
		}
	case KubeAPIServer:
		return []string{
			"--etcd-servers=" + loopbackURL("http", p.EtcdClient),
			"--bind-address=127.0.0.1",
			"--advertise-address=127.0.0.1",
			"--secure-port=" + port(p.APIServer),
			"--tls-cert-file=" + pki.Path(serverCertFile),
			"--tls-private-key-file=" + pki.Path(serverKeyFile),
			"--client-ca-file=" + pki.Path(caCertFile),
			"--token-auth-file=" + pki.Path(tokenFile),
			// The Node authorizer and NodeRestriction let the real node's kubelet register its
			// Node and read what its pods need, as in a real cluster.
			"--authorization-mode=Node,RBAC",
			"--enable-admission-plugins=NodeRestriction",
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + pki.Path(saPubFile),
			"--service-account-signing-key-file=" + pki.Path(saKeyFile),
			"--service-cluster-ip-range=" + ServiceCIDR,
			"--kubelet-preferred-address-types=InternalIP",
			"--endpoint-reconciler-type=none", // 127.0.0.1 is not a valid endpoint address
			"--allow-privileged=true",
			"--cert-dir=" + filepath.Join(l.run(), component),
		}
	case KubeControllerManager:
		return []string{
			"--kubeconfig=" + kc,
			"--authentication-kubeconfig=" + kc,
			"--authorization-kubeconfig=" + kc,
			"--bind-address=127.0.0.1",
			"--secure-port=" + port(p.ControllerManager),
			"--cert-dir=" + filepath.Join(l.run(), component),
			"--controllers=*,-nodeipam",
			"--leader-elect=false",
			"--service-account-private-key-file=" + pki.Path(saKeyFile),
			"--root-ca-file=" + pki.Path(caCertFile),
			"--cluster-signing-cert-file=" + pki.Path(caCertFile),
			"--cluster-signing-key-file=" + pki.Path(caKeyFile),
			"--service-cluster-ip-range=" + ServiceCIDR,
		}
	case KubeScheduler:
		return []string{
			"--kubeconfig=" + kc,
			"--authentication-kubeconfig=" + kc,
			"--authorization-kubeconfig=" + kc,
			"--bind-address=127.0.0.1",
			"--secure-port=" + port(p.Scheduler),
			"--cert-dir=" + filepath.Join(l.run(), component),
			"--leader-elect=false",
		}
	case Kwok:
		args := []string{
			"--kubeconfig=" + kc,
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=" + kwokNodeValue,
			"--cidr=10.244.0.0/16",
			"--node-lease-duration-seconds=40",
		}
		for _, s := range stages {
			args = append(args, "--config="+s)
		}
		return args
	}
	return nil
}

// ServiceCIDR is the range of the sandbox's Services' ClusterIPs.
const ServiceCIDR = "10.96.0.0/16"
