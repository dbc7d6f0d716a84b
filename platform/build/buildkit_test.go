package build

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/slipwayhq/slipway/platform/progress"
)

// The files under testdata/buildkit are a Docker Engine's output (20.10, API 1.41) for
// BuildKit builds through the API, recorded with curl: fail.jsonl is a build whose last step
// fails, ok.jsonl one that partly comes from the cache.
//
//	FROM busybox:1.36
//	RUN echo hello && sleep 1 && printf "no newline"
//	COPY a.txt /a.txt
//	RUN echo about to fail && echo to stderr >&2 && exit 3   (fail.jsonl only)
//
// What Slipway shows for them is tested in package render (render/testdata/buildkit).

func recorded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "buildkit", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// events collects what a Builder sends.
type events []progress.Event

func (es *events) add(e progress.Event) { *es = append(*es, e) }

// messages are the events' plain Messages, with their status.
func (es events) messages() []string {
	var out []string
	for _, e := range es {
		if e.Build == nil {
			out = append(out, e.Status.String()+" "+e.Message)
		}
	}
	return out
}

// TestReadBuildKit decodes recorded builds into BuildKit's status updates and a message per
// step, and returns the image ID or the failing step.
func TestReadBuildKit(t *testing.T) {
	t.Run("fail", func(t *testing.T) {
		var es events
		b := &Builder{Progress: es.add}
		_, err := b.readBuildKit(bytes.NewReader(recorded(t, "fail.jsonl")))
		var se *StepError
		if !errors.As(err, &se) {
			t.Fatalf("want a *StepError, got %v", err)
		}
		if want := "[4/4] RUN echo about to fail && echo to stderr >&2 && exit 3"; se.Step != want {
			t.Errorf("the failing step is %q, want %q", se.Step, want)
		}
		if !strings.Contains(se.Message, "exit code: 3") {
			t.Errorf("the error should be the engine's, with the exit code: %q", se.Message)
		}
		var logs []string
		for _, e := range es {
			if e.Phase != progress.Build || e.Time.IsZero() {
				t.Errorf("event %+v: want phase build, stamped", e)
			}
			if e.Build != nil {
				if e.Build.Solve == nil || !e.Build.BuildKit || e.Message != "" {
					t.Errorf("want BuildKit status updates only: %+v", e.Build)
					continue
				}
				for _, l := range e.Build.Solve.Logs {
					logs = append(logs, string(l.Data))
				}
			}
		}
		if got := strings.Join(logs, ""); got != "hello\nno newlineabout to fail\nto stderr\n" {
			t.Errorf("the steps' output: %q", got)
		}
		want := []string{
			"running [internal] load remote build context",
			"done [internal] load remote build context",
			"running copy /context /",
			"done copy /context /",
			"running [internal] load metadata for docker.io/library/busybox:1.36",
			"done [internal] load metadata for docker.io/library/busybox:1.36",
			"done [1/4] FROM docker.io/library/busybox:1.36 (cached)",
			"running [2/4] RUN echo hello && sleep 1 && printf \"no newline\"",
			"done [2/4] RUN echo hello && sleep 1 && printf \"no newline\"",
			"running [3/4] COPY a.txt /a.txt",
			"done [3/4] COPY a.txt /a.txt",
			"running [4/4] RUN echo about to fail && echo to stderr >&2 && exit 3",
			"failed [4/4] RUN echo about to fail && echo to stderr >&2 && exit 3: executor failed running [/bin/sh -c echo about to fail && echo to stderr >&2 && exit 3]: exit code: 3",
		}
		if got := es.messages(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("step messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("ok", func(t *testing.T) {
		var es events
		b := &Builder{Progress: es.add}
		id, err := b.readBuildKit(bytes.NewReader(recorded(t, "ok.jsonl")))
		if err != nil {
			t.Fatal(err)
		}
		if want := "sha256:598d90a7738248c5ced2024ae54be7f237b614eeaf9da3f1c68ffff561bd86bb"; id != want {
			t.Errorf("image ID %q, want %q", id, want)
		}
		for _, m := range es.messages() {
			if strings.HasPrefix(m, "failed") {
				t.Errorf("a build that works has no failed step: %s", m)
			}
		}
	})
	t.Run("truncated", func(t *testing.T) {
		data := recorded(t, "ok.jsonl")
		cut := data[:bytes.Index(data, []byte(`"moby.image.id"`))]
		_, err := (&Builder{}).readBuildKit(bytes.NewReader(cut))
		if err == nil || !strings.Contains(err.Error(), "read the engine's output") {
			t.Errorf("a stream cut short should be an error reading it, got %v", err)
		}
		_, err = (&Builder{}).readBuildKit(strings.NewReader(""))
		if err == nil || !strings.Contains(err.Error(), "no image ID") {
			t.Errorf("an empty stream should say no image came, got %v", err)
		}
	})
}

// TestReadClassic passes the classic builder's messages on and names the step that failed.
func TestReadClassic(t *testing.T) {
	stream := `{"stream":"Step 1/3 : FROM busybox:1.36\n"}
{"stream":" ---\u003e 3f57d9401f8d\n"}
{"stream":"Step 2/3 : RUN echo fine\n"}
{"stream":" ---\u003e Running in 1a2b\n"}
{"stream":"fine\n"}
{"aux":{"ID":"sha256:intermediate"}}
{"stream":"Step 3/3 : RUN exit 3\n"}
{"errorDetail":{"code":3,"message":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},"error":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"}
{"stream":"never read\n"}
`
	var es events
	b := &Builder{Progress: es.add}
	_, err := b.readClassic(strings.NewReader(stream))
	var se *StepError
	if !errors.As(err, &se) || se.Step != "Step 3/3 : RUN exit 3" || se.Message != "The command '/bin/sh -c exit 3' returned a non-zero code: 3" {
		t.Fatalf("want the failing step and the engine's message, got %v", err)
	}
	var text []string
	for _, e := range es {
		if e.Build != nil {
			if e.Build.Message == nil || e.Build.BuildKit {
				t.Fatalf("want the engine's messages: %+v", e.Build)
			}
			text = append(text, e.Build.Message.Stream)
			if m := e.Build.Message; m.Error != nil && (m.Error.Code != 3 || !strings.Contains(m.Error.Message, "non-zero code: 3")) {
				t.Errorf("error message: %+v", m.Error)
			}
		}
	}
	if got := strings.Join(text, ""); got != "Step 1/3 : FROM busybox:1.36\n ---> 3f57d9401f8d\nStep 2/3 : RUN echo fine\n ---> Running in 1a2b\nfine\nStep 3/3 : RUN exit 3\n" {
		t.Errorf("the messages passed on (no aux data, nothing after the error): %q", got)
	}
	want := []string{"running Step 1/3 : FROM busybox:1.36", "running Step 2/3 : RUN echo fine", "running Step 3/3 : RUN exit 3",
		"failed build failed at Step 3/3 : RUN exit 3: The command '/bin/sh -c exit 3' returned a non-zero code: 3"}
	if got := es.messages(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("step messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	id, err := b.readClassic(strings.NewReader(`{"stream":"Step 1/1 : FROM busybox\n"}` + "\n" + `{"aux":{"ID":"sha256:abc"}}` + "\n" + `{"stream":"Successfully built abc\n"}`))
	if err != nil || id != "sha256:abc" {
		t.Errorf("image ID %q, %v", id, err)
	}
	if _, err := b.readClassic(strings.NewReader(`{"stream":`)); err == nil || errors.As(err, &se) {
		t.Errorf("a stream cut short: want an error that is no step's, got %v", err)
	}
}

// TestReadPush passes a push's messages on, progress included, and returns its digest.
func TestReadPush(t *testing.T) {
	stream := `{"status":"The push refers to repository [localhost:5000/x]"}
{"status":"Preparing","progressDetail":{},"id":"aaa"}
{"status":"Pushing","progressDetail":{"current":512,"total":1024},"progress":"[=====>     ]     512B/1.024kB","id":"aaa"}
{"status":"Pushed","progressDetail":{},"id":"aaa"}
{"status":"v1: digest: sha256:d1 size: 527"}
{"progressDetail":{},"aux":{"Tag":"v1","Digest":"sha256:d1","Size":527}}
`
	var es events
	b := &Builder{Progress: es.add}
	digest, err := b.readPush(strings.NewReader(stream))
	if err != nil || digest != "sha256:d1" {
		t.Fatalf("digest %q, %v", digest, err)
	}
	var n int
	for _, e := range es {
		if e.Phase != progress.Push || e.Build == nil || e.Build.Message == nil {
			t.Fatalf("want the push's messages: %+v", e)
		}
		if m := e.Build.Message; m.Status == "Pushing" {
			n++
			if m.ID != "aaa" || m.Progress == nil || m.Progress.Current != 512 || m.Progress.Total != 1024 || !strings.HasPrefix(m.ProgressText, "[=====>") {
				t.Errorf("progress message: %+v %+v", m, m.Progress)
			}
		}
	}
	if len(es) != 5 || n != 1 {
		t.Errorf("want 5 messages, one with progress, got %d", len(es))
	}
	_, err = b.readPush(strings.NewReader(`{"errorDetail":{"message":"denied: no"},"error":"denied: no"}`))
	if err == nil || err.Error() != "denied: no" {
		t.Errorf("want the registry's error, got %v", err)
	}
	_, err = b.readPush(strings.NewReader(`{"status":"done"}`))
	if err == nil || !strings.Contains(err.Error(), "no digest") {
		t.Errorf("want no digest to be an error, got %v", err)
	}
}

// TestDecodeStatus decodes every field Slipway reads, skips those it does not know, and
// refuses malformed input.
func TestDecodeStatus(t *testing.T) {
	ts := func(sec, nsec int64) []byte {
		var b []byte
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(sec))
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(nsec))
	}
	str := func(b []byte, num protowire.Number, s string) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendString(b, s)
	}
	msg := func(b []byte, num protowire.Number, m []byte) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, m)
	}
	varint := func(b []byte, num protowire.Number, v uint64) []byte {
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, v)
	}
	var vtx []byte
	vtx = str(vtx, 1, "sha256:aa")
	vtx = str(vtx, 2, "sha256:bb")
	vtx = str(vtx, 3, "[build 3/4] RUN go build")
	vtx = varint(vtx, 4, 1)
	vtx = msg(vtx, 5, ts(100, 5))
	vtx = msg(vtx, 6, nil) // present and empty: the epoch
	vtx = str(vtx, 7, "exit code: 1")
	vtx = msg(vtx, 8, []byte{0x0a, 0x01, 'x'}) // progressGroup: skipped
	vtx = protowire.AppendTag(vtx, 99, protowire.Fixed32Type)
	vtx = protowire.AppendFixed32(vtx, 7) // unknown: skipped
	var st []byte
	st = str(st, 1, "transferring")
	st = str(st, 2, "sha256:aa")
	st = varint(st, 4, 10)
	st = varint(st, 5, 20)
	st = msg(st, 6, ts(101, 0))
	st = msg(st, 8, ts(102, 0))
	var lg []byte
	lg = str(lg, 1, "sha256:aa")
	lg = msg(lg, 2, ts(101, 500))
	lg = varint(lg, 3, 2)
	lg = msg(lg, 4, []byte("hello\n"))
	var wr []byte
	wr = str(wr, 1, "sha256:aa")
	wr = varint(wr, 2, 1)
	wr = msg(wr, 3, []byte("FromAsCasing"))
	wr = msg(wr, 4, []byte("detail"))
	wr = str(wr, 5, "https://example.com")
	var resp []byte
	resp = msg(resp, 1, vtx)
	resp = msg(resp, 2, st)
	resp = msg(resp, 3, lg)
	resp = msg(resp, 4, wr)

	s, err := decodeStatus(resp)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Vertexes) != 1 || len(s.Statuses) != 1 || len(s.Logs) != 1 || len(s.Warnings) != 1 {
		t.Fatalf("want one of each message, got %+v", s)
	}
	v := s.Vertexes[0]
	if v.Digest != "sha256:aa" || len(v.Inputs) != 1 || v.Inputs[0] != "sha256:bb" || v.Name != "[build 3/4] RUN go build" || !v.Cached || v.Error != "exit code: 1" {
		t.Errorf("vertex: %+v", v)
	}
	if v.Started == nil || !v.Started.Equal(time.Unix(100, 5)) || v.Completed == nil || !v.Completed.Equal(time.Unix(0, 0)) {
		t.Errorf("vertex times: started %v, completed %v", v.Started, v.Completed)
	}
	if x := s.Statuses[0]; x.ID != "transferring" || x.Vertex != "sha256:aa" || x.Current != 10 || x.Total != 20 || !x.Timestamp.Equal(time.Unix(101, 0)) || x.Started != nil || x.Completed == nil {
		t.Errorf("status: %+v", x)
	}
	if l := s.Logs[0]; l.Vertex != "sha256:aa" || l.Stream != 2 || string(l.Data) != "hello\n" || !l.Timestamp.Equal(time.Unix(101, 500)) {
		t.Errorf("log: %+v", l)
	}
	if w := s.Warnings[0]; w.Vertex != "sha256:aa" || string(w.Short) != "FromAsCasing" || len(w.Detail) != 1 || w.URL != "https://example.com" || w.Level != 1 {
		t.Errorf("warning: %+v", w)
	}

	for name, bad := range map[string][]byte{
		"truncated":      resp[:len(resp)-3],
		"bad tag":        {0xff},
		"bad inner time": msg(nil, 1, msg(nil, 5, []byte{0x08})),
	} {
		if _, err := decodeStatus(bad); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestBackend(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    Backend
		wantErr bool
	}{
		{"", BackendAuto, false},
		{"1", BackendBuildKit, false},
		{"true", BackendBuildKit, false},
		{"0", BackendClassic, false},
		{"false", BackendClassic, false},
		{"yes", BackendAuto, true},
	} {
		got, err := BackendFromEnv(func(k string) string {
			if k == "DOCKER_BUILDKIT" {
				return tc.env
			}
			return ""
		})
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("DOCKER_BUILDKIT=%q: got %v, %v; want %v (error %v)", tc.env, got, err, tc.want, tc.wantErr)
		}
	}

	linux := types.Ping{APIVersion: "1.41", OSType: "linux"}
	old := types.Ping{APIVersion: "1.38", OSType: "linux"}
	windows := types.Ping{APIVersion: "1.44", OSType: "windows"}
	windowsBK := types.Ping{APIVersion: "1.44", OSType: "windows", BuilderVersion: "2"}
	for _, tc := range []struct {
		name    string
		want    Backend
		ping    types.Ping
		got     Backend
		wantErr bool
	}{
		{"auto on Linux", BackendAuto, linux, BackendBuildKit, false},
		{"auto on an old engine", BackendAuto, old, BackendClassic, false},
		{"auto on Windows", BackendAuto, windows, BackendClassic, false},
		{"auto where Windows offers BuildKit", BackendAuto, windowsBK, BackendBuildKit, false},
		{"classic asked", BackendClassic, linux, BackendClassic, false},
		{"BuildKit asked", BackendBuildKit, linux, BackendBuildKit, false},
		{"BuildKit asked of an old engine", BackendBuildKit, old, 0, true},
	} {
		got, err := tc.want.choose(tc.ping)
		if got != tc.got || (err != nil) != tc.wantErr {
			t.Errorf("%s: got %v, %v; want %v (error %v)", tc.name, got, err, tc.got, tc.wantErr)
		}
	}
}
