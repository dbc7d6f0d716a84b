package main

import (
	"testing"
	"time"
)

func TestColourPrefix(t *testing.T) {
	now := time.Date(2026, 1, 2, 13, 4, 5, 0, time.UTC)
	if got, want := string(colourPrefix(nil, "web.1", 1, 5, now)), "\x1b[33m13:04:05 web.1 |\x1b[0m "; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := string(colourPrefix(nil, "system", -1, 6, now)), "\x1b[1m13:04:05 system |\x1b[0m "; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
