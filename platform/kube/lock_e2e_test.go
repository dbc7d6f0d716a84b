package kube

import (
	"errors"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// TestLockOnAPIServer takes, contends for, takes over and releases the deploy lock on a real
// API server.
func TestLockOnAPIServer(t *testing.T) {
	kubeconfig := e2e.Sandbox(t)
	c, err := Connect(Config{Kubeconfig: kubeconfig, Namespace: "lock-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if created, err := c.EnsureNamespace(ctx); err != nil || !created {
		t.Fatalf("EnsureNamespace: %v, %v", created, err)
	}
	if created, err := c.EnsureNamespace(ctx); err != nil || created {
		t.Fatalf("EnsureNamespace again: %v, %v", created, err)
	}

	a := &Lock{Client: c, Name: "slipway-deploy-x", Holder: "ana@one pid 1", Duration: 3 * time.Second}
	if err := a.Acquire(ctx); err != nil {
		t.Fatalf("first Acquire: %v", err)
	}
	b := &Lock{Client: c, Name: "slipway-deploy-x", Holder: "bo@two pid 2", Duration: 3 * time.Second}
	time.Sleep(4 * time.Second) // past one lease duration: a's renewals keep it
	err = b.Acquire(ctx)
	var le *LockedError
	if !errors.As(err, &le) || le.Holder != "ana@one pid 1" || le.Age < 3*time.Second {
		t.Fatalf("second Acquire: %v (%+v)", err, le)
	}
	if !strings.Contains(err.Error(), "held by ana@one pid 1 since 4s ago") && !strings.Contains(err.Error(), "since 5s ago") {
		t.Errorf("the lock error should name the holder and age: %v", err)
	}
	// A holder known to be gone is taken over at once.
	gone := &Lock{Client: c, Name: "slipway-deploy-x", Holder: "cy@three pid 3", Duration: 3 * time.Second, Dead: func(h string) bool { return h == "ana@one pid 1" }}
	if err := gone.Acquire(ctx); err != nil {
		t.Fatalf("take over a dead holder's lock: %v", err)
	}
	// a lost it; its renewal notices.
	time.Sleep(1500 * time.Millisecond)
	if a.Lost() == nil {
		t.Errorf("a should know it lost the lock")
	}
	if err := a.Release(ctx); err != nil {
		t.Fatalf("a's Release must not delete cy's lease: %v", err)
	}
	le2, err := c.Clientset.CoordinationV1().Leases("lock-test").Get(ctx, "slipway-deploy-x", metav1.GetOptions{})
	if err != nil || *le2.Spec.HolderIdentity != "cy@three pid 3" {
		t.Fatalf("cy's lease: %v %v", le2, err)
	}
	if err := gone.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Clientset.CoordinationV1().Leases("lock-test").Get(ctx, "slipway-deploy-x", metav1.GetOptions{}); err == nil {
		t.Errorf("Release left the lease")
	}

	// A lease whose holder stopped renewing expires and is taken over.
	old := metav1.NewMicroTime(time.Now().Add(-time.Minute))
	secs, holder := int32(10), "dee@four pid 4"
	_, err = c.Clientset.CoordinationV1().Leases("lock-test").Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "slipway-deploy-y"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, AcquireTime: &old, RenewTime: &old},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	late := &Lock{Client: c, Name: "slipway-deploy-y", Holder: "eve@five pid 5"}
	if err := late.Acquire(ctx); err != nil {
		t.Fatalf("take over an expired lease: %v", err)
	}
	if err := late.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
