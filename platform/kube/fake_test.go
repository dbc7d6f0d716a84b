package kube

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// fakeClient is a Client on client-go's fake clientset holding objs, working in ns.
func fakeClient(ns string, objs ...runtime.Object) (*Client, *fake.Clientset) {
	cs := fake.NewClientset(objs...)
	return &Client{Clientset: cs, Namespace: ns, Server: "https://fake:6443"}, cs
}

var created = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// deployment is the Deployment the chart makes for process type typ (Kubernetes spelling)
// of app, named name in the Procfile.
func deployment(ns, app, typ, name string, replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: app + "-" + typ, Namespace: ns, CreationTimestamp: metav1.NewTime(created),
			Labels:      map[string]string{LabelInstance: app, LabelComponent: typ},
			Annotations: map[string]string{AnnotationProcess: name},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(replicas),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: typ, Image: "reg/app@sha256:1"}}}},
		},
		Status: appsv1.DeploymentStatus{ReadyReplicas: replicas, UpdatedReplicas: replicas, AvailableReplicas: replicas},
	}
}

// pod is a pod of type typ of app with status st.
func pod(ns, app, typ, name string, st corev1.PodStatus) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, CreationTimestamp: metav1.NewTime(created),
			Labels: map[string]string{LabelInstance: app, LabelComponent: typ},
		},
		Status: st,
	}
}

// hpa autoscales deployment dep between min and max at cpu percent.
func hpa(ns, app, dep string, min, max, cpu int32) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: dep, Namespace: ns, Labels: map[string]string{LabelInstance: app}},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: dep, APIVersion: "apps/v1"},
			MinReplicas:    ptr(min), MaxReplicas: max,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(cpu)},
			}}},
		},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: min},
	}
}
