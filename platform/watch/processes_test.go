package watch

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/slipwayhq/slipway/platform/kube"
)

// TestRefused: a Deployment whose ReplicaSet cannot create pods says so in its
// ReplicaFailure condition, and its process type's status carries the cluster's reason.
func TestRefused(t *testing.T) {
	failing := func(status corev1.ConditionStatus) *appsv1.Deployment {
		d := deployment("life-staging", "life", "web", 2, "reg/life@sha256:1")
		d.Status.ReadyReplicas, d.Status.Replicas = 0, 0
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentReplicaFailure, Status: status, Reason: "FailedCreate",
			Message: `pods "life-web-5d-x" is forbidden: violates PodSecurity "restricted:latest" `}}
		return d
	}
	for _, tc := range []struct {
		name string
		dep  *appsv1.Deployment
		want string
	}{
		{"refused", failing(corev1.ConditionTrue), `pods cannot be created: pods "life-web-5d-x" is forbidden: violates PodSecurity "restricted:latest"`},
		{"refused no more", failing(corev1.ConditionFalse), "starting (0/2 ready)"},
		{"up", deployment("life-staging", "life", "web", 0, "reg/life@sha256:1"), kube.StatusStopped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deps := []appsv1.Deployment{*tc.dep}
			procs := kube.ProcessesOf("life", deps, nil, nil)
			refused(procs, deps)
			if len(procs) != 1 || procs[0].Status != tc.want {
				t.Errorf("status = %+v, want %q", procs, tc.want)
			}
		})
	}
}
