package local

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCopyLines feeds a pipe in pieces that split lines and checks that every line comes
// out whole, once, with its prefix; a line past MaxLine comes out in MaxLine pieces.
func TestCopyLines(t *testing.T) {
	var out bytes.Buffer
	m := newMux(&out, 6, false, func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })
	src := m.source("web.1", 0)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("z", MaxLine+10)
	go func() {
		for _, piece := range []string{"one\ntw", "o\n", "", "three", "\nfour\n", long, "\nlast, no newline"} {
			w.WriteString(piece)
			time.Sleep(time.Millisecond)
		}
		w.Close()
	}()
	src.copy(r)
	want := []string{"one", "two", "three", "four", long[:MaxLine], long[MaxLine:], "last, no newline"}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != "03:04:05 web.1  | "+want[i] {
			t.Errorf("line %d = %.40q…, want %.40q…", i, got[i], want[i])
		}
	}
}

func TestPrefixColour(t *testing.T) {
	var out bytes.Buffer
	m := newMux(&out, 5, true, func() time.Time { return time.Date(2026, 1, 2, 13, 4, 5, 0, time.UTC) })
	m.source("web.1", 1).say("hi")
	if got, want := out.String(), "\x1b[33m13:04:05 web.1 |\x1b[0m hi\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSetEnv(t *testing.T) {
	got := SetEnv([]string{"A=1", "PORT=9", "B=2=3", "PORT=8"}, "PORT", "5000", "DYNO", "web.1")
	want := "A=1 B=2=3 PORT=5000 DYNO=web.1"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
