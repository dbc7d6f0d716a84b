package lines

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

var clock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// TestCopyLines feeds a pipe in pieces that split lines and checks that every line comes
// out whole, once, with its prefix; a line past MaxLine comes out in MaxLine pieces, and a
// line of exactly MaxLine is one line, not followed by an empty one.
func TestCopyLines(t *testing.T) {
	var out bytes.Buffer
	m := New(&out, Options{Width: 6, Now: clock})
	src := m.Source("web.1", 0)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("z", MaxLine+10)
	exact := strings.Repeat("x", MaxLine)
	go func() {
		for _, piece := range []string{"one\ntw", "o\n", "", "three", "\nfour\n", long, "\n", exact, "\n", "last, no newline"} {
			w.WriteString(piece)
			time.Sleep(time.Millisecond)
		}
		w.Close()
	}()
	src.Copy(r)
	want := []string{"one", "two", "three", "four", long[:MaxLine], long[MaxLine:], exact, "last, no newline"}
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

func TestLine(t *testing.T) {
	var out bytes.Buffer
	m := New(&out, Options{Width: 5, Now: clock})
	s := m.Source("web.1", 0)
	s.Line("hi")
	s.Line("there\n")
	s.Line("two\nlines")
	want := "03:04:05 web.1 | hi\n03:04:05 web.1 | there\n03:04:05 web.1 | two\n03:04:05 web.1 | lines\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestPrefix: the front end's prefix is used as it is, with the source's index.
func TestPrefix(t *testing.T) {
	var out bytes.Buffer
	colour := func(b []byte, name string, index, width int, now time.Time) []byte {
		b = fmt.Appendf(b, "<%d>", index)
		return TimeName(b, name, index, width, now)
	}
	m := New(&out, Options{Prefix: colour, Width: 5, Now: clock})
	m.Source("web.1", 1).Line("hi")
	m.Source("system", -1).Line("bye")
	if got, want := out.String(), "<1>03:04:05 web.1 | hi\n<-1>03:04:05 system | bye\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestNoInterleaving: many sources writing lines in pieces at once; every line arrives whole
// and each source's lines in order.
func TestNoInterleaving(t *testing.T) {
	var out bytes.Buffer
	m := New(&out, Options{Width: 4, Now: clock})
	const sources, perSource = 8, 2000
	var wg sync.WaitGroup
	for i := range sources {
		r, w := io.Pipe()
		wg.Add(2)
		go func() {
			defer wg.Done()
			m.Source(fmt.Sprintf("s%d", i), i).Copy(r)
		}()
		go func() {
			defer wg.Done()
			defer w.Close()
			for n := range perSource {
				line := fmt.Sprintf("source %d line %d %s\n", i, n, strings.Repeat("-", n%300))
				half := len(line) / 2
				w.Write([]byte(line[:half]))
				w.Write([]byte(line[half:]))
			}
		}()
	}
	wg.Wait()
	next := make([]int, sources)
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var src, n int
		var name, dashes string
		if _, err := fmt.Sscanf(l, "03:04:05 %s | source %d line %d %s", &name, &src, &n, &dashes); err != nil && n%300 != 0 {
			t.Fatalf("damaged line %.80q: %v", l, err)
		}
		if name != fmt.Sprintf("s%d", src) || n != next[src] || len(dashes) != n%300 {
			t.Fatalf("line %.80q out of place (want source %d's line %d)", l, src, next[src])
		}
		next[src]++
	}
	for i, n := range next {
		if n != perSource {
			t.Errorf("source %d: %d lines, want %d", i, n, perSource)
		}
	}
}

// TestBroken: a failed write closes Broken and drops what follows.
func TestBroken(t *testing.T) {
	r, w := io.Pipe()
	r.Close()
	m := New(w, Options{})
	m.Source("web.1", 0).Line("lost")
	select {
	case <-m.Broken():
	default:
		t.Fatal("Broken not closed after a failed write")
	}
	if m.Err() == nil {
		t.Error("Err is nil after a failed write")
	}
}
