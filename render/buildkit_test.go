package render

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/platform/build"
	"github.com/slipwayhq/slipway/platform/progress"
)

// The BuildKit builds recorded in platform/build/testdata/buildkit (fail.jsonl, a build whose
// last step fails; ok.jsonl, one that partly comes from the cache) are shown off a terminal
// as testdata/buildkit/*.plain hold (go test -update rewrites them).
//
//	FROM busybox:1.36
//	RUN echo hello && sleep 1 && printf "no newline"
//	COPY a.txt /a.txt
//	RUN echo about to fail && echo to stderr >&2 && exit 3   (fail.jsonl only)

// TestBuildKitPlain shows recorded builds as docker build's plain progress does, the failed
// step's output after it.
func TestBuildKitPlain(t *testing.T) {
	t.Run("fail", func(t *testing.T) {
		var out bytes.Buffer
		_, err := engineBuild(t, build.BackendBuildKit, recorded(t, "fail.jsonl"), nil, Build(&out, BuildOptions{}))
		var se *build.StepError
		if !errors.As(err, &se) {
			t.Fatalf("want a *StepError, got %v", err)
		}
		golden(t, filepath.Join("testdata", "buildkit", "fail.plain"), out.Bytes())
	})
	t.Run("ok", func(t *testing.T) {
		var out bytes.Buffer
		if _, err := engineBuild(t, build.BackendBuildKit, recorded(t, "ok.jsonl"), nil, Build(&out, BuildOptions{})); err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("testdata", "buildkit", "ok.plain"), out.Bytes())
	})
}

// solveStatuses are the BuildKit status updates platform/build sends for a recorded build.
func solveStatuses(t *testing.T, name string) []*progress.SolveStatus {
	t.Helper()
	var msgs []*progress.SolveStatus
	_, _ = engineBuild(t, build.BackendBuildKit, recorded(t, name), nil, func(e progress.Event) {
		if e.Build != nil && e.Build.Solve != nil {
			msgs = append(msgs, e.Build.Solve)
		}
	})
	return msgs
}

// TestLiveView draws the recorded builds as a terminal would show them: a line per step,
// the running step's last output lines, and at the end every step with its time.
func TestLiveView(t *testing.T) {
	msgs := solveStatuses(t, "fail.jsonl")
	clock := *msgs[1].Vertexes[0].Started // the build's start
	var screen bytes.Buffer
	v := newLiveView(&screen, func() (int, int) { return 60, 40 }, func() time.Time { return clock }, time.Hour)
	// Everything up to the failing step's first output line.
	var running []string
	for _, s := range msgs {
		v.update(s)
		if len(s.Logs) > 0 && strings.Contains(string(s.Logs[0].Data), "about to fail") {
			clock = s.Logs[0].Timestamp
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

// TestLiveBuild draws a build on a terminal through Build: the live view ends at the stream's
// End with its final frame, followed by the failed step's output.
func TestLiveBuild(t *testing.T) {
	var screen bytes.Buffer
	size := func() (int, int, error) { return 60, 40, nil }
	_, err := engineBuild(t, build.BackendBuildKit, recorded(t, "fail.jsonl"), nil, Build(&screen, BuildOptions{Terminal: true, Size: size}))
	if err == nil {
		t.Fatal("want the build to fail")
	}
	got := screen.String()
	frame, summary, ok := strings.Cut(got, "------\n")
	if !ok || !strings.HasPrefix(summary, " > [4/4] RUN echo about to fail") || !strings.HasSuffix(got, "0.259 to stderr\n------\n") {
		t.Errorf("the failed step's output should follow the view:\n%q", got)
	}
	if !strings.Contains(frame, "(7/7) FINISHED\x1b[K\n") || !strings.HasSuffix(frame, "\x1b[J") {
		t.Errorf("the view should end with its final frame:\n%q", frame)
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
	p.update(&progress.SolveStatus{Vertexes: []progress.Vertex{
		{Digest: "a", Name: "[build 2/3] RUN make", Started: at(0)},
		{Digest: "b", Name: "[stage-1 2/2] RUN apt-get", Started: at(0)},
	}})
	p.update(&progress.SolveStatus{Logs: []progress.VertexLog{{Vertex: "a", Timestamp: *at(0.5), Data: []byte("compiling\r50%\r100%\n")}}})
	p.update(&progress.SolveStatus{
		Vertexes: []progress.Vertex{{Digest: "a", Name: "[build 2/3] RUN make", Started: at(0), Completed: at(2)}},
		Logs:     []progress.VertexLog{{Vertex: "a", Timestamp: *at(1.5), Data: []byte("no newline")}},
	})
	p.update(&progress.SolveStatus{Vertexes: []progress.Vertex{{Digest: "b", Name: "[stage-1 2/2] RUN apt-get", Started: at(0), Completed: at(3), Cached: true}}})
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

// TestBuildIgnoresOtherEvents: events without a build update draw nothing.
func TestBuildIgnoresOtherEvents(t *testing.T) {
	var out bytes.Buffer
	f := Build(&out, BuildOptions{Terminal: true})
	f.Send(progress.Event{Phase: progress.Build, Status: progress.Running, Message: "[1/2] RUN make"})
	f.Send(progress.Event{Phase: progress.Release, Status: progress.Done, Message: "released v3"})
	if out.Len() != 0 {
		t.Errorf("want nothing drawn, got %q", out.String())
	}
}
