package build

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"google.golang.org/protobuf/encoding/protowire"
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
// The .plain files are what Slipway shows for them off a terminal (go test -update
// rewrites them).

func recorded(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "buildkit", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReadBuildKitPlain shows recorded builds as docker build's plain progress does, and
// returns the image ID or the failing step.
func TestReadBuildKitPlain(t *testing.T) {
	t.Run("fail", func(t *testing.T) {
		var out bytes.Buffer
		b := &Builder{Progress: &out}
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
		golden(t, filepath.Join("testdata", "buildkit", "fail.plain"), out.Bytes())
	})
	t.Run("ok", func(t *testing.T) {
		var out bytes.Buffer
		b := &Builder{Progress: &out}
		id, err := b.readBuildKit(bytes.NewReader(recorded(t, "ok.jsonl")))
		if err != nil {
			t.Fatal(err)
		}
		if want := "sha256:598d90a7738248c5ced2024ae54be7f237b614eeaf9da3f1c68ffff561bd86bb"; id != want {
			t.Errorf("image ID %q, want %q", id, want)
		}
		golden(t, filepath.Join("testdata", "buildkit", "ok.plain"), out.Bytes())
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

// TestLiveView draws the recorded builds as a terminal would show them: a line per step,
// the running step's last output lines, and at the end every step with its time.
func TestLiveView(t *testing.T) {
	var msgs []*status
	for _, line := range bytes.Split(bytes.TrimSpace(recorded(t, "fail.jsonl")), []byte("\n")) {
		if s, ok := traceLine(t, line); ok {
			msgs = append(msgs, s)
		}
	}
	clock := *msgs[1].vertexes[0].started // the build's start
	var screen bytes.Buffer
	v := newLiveView(&screen, func() (int, int) { return 60, 40 }, func() time.Time { return clock }, time.Hour)
	// Everything up to the failing step's first output line.
	var running []string
	for _, s := range msgs {
		v.update(s)
		if len(s.logs) > 0 && strings.Contains(string(s.logs[0].msg), "about to fail") {
			clock = s.logs[0].timestamp
			running = v.frame(false, 59)
			break
		}
	}
	want := []string{
		" => [4/4] RUN echo about to fail && echo to stderr >&… 0.3s",
		" => => # about to fail",
	}
	if got := strings.Join(running, "\n"); !strings.Contains(got, strings.Join(want, "\n")) {
		t.Errorf("while the last step runs, the view should show it and its output:\n%s\nwant it to hold:\n%s", got, strings.Join(want, "\n"))
	}
	for _, l := range running {
		if n := len([]rune(l)); n > 59 {
			t.Errorf("a line is %d columns, wider than the terminal: %q", n, l)
		}
	}
	for _, s := range msgs {
		v.update(s)
	}
	v.finish()
	final := v.frame(true, 59)
	if want := "[+] Building 1.6s (7/7) FINISHED"; final[0] != want {
		t.Errorf("the final header should count every step done: %q, want %q", final[0], want)
	}
	got := strings.Join(final, "\n")
	for _, want := range []string{" => ERROR [4/4] RUN echo about to fail", " => CACHED [1/4] FROM docker.io/library/busybox:1.36   0.0s", " => [3/4] COPY a.txt /a.txt"} {
		if !strings.Contains(got, want) {
			t.Errorf("the final view should hold %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "# ") {
		t.Errorf("the final view shows no output lines:\n%s", got)
	}
	// Each redraw moves up over the last one and clears what it leaves.
	if !strings.Contains(screen.String(), "\x1b[") || !strings.HasSuffix(screen.String(), "\x1b[J") {
		t.Errorf("the view should redraw in place: %q", screen.String())
	}
}

// traceLine decodes a line of the engine's output when it is BuildKit's status.
func traceLine(t *testing.T, line []byte) (*status, bool) {
	t.Helper()
	var m struct {
		ID  string
		Aux []byte
	}
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != auxTrace {
		return nil, false
	}
	s, err := decodeStatus(m.Aux)
	if err != nil {
		t.Fatal(err)
	}
	return s, true
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
	if len(s.vertexes) != 1 || len(s.statuses) != 1 || len(s.logs) != 1 || len(s.warnings) != 1 {
		t.Fatalf("want one of each message, got %+v", s)
	}
	v := s.vertexes[0]
	if v.digest != "sha256:aa" || len(v.inputs) != 1 || v.inputs[0] != "sha256:bb" || v.name != "[build 3/4] RUN go build" || !v.cached || v.err != "exit code: 1" {
		t.Errorf("vertex: %+v", v)
	}
	if v.started == nil || !v.started.Equal(time.Unix(100, 5)) || v.completed == nil || !v.completed.Equal(time.Unix(0, 0)) {
		t.Errorf("vertex times: started %v, completed %v", v.started, v.completed)
	}
	if x := s.statuses[0]; x.id != "transferring" || x.current != 10 || x.total != 20 || !x.timestamp.Equal(time.Unix(101, 0)) || x.started != nil || x.completed == nil {
		t.Errorf("status: %+v", x)
	}
	if l := s.logs[0]; l.vertex != "sha256:aa" || l.stream != 2 || string(l.msg) != "hello\n" || !l.timestamp.Equal(time.Unix(101, 500)) {
		t.Errorf("log: %+v", l)
	}
	if w := s.warnings[0]; string(w.short) != "FromAsCasing" || len(w.detail) != 1 || w.url != "https://example.com" || w.level != 1 {
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

// TestPlainViewInterleaving: output of two steps running at once is told apart (#N), a
// step left for another is marked "...", and its header comes back with its next line.
func TestPlainViewInterleaving(t *testing.T) {
	at := func(s float64) *time.Time {
		x := time.Unix(1000, 0).Add(time.Duration(s * float64(time.Second)))
		return &x
	}
	var out bytes.Buffer
	p := newPlainView(&out)
	p.update(&status{vertexes: []vertexUpdate{
		{digest: "a", name: "[build 2/3] RUN make", started: at(0)},
		{digest: "b", name: "[stage-1 2/2] RUN apt-get", started: at(0)},
	}})
	p.update(&status{logs: []vertexLog{{vertex: "a", timestamp: *at(0.5), msg: []byte("compiling\r50%\r100%\n")}}})
	p.update(&status{
		vertexes: []vertexUpdate{{digest: "a", name: "[build 2/3] RUN make", started: at(0), completed: at(2)}},
		logs:     []vertexLog{{vertex: "a", timestamp: *at(1.5), msg: []byte("no newline")}},
	})
	p.update(&status{vertexes: []vertexUpdate{{digest: "b", name: "[stage-1 2/2] RUN apt-get", started: at(0), completed: at(3), cached: true}}})
	p.finish()
	want := `#1 [build 2/3] RUN make
#1 ...

#2 [stage-1 2/2] RUN apt-get
#2 ...

#1 [build 2/3] RUN make
#1 0.500 100%
#1 2.000 no newline
#1 DONE 2.0s

#2 [stage-1 2/2] RUN apt-get
#2 CACHED
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
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

func TestCleanLineAndBytes(t *testing.T) {
	for in, want := range map[string]string{
		"plain":              "plain",
		"a\tb":               "a b",
		"10%\r50%\r100%":     "100%",
		"crlf\r":             "crlf",
		"bell\a":             "bell\uFFFD",
		"bad \xff utf8":      "bad \uFFFD utf8",
		"\x1b[31mred\x1b[0m": "\uFFFD[31mred\uFFFD[0m",
	} {
		if got := cleanLine([]byte(in)); got != want {
			t.Errorf("cleanLine(%q) = %q, want %q", in, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0B", 999: "999B", 1000: "1.00kB", 21700: "21.70kB", 3_500_000: "3.50MB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
