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

// fakeNode is a Node kwok manages, with room for many pods.
func fakeNode(name string) *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	return &corev1.Node{
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
}

// createNodes creates the n simulated nodes that do not exist yet.
func createNodes(ctx context.Context, c kubernetes.Interface, n int) error {
	for i := range n {
		node := fakeNode(NodeName(i))
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

// defaultServiceAccount succeeds once the controller manager created the default namespace's
// service account, without which no pod can be created there.
func defaultServiceAccount(ctx context.Context, c kubernetes.Interface) error {
	_, err := c.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
	return err
}
