package render

import (
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/platform/progress"
)

// TestEvents: how the CLI and the git server word the events that are not a build's own
// output, one line each: notes about the build (which Dockerfile, the context) as "note:"
// lines, the detection line with the front end's suffix, warnings through Warn.
func TestEvents(t *testing.T) {
	for _, tc := range []struct {
		name  string
		event progress.Event
		want  string
	}{
		{
			name:  "a note about the Dockerfile",
			event: progress.Event{Phase: progress.Prepare, Message: "Dockerfile not used: no heroku.yml build.docker: Heroku builds this app with buildpacks; Slipway generates one"},
			want:  "note: Dockerfile not used: no heroku.yml build.docker: Heroku builds this app with buildpacks; Slipway generates one\n",
		},
		{
			name:  "the detection line, with the suffix",
			event: progress.Event{Phase: progress.Detect, Message: "generated Dockerfile: building for Go 1.25 (go.mod found → Go)"},
			want:  "generated Dockerfile: building for Go 1.25 (go.mod found → Go); see it\n",
		},
		{
			name:  "a warning",
			event: progress.Event{Phase: progress.Detect, Status: progress.Warning, Message: "no lockfile"},
			want:  "warning: no lockfile\n",
		},
		{
			name:  "a build step's start is left to the build's output",
			event: progress.Event{Phase: progress.Build, Status: progress.Running, Message: "building"},
		},
		{
			name:  "the build's outcome",
			event: progress.Event{Phase: progress.Build, Message: "built shop:abc"},
			want:  "built shop:abc\n",
		},
		{
			name:  "no message",
			event: progress.Event{Phase: progress.Prepare},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			Events(&b, EventOptions{DetectSuffix: "; see it"})(tc.event)
			if b.String() != tc.want {
				t.Errorf("got %q, want %q", b.String(), tc.want)
			}
		})
	}
}
