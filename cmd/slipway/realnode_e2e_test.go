package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// TestDeployOnRealNode deploys the Go sample's real image on a real kubelet: the release Job
// really migrates, the web answers through its Service, a rolling deploy under steady load
// loses no request, and a failing release command keeps the old version serving.
func TestDeployOnRealNode(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	kubeconfig, registry := e2e.RealNodeSandbox(t)
	refA := e2e.PushGoSample(t, registry, "v1")
	refB := e2e.PushGoSample(t, registry, "v2")
	c := clusterAt(t, kubeconfig)
	kc := c.kc
	// The whole sample on one 2-core node: the smallest size for each type.
	dir := sampleApp(t, "real", func(s string) string {
		return strings.Replace(s, "processes:\n", "processes:\n  web:\n    size: basic\n", 1) +
			"" // worker and clock are basic in app.json
	})
	const ns = "real-staging"

	// By tag: the release refers to the digest the registry holds for it.
	r := c.ok(dir, "deploy", "--image", registry+"/sample-go:v1", "--version", "v1", "--timeout", "3m")
	t.Logf("deploy v1:\n%s", r.stderr)
	eq(t, "v1 deployed by the tag's digest", c.image(ns, "real-web"), refA)
	c.fails(dir, []string{"the registry has no such tag"}, "deploy", "--image", registry+"/sample-go:v9")

	// The release Job ran the migration for real.
	job, err := kc.BatchV1().Jobs(ns).Get(t.Context(), "real-release", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("release Job: %v", err)
	}
	if !jobSucceeded(job) {
		t.Errorf("release Job did not succeed: %+v", job.Status)
	}
	if out := jobLogs(t, kc, ns, "real-release"); !strings.Contains(out, "schema now at") {
		t.Errorf("release Job output lacks the migration:\n%s", out)
	}
	checkLogs(t, c, dir)
	checkRunExec(t, c, dir, ns)
	checkPs(t, c, dir, ns)

	// The web answers through its Service.
	svc, err := kc.CoreV1().Services(ns).Get(t.Context(), "real-web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("web Service: %v", err)
	}
	base := fmt.Sprintf("http://%s:%d", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
	client := &http.Client{Timeout: 5 * time.Second}
	if v := servedVersion(t, client, base); v != "v1" {
		t.Fatalf("web through its Service says version %q, want v1", v)
	}

	// A rolling deploy under steady load loses nothing: maxUnavailable 0, readiness, the
	// preStop drain and graceful shutdown together.
	load := startLoad(client, base)
	c.ok(dir, "deploy", "--image", refB, "--version", "v2", "--timeout", "3m")
	// The Service moves to the new pods as fast as kube-proxy syncs (seconds on a busy
	// machine): keep the load on until it does.
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && load.seen("v2") < 20 {
		time.Sleep(100 * time.Millisecond)
	}
	stats := load.stop()
	t.Logf("load during the rolling deploy: %d requests, versions %v, %d failures", stats.total, stats.versions, len(stats.failures))
	if len(stats.failures) > 0 {
		t.Errorf("%d of %d requests failed during the rolling deploy, first: %s", len(stats.failures), stats.total, stats.failures[0])
	}
	if stats.versions["v1"] == 0 || stats.versions["v2"] == 0 || stats.total < 50 {
		t.Errorf("the load should see both versions over enough requests: %d requests, %v", stats.total, stats.versions)
	}
	if v := servedVersion(t, client, base); v != "v2" {
		t.Errorf("after the deploy the web says %q, want v2", v)
	}

	// A release command that exits 1: the release fails, its output is shown, v2 serves on.
	before := len(c.revisions(ns, "real"))
	r = c.fails(dir, []string{"the release command did not succeed", "MIGRATION_FAIL", fmt.Sprintf("release v%d failed", before+1), "rolled back"}, "config:set", "MIGRATION_FAIL=1", "--timeout", "2m")
	t.Logf("failed release:\n%s", r.stderr)
	revs := c.revisions(ns, "real")
	eq(t, "the failed release", revs[before+1], "failed")
	eq(t, "the restoring release", revs[before+2], "deployed")
	if _, ok := c.config(ns, "real")["MIGRATION_FAIL"]; ok {
		t.Errorf("the config of the failed release is still in place")
	}
	if v := servedVersion(t, client, base); v != "v2" {
		t.Errorf("after the failed release the web says %q, want v2", v)
	}

	// Last, as it restarts the node's kubelet under everything else.
	checkLogsAcrossKubeletRestart(t, c, dir)
}

func jobSucceeded(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func jobLogs(t *testing.T, kc kubernetes.Interface, ns, job string) string {
	t.Helper()
	pods, err := kc.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + job})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("pods of Job %s: %v (%d)", job, err, len(pods.Items))
	}
	b, err := kc.CoreV1().Pods(ns).GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{}).DoRaw(t.Context())
	if err != nil {
		t.Fatalf("logs of %s: %v", pods.Items[0].Name, err)
	}
	return string(b)
}

// servedVersion asks the web for its SLIPWAY_VERSION, retrying for a minute while the
// Service does not answer yet (kube-proxy syncs its rules in seconds, more on a busy machine).
func servedVersion(t *testing.T, client *http.Client, base string) string {
	t.Helper()
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		var v string
		if v, err = get(client, base+"/version"); err == nil {
			return v
		}
	}
	t.Fatalf("GET %s/version: %v", base, err)
	return ""
}

// load is a steady stream of requests, one at a time, every 20 ms, bounded to 5 minutes.
type load struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	stats  loadStats
}

type loadStats struct {
	total    int
	versions map[string]int
	failures []string
}

func startLoad(client *http.Client, base string) *load {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	l := &load{cancel: cancel, done: make(chan struct{}), stats: loadStats{versions: map[string]int{}}}
	go func() {
		defer close(l.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			v, err := get(client, base+"/version")
			l.mu.Lock()
			l.stats.total++
			if err != nil {
				l.stats.failures = append(l.stats.failures, err.Error())
			} else {
				l.stats.versions[v]++
			}
			l.mu.Unlock()
		}
	}()
	return l
}

// seen counts the answers from version v so far.
func (l *load) seen(v string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats.versions[v]
}

func (l *load) stop() loadStats {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

func get(client *http.Client, url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
	}
	var v struct{ Version string }
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("%s: %v: %q", url, err, b)
	}
	return v.Version, nil
}
