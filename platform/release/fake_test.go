package release

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	helmkube "helm.sh/helm/v3/pkg/kube"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/releaseutil"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/kubernetes"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/progress"
)

// This file is the cluster the unit tests run against: Helm's in-memory release store, a
// Helm kube client that applies the chart's Deployments and release Job to client-go's fake
// clientset (which is what Manager reads: formation, leases, namespaces, refusals).

// fakeCluster is one fake cluster with its namespaces.
type fakeCluster struct {
	t  *testing.T
	cs *k8sfake.Clientset

	mu     sync.Mutex
	events []progress.Event
}

func newFakeCluster(t *testing.T) *fakeCluster {
	return &fakeCluster{t: t, cs: k8sfake.NewClientset()}
}

// env is one environment of the fake cluster: its namespace's Helm store and client.
type fakeEnv struct {
	c     *fakeCluster
	ns    string
	store *storage.Storage
	helm  *fakeHelm
	kube  *kube.Client
}

func (c *fakeCluster) env(ns string) *fakeEnv {
	mem := driver.NewMemory()
	mem.SetNamespace(ns)
	return &fakeEnv{c: c, ns: ns, store: storage.Init(mem), helm: &fakeHelm{PrintingKubeClient: kubefake.PrintingKubeClient{Out: io.Discard}, cs: c.cs, ns: ns},
		kube: &kube.Client{Clientset: c.cs, Namespace: ns}}
}

// manager is a Manager of app in the environment, reporting to the cluster's events.
func (e *fakeEnv) manager(appName, env string) *Manager {
	caps := *chartutil.DefaultCapabilities
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.36.0", Major: "1", Minor: "36"}
	cfg := &action.Configuration{Releases: e.store, KubeClient: e.helm, Capabilities: &caps, Log: func(string, ...any) {}}
	return &Manager{
		Kube: e.kube, App: appName, Environment: env, Helm: cfg, Holder: "test@here pid 1",
		Poll: 5 * time.Millisecond, Refusals: kube.RefusalWatch{Every: 5 * time.Millisecond},
		Progress: func(ev progress.Event) {
			e.c.mu.Lock()
			defer e.c.mu.Unlock()
			e.c.events = append(e.c.events, ev)
		},
	}
}

// messages returns the events' messages since the last call.
func (c *fakeCluster) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.events {
		if e.Message != "" {
			out = append(out, e.Message)
		}
	}
	c.events = nil
	return out
}

// fakeHelm is Helm's kube client: it applies the release's Deployments and release Job to
// the fake clientset as a cluster would once they are ready, and fails the waits and the
// release Job when told to.
type fakeHelm struct {
	kubefake.PrintingKubeClient
	cs kubernetes.Interface
	ns string

	mu sync.Mutex
	// manifest is the last release manifest (not a hook's) built: the one Update or Wait
	// applies (Helm creates nothing when its resource list is empty, as this one's is);
	// applied says it was.
	manifest string
	applied  bool
	// waits are the errors of the next waits for the release's resources (nil: ready).
	waits []error
	// jobFails makes the release Job fail (BackoffLimitExceeded).
	jobFails bool
}

func (f *fakeHelm) failWaits(errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = errs
}

func (f *fakeHelm) Build(r io.Reader, _ bool) (helmkube.ResourceList, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(b, []byte("helm.sh/hook")) {
		f.mu.Lock()
		f.manifest, f.applied = string(b), false
		f.mu.Unlock()
		return helmkube.ResourceList{}, nil
	}
	// A hook: its objects, which Create and WatchUntilReady look at (no REST mapping, which
	// the release's own resources would need for Helm's ownership checks).
	var list helmkube.ResourceList
	for _, u := range objects(string(b)) {
		list = append(list, &resource.Info{Name: u.GetName(), Namespace: f.ns, Object: u})
	}
	return list, nil
}

func objects(manifest string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, doc := range releaseutil.SplitManifests(manifest) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil || len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
	return out
}

func (f *fakeHelm) Create(resources helmkube.ResourceList) (*helmkube.Result, error) {
	for _, info := range resources {
		u := info.Object.(*unstructured.Unstructured)
		if u.GetKind() != "Job" {
			continue
		}
		var j batchv1.Job
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &j); err != nil {
			return nil, err
		}
		j.Namespace, j.UID = f.ns, types.UID("job-"+metav1.Now().Format(time.RFC3339Nano))
		jobs := f.cs.BatchV1().Jobs(f.ns)
		_ = jobs.Delete(context.Background(), j.Name, metav1.DeleteOptions{})
		if _, err := jobs.Create(context.Background(), &j, metav1.CreateOptions{}); err != nil {
			return nil, err
		}
	}
	return &helmkube.Result{Created: resources}, nil
}

func (f *fakeHelm) Update(_, target helmkube.ResourceList, _ bool) (*helmkube.Result, error) {
	return &helmkube.Result{Updated: target}, f.apply()
}

// apply puts the manifest's Deployments on the cluster, rolled out.
func (f *fakeHelm) apply() error {
	f.mu.Lock()
	manifest, applied := f.manifest, f.applied
	f.applied = true
	f.mu.Unlock()
	if applied {
		return nil
	}
	ctx := context.Background()
	deps := f.cs.AppsV1().Deployments(f.ns)
	for _, u := range objects(manifest) {
		if u.GetKind() != "Deployment" {
			continue
		}
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
			return err
		}
		d.Namespace, d.Generation = f.ns, 1
		if old, err := deps.Get(ctx, d.Name, metav1.GetOptions{}); err == nil {
			d.Generation = old.Generation + 1
		}
		n := *d.Spec.Replicas
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
		_, err := deps.Update(ctx, &d, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			_, err = deps.Create(ctx, &d, metav1.CreateOptions{})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeHelm) Wait(helmkube.ResourceList, time.Duration) error {
	if err := f.apply(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.waits) == 0 {
		return nil
	}
	err := f.waits[0]
	f.waits = f.waits[1:]
	return err
}

func (f *fakeHelm) WaitWithJobs(r helmkube.ResourceList, d time.Duration) error { return f.Wait(r, d) }

// WatchUntilReady ends the release Job, as the cluster would: complete, or failed.
func (f *fakeHelm) WatchUntilReady(resources helmkube.ResourceList, _ time.Duration) error {
	for _, info := range resources {
		if info.Object.(*unstructured.Unstructured).GetKind() != "Job" {
			continue
		}
		ctx := context.Background()
		j, err := f.cs.BatchV1().Jobs(f.ns).Get(ctx, info.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		f.mu.Lock()
		fails := f.jobFails
		f.mu.Unlock()
		cond := batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}
		if fails {
			cond = batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}
		}
		j.Status.Conditions = append(j.Status.Conditions, cond)
		if _, err := f.cs.BatchV1().Jobs(f.ns).UpdateStatus(ctx, j, metav1.UpdateOptions{}); err != nil {
			return err
		}
		if fails {
			return errors.New("job " + j.Name + " failed: BackoffLimitExceeded")
		}
	}
	return nil
}

// errWaitTimeout is what Helm's wait says when the pods are not ready in time.
var errWaitTimeout = errors.New("timed out waiting for the condition")

// testApp writes an app (a web and a release command, a config var with a default, a
// generated secret, an env file per environment) and loads it for env.
func testApp(t *testing.T, env string, manifest string) *app.App {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Procfile":        "web: ./web\nrelease: ./migrate\n",
		"app.json":        `{"env": {"GREETING": {"value": "hello"}, "SECRET_KEY": {"generator": "secret"}}}`,
		".env.staging":    "GREETING=hello staging\n",
		".env.production": "GREETING=hello production\n",
		"slipway.yaml":    "name: shop\n" + manifest,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := app.Load(dir, app.Options{Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func digest(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }
