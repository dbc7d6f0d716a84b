package kube

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLockFake: take, contend, take over an expired or dead holder's lease, release; on
// client-go's fake clientset with a clock of the test's own.
func TestLockFake(t *testing.T) {
	ctx := context.Background()
	c, cs := fakeClient("shop-staging")
	now := created
	clock := func() time.Time { return now }
	leases := cs.CoordinationV1().Leases("shop-staging")

	a := &Lock{Client: c, Name: "slipway-deploy-shop", Holder: "ana@one pid 1", Duration: time.Hour, Now: clock}
	if err := a.Acquire(ctx); err != nil {
		t.Fatalf("first Acquire: %v", err)
	}
	defer a.Release(ctx)
	le, err := leases.Get(ctx, "slipway-deploy-shop", metav1.GetOptions{})
	if err != nil || *le.Spec.HolderIdentity != "ana@one pid 1" || *le.Spec.LeaseDurationSeconds != 3600 {
		t.Fatalf("the lease: %+v, %v", le, err)
	}

	now = now.Add(90 * time.Second)
	b := &Lock{Client: c, Name: "slipway-deploy-shop", Holder: "bo@two pid 2", Duration: time.Hour, Now: clock}
	err = b.Acquire(ctx)
	var locked *LockedError
	if !errors.As(err, &locked) || locked.Holder != "ana@one pid 1" || locked.Age != 90*time.Second || locked.Namespace != "shop-staging" {
		t.Fatalf("second Acquire: %v (%+v)", err, locked)
	}
	if want := "another deploy is in progress in shop-staging: the lock slipway-deploy-shop is held by ana@one pid 1 since 1m30s ago"; err.Error() != want {
		t.Errorf("LockedError = %q, want %q", err, want)
	}
	if !strings.Contains(locked.Hint(), "expires by itself") {
		t.Errorf("LockedError.Hint() = %q", locked.Hint())
	}

	// A holder known to be dead is taken over at once.
	dead := &Lock{Client: c, Name: "slipway-deploy-shop", Holder: "bo@two pid 2", Duration: time.Hour, Now: clock,
		Dead: func(h string) bool { return h == "ana@one pid 1" }}
	if err := dead.Acquire(ctx); err != nil {
		t.Fatalf("Acquire over a dead holder: %v", err)
	}
	if le, _ := leases.Get(ctx, "slipway-deploy-shop", metav1.GetOptions{}); *le.Spec.HolderIdentity != "bo@two pid 2" {
		t.Errorf("holder after the takeover: %s", *le.Spec.HolderIdentity)
	}
	if err := dead.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if _, err := leases.Get(ctx, "slipway-deploy-shop", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the lease after Release: %v", err)
	}
	if err := dead.Release(ctx); err != nil {
		t.Errorf("second Release: %v", err)
	}
}

// TestLockExpired: a lease whose holder stopped renewing it is taken over once it expires.
func TestLockExpired(t *testing.T) {
	ctx := context.Background()
	secs, holder := int32(15), "cy@three pid 3"
	renewed := metav1.NewMicroTime(created)
	c, _ := fakeClient("shop-staging", &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "slipway-deploy-shop", Namespace: "shop-staging"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, AcquireTime: &renewed, RenewTime: &renewed},
	})
	now := created.Add(10 * time.Second)
	l := &Lock{Client: c, Name: "slipway-deploy-shop", Holder: "dee@four pid 4", Duration: time.Hour, Now: func() time.Time { return now }}
	var locked *LockedError
	if err := l.Acquire(ctx); !errors.As(err, &locked) {
		t.Fatalf("Acquire of a live lease: %v", err)
	}
	now = created.Add(16 * time.Second)
	if err := l.Acquire(ctx); err != nil {
		t.Fatalf("Acquire of an expired lease: %v", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
