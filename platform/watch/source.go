package watch

import (
	"context"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	"github.com/slipwayhq/slipway/platform/kube"
)

// Label selectors of what a Source caches: Slipway's own objects only.
const (
	// partOf selects the chart's Deployments and HorizontalPodAutoscalers.
	partOf = "app.kubernetes.io/part-of=slipway"
	// podLabels selects pods carrying the chart's selector labels (all a pod template has).
	podLabels = "app.kubernetes.io/name," + kube.LabelInstance + "," + kube.LabelComponent
	// releaseRecords selects the Helm release records of Slipway's apps.
	releaseRecords = "owner=helm," + labelApp
	labelApp       = "slipway.dev/app"
	labelEnv       = "slipway.dev/environment"
)

// byApp indexes objects by "namespace/app" (their app.kubernetes.io/instance label).
const byApp = "app"

func appKey(namespace, app string) string { return namespace + "/" + app }

func indexByApp(obj any) ([]string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil
	}
	if app := m.GetLabels()[kube.LabelInstance]; app != "" {
		return []string{appKey(m.GetNamespace(), app)}, nil
	}
	return nil, nil
}

// Source is the watch-fed state of Slipway's apps in one namespace or all (""). Set its
// fields, then call Start; the other methods may be called before, from any goroutine, and
// read the caches as they are (empty before the first list).
type Source struct {
	Kube *kube.Client
	// Namespace is the namespace watched; "" is every namespace the client can see.
	Namespace string
	// Coalesce is the minimum gap between two Changed signals (default 100ms).
	Coalesce time.Duration
	// Log receives diagnostics (nil: dropped); the Source never writes to stdout or stderr.
	Log func(format string, args ...any)

	once    sync.Once
	changed *coalescer
	conn    *connState
	deps    cache.SharedIndexInformer
	pods    cache.SharedIndexInformer
	hpas    cache.SharedIndexInformer
	records cache.SharedIndexInformer

	mu      sync.Mutex
	ctx     context.Context // set by Start
	started bool
	events  map[string]cache.SharedIndexInformer // by namespace
}

// init builds the informers (not started) on first use.
func (s *Source) init() {
	s.once.Do(func() {
		gap := s.Coalesce
		if gap <= 0 {
			gap = 100 * time.Millisecond
		}
		s.changed, s.conn = newCoalescer(gap), newConnState()
		s.events = map[string]cache.SharedIndexInformer{}
		ns, cs := s.Namespace, s.Kube.Clientset
		selector := func(sel string) func(*metav1.ListOptions) {
			return func(lo *metav1.ListOptions) { lo.LabelSelector = sel }
		}
		deps := cs.AppsV1().Deployments(ns)
		s.deps = s.informer("deployments", kube.Informer(observed(s, "deployments", deps.List), observed(s, "deployments", deps.Watch), selector(partOf), &appsv1.Deployment{}))
		pods := cs.CoreV1().Pods(ns)
		s.pods = s.informer("pods", kube.Informer(observed(s, "pods", pods.List), observed(s, "pods", pods.Watch), selector(podLabels), &corev1.Pod{}))
		hpas := cs.AutoscalingV2().HorizontalPodAutoscalers(ns)
		s.hpas = s.informer("horizontalpodautoscalers", kube.Informer(observed(s, "horizontalpodautoscalers", hpas.List), observed(s, "horizontalpodautoscalers", hpas.Watch), selector(partOf), &autoscalingv2.HorizontalPodAutoscaler{}))
		// The release records' labels say all the app list needs: their payloads (a chart,
		// values and manifests each) are never fetched.
		secrets := s.Kube.Metadata.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).Namespace(ns)
		s.records = s.informer("release records", kube.Informer(observed(s, "release records", secrets.List), observed(s, "release records", secrets.Watch), selector(releaseRecords), &metav1.PartialObjectMetadata{}))
	})
}

// informer makes every change to inf's cache poke Changed, and its watch errors count.
func (s *Source) informer(name string, inf cache.SharedIndexInformer) cache.SharedIndexInformer {
	if err := inf.AddIndexers(cache.Indexers{byApp: indexByApp}); err != nil {
		s.logf("index %s: %v", name, err)
	}
	poke := func(any) { s.changed.poke() }
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: poke, UpdateFunc: func(_, obj any) { poke(obj) }, DeleteFunc: poke}); err != nil {
		s.logf("watch %s: %v", name, err)
	}
	if err := inf.SetWatchErrorHandlerWithContext(s.watchError(name)); err != nil {
		s.logf("watch %s: %v", name, err)
	}
	return inf
}

// Start starts the informers and returns at once; they stop when ctx ends. Calls after
// the first do nothing.
func (s *Source) Start(ctx context.Context) {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started, s.ctx = true, ctx
	core := []cache.SharedIndexInformer{s.deps, s.pods, s.hpas, s.records}
	for _, inf := range core {
		go inf.RunWithContext(ctx)
	}
	for _, inf := range s.events {
		go inf.RunWithContext(ctx)
	}
	go func() {
		// WaitFor is told of each first list; WaitForCacheSync would look every 100ms.
		synced := make([]cache.DoneChecker, len(core))
		for i, inf := range core {
			synced[i] = inf.HasSyncedChecker()
		}
		if cache.WaitFor(ctx, "", synced...) && s.conn.synced() {
			// The first complete picture is shown at once, not at the end of a gap.
			s.changed.now()
		}
	}()
	context.AfterFunc(ctx, s.changed.stop)
}

// Changed receives after any change to the caches or to Conn, at most once per Coalesce:
// a burst of changes gives one signal at its start and one at the end of each gap. The
// signal that the caches have synced (Conn.Synced) comes at once, within a gap too. A
// signal not received yet stands for later changes too, so the informers never wait on a
// reader. It is never closed.
func (s *Source) Changed() <-chan struct{} {
	s.init()
	return s.changed.ch
}

// Conn returns the state of the connection to the API server.
func (s *Source) Conn() Conn {
	s.init()
	return s.conn.get()
}

// cached returns the objects in inf's cache, as the cache holds them (not to be changed).
func cached[T any](inf cache.SharedIndexInformer) []*T {
	objs := inf.GetStore().List()
	out := make([]*T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(*T); ok {
			out = append(out, t)
		}
	}
	return out
}

func (s *Source) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log(format, args...)
	}
}
