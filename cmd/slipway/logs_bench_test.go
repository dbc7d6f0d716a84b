package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// BenchmarkLogsVsStern follows the Go sample's worker (a numbered "job N done" line about
// every second per pod) with `slipway logs -f`, stern and `kubectl logs -f -l`, all at
// once, while the app is redeployed twice and the worker scaled 1→3→1 on the real node.
// Per tool it reports the job lines missing and doubled (the truth for each pod is every
// number from the first to the last any tool saw) and the median and 99th-percentile delay
// from the kubelet's timestamp of a line to the tool printing it.
//
//	SLIPWAY_E2E=require go test -run '^$' -bench LogsVsStern -benchtime 1x -timeout 30m ./cmd/slipway
func BenchmarkLogsVsStern(b *testing.B) {
	kubeconfig, registry := e2e.RealNodeSandbox(b)
	refA := e2e.PushGoSample(b, registry, "v1")
	refB := e2e.PushGoSample(b, registry, "v2")
	stern, kubectl := e2e.Stern(b), e2e.Kubectl(b)
	c := clusterAt(b, kubeconfig)
	dir := sampleApp(b, "bench", func(s string) string {
		return strings.Replace(s, "processes:\n", "processes:\n  web:\n    size: basic\n", 1)
	})
	const ns, sel = "bench-staging", "app.kubernetes.io/instance=bench,app.kubernetes.io/component=worker"
	c.ok(dir, "deploy", "--image", refA, "--timeout", "3m")
	b.StopTimer()
	for range b.N {
		ctx, cancel := context.WithCancel(b.Context())
		tools := []*follower{
			{name: "slipway", cmd: exec.CommandContext(ctx, e2e.Slipway(b), "logs", "-f", "-p", "worker", "--tail", "0", "-o", "json"), parse: parseSlipway},
			{name: "stern", cmd: exec.CommandContext(ctx, stern, "-n", ns, "-l", sel, "--tail", "0", "--timestamps", "--color", "never", "--template", "{{.PodName}} {{.Message}}{{\"\\n\"}}"), parse: parseStern},
			{name: "kubectl", cmd: exec.CommandContext(ctx, kubectl, "logs", "-f", "-n", ns, "-l", sel, "--tail", "0", "--timestamps", "--prefix", "--max-log-requests", "10"), parse: parseKubectl},
		}
		for _, f := range tools {
			f.cmd.Dir = dir
			f.cmd.Env = append(os.Environ(), "NO_COLOR=1", "KUBECONFIG="+kubeconfig)
			f.cmd.Cancel = func() error { return f.cmd.Process.Signal(syscall.SIGINT) }
			f.start(b)
		}
		time.Sleep(5 * time.Second)
		b.StartTimer()
		c.ok(dir, "deploy", "--image", refB, "--timeout", "3m")
		c.ok(dir, "deploy", "--image", refA, "--timeout", "3m")
		c.ok(dir, "scale", "worker=3")
		time.Sleep(10 * time.Second)
		c.ok(dir, "scale", "worker=1")
		time.Sleep(10 * time.Second)
		b.StopTimer()
		cancel()
		truth := map[string][2]int{} // pod → first and last job any tool saw
		for _, f := range tools {
			f.wait()
			for pod, nums := range f.jobs {
				r, ok := truth[pod]
				if !ok {
					r = [2]int{nums[0], nums[0]}
				}
				r[0], r[1] = min(r[0], slices.Min(nums)), max(r[1], slices.Max(nums))
				truth[pod] = r
			}
		}
		total := 0
		for _, r := range truth {
			total += r[1] - r[0] + 1
		}
		b.Logf("%d job lines from %d worker pods", total, len(truth))
		for _, f := range tools {
			missing, doubled := f.score(truth)
			p50, p99 := percentile(f.delays, 0.5), percentile(f.delays, 0.99)
			b.Logf("%-8s missing %3d  doubled %3d  delay median %v  p99 %v", f.name, missing, doubled, p50, p99)
			b.ReportMetric(float64(missing), f.name+"-missing")
			b.ReportMetric(float64(doubled), f.name+"-doubled")
			b.ReportMetric(float64(p50.Microseconds())/1000, f.name+"-median-ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, f.name+"-p99-ms")
		}
	}
}

// follower is one tool following the worker's lines.
type follower struct {
	name   string
	cmd    *exec.Cmd
	parse  func(line string) (pod string, at time.Time, text string, ok bool)
	done   chan struct{}
	mu     sync.Mutex
	jobs   map[string][]int // pod → job numbers in the order printed
	delays []time.Duration
	stderr strings.Builder
}

func (f *follower) start(b *testing.B) {
	out, err := f.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	f.cmd.Stderr = &f.stderr
	f.jobs, f.done = map[string][]int{}, make(chan struct{})
	if err := f.cmd.Start(); err != nil {
		b.Fatalf("%s: %v", f.name, err)
	}
	go f.read(out)
}

func (f *follower) read(r io.Reader) {
	defer close(f.done)
	s := bufio.NewScanner(r)
	for s.Scan() {
		now := time.Now()
		pod, at, text, ok := f.parse(s.Text())
		var n int
		if !ok || !strings.HasPrefix(text, "job ") {
			continue
		}
		if _, err := fmt.Sscanf(text, "job %d done", &n); err != nil {
			continue
		}
		f.mu.Lock()
		f.jobs[pod] = append(f.jobs[pod], n)
		if !at.IsZero() {
			f.delays = append(f.delays, now.Sub(at))
		}
		f.mu.Unlock()
	}
}

func (f *follower) wait() {
	_ = f.cmd.Wait()
	<-f.done
}

// score counts the job lines of truth f did not print, and the ones it printed twice.
func (f *follower) score(truth map[string][2]int) (missing, doubled int) {
	for pod, r := range truth {
		seen := map[int]int{}
		for _, n := range f.jobs[pod] {
			seen[n]++
		}
		for n := r[0]; n <= r[1]; n++ {
			switch k := seen[n]; {
			case k == 0:
				missing++
			case k > 1:
				doubled += k - 1
			}
		}
	}
	return missing, doubled
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func parseSlipway(line string) (string, time.Time, string, bool) {
	var j logLineJSON
	if json.Unmarshal([]byte(line), &j) != nil {
		return "", time.Time{}, "", false
	}
	return j.Pod, j.Time, j.Text, true
}

// parseStern reads "POD TIMESTAMP text".
func parseStern(line string) (string, time.Time, string, bool) {
	pod, rest, ok := strings.Cut(line, " ")
	if !ok {
		return "", time.Time{}, "", false
	}
	ts, text, _ := strings.Cut(rest, " ")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return pod, time.Time{}, rest, true
	}
	return pod, at, text, true
}

// parseKubectl reads "[pod/POD/CONTAINER] TIMESTAMP text".
func parseKubectl(line string) (string, time.Time, string, bool) {
	prefix, rest, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(prefix, "[pod/") {
		return "", time.Time{}, "", false
	}
	parts := strings.Split(strings.Trim(prefix, "[]"), "/")
	if len(parts) < 2 {
		return "", time.Time{}, "", false
	}
	ts, text, _ := strings.Cut(rest, " ")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return parts[1], time.Time{}, rest, true
	}
	return parts[1], at, text, true
}
