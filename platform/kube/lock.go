package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Lock is a lease held in a namespace so that one deploy at a time changes an app there.
// It is renewed while held; a holder that dies without releasing it (SIGKILL) loses it when
// the lease expires, Duration after its last renewal.
type Lock struct {
	Client *Client
	// Name is the lease's name; Holder says who holds it ("ana@laptop pid 4242").
	Name, Holder string
	// Duration is how long the lease lasts without renewal (default 15s); it is renewed
	// every third of it.
	Duration time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Dead, when set, tells whether a holder is known to be gone (a process of this machine
	// that no longer runs); its lease is then taken over without waiting for it to expire.
	Dead func(holder string) bool

	mu      sync.Mutex
	lease   *coordinationv1.Lease
	stop    context.CancelFunc
	done    chan struct{}
	lostErr error
}

// LockedError says someone else holds the lock.
type LockedError struct {
	Name, Namespace, Holder string
	// Age is how long the holder has held it.
	Age time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another deploy is in progress in %s: the lock %s is held by %s since %s ago", e.Namespace, e.Name, e.Holder, e.Age.Round(time.Second))
}

// Hint says what to do.
func (e *LockedError) Hint() string {
	return "wait for it to finish; a lock whose holder died expires by itself within seconds"
}

func (l *Lock) defaults() {
	if l.Duration <= 0 {
		l.Duration = 15 * time.Second
	}
	if l.Now == nil {
		l.Now = time.Now
	}
}

// Acquire takes the lock or returns a *LockedError naming its holder. A lease that expired
// (its holder stopped renewing it) is taken over.
func (l *Lock) Acquire(ctx context.Context) error {
	l.defaults()
	leases := l.Client.Clientset.CoordinationV1().Leases(l.Client.Namespace)
	now := metav1.NewMicroTime(l.Now())
	secs := int32(l.Duration / time.Second)
	want := coordinationv1.LeaseSpec{HolderIdentity: &l.Holder, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now}
	cur, err := leases.Get(ctx, l.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		created, err := leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: l.Name, Labels: map[string]string{"app.kubernetes.io/managed-by": "slipway"}},
			Spec:       want,
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return l.Acquire(ctx) // someone was faster: report them
		}
		if err != nil {
			return l.Client.Explain(fmt.Errorf("take the deploy lock %s in %s: %w", l.Name, l.Client.Namespace, err))
		}
		l.held(created)
		return nil
	case err != nil:
		return l.Client.Explain(fmt.Errorf("read the deploy lock %s in %s: %w", l.Name, l.Client.Namespace, err))
	}
	if holder, age, live := l.holder(cur); live && (l.Dead == nil || !l.Dead(holder)) {
		return &LockedError{Name: l.Name, Namespace: l.Client.Namespace, Holder: holder, Age: age}
	}
	cur.Spec = want
	updated, err := leases.Update(ctx, cur, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		return l.Acquire(ctx)
	}
	if err != nil {
		return l.Client.Explain(fmt.Errorf("take the deploy lock %s in %s: %w", l.Name, l.Client.Namespace, err))
	}
	l.held(updated)
	return nil
}

// holder tells who holds a lease, for how long, and whether the lease is still live.
func (l *Lock) holder(le *coordinationv1.Lease) (string, time.Duration, bool) {
	s := le.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity == "" || s.RenewTime == nil {
		return "", 0, false
	}
	dur := l.Duration
	if s.LeaseDurationSeconds != nil {
		dur = time.Duration(*s.LeaseDurationSeconds) * time.Second
	}
	now := l.Now()
	if s.RenewTime.Add(dur).Before(now) {
		return *s.HolderIdentity, 0, false
	}
	var age time.Duration
	if s.AcquireTime != nil {
		age = now.Sub(s.AcquireTime.Time)
	}
	return *s.HolderIdentity, age, true
}

func (l *Lock) held(le *coordinationv1.Lease) {
	ctx, cancel := context.WithCancel(context.Background())
	l.mu.Lock()
	l.lease, l.stop, l.done, l.lostErr = le, cancel, make(chan struct{}), nil
	l.mu.Unlock()
	go l.renew(ctx)
}

func (l *Lock) renew(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(l.Duration / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		le := l.lease.DeepCopy()
		l.mu.Unlock()
		now := metav1.NewMicroTime(l.Now())
		le.Spec.RenewTime = &now
		rctx, cancel := context.WithTimeout(ctx, l.Duration/3)
		updated, err := l.Client.Clientset.CoordinationV1().Leases(l.Client.Namespace).Update(rctx, le, metav1.UpdateOptions{})
		cancel()
		l.mu.Lock()
		if err == nil {
			l.lease = updated
		} else if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			l.lostErr = fmt.Errorf("lost the deploy lock %s: %w", l.Name, err)
		}
		l.mu.Unlock()
	}
}

// Lost returns an error when the lock was taken away while held (it had expired).
func (l *Lock) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lostErr
}

// Release stops renewing and deletes the lease if it is still this holder's.
func (l *Lock) Release(ctx context.Context) error {
	l.mu.Lock()
	stop, done := l.stop, l.done
	l.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	<-done
	l.mu.Lock()
	le := l.lease
	l.stop = nil
	l.mu.Unlock()
	uid, rv := le.UID, le.ResourceVersion
	err := l.Client.Clientset.CoordinationV1().Leases(l.Client.Namespace).Delete(ctx, l.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv},
	})
	if err == nil || apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return l.Client.Explain(fmt.Errorf("release the deploy lock %s: %w", l.Name, err))
}
