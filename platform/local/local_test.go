package local

import (
	"strings"
	"testing"
)

func TestSetEnv(t *testing.T) {
	got := SetEnv([]string{"A=1", "PORT=9", "B=2=3", "PORT=8"}, "PORT", "5000", "DYNO", "web.1")
	want := "A=1 B=2=3 PORT=5000 DYNO=web.1"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
