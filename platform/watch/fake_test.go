package watch

import (
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	metafake "k8s.io/client-go/metadata/fake"

	"github.com/slipwayhq/slipway/platform/kube"
)

var created = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// chartLabels are the labels Slipway's chart puts on a process type's Deployment and
// autoscaler (charts/app/templates/_helpers.tpl).
func chartLabels(app, typ, version string) map[string]string {
	l := map[string]string{
		"helm.sh/chart": "app-0.1.0", "app.kubernetes.io/name": app, kube.LabelInstance: app, kube.LabelComponent: typ,
		"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/part-of": "slipway",
	}
	if version != "" {
		l[labelVersion] = version
	}
	return l
}

// deployment is the chart's Deployment of process type typ of app, rolled out at replicas.
func deployment(ns, app, typ string, replicas int32, image string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: app + "-" + typ, Namespace: ns, CreationTimestamp: metav1.NewTime(created), Generation: 1,
			Labels: chartLabels(app, typ, "abc1234"), Annotations: map[string]string{kube.AnnotationProcess: typ},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(replicas),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: typ, Image: image}}}},
		},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: replicas, ReadyReplicas: replicas, UpdatedReplicas: replicas, AvailableReplicas: replicas},
	}
}

// pod is a ready pod of type typ of app, with the selector labels only.
func pod(ns, app, typ, name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, CreationTimestamp: metav1.NewTime(created),
			Labels: map[string]string{"app.kubernetes.io/name": app, kube.LabelInstance: app, kube.LabelComponent: typ},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
	}
}

// hpa autoscales app's type typ between min and max at 70% CPU.
func hpa(ns, app, typ string, min, max int32) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: app + "-" + typ, Namespace: ns, Labels: chartLabels(app, typ, "")},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: app + "-" + typ, APIVersion: "apps/v1"},
			MinReplicas:    ptr(min), MaxReplicas: max,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(70))},
			}}},
		},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: min},
	}
}

// record is the metadata of Helm's release record of revision v of app in env: the
// labels Helm's secret driver and Slipway set. modified is unix seconds ("" for none).
func record(ns, app, env string, v int, status, modified string) *metav1.PartialObjectMetadata {
	l := map[string]string{"name": app, "owner": "helm", "status": status, "version": fmt.Sprint(v), labelApp: app, labelEnv: env}
	if modified != "" {
		l["modifiedAt"] = modified
	}
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sh.helm.release.v1.%s.v%d", app, v), Namespace: ns, Labels: l},
	}
}

// fakeSource is a Source on client-go's fake clientset holding objs, and its fake metadata
// client holding records.
func fakeSource(t *testing.T, ns string, objs []runtime.Object, records ...runtime.Object) (*Source, *fake.Clientset, *metafake.FakeMetadataClient) {
	t.Helper()
	scheme := metafake.NewTestScheme()
	if err := metav1.AddMetaToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	md := metafake.NewSimpleMetadataClient(scheme, records...)
	cs := fake.NewClientset(objs...)
	s := &Source{Kube: &kube.Client{Clientset: cs, Metadata: md, Namespace: ns, Server: "https://fake:6443"}, Namespace: ns}
	return s, cs, md
}

// await waits up to 5 s for cond, checking after each Changed signal.
func await(t *testing.T, s *Source, what string, cond func() bool) {
	t.Helper()
	awaitFor(t, s, 5*time.Second, what, cond)
}

// drain takes a pending Changed signal, if any.
func drain(s *Source) {
	select {
	case <-s.Changed():
	default:
	}
}

// awaitFor waits up to d for cond, checking after each Changed signal.
func awaitFor(t *testing.T, s *Source, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	for !cond() {
		select {
		case <-s.Changed():
		case <-time.After(100 * time.Millisecond): // a condition no signal reports (an informer's HasSynced)
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
	}
}
