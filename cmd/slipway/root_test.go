package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type hinted struct{ msg, hint string }

func (h hinted) Error() string { return h.msg }
func (h hinted) Hint() string  { return h.hint }

func TestHint(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("plain"), ""},
		{hinted{"x", "do y"}, "do y"},
		{fmt.Errorf("deploy: %w", hinted{"x", "do y"}), "do y"},
		{fmt.Errorf("outer: %w", fmt.Errorf("%w", hinted{"x", ""})), ""},
		{fmt.Errorf("a: %w", hinted{"x", ""}), ""},
		{usageError{fmt.Errorf("%w %w", hinted{"x", ""}, hinted{"z", "do z"})}, "do z"},
		{errors.Join(errors.New("a"), hinted{"b", "do b"}), "do b"},
	} {
		if got := hint(tc.err); got != tc.want {
			t.Errorf("hint(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestUsageExitCodes: a wrong command line, wherever cobra or slipway catches it, exits 2
// with where to read the usage; a failed command exits 1 and prints its hint under it.
func TestUsageExitCodes(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"frobnicate"}, 2, "error: unknown command \"frobnicate\" for \"slipway\"\nRun 'slipway --help' for usage.\n"},
		{[]string{"chart", "--nope"}, 2, "error: slipway chart: unknown flag: --nope\nRun 'slipway chart --help' for usage.\n"},
		{[]string{"scale", "--replicas", "x"}, 2, "error: slipway scale: unknown flag: --replicas\nRun 'slipway scale --help' for usage.\n"},
		{[]string{"ps", "x"}, 2, "error: slipway ps takes no arguments, got \"x\"\nRun 'slipway ps --help' for usage.\n"},
		{[]string{"completion", "bash", "x"}, 2, "error: unknown command \"x\" for \"slipway completion bash\"\nRun 'slipway completion bash --help' for usage.\n"},
		{[]string{"autoscale", "web", "--min", "x"}, 2, "error: slipway autoscale: invalid argument \"x\" for \"--min\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nRun 'slipway autoscale --help' for usage.\n"},
		{[]string{"scale", "web=x"}, 2, "error: scale \"web=x\": the count must be a whole number from 0 to 2147483647\nRun 'slipway scale --help' for usage.\n"},
		{[]string{"config", "set", "2FA=1"}, 2, "error: config set: \"2FA\" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)\nRun 'slipway config set --help' for usage.\n"},
		{[]string{"promote", "-o", "json"}, 2, "error: -o json: only --preview prints JSON or YAML\nRun 'slipway promote --help' for usage.\n"},
		{[]string{"rollback", "--dry-run", "-o", "xml"}, 2, "error: -o xml: expected table, json or yaml\nRun 'slipway rollback --help' for usage.\n"},
		{[]string{"sandbox", "stop", "kwok", "--state-dir", "none"}, 2, "error: sandbox stop: \"kwok\" is not a control-plane component of the sandbox: one of etcd, kube-apiserver, kube-controller-manager, kube-scheduler can be stopped and started\nRun 'slipway sandbox stop --help' for usage.\n"},
		{[]string{"sandbox", "start", "--state-dir", "none"}, 2, "error: slipway sandbox start takes one COMPONENT, got 0 arguments\nRun 'slipway sandbox start --help' for usage.\n"},
		{[]string{"sandbox", "start", "kube-apiserver", "--state-dir", "none"}, 1,
			"error: sandbox start: no sandbox has been started in " + filepath.Join(dir, "none") + "\n  hint: start one with 'slipway sandbox up'\n"},
		{[]string{"releases", "-a", "shop", "--kubeconfig", empty}, 1,
			"error: no Kubernetes cluster configured: kubeconfig " + empty + " is empty\n  hint: start a local cluster with 'slipway sandbox up' and run 'eval \"$(slipway sandbox env)\"'\n"},
	} {
		var out, errb bytes.Buffer
		s := &Streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
		code := Main(append([]string{"-C", dir}, tc.args...), s)
		if code != tc.code || errb.String() != tc.stderr || out.Len() != 0 {
			t.Errorf("slipway %s: exit %d, stdout %q, stderr\n%s\nwant exit %d, stderr\n%s", strings.Join(tc.args, " "), code, out.String(), errb.String(), tc.code, tc.stderr)
		}
	}
}
