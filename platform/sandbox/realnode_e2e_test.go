package sandbox_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/slipwayhq/slipway/internal/e2e"
	"github.com/slipwayhq/slipway/platform/sandbox"
)

// TestRealNodeEndToEnd runs the real `slipway sandbox up --real-node`, pushes the Go
// sample to its registry, runs it on the real node behind a Service, reaches it through
// the pod IP and the ClusterIP from the host, reads its logs and execs in it through the
// kubelet, and checks that `slipway sandbox down` leaves nothing behind: no process, mount,
// bridge, iptables rule or changed kernel setting. Then up and down once more.
func TestRealNodeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	if err := sandbox.CheckRealNode(); err != nil {
		e2e.Missing(t, "%v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Minute)
	defer cancel()
	cache := e2e.RealNodeBinaries(t)
	bin := e2e.Slipway(t)
	unlock := e2e.LockRealNode(t)
	defer unlock()

	dir := filepath.Join(t.TempDir(), "state")
	slipway := func(args ...string) (string, string, error) {
		cmd := exec.CommandContext(ctx, bin, append([]string{"sandbox"}, append(args, "--state-dir", dir)...)...)
		cmd.Env = append(os.Environ(), "SLIPWAY_CACHE="+cache)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(dir, "sandbox.json")); err == nil {
			_, _, _ = slipway("down", "--keep")
		}
	})
	before := hostSnapshot(t)

	start := time.Now()
	out, errOut, err := slipway("up", "--real-node")
	if err != nil {
		t.Fatalf("slipway sandbox up --real-node: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	t.Logf("sandbox up --real-node took %s", time.Since(start).Round(100*time.Millisecond))
	kubeconfig := filepath.Join(dir, "kubeconfig")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != "export KUBECONFIG="+kubeconfig || !strings.HasPrefix(lines[1], "export SLIPWAY_SANDBOX_REGISTRY=localhost:") {
		t.Fatalf("sandbox up --real-node printed %q, want the KUBECONFIG and SLIPWAY_SANDBOX_REGISTRY export lines", out)
	}
	registry := strings.TrimPrefix(lines[1], "export SLIPWAY_SANDBOX_REGISTRY=")
	if env, _, err := slipway("env"); err != nil || env != out {
		t.Errorf("sandbox env: err %v, printed %q, want what up printed, %q", err, env, out)
	}
	status, _, err := slipway("status")
	if want := len(sandbox.Components) + len(sandbox.RealNodeComponents); err != nil || strings.Count(status, " running ") != want || !strings.Contains(status, "registry: "+registry) {
		t.Errorf("sandbox status: err %v, want %d components running and the registry %s, got:\n%s", err, want, registry, status)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("load %s: %v", kubeconfig, err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkNodes(ctx, t, kube)

	v1 := e2e.PushGoSample(t, registry, "v1")
	v2 := e2e.PushGoSample(t, registry, "v2")
	if !strings.HasPrefix(v1, registry+"/sample-go@sha256:") || v1 == v2 {
		t.Errorf("pushed v1 as %s and v2 as %s: want two different references by digest in %s", v1, v2, registry)
	}
	if again := e2e.PushGoSample(t, registry, "v1"); again != v1 {
		t.Errorf("pushing v1 again gave %s, first %s: want a reproducible image", again, v1)
	}

	pod, svc := runSample(ctx, t, kube, v1)
	t.Logf("%s Ready on %s: pod IP %s, ClusterIP %s", v1, pod.Spec.NodeName, pod.Status.PodIP, svc.Spec.ClusterIP)
	checkHTTP(ctx, t, "the pod IP", fmt.Sprintf("http://%s/healthz", net.JoinHostPort(pod.Status.PodIP, fmt.Sprint(e2e.SampleGoPort))))
	// kube-proxy (iptables mode) makes the ClusterIP answer from the host too.
	checkHTTP(ctx, t, "the Service's ClusterIP", fmt.Sprintf("http://%s/healthz", net.JoinHostPort(svc.Spec.ClusterIP, "80")))
	checkLogs(ctx, t, kube, pod)
	checkExec(ctx, t, cfg, kube, pod)

	nodeDir := filepath.Join(dir, "node")
	start = time.Now()
	out, errOut, err = slipway("down")
	if err != nil {
		t.Fatalf("slipway sandbox down: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	t.Logf("sandbox down (real node) took %s", time.Since(start).Round(100*time.Millisecond))
	checkNothingLeft(t, dir, nodeDir, before)

	// Up and down work again, from a clean slate.
	start = time.Now()
	if out, errOut, err = slipway("up", "--real-node"); err != nil {
		t.Fatalf("second slipway sandbox up --real-node: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	t.Logf("second sandbox up --real-node took %s", time.Since(start).Round(100*time.Millisecond))
	if cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig); err != nil {
		t.Fatalf("load %s: %v", kubeconfig, err)
	}
	if kube, err = kubernetes.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	checkNodes(ctx, t, kube)
	if out, errOut, err = slipway("down"); err != nil {
		t.Fatalf("second slipway sandbox down: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	checkNothingLeft(t, dir, nodeDir, before)
}

// checkNodes wants the real node Ready with its bridge address, and the simulated ones
// tainted.
func checkNodes(ctx context.Context, t *testing.T, kube kubernetes.Interface) {
	t.Helper()
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list nodes: %v", err)
	}
	var names []string
	for _, n := range nodes.Items {
		names = append(names, n.Name)
		if n.Name == sandbox.RealNodeName {
			if len(n.Status.Addresses) == 0 || n.Status.Addresses[0].Address != "10.85.0.1" {
				t.Errorf("node %s addresses %v, want InternalIP 10.85.0.1 first", n.Name, n.Status.Addresses)
			}
			if !strings.HasPrefix(n.Status.NodeInfo.ContainerRuntimeVersion, "containerd://") {
				t.Errorf("node %s runs %q, want containerd", n.Name, n.Status.NodeInfo.ContainerRuntimeVersion)
			}
			continue
		}
		tainted := false
		for _, taint := range n.Spec.Taints {
			tainted = tainted || taint.MatchTaint(&sandbox.FakeNodeTaint)
		}
		if !tainted {
			t.Errorf("simulated node %s has taints %v, want %s", n.Name, n.Spec.Taints, sandbox.FakeNodeTaint.ToString())
		}
	}
	if len(nodes.Items) != 3 {
		t.Errorf("nodes %v: want %s and 2 simulated nodes", names, sandbox.RealNodeName)
	}
}

// runSample deploys the sample's web process (as its Procfile says, under /bin/sh) with a
// readiness probe, and a Service in front, and waits for the pod to be Ready.
func runSample(ctx context.Context, t *testing.T, kube kubernetes.Interface, image string) (*corev1.Pod, *corev1.Service) {
	t.Helper()
	labels := map[string]string{"app": "sample", "process": "web"}
	replicas := int32(1)
	port := int32(e2e.SampleGoPort)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "sample-web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:    "web",
					Image:   image,
					Command: []string{"/bin/sh", "-c", "exec ./bin/sample web"},
					Env:     []corev1.EnvVar{{Name: "PORT", Value: fmt.Sprint(port)}, {Name: "SLIPWAY_VERSION", Value: "v1"}},
					Ports:   []corev1.ContainerPort{{Name: "http", ContainerPort: port}},
					ReadinessProbe: &corev1.Probe{
						ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
						PeriodSeconds: 1,
					},
				}}},
			},
		},
	}
	if _, err := kube.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Deployment: %v", err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "sample-web", Namespace: "default"},
		Spec: corev1.ServiceSpec{
			Selector: labels,
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
		},
	}
	svc, err := kube.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create Service: %v", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	var last string
	for time.Now().Before(deadline) {
		pods, err := kube.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=sample"})
		if err != nil {
			t.Fatalf("list pods: %v", err)
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			last = describePod(p)
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					if p.Spec.NodeName != sandbox.RealNodeName {
						t.Fatalf("pod %s ran on %s, want %s (the simulated nodes are tainted)", p.Name, p.Spec.NodeName, sandbox.RealNodeName)
					}
					if !strings.HasPrefix(p.Status.PodIP, "10.85.0.") {
						t.Errorf("pod %s has IP %s, want one from the real node's 10.85.0.0/24", p.Name, p.Status.PodIP)
					}
					return p, svc
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	events, _ := kube.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
	var ev []string
	for _, e := range events.Items {
		ev = append(ev, fmt.Sprintf("%s %s: %s", e.InvolvedObject.Name, e.Reason, e.Message))
	}
	t.Fatalf("want the sample's pod Ready within 2 minutes; last seen: %s\nevents:\n%s", last, strings.Join(ev, "\n"))
	return nil, nil
}

func describePod(p *corev1.Pod) string {
	s := fmt.Sprintf("%s node=%q phase=%s ip=%s", p.Name, p.Spec.NodeName, p.Status.Phase, p.Status.PodIP)
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil:
			s += fmt.Sprintf(" %s waiting: %s %s", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message)
		case cs.State.Terminated != nil:
			s += fmt.Sprintf(" %s terminated: %s %d", cs.Name, cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
		default:
			s += fmt.Sprintf(" %s running ready=%v", cs.Name, cs.Ready)
		}
	}
	return s
}

// checkHTTP wants url to answer 200 with the sample's health body.
func checkHTTP(ctx context.Context, t *testing.T, what, url string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	var last string
	// A ClusterIP answers once kube-proxy has synced its rules: seconds, more on a busy machine.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), "ok") {
				return
			}
			last = fmt.Sprintf("%s: %s", resp.Status, body)
		} else {
			last = err.Error()
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("GET %s (%s): want 200 and the sample's health answer, last got %s", url, what, last)
}

// checkLogs reads the pod's log through the API server and the kubelet.
func checkLogs(ctx context.Context, t *testing.T, kube kubernetes.Interface, pod *corev1.Pod) {
	t.Helper()
	b, err := kube.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: "web"}).DoRaw(ctx)
	if err != nil {
		t.Errorf("logs of %s: %v", pod.Name, err)
		return
	}
	if !strings.Contains(string(b), "GET /healthz 200") {
		t.Errorf("logs of %s: want the request log of the probes (GET /healthz 200), got:\n%s", pod.Name, b)
	}
}

// checkExec runs a command in the container through the API server and the kubelet.
func checkExec(ctx context.Context, t *testing.T, cfg *rest.Config, kube kubernetes.Interface, pod *corev1.Pod) {
	t.Helper()
	req := kube.CoreV1().RESTClient().Post().Resource("pods").Namespace(pod.Namespace).Name(pod.Name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "web", Command: []string{"/bin/sh", "-c", "echo $PORT $(id -u) $(cat Procfile | head -n 1)"}, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	exec, err := remotecommand.NewSPDYExecutor(cfg, http.MethodPost, req.URL())
	if err != nil {
		t.Errorf("exec in %s: %v", pod.Name, err)
		return
	}
	var stdout, stderr bytes.Buffer
	if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr}); err != nil {
		t.Errorf("exec in %s: %v (stderr %q)", pod.Name, err, stderr.String())
		return
	}
	if got, want := strings.TrimSpace(stdout.String()), "5000 10001 release: ./bin/sample migrate"; got != want {
		t.Errorf("exec in %s printed %q, want %q", pod.Name, got, want)
	}
}

// snapshot is what the real node may change on the host.
type snapshot struct {
	iptables map[string]string // family → the sandbox-related lines of its rules
	sysctls  map[string]string
	paths    map[string]bool // host paths the node's programs use, and whether they exist
}

func hostSnapshot(t *testing.T) snapshot {
	t.Helper()
	s := snapshot{iptables: map[string]string{}, sysctls: map[string]string{}, paths: map[string]bool{}}
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/k8s.io")
	for _, p := range append(cgroups, "/var/lib/kubelet", "/var/log/containers", "/var/lib/cni", "/run/containerd", "/run/mount", "/sys/fs/cgroup/memory/k8s.io") {
		_, err := os.Lstat(p)
		s.paths[p] = err == nil
	}
	for _, family := range []string{"iptables", "ip6tables"} {
		out, err := exec.Command(family + "-save").Output()
		if err != nil {
			continue
		}
		var keep []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "KUBE-") || strings.Contains(line, "CNI-") || strings.Contains(line, "slipway") || strings.Contains(line, "10.85.0.") {
				keep = append(keep, line)
			}
		}
		s.iptables[family] = strings.Join(keep, "\n")
	}
	for _, k := range []string{"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes"} {
		if b, err := os.ReadFile("/proc/sys/" + k); err == nil {
			s.sysctls[k] = strings.TrimSpace(string(b))
		}
	}
	return s
}

// checkNothingLeft wants no process, mount, bridge, iptables rule or kernel setting of the
// sandbox left after down, and its state directory gone.
func checkNothingLeft(t *testing.T, dir, nodeDir string, before snapshot) {
	t.Helper()
	if left := processesMentioning(dir); len(left) > 0 {
		t.Errorf("after sandbox down, processes still run with the state directory in their command line:\n%s", strings.Join(left, "\n"))
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, dir) {
			t.Errorf("after sandbox down, still mounted: %s", line)
		}
	}
	if _, err := net.InterfaceByName("slipway0"); err == nil {
		t.Errorf("after sandbox down, the bridge slipway0 is still there")
	}
	links, _ := exec.Command("ip", "-o", "link").Output()
	for _, line := range strings.Split(string(links), "\n") {
		if strings.Contains(line, "master slipway0") {
			t.Errorf("after sandbox down, an interface is still on the bridge: %s", line)
		}
	}
	after := hostSnapshot(t)
	for family, rules := range after.iptables {
		if rules != before.iptables[family] {
			t.Errorf("after sandbox down, %s rules differ from before up:\nbefore:\n%s\nafter:\n%s", family, before.iptables[family], rules)
		}
	}
	for p, there := range after.paths {
		if there && !before.paths[p] {
			t.Errorf("after sandbox down, %s is there; it was not before up", p)
		}
	}
	for k, v := range after.sysctls {
		if v != before.sysctls[k] {
			t.Errorf("after sandbox down, %s = %s, before up %s", k, v, before.sysctls[k])
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after sandbox down, the state directory %s is still there (err %v)", dir, err)
	}
	if _, err := os.Stat(nodeDir); !os.IsNotExist(err) {
		t.Errorf("after sandbox down, the node directory %s is still there (err %v)", nodeDir, err)
	}
}

// TestRealNodeSandboxRunsAJob uses the test harness's real-node sandbox as other packages'
// tests do: the Go sample's one-shot task runs to completion as a Job on the real node, and
// its output is in the pod's log.
func TestRealNodeSandboxRunsAJob(t *testing.T) {
	kubeconfig, registry := e2e.RealNodeSandbox(t)
	ref := e2e.PushGoSample(t, registry, "v2")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	backoff := int32(0)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "report", Namespace: "default"},
		Spec: batchv1.JobSpec{
			BackoffLimit: &backoff,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "report", Image: ref, Command: []string{"/bin/sh", "-c", "exec ./bin/sample report"}}},
			}},
		},
	}
	if _, err := kube.BatchV1().Jobs("default").Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Job: %v", err)
	}
	var pod *corev1.Pod
	for pod == nil {
		if ctx.Err() != nil {
			t.Fatalf("the Job's pod did not succeed within 5 minutes")
		}
		pods, err := kube.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "job-name=report"})
		if err != nil {
			t.Fatalf("list pods: %v", err)
		}
		for i, p := range pods.Items {
			switch p.Status.Phase {
			case corev1.PodSucceeded:
				pod = &pods.Items[i]
			case corev1.PodFailed:
				t.Fatalf("the Job's pod failed: %s", describePod(&p))
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if pod.Spec.NodeName != sandbox.RealNodeName {
		t.Errorf("the Job ran on %s, want %s", pod.Spec.NodeName, sandbox.RealNodeName)
	}
	logs, err := kube.CoreV1().Pods("default").GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		t.Fatalf("logs of %s: %v", pod.Name, err)
	}
	if !strings.HasPrefix(string(logs), "report at ") || !strings.Contains(string(logs), "no store yet") {
		t.Errorf("the report task printed %q, want \"report at …: no store yet …\"", logs)
	}
	t.Logf("report printed %q", strings.TrimSpace(string(logs)))
}
