package watch

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/sandbox"
)

// watched are the resources a Source reads (group/resource), as the API server's metrics
// name them.
var watched = []string{"apps/deployments", "/pods", "autoscaling/horizontalpodautoscalers", "/secrets", "/events"}

// TestSourceOnAPIServer runs a Source (every namespace) against a real API server with
// kwok nodes: after its first lists it makes no LIST or GET request while idle, and a scale
// made through the API shows in Apps and Processes after Changed.
func TestSourceOnAPIServer(t *testing.T) {
	kubeconfig := e2e.Sandbox(t)
	const ns = "watch-e2e"
	c, err := kube.Connect(kube.Config{Kubeconfig: kubeconfig, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := c.EnsureNamespace(ctx); err != nil {
		t.Fatal(err)
	}
	seed(t, c, ns)

	before := requests(t, c)
	s := &Source{Kube: c, Log: t.Logf}
	s.WatchEvents(ns)
	var podEvents atomic.Int32
	s.init()
	count := func(any) { podEvents.Add(1) }
	if _, err := s.pods.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: count, UpdateFunc: func(_, o any) { count(o) }, DeleteFunc: count}); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	s.Start(runCtx)
	// Conn.Synced covers the core informers; the events informer asked for above lists on its
	// own, so the idle window below starts once it has too (it once listed inside that window).
	awaitFor(t, s, 30*time.Second, "the first sync, the events' first list and life's pods ready", func() bool {
		a := s.Apps()
		return s.Conn().Synced && s.eventsInformer(ns).HasSynced() && len(a) == 1 && a[0].State == StateDeployed && a[0].Ready == 3
	})
	if c := s.Conn(); !c.Connected || c.Err != "" {
		t.Errorf("Conn = %+v", c)
	}
	synced := requests(t, c)
	for _, r := range watched {
		if synced["LIST "+r] <= before["LIST "+r] {
			t.Errorf("no LIST of %s counted while the Source synced: the metrics read are not the right ones", r)
		}
	}
	a := s.Apps()[0]
	if a.App != "life" || a.Environment != "staging" || a.Namespace != ns || a.Revision != 2 || a.Releases != 2 || a.Status != "deployed" ||
		a.Image != "reg/life@sha256:2" || a.Source != "abc1234" || a.Desired != 3 || !a.Modified.Equal(time.Unix(1700000002, 0)) {
		t.Errorf("Apps()[0] = %+v", a)
	}

	// Idle: only the watches stay open.
	time.Sleep(10 * time.Second)
	idle := requests(t, c)
	for _, verb := range []string{"LIST", "GET"} {
		for _, r := range watched {
			if d := idle[verb+" "+r] - synced[verb+" "+r]; d != 0 {
				t.Errorf("%s %s: %v requests in 10 s idle, want none", verb, r, d)
			}
		}
	}
	t.Logf("requests while syncing: %v", delta(before, synced))
	t.Logf("requests in 10 s idle: %v", delta(synced, idle))

	// A scale through the API, as `slipway scale` makes it: the caches follow.
	podEvents.Store(0)
	drain(s)
	start := time.Now()
	if _, err := c.Scale(ctx, "life", map[string]int{"web": 40}); err != nil {
		t.Fatal(err)
	}
	var signals int
	for {
		select {
		case <-s.Changed():
			signals++
		case <-time.After(30 * time.Second):
			t.Fatalf("web did not reach 40 ready pods: %+v", s.Processes(ns, "life"))
		}
		if p := s.Processes(ns, "life"); len(p) == 2 && p[0].Type == "web" && p[0].Desired == 40 && p[0].Ready == 40 && len(p[0].Pods) == 40 {
			break
		}
	}
	took := time.Since(start)
	t.Logf("scale web 2 → 40 on kwok: %d pod cache events in %s, %d Changed signals", podEvents.Load(), took.Round(time.Millisecond), signals)
	if most := int(took/(100*time.Millisecond)) + 2; signals > most {
		t.Errorf("%d Changed signals in %s, want at most %d", signals, took, most)
	}
	if a := s.Apps()[0]; a.Desired != 41 || a.Ready != 41 {
		t.Errorf("life after the scale = %+v, want 41 desired and ready", a)
	}
	if p := s.Processes(ns, "life"); p[0].Status != kube.StatusUp || p[1].Autoscale == nil {
		t.Errorf("processes = %+v", p)
	}
	awaitFor(t, s, 10*time.Second, "the scaling event", func() bool {
		for _, e := range s.Events(ns, "life") {
			if e.Object == "Deployment/life-web" && e.Reason == "ScalingReplicaSet" && strings.Contains(e.Message, "to 40") {
				return true
			}
		}
		return false
	})
}

// seed creates what a deploy of app life (web ×2, worker ×1 autoscaled 1–1) in staging
// leaves: the chart's Deployments and autoscaler and two Helm release records, whose
// payload is not a release (the Source must never read it).
func seed(t *testing.T, c *kube.Client, ns string) {
	t.Helper()
	ctx := t.Context()
	for _, d := range []*appsv1.Deployment{deployment(ns, "life", "web", 2, "reg/life@sha256:2"), deployment(ns, "life", "worker", 1, "reg/life@sha256:2")} {
		typ := d.Labels[kube.LabelComponent]
		sel := map[string]string{"app.kubernetes.io/name": "life", kube.LabelInstance: "life", kube.LabelComponent: typ}
		d.ObjectMeta = metav1.ObjectMeta{Name: d.Name, Labels: d.Labels, Annotations: d.Annotations}
		d.Status = appsv1.DeploymentStatus{}
		d.Spec.Selector = &metav1.LabelSelector{MatchLabels: sel}
		d.Spec.Template.Labels = sel
		d.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Key: sandbox.FakeNodeTaint.Key, Operator: corev1.TolerationOpExists}}
		if _, err := c.Clientset.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	h := hpa(ns, "life", "worker", 1, 1)
	h.Status = autoscalingv2.HorizontalPodAutoscalerStatus{}
	if _, err := c.Clientset.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, h, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for v, status := range map[int]string{1: "superseded", 2: "deployed"} {
		r := record(ns, "life", "staging", v, status, fmt.Sprint(1700000000+v))
		sec := &corev1.Secret{ObjectMeta: r.ObjectMeta, Type: "helm.sh/release.v1", Data: map[string][]byte{"release": []byte("not a release")}}
		if _, err := c.Clientset.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// requestLine matches a line of apiserver_request_total.
var requestLine = regexp.MustCompile(`^apiserver_request_total\{(.*)\} (\S+)$`)
var labelPair = regexp.MustCompile(`(\w+)="([^"]*)"`)

// requests reads the API server's request counters of the watched resources (not their
// subresources), by "VERB group/resource".
func requests(t *testing.T, c *kube.Client) map[string]float64 {
	t.Helper()
	b, err := c.Clientset.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(t.Context())
	if err != nil {
		t.Fatalf("read the API server's metrics: %v", err)
	}
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(b), "\n") {
		m := requestLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		l := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(m[1], -1) {
			l[p[1]] = p[2]
		}
		r := l["group"] + "/" + l["resource"]
		if l["subresource"] != "" || !slices.Contains(watched, r) {
			continue
		}
		n, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[l["verb"]+" "+r] += n
	}
	return out
}

func delta(a, b map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if d := b[k] - a[k]; d != 0 {
			parts = append(parts, fmt.Sprintf("%s %v", k, d))
		}
	}
	return strings.Join(parts, ", ")
}
