package watch

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/slipwayhq/slipway/platform/kube"
)

// life is an app in staging with web (2 pods) and an autoscaled worker, beside another
// app's Deployment and a Deployment Slipway did not make.
func life() (objs []runtime.Object, records []runtime.Object) {
	foreign := deployment("life-staging", "db", "main", 1, "postgres:16")
	delete(foreign.Labels, "app.kubernetes.io/part-of")
	objs = []runtime.Object{
		deployment("life-staging", "life", "web", 2, "reg/life@sha256:2"),
		deployment("life-staging", "life", "worker", 1, "reg/life@sha256:2"),
		deployment("life-staging", "other", "web", 1, "reg/other@sha256:1"),
		foreign,
		pod("life-staging", "life", "web", "life-web-a"),
		pod("life-staging", "life", "web", "life-web-b"),
		pod("life-staging", "life", "worker", "life-worker-a"),
		pod("life-staging", "other", "web", "other-web-a"),
		hpa("life-staging", "life", "worker", 1, 3),
	}
	records = []runtime.Object{
		record("life-staging", "life", "staging", 1, "superseded", "1700000001"),
		record("life-staging", "life", "staging", 2, "deployed", "1700000002"),
		record("life-staging", "other", "staging", 1, "deployed", "1700000003"),
	}
	return objs, records
}

// split sorts objects into the lists a LIST would return.
func split(objs []runtime.Object) (deps []appsv1.Deployment, pods []corev1.Pod, hpas []autoscalingv2.HorizontalPodAutoscaler) {
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			deps = append(deps, *o)
		case *corev1.Pod:
			pods = append(pods, *o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpas = append(hpas, *o)
		}
	}
	return deps, pods, hpas
}

// TestSource: after the first lists, the app list, processes and events come from the
// caches, and a change through the API shows after a Changed signal.
func TestSource(t *testing.T) {
	objs, records := life()
	s, cs, _ := fakeSource(t, "", objs, records...)
	ctx := t.Context()
	s.WatchEvents("life-staging")
	s.Start(ctx)
	await(t, s, "the first sync", func() bool { return s.Conn().Synced })
	if c := s.Conn(); !c.Connected || c.Err != "" || c.Since.IsZero() {
		t.Errorf("Conn = %+v, want connected", c)
	}

	apps := s.Apps()
	var names []string
	for _, a := range apps {
		names = append(names, a.App+"/"+a.Environment)
	}
	if !reflect.DeepEqual(names, []string{"life/staging", "other/staging"}) {
		t.Fatalf("Apps = %+v", apps)
	}
	if a := apps[0]; a.Revision != 2 || a.Releases != 2 || a.State != "deployed" || a.Ready != 3 || a.Desired != 3 || a.Image != "reg/life@sha256:2" {
		t.Errorf("life = %+v", a)
	}

	// The same function as `slipway ps`, on the same objects.
	deps, pods, hpas := split(objs)
	want := kube.ProcessesOf("life", deps, pods, hpas)
	got := s.Processes("life-staging", "life")
	if len(got) != 2 || !reflect.DeepEqual(got, want) {
		t.Errorf("Processes =\n%+v\nwant (kube.ProcessesOf)\n%+v", got, want)
	}
	if got[1].Autoscale == nil || got[1].Autoscale.Max != 3 {
		t.Errorf("worker's autoscaler = %+v", got[1].Autoscale)
	}
	if p := s.Processes("life-staging", "nothing"); len(p) != 0 {
		t.Errorf("Processes of an app with nothing = %+v", p)
	}

	// Scaled through the API: the caches follow.
	d, err := cs.AppsV1().Deployments("life-staging").Get(ctx, "life-web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Replicas = ptr(int32(5))
	if _, err := cs.AppsV1().Deployments("life-staging").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	await(t, s, "web at 5", func() bool { p := s.Processes("life-staging", "life"); return len(p) == 2 && p[0].Desired == 5 })
	if a := s.Apps()[0]; a.Desired != 6 || a.State != "rolling" {
		t.Errorf("life after scaling web to 5 = %+v, want 6 desired, rolling", a)
	}

	// Events of the app's objects, as they come.
	ev := event("Pod", "life-web-a", "Warning", "BackOff", "Back-off restarting failed container", created, 3)
	if _, err := cs.CoreV1().Events("life-staging").Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	other := event("Pod", "other-web-a", "Warning", "BackOff", "not life's", created, 1)
	if _, err := cs.CoreV1().Events("life-staging").Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	await(t, s, "life's event", func() bool { return len(s.Events("life-staging", "life")) == 1 })
	if e := s.Events("life-staging", "life")[0]; e.Object != "Pod/life-web-a" || e.Count != 3 || e.Type != "Warning" {
		t.Errorf("event = %+v", e)
	}

	// A new app's first release record.
	md := s.Kube.Metadata.(interface {
		Tracker() k8stesting.ObjectTracker
	})
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	if err := md.Tracker().Create(gvr, record("shop-prod", "shop", "production", 1, "pending-install", ""), "shop-prod"); err != nil {
		t.Fatal(err)
	}
	await(t, s, "shop in the app list", func() bool { return len(s.Apps()) == 3 })
	if a := s.Apps()[2]; a.App != "shop" || a.State != "pending" {
		t.Errorf("shop = %+v", a)
	}
}

// TestSourceCoalesces: a thousand pod updates in about a second give about ten Changed
// signals, and the state after the last one is the last update's.
func TestSourceCoalesces(t *testing.T) {
	objs, records := life()
	s, cs, _ := fakeSource(t, "life-staging", objs, records...)
	ctx := t.Context()
	s.Start(ctx)
	await(t, s, "the first sync", func() bool { return s.Conn().Synced })
	var signals atomic.Int32
	counting, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-s.Changed():
				signals.Add(1)
			case <-counting.Done():
				return
			}
		}
	}()
	const updates = 1000
	pods := cs.CoreV1().Pods("life-staging")
	p, err := pods.Get(ctx, "life-web-a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 1; i <= updates; i++ {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", Ready: true, RestartCount: int32(i), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
		if p, err = pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	time.Sleep(3 * s.Coalesce / 2)
	time.Sleep(150 * time.Millisecond)
	stop()
	<-done
	n := int(signals.Load())
	t.Logf("%d pod updates in %s: %d Changed signals", updates, took.Round(time.Millisecond), n)
	if most := int(took/(100*time.Millisecond)) + 2; n > most || n < 2 {
		t.Errorf("%d Changed signals for %d updates in %s, want 2 to %d", n, updates, took, most)
	}
	if web := s.Processes("life-staging", "life")[0]; web.Restarts != updates {
		t.Errorf("web's restarts after the last signal = %d, want %d", web.Restarts, updates)
	}
}

// TestConnFailure: a call that fails marks the connection down with the reason, and the
// informer's next successful call marks it up again.
func TestConnFailure(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", fmt.Errorf(`User "ana" cannot list resource "pods" in API group "" in the namespace "life-staging"`))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"unreachable", refused, "cannot reach the Kubernetes API server at https://fake:6443: connect: connection refused"},
		{"forbidden", forbidden, `pods is forbidden: User "ana" cannot list resource "pods" in API group "" in the namespace "life-staging"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, records := life()
			s, cs, _ := fakeSource(t, "life-staging", objs, records...)
			var failing atomic.Bool
			failing.Store(true)
			cs.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
				if failing.Load() {
					return true, nil, tc.err
				}
				return false, nil, nil
			})
			s.Start(t.Context())
			await(t, s, "the failure", func() bool { return s.Conn().Err != "" })
			if c := s.Conn(); c.Connected || c.Synced || c.Err != tc.want {
				t.Errorf("Conn = %+v, want not connected, not synced, Err %q", c, tc.want)
			}
			failing.Store(false)
			await(t, s, "the retry", func() bool { c := s.Conn(); return c.Connected && c.Synced })
			if c := s.Conn(); c.Err != "" {
				t.Errorf("Conn after the retry = %+v", c)
			}
		})
	}
}

// TestConnUnreachable: a Source on an API server that is not there says why, in the
// network's words, through Changed.
func TestConnUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://%s", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: gone, context: {cluster: gone, user: u}}]
current-context: gone
`, addr)
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := kube.Connect(kube.Config{Kubeconfig: kubeconfig, Namespace: "life-staging"})
	if err != nil {
		t.Fatal(err)
	}
	s := &Source{Kube: c, Namespace: "life-staging"}
	s.Start(t.Context())
	await(t, s, "the failure", func() bool { return s.Conn().Err != "" })
	want := "cannot reach the Kubernetes API server at https://" + addr + " (context gone): connect: connection refused"
	if c := s.Conn(); c.Connected || c.Synced || c.Err != want {
		t.Errorf("Conn = %+v, want Err %q", c, want)
	}
	if !strings.Contains(s.Conn().Err, "connection refused") {
		t.Errorf("the reason should be the network's: %q", s.Conn().Err)
	}
}
