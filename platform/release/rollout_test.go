package release

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/progress"
)

func TestRolloutEventsOnlyWhenTheyChange(t *testing.T) {
	c := newFakeCluster(t)
	m := c.env("shop-staging").manager("shop", "staging")
	ctx := context.Background()
	labels := map[string]string{kube.LabelInstance: "shop", kube.LabelComponent: "web"}
	two := int32(2)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "shop-web", Namespace: "shop-staging", Labels: labels, Generation: 1}, Spec: appsv1.DeploymentSpec{Replicas: &two},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2}}
	deps := c.cs.AppsV1().Deployments("shop-staging")
	if _, err := deps.Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	w := m.newRolloutWatch(ctx, &change{values: &charts.Values{}})
	w.look(ctx)
	if msgs := c.messages(); len(msgs) != 0 {
		t.Errorf("a Deployment the release did not change is no rollout: %v", msgs)
	}

	// The release changes it: one new pod waits for its image.
	d.Generation, d.Status = 2, appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 1, ReadyReplicas: 2}
	if _, err := deps.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "shop-web-new", Namespace: "shop-staging", Labels: labels},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}}}
	if _, err := c.cs.CoreV1().Pods("shop-staging").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	w.look(ctx)
	w.look(ctx)
	c.mu.Lock()
	events := c.events
	c.mu.Unlock()
	if len(events) != 1 {
		t.Fatalf("want one event for one state, got %+v", events)
	}
	e := events[0]
	if e.Phase != progress.Rollout || e.Status != progress.Running || e.Process != "web" || e.Message != "web: 1/2 updated, 2/2 ready (shop-web-new: ImagePullBackOff)" {
		t.Errorf("event %+v", e)
	}
	c.messages()

	d.Status = appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2}
	if _, err := deps.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	w.look(ctx)
	c.mu.Lock()
	events = c.events
	c.mu.Unlock()
	if len(events) != 1 || events[0].Status != progress.Done || events[0].Message != "web: 2/2 updated, 2/2 ready" {
		t.Errorf("done: %+v", events)
	}
}

// TestDeployPlansOnce counts the formation reads of a deploy: one plan, when no other
// release came in between the plan and the lock.
func TestDeployPlansOnce(t *testing.T) {
	c := newFakeCluster(t)
	m := c.env("shop-staging").manager("shop", "staging")
	m.Progress = nil // no rollout watch, which lists Deployments too
	deploy(t, m, 'a')
	c.cs.ClearActions()
	deploy(t, m, 'b')
	n := 0
	for _, a := range c.cs.Actions() {
		if l, ok := a.(k8stesting.ListAction); ok && l.GetResource().Resource == "deployments" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("a deploy read the formation %d times, want once (one plan)", n)
	}
	if !strings.Contains(strings.Join(statuses(t, m), " "), "v2 deployed") {
		t.Errorf("releases %v", statuses(t, m))
	}
}
