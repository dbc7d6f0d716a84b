package sandbox

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const contextName = "slipway-sandbox"

// writeKubeconfig writes an admin kubeconfig for server.
func writeKubeconfig(path, server string, ca []byte, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[contextName] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName}
	cfg.CurrentContext = contextName
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write the kubeconfig %s: %w", path, err)
	}
	return nil
}

func newKubeClient(server string, ca []byte, token string) (kubernetes.Interface, error) {
	c, err := kubernetes.NewForConfig(&rest.Config{
		Host:            server,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		UserAgent:       "slipway-sandbox",
	})
	if err != nil {
		return nil, fmt.Errorf("connect to the sandbox's API server: %w", err)
	}
	return c, nil
}

// NodeName returns the name of the i-th simulated node (from 0).
func NodeName(i int) string { return fmt.Sprintf("kwok-node-%d", i) }

// FakeNodeTaint keeps ordinary workloads off the simulated nodes when the sandbox has a
// real node; a workload that should land on them (a scale test) tolerates it.
var FakeNodeTaint = corev1.Taint{Key: kwokNodeAnnotation, Value: kwokNodeValue, Effect: corev1.TaintEffectNoSchedule}

// fakeNode is a Node kwok manages, with room for many pods; tainted, it takes only pods
// tolerating FakeNodeTaint.
func fakeNode(name string, tainted bool) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{kwokNodeAnnotation: kwokNodeValue, "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname": name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
		},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity.DeepCopy(),
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion:  "fake",
				OperatingSystem: "linux",
				Architecture:    "amd64",
			},
		},
	}
	if tainted {
		node.Spec.Taints = []corev1.Taint{FakeNodeTaint}
	}
	return node
}

// createNodes creates the n simulated nodes that do not exist yet.
func createNodes(ctx context.Context, c kubernetes.Interface, n int, tainted bool) error {
	for i := range n {
		node := fakeNode(NodeName(i), tainted)
		// A Node keeps the status it is created with (as when a kubelet registers), so
		// capacity needs no separate status update.
		_, err := c.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", node.Name, err)
		}
	}
	return nil
}

// nodesReady succeeds when n nodes are Ready and no longer tainted not-ready.
func nodesReady(ctx context.Context, c kubernetes.Interface, n int) error {
	list, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	var notReady []string
	ready := 0
	for _, node := range list.Items {
		ok := false
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ok = true
			}
		}
		for _, t := range node.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
				ok = false
			}
		}
		if ok {
			ready++
		} else {
			notReady = append(notReady, node.Name)
		}
	}
	if ready < n {
		return fmt.Errorf("%d of %d nodes Ready (not yet: %s)", ready, n, strings.Join(notReady, ", "))
	}
	return nil
}

// nodeReady succeeds when the named node is Ready and no longer tainted not-ready.
func nodeReady(ctx context.Context, c kubernetes.Interface, name string) error {
	node, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, t := range node.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
			return fmt.Errorf("node %s is tainted %s", name, t.Key)
		}
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			if cond.Status == corev1.ConditionTrue {
				return nil
			}
			return fmt.Errorf("node %s is not Ready: %s: %s", name, cond.Reason, cond.Message)
		}
	}
	return fmt.Errorf("node %s reports no Ready condition yet", name)
}

// defaultServiceAccount succeeds once the controller manager created the default namespace's
// service account, without which no pod can be created there.
func defaultServiceAccount(ctx context.Context, c kubernetes.Interface) error {
	_, err := c.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
	return err
}
