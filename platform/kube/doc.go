// Package kube is Slipway's access to a Kubernetes cluster through client-go: connecting as
// kubectl does (kubeconfig, contexts, namespaces), namespaces, the live formation (replica
// counts read from and written to Deployments), process status, Job output and the
// per-environment deploy lock.
//
// It never prints or exits: it returns values and errors. It knows nothing of Helm.
package kube
