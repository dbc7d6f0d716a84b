package oneoff

import (
	"context"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/kube"
)

func deployment(typ string) *appsv1.Deployment {
	labels := map[string]string{kube.LabelInstance: "shop", kube.LabelComponent: typ}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-" + typ, Namespace: "shop-staging", Labels: labels},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{ServiceAccountName: "shop", Containers: []corev1.Container{{
				Name: typ, Image: "reg/shop@sha256:abc", Command: []string{"/bin/sh", "-c", "./" + typ},
				Ports:          []corev1.ContainerPort{{ContainerPort: 5000}},
				ReadinessProbe: &corev1.Probe{}, LivenessProbe: &corev1.Probe{}, Lifecycle: &corev1.Lifecycle{},
				Env:     []corev1.EnvVar{{Name: "PORT", Value: "5000"}, {Name: "KEEP", Value: "1"}},
				EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "shop-config"}}}},
			}}},
		}},
	}
}

// TestRunPod: the one-off pod is web's template (image by digest, config Secret, service
// account) without ports, probes or hooks, with DYNO=run.1, the user's env, the command
// as a shell line or as arguments, and a dyno size's resources.
func TestRunPod(t *testing.T) {
	k := &kube.Client{Clientset: fake.NewClientset(deployment("worker"), deployment("web")), Namespace: "shop-staging"}
	size, err := app.SizeResources("standard-2x")
	if err != nil {
		t.Fatal(err)
	}
	p, err := runPod(context.Background(), k, RunOptions{App: "shop", Command: []string{"echo $DYNO"}, Env: map[string]string{"GREETING": "hi"}, Size: &size})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Spec.Containers[0]
	if c.Image != "reg/shop@sha256:abc" || p.Spec.ServiceAccountName != "shop" || len(c.EnvFrom) != 1 || c.Name != "web" {
		t.Errorf("not web's template: %+v", c)
	}
	if c.Ports != nil || c.ReadinessProbe != nil || c.LivenessProbe != nil || c.Lifecycle != nil {
		t.Errorf("ports, probes or hooks kept: %+v", c)
	}
	if !slices.Equal(c.Command, []string{"/bin/sh", "-c", "echo $DYNO"}) {
		t.Errorf("command %q", c.Command)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["DYNO"] != "run.1" || env["GREETING"] != "hi" || env["KEEP"] != "1" || env["PORT"] != "" {
		t.Errorf("env %v", env)
	}
	if c.Resources.Limits.Memory().Cmp(resource.MustParse("1Gi")) != 0 || p.Spec.RestartPolicy != corev1.RestartPolicyNever || p.Labels[kube.LabelComponent] != RunType {
		t.Errorf("resources %v, restart %s, labels %v", c.Resources, p.Spec.RestartPolicy, p.Labels)
	}

	p, err = runPod(context.Background(), k, RunOptions{App: "shop", Command: []string{"printf", "%s\n", "a b"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Spec.Containers[0].Command; !slices.Equal(got, []string{"/bin/sh", "-c", `exec "$@"`, "sh", "printf", "%s\n", "a b"}) {
		t.Errorf("arguments: %q", got)
	}

	empty := &kube.Client{Clientset: fake.NewClientset(), Namespace: "shop-staging"}
	if _, err := runPod(context.Background(), empty, RunOptions{App: "shop", Command: []string{"true"}}); err == nil {
		t.Error("an app with nothing deployed gave a pod")
	}
}
