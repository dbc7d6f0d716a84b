package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/internal/sysproc"
)

// BenchmarkTUI measures the dashboard (`slipway tui`) in a real terminal (tmux, 140×40)
// on a sandbox running 100 apps of 10 pods each (web=5, worker=5) on simulated nodes,
// against floors measured in the same run: `kubectl get deploy,pods -A -o json` (the
// issue's), `kubectl get deploy,pods -A` (the server makes the table) and the dashboard's
// own four LISTs through client-go:
//
//   - launch to the first screen with anything on it, and to the first complete apps list
//     ("apps (100)", "● live", every visible row 10/10); the ratio of the latter to the
//     floors; where the first screen's time goes (tmux, the first View in the process);
//   - launch with -a app042 to its process rows at 5 ready of 5;
//   - the process's memory when complete and after 60 s idle, its CPU over those 60 s, and
//     the API requests the server counted meanwhile (less those of 60 s without the
//     dashboard);
//   - key press to redraw: in the process (Update to the end of View, SLIPWAY_TUI_TRACE)
//     and as tmux shows it (send-keys to the selection moving).
//
// It reports; it asserts no time. The screen is polled every 5 ms plus the time of one
// capture-pane, which the log gives as the polling resolution.
//
//	SLIPWAY_E2E=require go test -v -run '^$' -bench BenchmarkTUI -benchtime 1x -timeout 30m ./cmd/slipway
//
// (-v, or go test trims the table to its first lines.)
func BenchmarkTUI(b *testing.B) {
	const apps, idle = 100, 60 * time.Second
	sb := e2e.StartSandbox(b)
	c := clusterAt(b, sb.Kubeconfig)
	kubectl := e2e.Kubectl(b)
	deployApps(b, c, apps)
	for range b.N {
		measureTUI(b, c, kubectl, apps, idle).report(b, idle)
	}
}

// measureTUI takes BenchmarkTUI's measurements on a cluster running apps apps, idling for
// idle where it idles.
func measureTUI(b *testing.B, c *cluster, kubectl string, apps int, idle time.Duration) *tuiRun {
	const launches = 3
	empty := b.TempDir() // no app files: the dashboard opens on the apps list
	env := func(trace string) []string {
		return []string{"KUBECONFIG=" + c.kubeconfig, "TERM=xterm-256color", "SLIPWAY_TUI_TRACE=" + trace}
	}
	launch := func(trace string, args ...string) *e2e.Tmux {
		argv := append([]string{e2e.Slipway(b), "tui", "--log-file", filepath.Join(b.TempDir(), "tui.log")}, args...)
		return e2e.StartTmux(b, 140, 40, env(trace), empty, argv...)
	}

	r := &tuiRun{}
	defer func() { r.load[1] = loadAverage() }()
	r.load[0] = loadAverage()

	// The floor: one LIST of what the dashboard watches, as kubectl prints it; and as
	// kubectl shows it by default (the server makes the table), and the LISTs alone.
	kubectlTime := func(args ...string) time.Duration {
		cmd := exec.Command(kubectl, args...)
		cmd.Env, cmd.Stdout = append(os.Environ(), "KUBECONFIG="+c.kubeconfig), io.Discard
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
		}
		return time.Since(t0)
	}
	for range 5 {
		r.floor = append(r.floor, kubectlTime("get", "deploy,pods", "-A", "-o", "json"))
		r.floorTable = append(r.floorTable, kubectlTime("get", "deploy,pods", "-A"))
		r.floorAPI = append(r.floorAPI, listTime(b, c))
	}

	// What the API server serves in 60 s with no dashboard.
	m0 := apiRequests(b, c.kc)
	time.Sleep(idle)
	base := apiRequests(b, c.kc).minus(m0)

	// The apps list, launched a few times; the last one stays for the idle and key
	// measurements.
	var tm *e2e.Tmux
	var trace string
	for i := range launches {
		trace = filepath.Join(b.TempDir(), "tui.trace")
		t0 := time.Now()
		tm = launch(trace)
		r.tmux = append(r.tmux, time.Since(t0))
		p := &poller{tm: tm}
		r.appsFirst = append(r.appsFirst, p.until(b, t0, nonEmpty))
		r.appsDone = append(r.appsDone, p.until(b, t0, appsComplete(apps)))
		r.polls = append(r.polls, p.period())
		r.firstView = append(r.firstView, time.Unix(0, readTrace(b, trace).firstView).Sub(t0))
		if i < launches-1 {
			quit(b, tm)
		}
	}
	pid := tm.PID()
	r.memDone = memoryOf(pid)
	cpu0, m2 := cpuTime(b, pid), apiRequests(b, c.kc)
	time.Sleep(idle)
	r.cpuIdle, r.requests = cpuTime(b, pid)-cpu0, apiRequests(b, c.kc).minus(m2)
	r.memIdle, r.base = memoryOf(pid), base

	// Key presses: j and k in turn, each waited for on the screen.
	var err error
	if r.keysE2E, err = pressKeys(tm, 200); err != nil {
		b.Errorf("key presses: %v", err)
	}
	r.keysIn = readTrace(b, trace).keys
	quit(b, tm)

	// One app, opened with -a.
	for range launches {
		t0 := time.Now()
		tm := launch(filepath.Join(b.TempDir(), "app.trace"), "-a", "app042")
		p := &poller{tm: tm}
		r.appFirst = append(r.appFirst, p.until(b, t0, nonEmpty))
		r.appDone = append(r.appDone, p.until(b, t0, appComplete))
		r.polls = append(r.polls, p.period())
		quit(b, tm)
	}
	return r
}

// tuiRun holds one iteration's measurements.
type tuiRun struct {
	floor, floorTable, floorAPI            []time.Duration
	tmux, firstView                        []time.Duration
	appsFirst, appsDone, appFirst, appDone []time.Duration
	polls                                  []time.Duration
	memDone, memIdle                       memory
	cpuIdle                                time.Duration
	requests, base                         requestCounts
	keysE2E, keysIn                        []time.Duration
	load                                   [2]string // /proc/loadavg at start and end
}

func (r *tuiRun) report(b *testing.B, idle time.Duration) {
	med := func(ds []time.Duration) time.Duration { return percentile(ds, 0.5) }
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	all := func(ds []time.Duration) string {
		var s []string
		for _, d := range ds {
			s = append(s, fmt.Sprintf("%.0f", ms(d)))
		}
		return strings.Join(s, ", ")
	}
	floor, done := med(r.floor), med(r.appsDone)
	var tb strings.Builder
	row := func(what, value, target string) { fmt.Fprintf(&tb, "%-52s %-28s %s\n", what, value, target) }
	row("measure", "value", "target")
	row("floor: kubectl get deploy,pods -A -o json (median)", fmt.Sprintf("%.0f ms  [%s]", ms(floor), all(r.floor)), "")
	row("floor: kubectl get deploy,pods -A (median)", fmt.Sprintf("%.0f ms  [%s]", ms(med(r.floorTable)), all(r.floorTable)), "")
	row("floor: the dashboard's 4 LISTs, client-go (median)", fmt.Sprintf("%.0f ms  [%s]", ms(med(r.floorAPI)), all(r.floorAPI)), "")
	row("apps list: tmux new-session returned (median)", fmt.Sprintf("%.0f ms  [%s]", ms(med(r.tmux)), all(r.tmux)), "")
	row("apps list: first View in process (median)", fmt.Sprintf("%.0f ms  [%s]", ms(med(r.firstView)), all(r.firstView)), "")
	row("apps list: something on screen (median)", fmt.Sprintf("%.0f ms  [%s]", ms(med(r.appsFirst)), all(r.appsFirst)), "≤ 100 ms")
	row("apps list: complete (median)", fmt.Sprintf("%.0f ms  [%s]", ms(done), all(r.appsDone)), "≤ 1000 ms")
	row("apps list complete / floor (-o json)", fmt.Sprintf("%.2f", float64(done)/float64(floor)), "≤ 1.5")
	row("apps list complete / floor (table)", fmt.Sprintf("%.2f", float64(done)/float64(med(r.floorTable))), "")
	row("app -a app042: something on screen (median)", fmt.Sprintf("%.0f ms  [%s]", ms(med(r.appFirst)), all(r.appFirst)), "")
	row("app -a app042: 5/5 web and worker (median)", fmt.Sprintf("%.0f ms  [%s]", ms(med(r.appDone)), all(r.appDone)), "")
	row("memory when complete: VmRSS / RssAnon", fmt.Sprintf("%d / %d MiB", r.memDone.rss>>10, r.memDone.private>>10), "")
	row(fmt.Sprintf("memory after %s idle: VmRSS / RssAnon", idle), fmt.Sprintf("%d / %d MiB", r.memIdle.rss>>10, r.memIdle.private>>10), "")
	cpuPct := 100 * float64(r.cpuIdle) / float64(idle)
	row(fmt.Sprintf("CPU over %s idle (utime+stime)", idle), fmt.Sprintf("%.0f ms = %.2f%% of a core", ms(r.cpuIdle), cpuPct), "near zero")
	row("key to end of View, in process: p50 / p99", fmt.Sprintf("%.2f / %.2f ms (%d keys)", ms(percentile(r.keysIn, 0.5)), ms(percentile(r.keysIn, 0.99)), len(r.keysIn)), "p99 ≤ 50 ms")
	row("key to screen, tmux: p50 / p99", fmt.Sprintf("%.1f / %.1f ms (%d keys)", ms(percentile(r.keysE2E, 0.5)), ms(percentile(r.keysE2E, 0.99)), len(r.keysE2E)), "p99 ≤ 50 ms")
	row("screen polling resolution (5 ms + one capture)", fmt.Sprintf("%.1f ms (median period)", ms(med(r.polls))), "")
	fmt.Fprintf(&tb, "\nAPI requests over %s idle: with the dashboard running (without it)\n", idle)
	fmt.Fprintf(&tb, "%-26s %-10s %-10s %s\n", "resource", "LIST", "GET", "WATCH")
	var polls float64
	for _, res := range idleResources {
		var cells []string
		for _, verb := range []string{"LIST", "GET", "WATCH"} {
			n, nb := r.requests[verb+" "+res], r.base[verb+" "+res]
			cells = append(cells, fmt.Sprintf("%g (%g)", n, nb))
			if verb != "WATCH" {
				polls += n - nb
			}
		}
		fmt.Fprintf(&tb, "%-26s %-10s %-10s %s\n", res, cells[0], cells[1], cells[2])
	}
	fmt.Fprintf(&tb, "\nevery request counter that moved while the dashboard idled (without it):\n")
	for _, k := range slices.Sorted(maps.Keys(r.requests)) {
		if r.requests[k] != 0 || r.base[k] != 0 {
			fmt.Fprintf(&tb, "  %-40s %g (%g)\n", k, r.requests[k], r.base[k])
		}
	}
	fmt.Fprintf(&tb, "\nload average at start: %s; at end: %s\n", r.load[0], r.load[1])
	b.Logf("dashboard on 100 apps × 10 pods (tmux 140×40):\n%s", tb.String())

	b.ReportMetric(ms(floor), "floor-ms")
	b.ReportMetric(ms(med(r.floorTable)), "floor-table-ms")
	b.ReportMetric(ms(med(r.floorAPI)), "floor-api-ms")
	b.ReportMetric(ms(med(r.appsFirst)), "first-screen-ms")
	b.ReportMetric(ms(done), "apps-complete-ms")
	b.ReportMetric(float64(done)/float64(floor), "apps/floor")
	b.ReportMetric(ms(med(r.appDone)), "app-complete-ms")
	b.ReportMetric(float64(r.memDone.rss>>10), "rss-MiB")
	b.ReportMetric(float64(r.memIdle.rss>>10), "idle-rss-MiB")
	b.ReportMetric(float64(r.memIdle.private>>10), "idle-anon-MiB")
	b.ReportMetric(cpuPct, "idle-cpu-%")
	b.ReportMetric(polls, "idle-list+get")
	b.ReportMetric(ms(percentile(r.keysIn, 0.99)), "key-p99-ms")
	b.ReportMetric(ms(percentile(r.keysE2E, 0.99)), "key-tmux-p99-ms")
}

// deployApps deploys apps app000… with the real binary, a few at a time: each a web and a
// worker of 5 pods, requesting little, so that 1000 pods fit the simulated nodes.
func deployApps(b *testing.B, c *cluster, n int) {
	b.Helper()
	start := time.Now()
	g, ctx := errgroup.WithContext(b.Context())
	g.SetLimit(4)
	for i := range n {
		name := fmt.Sprintf("app%03d", i)
		dir := b.TempDir()
		files := map[string]string{
			"Procfile": "web: ./bin/web\nworker: ./bin/worker\n",
			"app.json": `{"formation": {"web": {"quantity": 5}, "worker": {"quantity": 5}}}`,
			"slipway.yaml": "name: " + name + "\nimage:\n  repository: localhost:5000/" + name + "\nprocesses:\n" +
				"  web:\n    resources: {cpu: 10m, memory: 16Mi}\n  worker:\n    resources: {cpu: 10m, memory: 16Mi}\n",
		}
		for f, s := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		g.Go(func() error {
			cmd, o, e := c.command(ctx, dir, "deploy", "--image", "localhost:5000/"+name+"@"+digest('a'), "--version", fmt.Sprintf("%07x", i))
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("deploy %s: %v\n%s%s", name, err, o, e)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	// Every Deployment is ready (deploy waited for it; this checks through the API).
	deps, err := c.kc.AppsV1().Deployments("").List(b.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/part-of=slipway"})
	if err != nil {
		b.Fatal(err)
	}
	ready := 0
	for _, d := range deps.Items {
		if d.Status.ReadyReplicas == 5 {
			ready++
		}
	}
	if ready != 2*n {
		b.Fatalf("%d of %d Deployments have 5 ready pods after the deploys", ready, 2*n)
	}
	b.Logf("deployed %d apps (%d pods) in %s", n, 10*n, time.Since(start).Round(time.Second))
}

// poller polls a terminal's screen every 5 ms.
type poller struct {
	tm     *e2e.Tmux
	polls  int
	polled time.Duration
}

// until polls until done(screen) and returns the time since t0 at that capture's start
// (the screen was not yet so at the previous capture's start).
func (p *poller) until(b *testing.B, t0 time.Time, done func(string) bool) time.Duration {
	b.Helper()
	deadline := t0.Add(60 * time.Second)
	for {
		at := time.Now()
		screen := p.tm.Screen()
		p.polls++
		p.polled += time.Since(at)
		if done(screen) {
			return at.Sub(t0)
		}
		if at.After(deadline) {
			b.Fatalf("waited 60s for the dashboard; last screen:\n%s", screen)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// period is the average time between two captures.
func (p *poller) period() time.Duration {
	if p.polls == 0 {
		return 0
	}
	return 5*time.Millisecond + p.polled/time.Duration(p.polls)
}

func nonEmpty(screen string) bool { return strings.TrimSpace(screen) != "" }

var (
	appsRow = regexp.MustCompile(`^[ !] (app\d{3})\s+staging\s+.*\s(\d+)/(\d+)\s+\S+\s*$`)
	webRow  = regexp.MustCompile(`(?m)^[ !] web\s+5\s+5\s+5\s`)
	workRow = regexp.MustCompile(`(?m)^[ !] worker\s+5\s+5\s+5\s`)
)

// appsComplete is the apps list of n apps, live, every visible row filling a screen with
// all its pods ready.
func appsComplete(n int) func(string) bool {
	title := fmt.Sprintf("apps (%d)", n)
	return func(screen string) bool {
		lines := strings.Split(screen, "\n")
		if !strings.Contains(lines[0], title) || !strings.Contains(lines[0], "● live") {
			return false
		}
		rows := 0
		for _, l := range lines[1:] {
			m := appsRow.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			if m[2] != "10" || m[3] != "10" {
				return false
			}
			rows++
		}
		return rows >= 30
	}
}

// appComplete is an app view, live, whose two types have 5 of 5 pods ready.
func appComplete(screen string) bool {
	first, _, _ := strings.Cut(screen, "\n")
	return strings.Contains(first, "● live") && webRow.MatchString(screen) && workRow.MatchString(screen)
}

// quit presses q and waits for the dashboard's process to exit. It asks /proc, not tmux:
// tmux 3.3a at times leaves a quit dashboard a zombie with the pane dead and no exit
// status (seen 2 times in about 20 quits, for 10 s and more), which Tmux.WaitExit does
// not take for an exit.
func quit(b *testing.B, tm *e2e.Tmux) {
	b.Helper()
	pid := tm.PID()
	start := sysproc.StartTime(pid)
	tm.Send("q")
	deadline := time.Now().Add(10 * time.Second)
	for sysproc.Running(pid, start) {
		if time.Now().After(deadline) {
			b.Fatalf("the dashboard still runs 10s after q; screen:\n%s", tm.Screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reversed matches an SGR sequence that turns reverse video on (tmux writes "\x1b[0;7m").
var reversed = regexp.MustCompile(`\x1b\[(?:[0-9]*;)*7(?:;[0-9]*)*m`)

// selectedRow is the index of the screen's first reversed line (the table's cursor), or -1.
func selectedRow(ansiScreen string) int {
	for i, l := range strings.Split(ansiScreen, "\n") {
		if reversed.MatchString(l) {
			return i
		}
	}
	return -1
}

// pressKeys presses j and k in turn n times, each once the screen shows the last one, and
// returns the times from send-keys to the reversed line moving; it stops at a key the
// screen does not show in 5 s, and says so.
func pressKeys(tm *e2e.Tmux, n int) ([]time.Duration, error) {
	var out []time.Duration
	for i := range n {
		k := "j"
		if i%2 == 1 {
			k = "k"
		}
		before := selectedRow(tm.ScreenANSI())
		if before < 0 {
			return out, fmt.Errorf("no selected row on the screen:\n%s", tm.Screen())
		}
		t0 := time.Now()
		tm.Send(k)
		for {
			at := time.Now()
			if sel := selectedRow(tm.ScreenANSI()); sel >= 0 && sel != before {
				out = append(out, at.Sub(t0))
				break
			}
			if at.Sub(t0) > 5*time.Second {
				return out, fmt.Errorf("key %s: the selection did not move in 5s:\n%s", k, tm.Screen())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return out, nil
}

// tuiTrace is what the dashboard wrote to SLIPWAY_TUI_TRACE.
type tuiTrace struct {
	firstView int64           // unix nanoseconds at the end of the first View
	keys      []time.Duration // per j or k: its Update to the end of the View after it
}

// readTrace reads the dashboard's trace file.
func readTrace(b *testing.B, path string) tuiTrace {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatalf("the dashboard's trace: %v", err)
	}
	defer f.Close()
	var tr tuiTrace
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), " ")
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case !ok || err != nil:
		case k == "first-view":
			tr.firstView = n
		case k == "j" || k == "k":
			tr.keys = append(tr.keys, time.Duration(n))
		}
	}
	return tr
}

// listTime times the LISTs the dashboard starts with (its informers' selectors), one after
// another, through client-go as the dashboard's are (JSON).
func listTime(b *testing.B, c *cluster) time.Duration {
	b.Helper()
	ctx := b.Context()
	cfg, err := clientcmd.BuildConfigFromFlags("", c.kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if _, err := c.kc.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/part-of=slipway"}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.kc.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name,app.kubernetes.io/instance,app.kubernetes.io/component"}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.kc.AutoscalingV2().HorizontalPodAutoscalers("").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/part-of=slipway"}); err != nil {
		b.Fatal(err)
	}
	if _, err := md.Resource(schema.GroupVersionResource{Version: "v1", Resource: "secrets"}).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,slipway.dev/app"}); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

// cpuTime reads utime+stime from /proc/PID/stat (clock ticks of 10 ms).
func cpuTime(b *testing.B, pid int) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes: the benchmark shares
// the machine, and its times say little without it.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

// idleResources are the resources whose requests BenchmarkTUI counts while idle.
var idleResources = []string{"deployments", "pods", "secrets", "horizontalpodautoscalers", "events"}

// requestCounts are apiserver_request_total counters summed by "VERB resource".
type requestCounts map[string]float64

func (r requestCounts) minus(o requestCounts) requestCounts {
	out := requestCounts{}
	for k, v := range r {
		out[k] = v - o[k]
	}
	return out
}

var metricLabel = regexp.MustCompile(`(\w+)="([^"]*)"`)

// apiRequests reads the API server's request counters from /metrics.
func apiRequests(b *testing.B, kc kubernetes.Interface) requestCounts {
	b.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
	defer cancel()
	data, err := kc.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		b.Fatalf("the API server's metrics: %v", err)
	}
	out := requestCounts{}
	for _, l := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(l, "apiserver_request_total{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		var verb, res, sub string
		for _, m := range metricLabel.FindAllStringSubmatch(labels, -1) {
			switch m[1] {
			case "verb":
				verb = m[2]
			case "resource":
				res = m[2]
			case "subresource":
				sub = m[2]
			}
		}
		if sub != "" {
			res += "/" + sub
		}
		out[verb+" "+res] += v
	}
	return out
}
