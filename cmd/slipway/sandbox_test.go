package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/slipwayhq/slipway/platform/sandbox"
)

func TestSandboxHint(t *testing.T) {
	for _, c := range []struct {
		err  error
		hint string
	}{
		{&sandbox.RealNodeTakenError{Bridge: "slipway0", Owner: "/tmp/a b"}, "stop it with 'slipway sandbox down --state-dir '/tmp/a b''"},
		{&sandbox.RealNodeTakenError{Bridge: "slipway0"}, "stop that sandbox first, or delete the bridge with 'ip link del slipway0'"},
		{fmt.Errorf("%w in /x: etcd stopped", sandbox.ErrPartlyRunning), "run 'slipway sandbox down' first"},
		{sandbox.ErrRunsWithoutRealNode, "run 'slipway sandbox down' first, then 'slipway sandbox up --real-node'"},
		{errors.New("other"), ""},
	} {
		err := sandboxHint(fmt.Errorf("sandbox up: %w", c.err))
		var h interface{ Hint() string }
		got := ""
		if errors.As(err, &h) {
			got = h.Hint()
		}
		if got != c.hint || !errors.Is(err, c.err) {
			t.Errorf("sandboxHint(%v): hint %q, want %q (still matching the error: %v)", c.err, got, c.hint, errors.Is(err, c.err))
		}
	}
}
