package kube

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
)

// TestPodStatus: why a pod is not running or not ready, from its conditions and its
// containers' states.
func TestPodStatus(t *testing.T) {
	now := metav1.NewTime(created)
	for _, tc := range []struct {
		name string
		st   corev1.PodStatus
		del  bool
		want Pod
	}{
		{"running and ready", corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{RestartCount: 2, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}},
		}, false, Pod{Phase: "Running", Ready: true, Restarts: 2}},
		{"not scheduled", corev1.PodStatus{Phase: corev1.PodPending,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/2 nodes are available: 2 Insufficient cpu."}},
		}, false, Pod{Phase: "Pending", Reason: "not scheduled: 0/2 nodes are available: 2 Insufficient cpu."}},
		{"image pull", corev1.PodStatus{Phase: corev1.PodPending,
			ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "reg/x"`}}}},
		}, false, Pod{Phase: "Pending", Reason: `ImagePullBackOff Back-off pulling image "reg/x"`}},
		{"crash loop with its last exit", corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{RestartCount: 5,
				State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}},
			}},
		}, false, Pod{Phase: "Running", Restarts: 5, Reason: "CrashLoopBackOff", Crashed: true}},
		{"restarted, running again", corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
			ContainerStatuses: []corev1.ContainerStatus{{RestartCount: 1,
				State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}},
			}},
		}, false, Pod{Phase: "Running", Restarts: 1, Reason: "last exit code 137 (OOMKilled)", Crashed: true}},
		{"terminating", corev1.PodStatus{Phase: corev1.PodRunning}, true, Pod{Phase: "Terminating"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pod("ns", "shop", "web", "shop-web-1", tc.st)
			if tc.del {
				p.DeletionTimestamp = &now
			}
			tc.want.Name, tc.want.Created = "shop-web-1", created
			if got := podStatus(p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("podStatus = %+v\nwant        %+v", got, tc.want)
			}
		})
	}
}

// shop is an app with web (2 pods, one crashing), worker_beat (Kubernetes type worker-beat,
// autoscaled 1–4 at 70% CPU), and another app's deployment beside it.
func shop() []runtime.Object {
	ready := corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	crashing := corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{RestartCount: 3,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}}
	return []runtime.Object{
		deployment("shop-staging", "shop", "web", "web", 2),
		deployment("shop-staging", "shop", "worker-beat", "worker_beat", 1),
		deployment("shop-staging", "other", "web", "web", 7),
		pod("shop-staging", "shop", "web", "shop-web-b", crashing),
		pod("shop-staging", "shop", "web", "shop-web-a", ready),
		pod("shop-staging", "shop", "worker-beat", "shop-worker-beat-a", ready),
		pod("shop-staging", "other", "web", "other-web-a", ready),
		hpa("shop-staging", "shop", "shop-worker-beat", 1, 4, 70),
	}
}

func TestProcesses(t *testing.T) {
	c, _ := fakeClient("shop-staging", shop()...)
	procs, err := c.Processes(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 2 {
		t.Fatalf("Processes = %+v, want web and worker-beat", procs)
	}
	web, beat := procs[0], procs[1]
	if web.Type != "web" || web.Name != "web" || web.Desired != 2 || web.Restarts != 3 || web.Image != "reg/app@sha256:1" || web.Autoscale != nil || !web.Created.Equal(created) {
		t.Errorf("web = %+v", web)
	}
	if len(web.Pods) != 2 || web.Pods[0].Name != "shop-web-a" || !web.Pods[0].Ready || web.Pods[1].Reason != "CrashLoopBackOff" {
		t.Errorf("web's pods, by name = %+v", web.Pods)
	}
	if beat.Type != "worker-beat" || beat.Name != "worker_beat" || len(beat.Pods) != 1 {
		t.Errorf("worker-beat = %+v", beat)
	}
	if a := beat.Autoscale; a == nil || *a != (Autoscale{Min: 1, Max: 4, CPU: 70, Current: 1}) {
		t.Errorf("worker-beat's autoscale = %+v", beat.Autoscale)
	}
	f, err := c.Formation(context.Background(), "shop")
	if err != nil || !reflect.DeepEqual(f, map[string]int{"web": 2, "worker-beat": 1}) {
		t.Errorf("Formation = %v, %v", f, err)
	}
	if procs, err := c.Processes(context.Background(), "nothing"); err != nil || len(procs) != 0 {
		t.Errorf("Processes of an app with nothing deployed = %v, %v", procs, err)
	}
}

// TestScale: every type is checked before anything changes: an unknown type, a count out
// of range and an autoscaled type are refused with typed errors, and nothing is patched.
func TestScale(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		counts map[string]int
		check  func(error) bool
		want   string
	}{
		{"unknown type", map[string]int{"web": 3, "webb": 1}, func(err error) bool {
			var ue *UnknownTypeError
			return errors.As(err, &ue) && ue.Type == "webb" && reflect.DeepEqual(ue.Known, []string{"web", "worker_beat"})
		}, `unknown process type "webb" (known: web, worker_beat)`},
		{"negative", map[string]int{"web": -1}, func(err error) bool {
			var ce *CountError
			return errors.As(err, &ce)
		}, "web=-1: a count cannot be negative"},
		{"past int32", map[string]int{"web": 1 << 31}, func(err error) bool {
			var ce *CountError
			return errors.As(err, &ce)
		}, "web=2147483648: a count can be at most 2147483647"},
		{"autoscaled, by its Procfile name", map[string]int{"web": 3, "worker_beat": 2}, func(err error) bool {
			var ae *AutoscaledError
			return errors.As(err, &ae) && ae.Type == "worker_beat"
		}, "worker_beat is autoscaled (1–4 pods at 70% CPU): its autoscaler sets its pod count"},
		{"autoscaled, by its Kubernetes name", map[string]int{"worker-beat": 2}, func(err error) bool {
			var ae *AutoscaledError
			return errors.As(err, &ae) && strings.Contains(ae.Hint(), "'slipway autoscale worker_beat --off'")
		}, "worker_beat is autoscaled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, cs := fakeClient("shop-staging", shop()...)
			cs.ClearActions()
			_, err := c.Scale(ctx, "shop", tc.counts)
			if err == nil || !tc.check(err) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Scale(%v) = %v (%T), want %q", tc.counts, err, err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), "slipway") || strings.Contains(err.Error(), "--")) {
				t.Errorf("the error names a command or a flag: %v", err)
			}
			for _, a := range cs.Actions() {
				if a.GetVerb() != "list" {
					t.Errorf("Scale(%v) changed something: %s %s", tc.counts, a.GetVerb(), a.GetResource().Resource)
				}
			}
		})
	}
}

func TestScaleSetsReplicas(t *testing.T) {
	ctx := context.Background()
	c, cs := fakeClient("shop-staging", shop()...)
	procs, err := c.Scale(ctx, "shop", map[string]int{"web": 5})
	if err != nil {
		t.Fatal(err)
	}
	if procs[0].Type != "web" || procs[0].Desired != 5 {
		t.Errorf("Scale returned %+v, want web at 5", procs)
	}
	d, err := cs.AppsV1().Deployments("shop-staging").Get(ctx, "shop-web", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 5 {
		t.Errorf("shop-web after Scale: %v, %v", d, err)
	}
	other, _ := cs.AppsV1().Deployments("shop-staging").Get(ctx, "other-web", metav1.GetOptions{})
	if *other.Spec.Replicas != 7 {
		t.Errorf("another app's web was scaled: %d", *other.Spec.Replicas)
	}
	var patched []string
	for _, a := range cs.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			patched = append(patched, p.GetName()+"/"+p.GetSubresource())
		}
	}
	if !reflect.DeepEqual(patched, []string{"shop-web/scale"}) {
		t.Errorf("patched %v, want shop-web's scale subresource", patched)
	}
}

// TestScaleGone: a deployment deleted between the check and the patch is named.
func TestScaleGone(t *testing.T) {
	c, cs := fakeClient("shop-staging", shop()...)
	cs.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "apps", Resource: "deployments"}, "shop-web")
	})
	_, err := c.Scale(context.Background(), "shop", map[string]int{"web": 1})
	if err == nil || err.Error() != "scale web: deployment shop-web is gone" {
		t.Errorf("Scale = %v", err)
	}
}

// TestProcessesOf: fed a whole namespace's objects (as from an informer's cache), the pure
// function keeps the app's own and agrees with Processes, which lists by label.
func TestProcessesOf(t *testing.T) {
	var deps []appsv1.Deployment
	var pods []corev1.Pod
	var hpas []autoscalingv2.HorizontalPodAutoscaler
	for _, o := range shop() {
		switch o := o.(type) {
		case *appsv1.Deployment:
			deps = append(deps, *o)
		case *corev1.Pod:
			pods = append(pods, *o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpas = append(hpas, *o)
		}
	}
	slices.Reverse(deps) // the order objects come in does not matter
	c, _ := fakeClient("shop-staging", shop()...)
	for _, tc := range []struct {
		app   string
		types []string
		pods  []int
	}{
		{"shop", []string{"web", "worker-beat"}, []int{2, 1}},
		{"other", []string{"web"}, []int{1}},
		{"nothing", nil, nil},
	} {
		t.Run(tc.app, func(t *testing.T) {
			got := ProcessesOf(tc.app, deps, pods, hpas)
			var types []string
			var npods []int
			for _, p := range got {
				types, npods = append(types, p.Type), append(npods, len(p.Pods))
			}
			if !reflect.DeepEqual(types, tc.types) || !reflect.DeepEqual(npods, tc.pods) {
				t.Errorf("ProcessesOf(%s) types %v with %v pods, want %v with %v", tc.app, types, npods, tc.types, tc.pods)
			}
			listed, err := c.Processes(context.Background(), tc.app)
			if err != nil || !reflect.DeepEqual(listed, got) {
				t.Errorf("Processes(%s) = %+v, %v\nProcessesOf gave %+v", tc.app, listed, err, got)
			}
		})
	}
}
