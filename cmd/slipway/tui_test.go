package main

import (
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
)

// TestDashboardColours checks that a terminal without colours, and a user who asked for
// none, get attributes without colours (Ascii: the selected row is reverse video), never
// NoTTY, which would drop them.
func TestDashboardColours(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		noColor bool
		want    colorprofile.Profile
	}{
		{name: "dumb terminal", env: map[string]string{"TERM": "dumb"}, want: colorprofile.ASCII},
		{name: "NO_COLOR", env: map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, want: colorprofile.ASCII},
		{name: "--no-color", env: map[string]string{"TERM": "xterm-256color"}, noColor: true, want: colorprofile.ASCII},
		{name: "dumb terminal and NO_COLOR", env: map[string]string{"TERM": "dumb", "NO_COLOR": "1"}, want: colorprofile.ASCII},
		{name: "xterm-256color", env: map[string]string{"TERM": "xterm-256color"}, want: colorprofile.ANSI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := &globals{noColor: tc.noColor, streams: &Streams{Getenv: func(k string) string { return tc.env[k] }}}
			got := dashboardColours(g)
			if got != tc.want {
				t.Errorf("dashboardColours = %v, want %v", got, tc.want)
			}
			// Whatever the profile, the selected row's reverse video reaches the terminal.
			var b strings.Builder
			w := &colorprofile.Writer{Forward: &b, Profile: got}
			if _, err := w.WriteString("\x1b[7mselected\x1b[m"); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "\x1b[7m") {
				t.Errorf("profile %v writes a reversed row as %q: the selection would not show", got, b.String())
			}
		})
	}
}
