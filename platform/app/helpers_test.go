package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeApp lays out files (slash-separated path relative to the app → content) in a fresh
// directory and returns it.
func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkErr fails the test unless err's text contains every one of want; an empty want
// means no error is expected.
func checkErr(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("%s: unexpected error:\n%v", what, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("%s: expected an error containing %q, got none", what, want)
	}
	// As a front end shows it: the error, and its hint under it.
	text := err.Error()
	var h interface{ Hint() string }
	if errors.As(err, &h) && h.Hint() != "" {
		text += "\n  hint: " + h.Hint()
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: error should contain %q; got:\n%v", what, w, text)
		}
	}
}

// checkWarnings fails the test unless the warnings match want one to one, in order,
// each warning's String() containing its substring.
func checkWarnings(t *testing.T, what string, got []Warning, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: expected %d warning(s) %q, got %d:\n%s", what, len(want), want, len(got), warningList(got))
		return
	}
	for i, w := range want {
		if !strings.Contains(got[i].String(), w) {
			t.Errorf("%s: warning %d should contain %q; got %q", what, i, w, got[i].String())
		}
	}
}

// hasWarning reports whether one of ws contains sub.
func hasWarning(ws []Warning, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w.String(), sub) {
			return true
		}
	}
	return false
}

func warningList(ws []Warning) string {
	if len(ws) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, w := range ws {
		b.WriteString("  " + w.String() + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// mustProcess returns the named process type or stops the test.
func mustProcess(t *testing.T, a *App, name string) *Process {
	t.Helper()
	p, ok := a.Process(name)
	if !ok {
		t.Fatalf("expected process type %q, got %q", name, a.ProcessNames())
	}
	return p
}
