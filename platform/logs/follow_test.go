package logs

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipwayhq/slipway/platform/kube"
)

func runningPod(name, typ string) *corev1.Pod {
	p := pod(name, typ, "app.kubernetes.io/instance", "shop")
	p.Namespace = "shop-staging"
	p.Spec.Containers = []corev1.Container{{Name: typ}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: typ, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	return p
}

// TestFollowJoins: following starts a stream for a pod there at the start and one for a pod
// that appears later (client-go's fake serves "fake logs" for any pod).
func TestFollowJoins(t *testing.T) {
	cs := fake.NewClientset(runningPod("shop-worker-a", "worker"))
	var mu sync.Mutex
	seen := map[string]string{}
	r := &Reader{Kube: &kube.Client{Clientset: cs, Namespace: "shop-staging"}, Line: func(l Line) {
		mu.Lock()
		defer mu.Unlock()
		seen[l.Pod] = l.Instance + " " + l.Text
	}}
	old := reopenWait
	reopenWait = time.Hour // the fake's streams end at once: no reopen in this test
	defer func() { reopenWait = old }()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Read(ctx, Options{App: "shop", Process: "worker", Follow: true, Tail: -1}) }()
	wait := func(n int) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			got := len(seen)
			mu.Unlock()
			if got >= n {
				return
			}
			select {
			case err := <-done:
				t.Fatalf("Read ended: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("saw %v, want %d pods", seen, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait(1)
	if _, err := cs.CoreV1().Pods("shop-staging").Create(ctx, runningPod("shop-worker-b", "worker"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	wait(2)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if seen["shop-worker-a"] != "worker.1 fake logs" || seen["shop-worker-b"] != "worker.2 fake logs" {
		t.Errorf("seen %v", seen)
	}
}
