package kube

import (
	"context"
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

func replicaSet(name, process string, want, have int32, failure string) *appsv1.ReplicaSet {
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop-staging",
			Labels:      map[string]string{LabelInstance: "shop", LabelComponent: process},
			Annotations: map[string]string{AnnotationProcess: process}},
		Spec:   appsv1.ReplicaSetSpec{Replicas: ptr(want)},
		Status: appsv1.ReplicaSetStatus{Replicas: have},
	}
	if failure != "" {
		rs.Status.Conditions = []appsv1.ReplicaSetCondition{{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: failure}}
	}
	return rs
}

func job(name string, uid types.UID, mod func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop-staging", UID: uid,
		Labels: map[string]string{LabelInstance: "shop", LabelComponent: "release"}}}
	if mod != nil {
		mod(j)
	}
	return j
}

func failedCreate(name string, uid types.UID, at time.Time, msg string) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name + "." + at.Format("150405"), Namespace: "shop-staging"},
		InvolvedObject: corev1.ObjectReference{Kind: "Job", Name: name, UID: uid},
		Type:           corev1.EventTypeWarning, Reason: "FailedCreate", Message: msg,
		LastTimestamp: metav1.NewTime(at),
	}
}

const quota = `pods "shop-web-5d9c-x" is forbidden: exceeded quota: compute, requested: cpu=500m, used: cpu=2, limited: cpu=2`

func TestRefusals(t *testing.T) {
	objs := []runtime.Object{
		replicaSet("shop-web-new", "web", 2, 0, quota),
		replicaSet("shop-web-old", "web", 0, 0, "old news"),           // wants no pods
		replicaSet("shop-worker-full", "worker", 1, 1, "settled now"), // has its pods
		replicaSet("shop-clock-ok", "clock", 1, 0, ""),                // no failure reported
		job("shop-release-3", "j3", nil),
		job("shop-release-2", "j2", func(j *batchv1.Job) { // finished
			j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue}}
		}),
		job("shop-cron-1", "c1", func(j *batchv1.Job) { // a cron job's: not the release command
			j.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: "shop-cron", UID: "cron", Controller: ptr(true)}}
		}),
		job("shop-release-4", "j4", func(j *batchv1.Job) { j.Status.Active = 1 }), // runs a pod
		failedCreate("shop-release-3", "j3", created, "Error creating: old message"),
		failedCreate("shop-release-3", "j3", created.Add(time.Minute), `Error creating: pods "shop-release-3-x" is forbidden: violates PodSecurity "restricted:latest"`),
		failedCreate("shop-release-2", "j2", created, "Error creating: finished anyway"),
		failedCreate("shop-cron-1", "c1", created, "Error creating: cron"),
		failedCreate("shop-release-4", "j4", created, "Error creating: active"),
	}
	c, _ := fakeClient("shop-staging", objs...)
	got, err := c.Refusals(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	want := []Refusal{
		{Process: "release", Kind: "Job", Name: "shop-release-3", Reason: `pods "shop-release-3-x" is forbidden: violates PodSecurity "restricted:latest"`},
		{Process: "web", Kind: "ReplicaSet", Name: "shop-web-new", Reason: quota},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Refusals =\n%+v\nwant\n%+v", got, want)
	}
	if got[1].Error() != "web: pods cannot be created: "+quota {
		t.Errorf("Error() = %q", got[1].Error())
	}
}

// TestRefusalWatch: a refusal is reported once it has lasted Persist; one that ends
// sooner is not.
func TestRefusalWatch(t *testing.T) {
	c, cs := fakeClient("shop-staging", replicaSet("shop-web-new", "web", 2, 0, quota))
	var now time.Time
	clock := func() time.Time { now = now.Add(time.Second); return now }
	w := RefusalWatch{Every: time.Millisecond, Persist: 3 * time.Second, Now: clock}
	r := w.Await(context.Background(), c, "shop")
	if r == nil || r.Name != "shop-web-new" {
		t.Fatalf("Await = %+v", r)
	}

	// Freed before it lasted: Await sees nothing and ends with its context.
	if err := cs.AppsV1().ReplicaSets("shop-staging").Delete(context.Background(), "shop-web-new", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if r := w.Await(ctx, c, "shop"); r != nil {
		t.Errorf("Await with no refusal = %+v", r)
	}
}
