package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/platform/release"
)

func TestPrintChange(t *testing.T) {
	a, b := "localhost:5000/life@"+digest('a'), "localhost:5000/life@"+digest('b')
	cases := []struct {
		name     string
		c        release.Change
		rollback bool
		want     string
	}{
		{"everything", release.Change{ImageFrom: a, ImageTo: b, VersionFrom: "aaaaaaa1234", VersionTo: "bbbbbbb5678",
			TypesAdded: []string{"worker"}, TypesRemoved: []string{"clock"},
			ConfigAdded: []string{"FOO"}, ConfigChanged: []string{"GREETING"}, ConfigRemoved: []string{"OLD", "OLDER"}, NewRelease: true}, false, `
  image  localhost:5000/life@sha256:aaaaaaaaaaaa… → …@sha256:bbbbbbbbbbbb…
  source aaaaaaa → bbbbbbb
  process types added: worker; removed: clock
  config added: FOO; changed: GREETING; removed: OLD, OLDER
`},
		{"into an empty environment", release.Change{ImageTo: b, VersionTo: "bbbbbbb5678", TypesAdded: []string{"web"}, ConfigAdded: []string{"GREETING"}, NewRelease: true}, false, `
  image  localhost:5000/life@sha256:bbbbbbbbbbbb…
  source bbbbbbb
  process types added: web
  config added: GREETING
`},
		{"copied into another registry", release.Change{ImageFrom: "reg.prod/life@" + digest('a'), ImageTo: "reg.prod/life@" + digest('b'), CopyTo: "reg.prod/life", NewRelease: true}, false, `
  image  reg.prod/life@sha256:aaaaaaaaaaaa… → …@sha256:bbbbbbbbbbbb…
  (copied into reg.prod/life first)
`},
		{"another repository, a tag", release.Change{ImageFrom: "reg/life:v1", ImageTo: b, ConfigChanged: []string{"A"}, NewRelease: true}, false, `
  image  reg/life:v1 → localhost:5000/life@sha256:bbbbbbbbbbbb…
  config changed: A
`},
		{"nothing", release.Change{ImageFrom: a, ImageTo: a, Unchanged: true}, false, `
  nothing would change
`},
		{"other settings", release.Change{ImageFrom: a, ImageTo: a, VersionFrom: "x", VersionTo: "x", Unchanged: true, NewRelease: true}, false, `
  image  localhost:5000/life@sha256:aaaaaaaaaaaa… (unchanged)
  source x (unchanged)
  image, process types and config stay as they are; other settings differ, so a release would be made
`},
		{"a rollback to the same", release.Change{ImageFrom: a, ImageTo: a, Unchanged: true, NewRelease: true}, true, `
  image  localhost:5000/life@sha256:aaaaaaaaaaaa… (unchanged)
  image, process types and config stay as they are (a release is made all the same)
`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			printChange(&b, "Heading:", &tc.c, tc.rollback)
			if want := "Heading:" + tc.want; b.String() != want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
			}
		})
	}
}

func TestChangeJSON(t *testing.T) {
	c := &release.Change{From: &release.Release{Revision: 2, Status: "deployed"}, Source: &release.Release{Revision: 4, Status: "deployed", Version: "bbbbbbb5678"},
		ImageFrom: "a", ImageTo: "b", ConfigChanged: []string{"GREETING"}, NewRelease: true}
	b, err := json.Marshal(jsonChange("promote", "life", "production", "staging", c))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"operation":"promote"`, `"environment":"production"`, `"from":{"environment":"production","version":2,"status":"deployed"`,
		`"source":{"environment":"staging","version":4,"status":"deployed","description":"","image":"","source":"bbbbbbb5678"`,
		`"image":{"from":"a","to":"b"}`, `"types":{"added":[],"removed":[]}`, `"config":{"added":[],"removed":[],"changed":["GREETING"]}`, `"unchanged":false`, `"release":true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		if m, ok := v.(map[string]any); ok {
			for k, sub := range m {
				if k != strings.ToLower(k) {
					t.Errorf("key %q is not lowercase", k)
				}
				walk(sub)
			}
		}
	}
	walk(v)
}
