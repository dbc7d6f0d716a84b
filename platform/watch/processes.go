package watch

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/slipwayhq/slipway/platform/kube"
)

// Processes returns the live state of app's process types in namespace, sorted by type,
// from the caches, through the function `slipway ps` uses (kube.ProcessesOf). A type whose
// Deployment reports that its pods cannot be created says so, with the cluster's reason.
func (s *Source) Processes(namespace, app string) []kube.Process {
	s.init()
	key := appKey(namespace, app)
	deps := indexed[appsv1.Deployment](s.deps, key)
	procs := kube.ProcessesOf(app, deps, indexed[corev1.Pod](s.pods, key), indexed[autoscalingv2.HorizontalPodAutoscaler](s.hpas, key))
	refused(procs, deps)
	return procs
}

// indexed returns copies of the objects of one app (key) in inf's cache.
func indexed[T any](inf cache.SharedIndexInformer, key string) []T {
	objs, _ := inf.GetIndexer().ByIndex(byApp, key)
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(*T); ok {
			out = append(out, *t)
		}
	}
	return out
}

// refused marks the process types whose Deployment reports that its ReplicaSet cannot
// create pods (admission, a quota): kube.Client.Processes finds the same through the
// ReplicaSets, which the Source does not cache.
func refused(procs []kube.Process, deps []appsv1.Deployment) {
	for _, d := range deps {
		for _, c := range d.Status.Conditions {
			if c.Type != appsv1.DeploymentReplicaFailure || c.Status != corev1.ConditionTrue {
				continue
			}
			for i := range procs {
				if procs[i].Deployment == d.Name {
					procs[i].Status = kube.StatusRefused + ": " + strings.TrimSpace(c.Message)
				}
			}
		}
	}
}
