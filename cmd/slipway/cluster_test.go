package main

import (
	"strings"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/platform/release"
)

func TestParseImage(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		ref  string
		want release.Image
		err  string
	}{
		{"localhost:5000/app", release.Image{Repository: "localhost:5000/app", Tag: "latest"}, ""},
		{"localhost:5000/app:v1", release.Image{Repository: "localhost:5000/app", Tag: "v1"}, ""},
		{"localhost:5000/app@" + d, release.Image{Repository: "localhost:5000/app", Digest: d}, ""},
		{"ghcr.io/org/app:v1@" + d, release.Image{Repository: "ghcr.io/org/app", Tag: "v1", Digest: d}, ""},
		{"app@sha256:abc", release.Image{}, "the digest must be sha256: and 64 lowercase hex digits"},
		{"app:", release.Image{}, "empty tag"},
		{"App:v1", release.Image{}, "lowercase repository"},
		{"", release.Image{}, "expected REPOSITORY"},
	}
	for _, tc := range cases {
		got, err := parseImage(tc.ref)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseImage(%q): error %v, want %q", tc.ref, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseImage(%q) = %+v, %v; want %+v", tc.ref, got, err, tc.want)
		}
	}
}

func TestAge(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45s", 12 * time.Minute: "12m", 3 * time.Hour: "3h", 5 * 24 * time.Hour: "5d", -time.Second: "0s",
	} {
		if got := age(now.Add(-d), now); got != want {
			t.Errorf("age(%s) = %s, want %s", d, got, want)
		}
	}
	if age(time.Time{}, now) != "-" {
		t.Errorf("zero time should print -")
	}
}
