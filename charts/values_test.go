package charts_test

import (
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/charts"
)

// TestConfigCheckSize: the bound is the API server's (keys and values, 1 MiB), and the
// refusal names the largest vars, never a value.
func TestConfigCheckSize(t *testing.T) {
	at := charts.ConfigValues{Data: map[string]string{"A": strings.Repeat("v", charts.MaxSecretSize-1)}}
	if err := at.CheckSize(); err != nil {
		t.Errorf("exactly 1 MiB refused: %v", err)
	}
	over := charts.ConfigValues{Data: map[string]string{"A": strings.Repeat("v", charts.MaxSecretSize), "B": "secretvalue"}}
	err := over.CheckSize()
	if err == nil {
		t.Fatal("1 MiB + 13 bytes accepted")
	}
	if !strings.Contains(err.Error(), "largest: A 1.00 MiB, B 12 bytes") || strings.Contains(err.Error(), "secretvalue") {
		t.Errorf("error: %v", err)
	}
}
