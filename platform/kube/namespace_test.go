package kube

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
)

var namespaces = schema.GroupResource{Resource: "namespaces"}

func refuse(err error) k8stesting.ReactionFunc {
	return func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, err }
}

func TestEnsureNamespace(t *testing.T) {
	ctx := context.Background()
	forbidden := apierrors.NewForbidden(namespaces, "shop-staging", errors.New(`User "dev" cannot get resource "namespaces"`))
	for _, tc := range []struct {
		name        string
		objs        []runtime.Object
		get, create error
		created     bool
		wantErr     string
	}{
		{name: "exists", objs: []runtime.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop-staging"}}}},
		{name: "missing", created: true},
		// A user whose rights end at the namespace: neither read nor create is allowed.
		{name: "forbidden to read and create", get: forbidden, create: forbidden},
		{name: "forbidden to read, created", get: forbidden, created: true},
		{name: "created by someone else meanwhile", create: apierrors.NewAlreadyExists(namespaces, "shop-staging")},
		{name: "missing, forbidden to create", create: forbidden, wantErr: "create namespace shop-staging: namespaces \"shop-staging\" is forbidden"},
		{name: "unreachable", get: syscall.ECONNREFUSED, wantErr: "cannot reach the Kubernetes API server at https://fake:6443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, cs := fakeClient("shop-staging", tc.objs...)
			if tc.get != nil {
				cs.PrependReactor("get", "namespaces", refuse(tc.get))
			}
			if tc.create != nil {
				cs.PrependReactor("create", "namespaces", refuse(tc.create))
			}
			created, err := c.EnsureNamespace(ctx)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Errorf("EnsureNamespace = %v, %v; want %q", created, err, tc.wantErr)
				}
				return
			}
			if err != nil || created != tc.created {
				t.Errorf("EnsureNamespace = %v, %v; want %v", created, err, tc.created)
			}
			if tc.created {
				obj, err := cs.Tracker().Get(corev1.SchemeGroupVersion.WithResource("namespaces"), "", "shop-staging")
				if ns, ok := obj.(*corev1.Namespace); err != nil || !ok || ns.Labels["app.kubernetes.io/managed-by"] != "slipway" {
					t.Errorf("the namespace made: %v, %v", ns, err)
				}
			}
		})
	}
}

// TestJobOutput: a failed release command's reason, its pods' exits and logs, and a pod
// that never started said as such.
func TestJobOutput(t *testing.T) {
	j := job("shop-release-5", "j5", func(j *batchv1.Job) {
		j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}}
	})
	exited := pod("shop-staging", "shop", "release", "shop-release-5-a", corev1.PodStatus{Phase: corev1.PodFailed,
		ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}}}}})
	pending := pod("shop-staging", "shop", "release", "shop-release-5-b", corev1.PodStatus{Phase: corev1.PodPending,
		ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}}}})
	pending.CreationTimestamp = metav1.NewTime(created.Add(time.Minute))
	for _, p := range []*corev1.Pod{exited, pending} {
		p.Labels["batch.kubernetes.io/job-name"] = "shop-release-5"
	}
	c, _ := fakeClient("shop-staging", j, exited, pending)
	got := c.JobOutput(context.Background(), "shop-release-5", 20)
	want := "job shop-release-5 failed: BackoffLimitExceeded Job has reached the specified backoff limit\n" +
		"pod shop-release-5-a: exit code 3 (Error)\n" +
		"fake logs\n" + // what client-go's fake clientset streams
		"pod shop-release-5-b is Pending: ErrImagePull\n"
	if got != want {
		t.Errorf("JobOutput =\n%s\nwant\n%s", got, want)
	}
}
