package sandbox

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// applySweep plays an iptables-restore --noflush script on parsed tables the way iptables
// does, failing where iptables would (deleting a missing rule, deleting a chain still
// referenced or not empty).
func applySweep(t *testing.T, tables []*iptTable, script string) {
	t.Helper()
	byName := map[string]*iptTable{}
	for _, tb := range tables {
		byName[tb.name] = tb
	}
	var cur *iptTable
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "*"):
			cur = byName[line[1:]]
		case line == "COMMIT":
			cur = nil
		case strings.HasPrefix(line, "-D "):
			chain, args, _ := strings.Cut(line[3:], " ")
			i := slices.Index(cur.rules[chain], args)
			if i < 0 {
				t.Fatalf("script deletes a rule that is not there: %s", line)
			}
			cur.rules[chain] = slices.Delete(cur.rules[chain], i, i+1)
		case strings.HasPrefix(line, "-F "):
			delete(cur.rules, line[3:])
		case strings.HasPrefix(line, "-X "):
			chain := line[3:]
			if len(cur.rules[chain]) > 0 {
				t.Fatalf("script deletes chain %s, which still has rules", chain)
			}
			for c, rules := range cur.rules {
				for _, r := range rules {
					if ruleTarget(r) == chain {
						t.Fatalf("script deletes chain %s, still referenced by -A %s %s", chain, c, r)
					}
				}
			}
			cur.chains = slices.DeleteFunc(cur.chains, func(c string) bool { return c == chain })
		default:
			t.Fatalf("unexpected script line %q", line)
		}
	}
}

// foreignRules are another CNI network's and Docker's, which the sweep must leave alone.
const foreignRules = `*filter
:DOCKER - [0:0]
-A FORWARD -o docker0 -j DOCKER
-A CNI-FORWARD -d 10.88.0.7/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A CNI-FORWARD -s 10.88.0.7/32 -j ACCEPT
COMMIT
*nat
:CNI-0000aaaa - [0:0]
:CNI-DN-0000aaaa - [0:0]
-A POSTROUTING -s 10.88.0.7/32 -m comment --comment "name: \"podman\" id: \"abc\"" -j CNI-0000aaaa
-A CNI-0000aaaa ! -d 224.0.0.0/4 -m comment --comment "name: \"podman\" id: \"abc\"" -j MASQUERADE
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \"podman\" id: \"abc\"" -m multiport --dports 8080 -j CNI-DN-0000aaaa
-A CNI-DN-0000aaaa -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.88.0.7:80
COMMIT
`

// mergeSave adds extra's chains and rules to save's tables (same table names).
func mergeSave(save, extra string) string {
	lines := strings.Split(save, "\n")
	for _, block := range strings.Split(extra, "COMMIT\n") {
		block = strings.TrimSpace(block)
		if block == "" {
			continue
		}
		head, body, _ := strings.Cut(block, "\n")
		for i, l := range lines {
			if l == head {
				lines = slices.Insert(lines, i+1, strings.Split(body, "\n")...)
				break
			}
		}
	}
	return strings.Join(lines, "\n")
}

func TestSweepScript(t *testing.T) {
	// iptables-save on this machine with a real-node sandbox up: kube-proxy's and the
	// kubelet's chains, a pod with a hostPort (portmap), the firewall plugin's chains.
	real, err := os.ReadFile("testdata/iptables-save-real-node.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		save string
		// keep are rules that must survive; gone are substrings no rule may hold after.
		keep []string
		gone []string
	}{
		{
			name: "alone",
			save: string(real),
			gone: []string{"KUBE-", "CNI-", "slipway-sandbox", "10.85.0."},
		},
		{
			name: "beside Docker and another CNI network",
			save: mergeSave(string(real), foreignRules),
			keep: []string{
				"-A FORWARD -o docker0 -j DOCKER",
				"-A CNI-FORWARD -s 10.88.0.7/32 -j ACCEPT",
				`-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \"podman\" id: \"abc\"" -m multiport --dports 8080 -j CNI-DN-0000aaaa`,
				"-A CNI-DN-0000aaaa -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.88.0.7:80",
				"-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
				"-A POSTROUTING -m comment --comment \"CNI portfwd requiring masquerade\" -j CNI-HOSTPORT-MASQ",
				"-A FORWARD -m comment --comment \"CNI firewall plugin rules\" -j CNI-FORWARD",
			},
			gone: []string{"KUBE-", "slipway-sandbox", "10.85.0."},
		},
		{
			name: "nothing of the sandbox's",
			save: "*filter\n:INPUT ACCEPT [0:0]\n:DOCKER - [0:0]\n-A FORWARD -o docker0 -j DOCKER\nCOMMIT\n",
			keep: []string{"-A FORWARD -o docker0 -j DOCKER"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := sweepScript(tt.save)
			tables := parseIptablesSave(tt.save)
			applySweep(t, tables, script)
			var after []string
			for _, tb := range tables {
				for _, c := range tb.chains {
					after = append(after, ":"+c)
				}
				for c, rules := range tb.rules {
					for _, r := range rules {
						after = append(after, "-A "+c+" "+r)
					}
				}
			}
			for _, line := range after {
				for _, g := range tt.gone {
					if strings.Contains(line, g) {
						t.Errorf("after the sweep, %q is left (holds %q)", line, g)
					}
				}
			}
			for _, k := range tt.keep {
				if !slices.Contains(after, k) {
					t.Errorf("the sweep removed %q", k)
				}
			}
			if len(tt.gone) == 0 && script != "" {
				t.Errorf("nothing to remove, but the script is:\n%s", script)
			}
		})
	}
}

func TestImageLayer(t *testing.T) {
	files := []ImageFile{
		{Path: "/app/bin/sample", Mode: 0o755, Data: []byte("binary")},
		{Path: "/bin/sh", Mode: fs.ModeSymlink | 0o777, Link: "busybox"},
		{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
	}
	raw, err := imageLayer(files)
	if err != nil {
		t.Fatal(err)
	}
	again, err := imageLayer(slices.Clone(files))
	if err != nil || !bytes.Equal(raw, again) {
		t.Errorf("the same files gave different layers (err %v)", err)
	}
	want := []string{
		"app/ 0755", "app/bin/ 0755", "app/bin/sample = binary 0755",
		"bin/ 0755", "bin/sh -> busybox 0777", "tmp/ 1777",
	}
	if got := tarEntries(t, bytes.NewReader(raw)); !slices.Equal(got, want) {
		t.Errorf("layer entries:\n got %q\nwant %q", got, want)
	}

	for name, bad := range map[string][]ImageFile{
		"listed twice":    {{Path: "/a", Mode: 0o644}, {Path: "a", Mode: 0o644}},
		"not a directory": {{Path: "/a", Mode: 0o644}, {Path: "/a/b", Mode: 0o644}},
	} {
		if _, err := imageLayer(bad); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err %v, want it to say %q", name, err, name)
		}
	}
}

// tarEntries lists a tar's entries as "name[ -> link][ = content] mode".
func tarEntries(t *testing.T, r io.Reader) []string {
	t.Helper()
	tr := tar.NewReader(r)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		entry := h.Name
		switch h.Typeflag {
		case tar.TypeSymlink:
			entry += " -> " + h.Linkname
		case tar.TypeReg:
			b, _ := io.ReadAll(tr)
			entry += " = " + string(b)
		}
		got = append(got, fmt.Sprintf("%s %04o", entry, h.Mode))
	}
}

// TestPushImage pushes to go-containerregistry's registry (the one the sandbox runs) and
// reads the image back as a client pulling it would.
func TestPushImage(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	files := []ImageFile{{Path: "/pause", Mode: 0o755, Data: []byte("x")}}
	cfg := ImageConfig{Entrypoint: []string{"/pause"}, Env: []string{"A=1"}, WorkingDir: "/", User: "10001", Labels: map[string]string{"v": "1"}}
	ref, err := PushImage(t.Context(), host, "slipway/pause", "1", files, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref, host+"/slipway/pause@sha256:") {
		t.Fatalf("ref %s, want %s/slipway/pause@sha256:…", ref, host)
	}
	byTag, err := name.NewTag(host+"/slipway/pause:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(byTag, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	if got := host + "/slipway/pause@" + desc.Digest.String(); got != ref || desc.MediaType != types.OCIManifestSchema1 {
		t.Errorf("the tag names %s (%s), want %s (%s)", got, desc.MediaType, ref, types.OCIManifestSchema1)
	}
	img, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("manifest %+v: want an OCI config and one gzipped OCI layer", m)
	}
	c, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if c.OS != "linux" || c.Architecture != runtime.GOARCH || c.RootFS.Type != "layers" || len(c.RootFS.DiffIDs) != 1 ||
		!slices.Equal(c.Config.Entrypoint, cfg.Entrypoint) || !slices.Equal(c.Config.Env, cfg.Env) ||
		c.Config.WorkingDir != "/" || c.Config.User != "10001" || c.Config.Labels["v"] != "1" {
		t.Errorf("image config %+v: want linux/%s, one layer, and the config pushed %+v", c, runtime.GOARCH, cfg)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got := tarEntries(t, rc); !slices.Equal(got, []string{"pause = x 0755"}) {
		t.Errorf("layer entries %q, want the pause program", got)
	}

	if again, err := PushImage(t.Context(), host, "slipway/pause", "1", files, cfg); err != nil || again != ref {
		t.Errorf("the same image again: ref %s (err %v), want %s", again, err, ref)
	}
	cfg.Labels = map[string]string{"v": "2"}
	other, err := PushImage(t.Context(), host, "slipway/pause", "2", files, cfg)
	if err != nil || other == ref {
		t.Errorf("another label: ref %s (err %v), want a digest other than %s", other, err, ref)
	}
	if _, err := PushImage(t.Context(), host, "nope", "1", []ImageFile{{Path: "/x", Mode: fs.ModeDevice}}, cfg); err == nil || !strings.Contains(err.Error(), "push "+host+"/nope:1") {
		t.Errorf("bad file: err %v, want it to name the push", err)
	}
	if _, err := PushImage(t.Context(), "127.0.0.1:1", "nope", "1", files, cfg); err == nil || !strings.Contains(err.Error(), "push 127.0.0.1:1/nope:1") {
		t.Errorf("no registry: err %v, want it to name the push", err)
	}
}

func TestRealNodeConfigs(t *testing.T) {
	l := layout{dir: "/state"}
	rn := &realNodeState{Registry: "localhost:5000", RegistryPort: 5000, KubeletPort: 2001, KubeletHealthzPort: 2002, ProxyHealthzPort: 2003, ProxyMetricsPort: 2004}
	toml := containerdConfig(l, "/usr/lib/cni", rn.Registry)
	for _, want := range []string{
		`root = "/state/node/containerd/root"`,
		`state = "/state/node/containerd/state"`,
		`address = "/state/node/containerd/containerd.sock"`,
		`sandbox_image = "localhost:5000/slipway/pause:1"`,
		"enable_unprivileged_ports = false", "enable_unprivileged_icmp = false",
		"restrict_oom_score_adj = true", "disable_apparmor = true", "netns_mounts_under_state_dir = true",
		`Root = "/state/node/containerd/runc"`,
		`bin_dir = "/usr/lib/cni"`, `conf_dir = "/state/node/cni/net.d"`,
		`[plugins."io.containerd.grpc.v1.cri".registry.mirrors."localhost:5000"]`,
		`endpoint = ["http://localhost:5000"]`,
	} {
		if !strings.Contains(toml, want) {
			t.Errorf("containerd's config lacks %s:\n%s", want, toml)
		}
	}

	kc, err := kubeletConfig(l, rn)
	if err != nil {
		t.Fatal(err)
	}
	var k map[string]any
	if err := json.Unmarshal(kc, &k); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{
		"cgroupDriver": "cgroupfs", "failCgroupV1": false, "failSwapOn": false, "cgroupsPerQOS": false,
		"address": "10.85.0.1", "port": float64(2001), "healthzBindAddress": "127.0.0.1", "readOnlyPort": float64(0),
		"containerRuntimeEndpoint": "unix:///state/node/containerd/containerd.sock", "podLogsDir": "/state/node/pod-logs",
	} {
		if k[key] != want {
			t.Errorf("kubelet config %s = %v, want %v", key, k[key], want)
		}
	}
	if v, ok := k["enforceNodeAllocatable"].([]any); !ok || len(v) != 0 {
		t.Errorf("kubelet config enforceNodeAllocatable = %v, want []", k["enforceNodeAllocatable"])
	}

	conf, err := cniConfList(l)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Name    string
		Plugins []struct {
			Type   string
			Bridge string
			IPAM   struct{ DataDir string } `json:"ipam"`
		}
	}
	if err := json.Unmarshal(conf, &c); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, p := range c.Plugins {
		types = append(types, p.Type)
	}
	if c.Name != cniNetworkName || !slices.Equal(types, []string{"bridge", "portmap", "firewall"}) ||
		c.Plugins[0].Bridge != realNodeBridge || c.Plugins[0].IPAM.DataDir != "/state/node/cni/ipam" {
		t.Errorf("CNI conflist:\n%s", conf)
	}

	for component, want := range map[string][]string{
		Registry:   {"-addr=127.0.0.1:5000", "-blobs=/state/node/registry"},
		Containerd: {"--config=/state/node/containerd/config.toml"},
		Kubelet:    {"--node-ip=10.85.0.1", "--hostname-override=real-node", "--root-dir=/state/node/kubelet"},
		KubeProxy:  {"--proxy-mode=iptables", "--healthz-bind-address=127.0.0.1:2003", "--metrics-bind-address=127.0.0.1:2004", "--nodeport-addresses=10.85.0.0/24"},
	} {
		got := realNodeArgs(component, l, rn)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s args lack %q; got %q", component, w, got)
			}
		}
		for _, a := range got {
			if strings.Contains(a, "0.0.0.0") {
				t.Errorf("%s listens on every address: %q", component, a)
			}
		}
	}
}

func TestPrerequisiteError(t *testing.T) {
	if h := (&PrerequisiteError{Missing: []string{"root (…)"}}).Hint(); h != "" {
		t.Errorf("only root missing, yet the hint says to install packages: %q", h)
	}
	err := error(&PrerequisiteError{Missing: []string{"root (…)", "runc (Debian's docker.io brings containerd 1.6 and runc)"}, Packages: true})
	if msg := err.Error(); !strings.Contains(msg, "root (…); runc") || strings.Contains(msg, "apt-get") {
		t.Errorf("message %q: want the missing things, and no install command", msg)
	}
	var h interface{ Hint() string }
	if !errors.As(err, &h) || !strings.Contains(h.Hint(), "apt-get install docker.io containernetworking-plugins") {
		t.Errorf("no hint with the packages to install in %v", err)
	}
	var pe *PrerequisiteError
	if !errors.As(err, &pe) {
		t.Error("not a *PrerequisiteError")
	}
}

func TestRealNodeTakenError(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &RealNodeTakenError{Bridge: "slipway0", Owner: "/tmp/other"})
	if !errors.Is(err, ErrRealNodeTaken) {
		t.Errorf("%v does not match ErrRealNodeTaken", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "/tmp/other") || strings.Contains(msg, "slipway sandbox") {
		t.Errorf("message %q: want the owner, and no command", msg)
	}
	if msg := (&RealNodeTakenError{Bridge: "slipway0"}).Error(); !strings.Contains(msg, "bridge slipway0 exists") {
		t.Errorf("message without owner %q", msg)
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/state/node/a`:         "/state/node/a",
		`/tmp/with\040space/x`:  "/tmp/with space/x",
		`/tmp/back\134slash`:    `/tmp/back\slash`,
		`/tmp/trailing\04`:      `/tmp/trailing\04`,
		`/tmp/not\999an-escape`: `/tmp/not\999an-escape`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}
