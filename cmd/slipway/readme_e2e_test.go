package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// TestReadmeQuickStart runs the README's "A cluster without a cloud" commands as written (the
// sandbox in a state directory of the test's own): a newcomer starts the cluster and deploys a
// sample with one more command.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: not with -short")
	}
	root := e2e.ModuleRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "### A cluster without a cloud")
	if !ok {
		t.Fatal("README has no section \"A cluster without a cloud\"")
	}
	_, after, _ = strings.Cut(after, "```sh\n")
	block, _, _ := strings.Cut(after, "```")

	cache := e2e.SandboxBinaries(t, io.Discard)
	bin := e2e.Slipway(t)
	state := filepath.Join(t.TempDir(), "sandbox")
	env := append(os.Environ(), "SLIPWAY_CACHE="+cache, "NO_COLOR=1")
	run := func(args ...string) string {
		t.Helper()
		if args[0] == "sandbox" {
			args = append(args, "--state-dir", state)
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = root, env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("README: slipway %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String()
	}
	t.Cleanup(func() {
		cmd := exec.Command(bin, "sandbox", "down", "--state-dir", state)
		cmd.Env = env
		_ = cmd.Run()
	})
	var ran []string
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if line == `eval "$(bin/slipway sandbox env)"` {
			for _, l := range strings.Split(run("sandbox", "env"), "\n") {
				if kv, ok := strings.CutPrefix(l, "export "); ok {
					k, v, _ := strings.Cut(kv, "=")
					env = append(env, k+"="+strings.Trim(v, `'"`))
				}
			}
			ran = append(ran, "eval")
			continue
		}
		f := strings.Fields(line)
		if f[0] != "bin/slipway" {
			t.Fatalf("README quick start has a line this test does not know how to run: %q", line)
		}
		out := run(f[1:]...)
		ran = append(ran, strings.Join(f[1:], " "))
		if strings.Contains(line, " ps") && !strings.Contains(out, "web") {
			t.Errorf("README: slipway %s shows no web:\n%s", strings.Join(f[1:], " "), out)
		}
	}
	if len(ran) < 4 || !strings.Contains(strings.Join(ran, "\n"), "deploy --image") {
		t.Errorf("the quick start should start the sandbox and deploy a sample; ran %q", ran)
	}
}
