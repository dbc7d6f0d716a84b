package kube

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Config says which cluster and namespace to use, as kubectl's flags do.
type Config struct {
	// Kubeconfig is a kubeconfig path; "" means $KUBECONFIG (a list of files, merged) or
	// ~/.kube/config, as for kubectl.
	Kubeconfig string
	// Context is the kubeconfig context; "" means the current one.
	Context string
	// Namespace is the namespace the client works in.
	Namespace string
}

// NoClusterError says that no kubeconfig configures a cluster.
type NoClusterError struct {
	// Empty are the kubeconfig files read that are empty, Bare those that define no
	// cluster; both are nil when none of the files exists.
	Empty, Bare []string
}

func (e *NoClusterError) Error() string {
	var what []string
	if len(e.Empty) > 0 {
		what = append(what, fmt.Sprintf("kubeconfig %s is empty", strings.Join(e.Empty, ", ")))
	}
	if len(e.Bare) > 0 {
		what = append(what, fmt.Sprintf("kubeconfig %s defines no cluster", strings.Join(e.Bare, ", ")))
	}
	if len(what) == 0 {
		return "no Kubernetes cluster configured: no kubeconfig found ($KUBECONFIG, ~/.kube/config)"
	}
	return "no Kubernetes cluster configured: " + strings.Join(what, "; ")
}

// Hint says how to get a cluster to work with.
func (e *NoClusterError) Hint() string {
	return `start a local cluster with 'slipway sandbox up' and run 'eval "$(slipway sandbox env)"'`
}

// noCluster says why the kubeconfig files read (files, in kubectl's order) configure no
// cluster: a file that exists but is empty, or defines no cluster, is named.
func noCluster(files []string) error {
	e := &NoClusterError{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if strings.TrimSpace(string(b)) == "" {
			e.Empty = append(e.Empty, f)
		} else {
			e.Bare = append(e.Bare, f)
		}
	}
	return e
}

// Client is a connection to one cluster, working in one namespace.
type Client struct {
	Clientset kubernetes.Interface
	Metadata  metadata.Interface
	// Getter is the connection for Helm's action.Configuration.
	Getter genericclioptions.RESTClientGetter
	// Namespace is the namespace the client works in.
	Namespace string
	// Server is the API server's URL; Context the kubeconfig context used.
	Server, Context string

	config Config
}

// Connect builds a client for cfg. It does not contact the server.
func Connect(cfg Config) (*Client, error) {
	flags := genericclioptions.NewConfigFlags(true)
	if cfg.Kubeconfig != "" {
		flags.KubeConfig = &cfg.Kubeconfig
	}
	if cfg.Context != "" {
		flags.Context = &cfg.Context
	}
	ns := cfg.Namespace
	flags.Namespace = &ns
	flags.WrapConfigFn = func(c *rest.Config) *rest.Config {
		// client-go's default of 5 requests per second makes a deploy wait on itself.
		c.QPS, c.Burst = 50, 100
		return c
	}
	raw, err := flags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig: %w", err)
	}
	context := raw.CurrentContext
	if cfg.Context != "" {
		context = cfg.Context
	}
	if cfg.Context != "" {
		if _, ok := raw.Contexts[cfg.Context]; !ok {
			return nil, fmt.Errorf("kubeconfig has no context %q (known: %s)", cfg.Context, strings.Join(slices.Sorted(maps.Keys(raw.Contexts)), ", "))
		}
	}
	if len(raw.Clusters) == 0 && os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
		return nil, noCluster(flags.ToRawKubeConfigLoader().ConfigAccess().GetLoadingPrecedence())
	}
	rc, err := flags.ToRESTConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, noCluster(flags.ToRawKubeConfigLoader().ConfigAccess().GetLoadingPrecedence())
		}
		return nil, fmt.Errorf("read kubeconfig: %w", err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", rc.Host, err)
	}
	md, err := metadata.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", rc.Host, err)
	}
	return &Client{Clientset: cs, Metadata: md, Getter: flags, Namespace: cfg.Namespace, Server: rc.Host, Context: context, config: cfg}, nil
}

// WithNamespace returns a client for the same cluster working in namespace ns.
func (c *Client) WithNamespace(ns string) (*Client, error) {
	cfg := c.config
	cfg.Namespace = ns
	return Connect(cfg)
}

// UnreachableError says the API server could not be reached.
type UnreachableError struct {
	Server, Context string
	Err             error
}

func (e *UnreachableError) Error() string {
	where := e.Server
	if e.Context != "" {
		where += " (context " + e.Context + ")"
	}
	return fmt.Sprintf("cannot reach the Kubernetes API server at %s: %s", where, rootCause(e.Err))
}

// Hint says what to check.
func (e *UnreachableError) Hint() string {
	return "is the cluster running? (for the local one: slipway sandbox up)"
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Explain turns a transport failure into an UnreachableError and leaves other errors alone.
func (c *Client) Explain(err error) error {
	if err == nil {
		return nil
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	var oe *net.OpError
	var de *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.As(err, &oe) || errors.As(err, &de) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host") {
		return &UnreachableError{Server: c.Server, Context: c.Context, Err: err}
	}
	return err
}

func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			s := err.Error()
			return s
		}
		var ne *net.OpError
		if errors.As(err, &ne) && ne.Err != nil {
			return ne.Err.Error()
		}
		err = next
	}
}
