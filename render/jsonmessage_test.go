package render

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/slipwayhq/slipway/platform/build"
	"github.com/slipwayhq/slipway/platform/progress"
)

// A classic build's output and a push's, as an engine sends them: step lines, a download
// with progress (ADD of a URL), layers that are prepared, wait, push with progress of each
// kind, and end.
const (
	classicOutput = `{"stream":"Step 1/3 : FROM busybox:1.36\n"}
{"stream":" ---\u003e 3f57d9401f8d\n"}
{"stream":"Step 2/3 : ADD https://example.com/a.tgz /a.tgz\n"}
{"status":"Downloading","progressDetail":{"current":100,"total":1000},"progress":"[====\u003e     ]     100B/1kB","id":"a.tgz"}
{"status":"Downloading","progressDetail":{"current":1000,"total":1000},"progress":"[==========\u003e]     1kB/1kB","id":"a.tgz"}
{"status":"Download complete","progressDetail":{},"id":"a.tgz"}
{"stream":" ---\u003e 5b3c\n"}
{"stream":"Step 3/3 : RUN echo hi\n"}
{"stream":" ---\u003e Running in 1a2b3c\n"}
{"stream":"hi\n"}
{"stream":"Removing intermediate container 1a2b3c\n"}
{"stream":" ---\u003e 9d8e\n"}
{"aux":{"ID":"sha256:9d8e"}}
{"stream":"Successfully built 9d8e\n"}
{"stream":"Successfully tagged localhost:5000/app:v1\n"}
`
	pushOutput = `{"status":"The push refers to repository [localhost:5000/app]"}
{"status":"Preparing","progressDetail":{},"id":"a1a1"}
{"status":"Preparing","progressDetail":{},"id":"b2b2"}
{"status":"Waiting","progressDetail":{},"id":"b2b2"}
{"status":"Pushing","progressDetail":{"current":512,"total":2048},"progress":"[===\u003e   ]     512B/2.048kB","id":"a1a1"}
{"status":"Pushing","progressDetail":{"current":3000000},"progress":"  3.0MB","id":"b2b2"}
{"status":"Pushing","progressDetail":{"current":5,"total":10,"units":"layers"},"id":"b2b2"}
{"status":"Pushing","progressDetail":{"current":15,"total":10,"units":"layers"},"id":"b2b2"}
{"status":"Pushing","progressDetail":{"current":2049,"total":2048},"id":"a1a1"}
{"status":"Pushing","progressDetail":{"current":5,"total":10,"hidecounts":true},"id":"b2b2"}
{"status":"Pushed","progressDetail":{},"id":"a1a1"}
{"status":"Layer already exists","progressDetail":{},"id":"b2b2"}
{"status":"v1: digest: sha256:d1 size: 527"}
{"progressDetail":{},"aux":{"Tag":"v1","Digest":"sha256:d1","Size":527}}
`
	failedPush = `{"status":"The push refers to repository [localhost:5000/app]"}
{"status":"Preparing","progressDetail":{},"id":"a1a1"}
{"status":"Pushing","progressDetail":{"current":512,"total":2048},"id":"a1a1"}
{"errorDetail":{"message":"denied: requested access to the resource is denied"},"error":"denied: requested access to the resource is denied"}
{"status":"never shown"}
`
)

// docker is what docker's own display (DisplayJSONMessagesStream) writes for each stream,
// one after the other, on a terminal 200 columns wide or off one.
func docker(t *testing.T, terminal bool, streams ...string) string {
	t.Helper()
	// A pipe is no terminal: docker's width is then its default, 200 columns.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var out bytes.Buffer
	for _, s := range streams {
		_ = jsonmessage.DisplayJSONMessagesStream(strings.NewReader(s), &out, r.Fd(), terminal, func(jsonmessage.JSONMessage) {})
	}
	return out.String()
}

// TestEngineMessagesAsDocker: the classic builder's and a push's messages, decoded by
// platform/build and rendered here, are byte for byte what docker's display makes of the
// engine's output, on a terminal and off one.
func TestEngineMessagesAsDocker(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		name := "plain"
		if terminal {
			name = "terminal"
		}
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			res, err := engineBuild(t, build.BackendClassic, []byte(classicOutput), []byte(pushOutput), Build(&out, BuildOptions{Terminal: terminal}))
			if err != nil || res.ID != "sha256:9d8e" || res.Image.Digest != "sha256:d1" {
				t.Fatalf("build: %+v, %v", res, err)
			}
			want := docker(t, terminal, classicOutput, pushOutput)
			if terminal != strings.Contains(want, "\x1b[1A") || !strings.Contains(want, "b2b2: Layer already exists") {
				t.Fatalf("docker's output: want layers updated in place only on a terminal:\n%q", want)
			}
			if out.String() != want {
				t.Errorf("got:\n%q\nwant (docker's):\n%q", out.String(), want)
			}

			out.Reset()
			_, err = engineBuild(t, build.BackendClassic, []byte(classicOutput), []byte(failedPush), Build(&out, BuildOptions{Terminal: terminal}))
			if err == nil || !strings.Contains(err.Error(), "requested access to the resource is denied") {
				t.Fatalf("want the registry's error, got %v", err)
			}
			if want := docker(t, terminal, classicOutput, failedPush); out.String() != want {
				t.Errorf("failed push: got:\n%q\nwant (docker's):\n%q", out.String(), want)
			}
		})
	}
}

// TestProgressBar renders transfers as docker does on terminals of each width: a bar only
// wider than 110 columns, the time left only wider than 50.
func TestProgressBar(t *testing.T) {
	now := time.Unix(1000, 0)
	p := &progress.EngineProgress{Current: 250, Total: 1000, Start: 990}
	for width, want := range map[int]string{
		200: "[" + strings.Repeat("=", 12) + ">" + strings.Repeat(" ", 38) + "]     250B/1kB 30s",
		80:  "    250B/1kB 30s",
		40:  "    250B/1kB",
	} {
		v := &messageView{width: func() int { return width }, now: func() time.Time { return now }}
		if got := v.progressBar(p); got != want {
			t.Errorf("width %d: %q, want %q", width, got, want)
		}
	}
}
