package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slipwayhq/slipway/internal/sysproc"
)

// checkLogs reads the real node's logs of the app deployed in dir (namespace ns) through
// slipway logs: the release Job's migration, every process with its instance, JSON in time
// order, and -f following the worker while it scales from 1 to 2 pods and back, with every
// job line of every pod once and in order.
func checkLogs(t *testing.T, c *cluster, dir string) {
	t.Helper()
	r := c.ok(dir, "logs", "-p", "release")
	if !strings.Contains(r.stdout, "schema now at") || !strings.Contains(r.stdout, "release.1 | ") {
		t.Errorf("logs -p release lacks the migration:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	r = c.ok(dir, "logs", "--tail", "3", "--timestamps")
	for _, want := range []string{"web.1", "worker.1", "clock.1"} {
		if !regexp.MustCompile(`(?m)Z ` + regexp.QuoteMeta(want) + ` +\| `).MatchString(r.stdout) {
			t.Errorf("logs lacks %q:\n%s\nstderr:\n%s", want, r.stdout, r.stderr)
		}
	}
	if !regexp.MustCompile(`(?m)^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z `).MatchString(r.stdout) {
		t.Errorf("--timestamps: no line starts with its time:\n%s", r.stdout)
	}
	r = c.ok(dir, "logs", "-o", "json", "--tail", "20")
	var prev time.Time
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var j logLineJSON
		if err := json.Unmarshal([]byte(l), &j); err != nil {
			t.Fatalf("-o json line %q: %v", l, err)
		}
		if j.Pod == "" || j.Instance == "" || j.Time.Before(prev) {
			t.Errorf("-o json: %+v after %v", j, prev)
		}
		prev = j.Time
		n++
	}
	if n < 3 {
		t.Errorf("-o json gave %d lines", n)
	}

	// Follow the worker while it scales up and down.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd, _, stderr := c.command(ctx, dir, "logs", "-f", "-p", "worker", "--tail", "0", "-o", "json")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	var mu sync.Mutex
	jobs := map[string][]int{} // pod → job numbers seen
	instances := map[string]string{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := bufio.NewScanner(pr)
		for s.Scan() {
			var j logLineJSON
			if json.Unmarshal(s.Bytes(), &j) != nil {
				continue
			}
			var num int
			if _, err := fmt.Sscanf(j.Text, "job %d done", &num); err != nil {
				continue
			}
			mu.Lock()
			jobs[j.Pod] = append(jobs[j.Pod], num)
			instances[j.Pod] = j.Instance
			mu.Unlock()
		}
	}()
	pods := func() int { mu.Lock(); defer mu.Unlock(); return len(jobs) }
	waitFor := func(what string, f func() bool) {
		deadline := time.Now().Add(2 * time.Minute)
		for !f() {
			if time.Now().After(deadline) {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("logs -f: %s never happened; seen %v\nstderr:\n%s", what, jobs, stderr.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitFor("a worker line", func() bool { return pods() >= 1 })
	c.ok(dir, "scale", "worker=2")
	waitFor("the second worker's lines", func() bool { return pods() >= 2 })
	time.Sleep(3 * time.Second)
	c.ok(dir, "scale", "worker=1")
	time.Sleep(3 * time.Second)
	cancel()
	_ = cmd.Wait()
	<-done
	mu.Lock()
	defer mu.Unlock()
	names := map[string]bool{}
	for pod, nums := range jobs {
		names[instances[pod]] = true
		for i := 1; i < len(nums); i++ {
			if nums[i] != nums[i-1]+1 {
				t.Errorf("pod %s (%s): job %d followed by %d (lost or repeated lines): %v", pod, instances[pod], nums[i-1], nums[i], nums)
				break
			}
		}
	}
	if !names["worker.1"] || !names["worker.2"] {
		t.Errorf("instances %v, want worker.1 and worker.2", names)
	}
	if !strings.Contains(stderr.String(), "worker.2") {
		t.Errorf("logs -f said nothing of the new pod on stderr:\n%s", stderr.String())
	}
	t.Logf("logs -f: %d worker pods, jobs %v", len(jobs), jobs)
}

// checkRunExec runs one-off commands and execs in the real node's pods through the binary.
func checkRunExec(t *testing.T, c *cluster, dir, ns string) {
	t.Helper()
	r := c.run(dir, "run", "--env", "GREETING=hello there", "--", "sh", "-c", `echo "out $DYNO $GREETING"; echo err >&2; exit 7`)
	if r.code != 7 || !strings.Contains(r.stdout, "out run.1 hello there") || !strings.Contains(r.stdout, "err") {
		t.Errorf("run: want exit 7 with its output: %s", r)
	}
	// Piped standard input reaches the command.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd, out, errb := c.command(ctx, dir, "run", "--", "sh", "-c", "read line; echo got: $line")
	cmd.Stdin = strings.NewReader("piped input\n")
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "got: piped input") {
		t.Errorf("run with piped input: %v\nstdout:\n%s\nstderr:\n%s", err, out, errb)
	}
	// One argument is a shell command line, as heroku run takes it.
	if r := c.ok(dir, "run", "echo $DYNO"); !strings.Contains(r.stdout, "run.1") {
		t.Errorf("run 'echo $DYNO': %s", r)
	}
	// Nothing is left behind.
	deadline := time.Now().Add(time.Minute)
	for {
		pods, err := c.kc.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=run"})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d one-off pods left after run", len(pods.Items))
			break
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Slipway killed while its command runs: the Job finishes and the cluster removes it
	// by itself after its TTL.
	kctx, kcancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer kcancel()
	kcmd, kout, kerr := c.command(kctx, dir, "run", "--", "sh", "-c", "echo started; sleep 5; echo finished")
	if err := kcmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 120 && !strings.Contains(kout.String(), "started"); i++ {
		time.Sleep(500 * time.Millisecond)
	}
	_ = kcmd.Process.Kill()
	_ = kcmd.Wait()
	jobs, err := c.kc.BatchV1().Jobs(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=run"})
	if err != nil || len(jobs.Items) != 1 {
		t.Fatalf("after killing slipway run: %v, %d jobs (stdout %q, stderr %q)", err, len(jobs.Items), kout, kerr)
	}
	j := jobs.Items[0]
	if j.Spec.TTLSecondsAfterFinished == nil || *j.Spec.TTLSecondsAfterFinished <= 0 {
		t.Errorf("the one-off Job has no TTL: %+v", j.Spec.TTLSecondsAfterFinished)
	}
	for deadline := time.Now().Add(time.Minute); ; {
		got, err := c.kc.BatchV1().Jobs(ns).Get(t.Context(), j.Name, metav1.GetOptions{})
		if err == nil && jobSucceeded(got) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the killed run's Job did not finish: %v", err)
			break
		}
		time.Sleep(time.Second)
	}
	bg := metav1.DeletePropagationBackground
	_ = c.kc.BatchV1().Jobs(ns).Delete(t.Context(), j.Name, metav1.DeleteOptions{PropagationPolicy: &bg})

	if r := c.run(dir, "exec", "-p", "worker", "--", "sh", "-c", "echo in the worker; exit 3"); r.code != 3 || !strings.Contains(r.stdout, "in the worker") {
		t.Errorf("exec in a worker: want exit 3 with its output: %s", r)
	}
	if r := c.ok(dir, "exec", "--", "echo", "from web"); !strings.Contains(r.stdout, "from web") {
		t.Errorf("exec in web: %s", r)
	}
	c.fails(dir, []string{`no process type "nope"`, "worker"}, "exec", "-p", "nope", "--", "true")
}

// checkPs: ps says every type is up; a clock made to crash is shown as a crash loop with
// its last exit code, and ps -p clock shows what it wrote before it ended.
func checkPs(t *testing.T, c *cluster, dir, ns string) {
	t.Helper()
	r := c.ok(dir, "ps")
	if !regexp.MustCompile(`(?m)^web\s.*\sup$`).MatchString(r.stdout) {
		t.Errorf("ps: web is not up:\n%s", r.stdout)
	}
	// Follow the clock while it crashes: each short-lived instance's line arrives once.
	fctx, fcancel := context.WithCancel(t.Context())
	defer fcancel()
	follow, _, followErr := c.command(fctx, dir, "logs", "-f", "-p", "clock", "--tail", "0", "-o", "json")
	followOut := &syncBuffer{}
	follow.Stdout = followOut
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"clock","command":["/bin/sh","-c","echo boom before the crash; exit 3"]}]}}}}`
	if _, err := c.kc.AppsV1().Deployments(ns).Patch(t.Context(), "real-clock", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("make the clock crash: %v", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r = c.ok(dir, "ps")
		if strings.Contains(r.stdout, "crash loop:") && strings.Contains(r.stdout, "last exit code 3") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ps never showed the clock's crash loop:\n%s", r.stdout)
		}
		time.Sleep(2 * time.Second)
	}
	// Two crashes at least, then: every instance's line arrived once.
	for deadline := time.Now().Add(90 * time.Second); strings.Count(followOut.String(), "boom before the crash") < 3 && time.Now().Before(deadline); {
		time.Sleep(time.Second)
	}
	fcancel()
	_ = follow.Wait()
	// Each instance wrote one line: its time tells them apart.
	stamps := map[time.Time]int{}
	for _, l := range strings.Split(strings.TrimSpace(followOut.String()), "\n") {
		var j logLineJSON
		if json.Unmarshal([]byte(l), &j) == nil && j.Text == "boom before the crash" {
			stamps[j.Time]++
		}
	}
	repeated := 0
	for _, n := range stamps {
		repeated += n - 1
	}
	t.Logf("logs -f across the clock's crashes: %d instances' lines, %d repeated; stderr:\n%s", len(stamps), repeated, followErr)
	if len(stamps) < 2 || repeated > 0 {
		t.Errorf("logs -f across restarts: %d instances, %d repeated:\n%s\nstderr:\n%s", len(stamps), repeated, followOut, followErr)
	}

	// The crashed container's last lines: the kubelet may be between two instances for a
	// moment, so ask a few times.
	for i := 0; ; i++ {
		r = c.ok(dir, "ps", "-p", "clock")
		if strings.Contains(r.stdout, "clock: crash loop") && strings.Contains(r.stdout, "clock.1") && strings.Contains(r.stdout, "  boom before the crash") {
			break
		}
		if i == 10 {
			t.Errorf("ps -p clock:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			break
		}
		time.Sleep(2 * time.Second)
	}
	c.exits(2, dir, []string{`no process type "nope"`}, "ps", "-p", "nope")

	// --events tells the crash loop's back-off in words, beside the clock's own lines.
	for i := 0; ; i++ {
		r = c.ok(dir, "logs", "--events", "-p", "clock", "--tail", "5")
		if regexp.MustCompile(`(?m)^event +\| clock\.1 \(real-clock-[^)]+\): crash loop back-off: `).MatchString(r.stdout) && strings.Contains(r.stdout, "boom before the crash") {
			t.Logf("logs --events -p clock:\n%s", r.stdout)
			break
		}
		if i == 30 {
			t.Errorf("logs --events -p clock shows no crash loop back-off:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			break
		}
		time.Sleep(2 * time.Second)
	}
	if strings.Contains(r.stdout, "worker") {
		t.Errorf("logs --events -p clock shows the worker's lines or events:\n%s", r.stdout)
	}
}

// syncBuffer is a bytes.Buffer that a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// checkLogsAcrossKubeletRestart restarts the real node's kubelet (the pods go on running)
// while slipway logs -f follows the worker: the stream the kubelet's going ends is reopened,
// and every job line arrives once — stern's known weakness.
func checkLogsAcrossKubeletRestart(t *testing.T, c *cluster, dir string) {
	t.Helper()
	state := filepath.Dir(c.kubeconfig)
	config := "--config=" + filepath.Join(state, "node", "kubelet-config.json")
	pids := sysproc.WithArg(func(a string) bool { return a == config })
	if len(pids) != 1 {
		t.Fatalf("the sandbox's kubelet: %d processes with %s", len(pids), config)
	}
	argv := sysproc.Cmdline(pids[0])
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pids[0]))
	if err != nil || len(argv) == 0 {
		t.Fatalf("the kubelet's command line: %v", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	follow, _, followErr := c.command(ctx, dir, "logs", "-f", "-p", "worker", "--tail", "0", "-o", "json")
	out := &syncBuffer{}
	follow.Stdout = out
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	jobs := func() []int {
		var nums []int
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var j logLineJSON
			var n int
			if json.Unmarshal([]byte(l), &j) == nil {
				if _, err := fmt.Sscanf(j.Text, "job %d done", &n); err == nil {
					nums = append(nums, n)
				}
			}
		}
		return nums
	}
	waitJobs := func(n int) {
		for deadline := time.Now().Add(90 * time.Second); len(jobs()) < n; {
			if time.Now().After(deadline) {
				t.Fatalf("logs -f: %d job lines, want %d\nstderr:\n%s", len(jobs()), n, followErr)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	waitJobs(2)

	// Stop the kubelet and start it again as it was.
	if err := syscall.Kill(pids[0], syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); syscall.Kill(pids[0], 0) == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the kubelet did not stop")
		}
		time.Sleep(200 * time.Millisecond)
	}
	before := len(jobs())
	time.Sleep(3 * time.Second)
	logf, err := os.Create(filepath.Join(t.TempDir(), "kubelet.log"))
	if err != nil {
		t.Fatal(err)
	}
	kubelet := exec.Command(argv[0], argv[1:]...)
	kubelet.Env = strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00")
	kubelet.Stdout, kubelet.Stderr = logf, logf
	kubelet.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := kubelet.Start(); err != nil {
		t.Fatalf("restart the kubelet: %v", err)
	}
	// Runs before the sandbox's own cleanup (registered earlier), which knows the old pid.
	t.Cleanup(func() {
		_ = kubelet.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = kubelet.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = kubelet.Process.Kill()
			<-done
		}
		logf.Close()
	})
	waitJobs(before + 8)
	cancel()
	_ = follow.Wait()
	nums := jobs()
	for i := 1; i < len(nums); i++ {
		if nums[i] != nums[i-1]+1 {
			t.Errorf("across the kubelet restart: job %d followed by %d: %v\nstderr:\n%s", nums[i-1], nums[i], nums, followErr)
			break
		}
	}
	if !strings.Contains(followErr.String(), "reopened") {
		t.Errorf("logs -f did not say it reopened the stream:\n%s", followErr)
	}
	t.Logf("logs -f across a kubelet restart: jobs %v\nstderr:\n%s", nums, followErr)
}
