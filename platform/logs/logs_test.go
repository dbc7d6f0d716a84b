package logs

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func at(s float64) time.Time {
	return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC).Add(time.Duration(s * float64(time.Second)))
}

// TestCursorReopen: a reopened stream starts at the last line's second (the API's
// sinceTime precision) and repeats what was shown; the cursor lets through exactly the
// lines not shown yet, also when several lines share one timestamp.
func TestCursorReopen(t *testing.T) {
	var c cursor
	var shown []string
	feed := func(lines ...string) {
		for _, l := range lines {
			ts, text, _ := strings.Cut(l, " ")
			tm, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				t.Fatal(err)
			}
			if c.next(tm) {
				shown = append(shown, text)
			}
		}
	}
	feed("2026-12-07T10:00:00.100Z a", "2026-12-07T10:00:01.200Z b", "2026-12-07T10:00:01.300Z c", "2026-12-07T10:00:01.300Z d")
	// The stream is cut; the reopened one starts at 10:00:01 and repeats b, c, d.
	c.reopen()
	feed("2026-12-07T10:00:01.200Z b", "2026-12-07T10:00:01.300Z c", "2026-12-07T10:00:01.300Z d", "2026-12-07T10:00:01.300Z e", "2026-12-07T10:00:02.000Z f")
	c.reopen()
	feed("2026-12-07T10:00:02.000Z f", "2026-12-07T10:00:02.000Z g")
	if got, want := strings.Join(shown, ""), "abcdefg"; got != want {
		t.Errorf("shown %q, want %q", got, want)
	}
}

func pod(name, typ string, labels ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/component": typ}}}
	for i := 0; i+1 < len(labels); i += 2 {
		p.Labels[labels[i]] = labels[i+1]
	}
	return p
}

// TestInstances: web.1, web.2 per type; a gone pod's number goes to the next new pod; a
// pod keeps its name while it lives.
func TestInstances(t *testing.T) {
	in := newInstances()
	a, b, w := pod("shop-web-a", "web"), pod("shop-web-b", "web"), pod("shop-worker-x", "worker")
	for _, c := range []struct {
		p    *corev1.Pod
		want string
	}{{a, "web.1"}, {b, "web.2"}, {w, "worker.1"}, {a, "web.1"}} {
		if got := in.name(c.p); got != c.want {
			t.Errorf("%s: %s, want %s", c.p.Name, got, c.want)
		}
	}
	if got := in.free(a); got != "web.1" {
		t.Errorf("free: %s", got)
	}
	if got := in.name(pod("shop-web-c", "web")); got != "web.1" {
		t.Errorf("a new pod after web.1 left is %s, want web.1", got)
	}
	if got := in.name(b); got != "web.2" {
		t.Errorf("web.2 became %s", got)
	}
}

func TestSelectAndWanted(t *testing.T) {
	if got := selector(Options{App: "shop"}); got != "app.kubernetes.io/instance=shop" {
		t.Errorf("all: %s", got)
	}
	if got := selector(Options{App: "shop", Process: "release"}); got != "app.kubernetes.io/instance=shop,app.kubernetes.io/component=release" {
		t.Errorf("release: %s", got)
	}
	cron := Options{App: "shop", Process: Cron}
	if selector(cron) != "app.kubernetes.io/instance=shop" {
		t.Errorf("cron: %s", selector(cron))
	}
	for _, c := range []struct {
		p    *corev1.Pod
		want bool
	}{
		{pod("shop-cleanup-1-x", "cleanup", "batch.kubernetes.io/job-name", "shop-cleanup-1"), true},
		{pod("shop-release-x", "release", "batch.kubernetes.io/job-name", "shop-release"), false},
		{pod("shop-web-x", "web"), false},
	} {
		if got := wanted(c.p, cron); got != c.want {
			t.Errorf("cron wants %s: %v", c.p.Name, got)
		}
	}
}

// TestScan: timestamps split off, long lines bounded, a last line without a newline kept.
func TestScan(t *testing.T) {
	long := strings.Repeat("x", maxLine+100)
	in := "2026-12-07T10:00:00.5Z hello world\n2026-12-07T10:00:01Z " + long + "\nnot a timestamp\n2026-12-07T10:00:02Z last"
	var texts []string
	var times []time.Time
	if err := scan(strings.NewReader(in), func(tm time.Time, s string) { times = append(times, tm); texts = append(texts, s) }); err != nil {
		t.Fatal(err)
	}
	if len(texts) != 4 || texts[0] != "hello world" || !times[0].Equal(at(0.5)) || texts[2] != "not a timestamp" || !times[2].IsZero() || texts[3] != "last" {
		t.Fatalf("got %d lines: %.60q", len(texts), texts)
	}
	if n := len(texts[1]); n != maxLine-len("2026-12-07T10:00:01Z ") {
		t.Errorf("long line kept %d bytes", n)
	}
}
