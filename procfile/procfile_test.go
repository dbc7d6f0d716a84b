package procfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type parseCase struct {
	name  string
	input string
	want  []Entry  // entries on success
	warn  []string // Warning.String() of each warning
	err   string   // the whole Error() text when parsing must fail
}

// e builds an expected entry.
func e(name, kube, cmd string, line int) Entry {
	return Entry{Name: name, KubeName: kube, Command: cmd, Line: line}
}

var (
	longCommand = "node server.js " + strings.Repeat("--flag=x ", 200<<10/9)
	name63      = strings.Repeat("a", 63)
	name64      = strings.Repeat("a", 64)
)

// parseCases is shared with FuzzParse as its seed corpus.
var parseCases = []parseCase{
	// Format.
	{name: "simple", input: "web: node server.js\n",
		want: []Entry{e("web", "web", "node server.js", 1)}},
	{name: "no space after colon: Heroku's classic parser skips the line", input: "web:node server.js\n",
		want: []Entry{e("web", "web", "node server.js", 1)},
		warn: []string{noSpaceWarn(1, "web")}},
	{name: "double colon", input: "web:: a\n",
		want: []Entry{e("web", "web", ": a", 1)},
		warn: []string{noSpaceWarn(1, "web")}},
	{name: "tab after colon", input: "web:\tnode server.js\n",
		want: []Entry{e("web", "web", "node server.js", 1)}},
	{name: "spaces and tabs around command", input: "web:\t  node server.js \t\n",
		want: []Entry{e("web", "web", "node server.js", 1)}},
	{name: "colons in command", input: "web: gunicorn app.wsgi:application --bind :$PORT\nurl: curl http://x: y\n",
		want: []Entry{e("web", "web", "gunicorn app.wsgi:application --bind :$PORT", 1), e("url", "url", "curl http://x: y", 2)}},
	{name: "several types in file order", input: "web: a\nworker: b\nclock: c\n",
		want: []Entry{e("web", "web", "a", 1), e("worker", "worker", "b", 2), e("clock", "clock", "c", 3)}},
	{name: "space before colon", input: "web : node server.js\n",
		err: "Procfile:1: space between process type \"web\" and ':'\n  hint: remove the space before ':'"},
	{name: "tab before colon", input: "web\t: node server.js\n",
		err: "Procfile:1: space between process type \"web\" and ':'\n  hint: remove the space before ':'"},
	{name: "missing colon", input: "web node server.js\n",
		err: "Procfile:1: expected \"name: command\", found \"web node server.js\"\n  hint: put ':' right after the process type, as in \"web: <command>\""},
	{name: "missing colon before a colon in the command", input: "web gunicorn app.wsgi:application\n",
		err: "Procfile:1: expected \"name: command\", found \"web gunicorn app.wsgi:application\"\n  hint: put ':' right after the process type, as in \"web: <command>\""},
	{name: "name only", input: "web\n",
		err: "Procfile:1: expected \"name: command\", found \"web\"\n  hint: put ':' right after the process type, as in \"web: <command>\""},
	{name: "missing colon long line is clipped", input: "# ok\n./bin/start --port 5000 --workers 4 --timeout 30 --log-level debug\n",
		err: "Procfile:2: expected \"name: command\", found \"./bin/start --port 5000 --workers 4 --ti…\""},
	{name: "indented entry: read as Heroku reads it", input: "web: a\n  worker: b\n\tclock:  c\n",
		want: []Entry{e("web", "web", "a", 1), e("worker", "worker", "b", 2), e("clock", "clock", "c", 3)},
		warn: []string{
			"Procfile:2: leading whitespace before process type \"worker\" ignored, as Heroku does; remove it so other tools read the line too",
			"Procfile:3: leading whitespace before process type \"clock\" ignored, as Heroku does; remove it so other tools read the line too",
		}},
	{name: "indented, not a process line", input: "  web : a\n",
		err: "Procfile:1: expected \"name: command\", found \"  web : a\""},
	{name: "indented duplicate", input: "web: a\n  web: b\n",
		err: duplicateErr(2, "web", 1)},
	{name: "YAML-style block", input: "web:\n\tbundle exec puma\n",
		err: noCommandErr(1, "web")},
	{name: "YAML-style block with a key", input: "web:\n  command: bundle exec puma\n",
		err: noCommandErr(1, "web")},
	{name: "indented text", input: "web: a\n\t--port 5000\n",
		err: "Procfile:2: expected \"name: command\", found \"\\t--port 5000\""},
	{name: "an env file line is not quoted (it may hold a secret)", input: "DATABASE_URL=postgres://u:hunter2@db/app\n",
		err: envLineErr(1)},
	{name: "an exported env line", input: "# .env\nexport SECRET_KEY=hunter2\n",
		err: envLineErr(2)},
	{name: "an indented env line", input: "web: a\n  TOKEN = hunter2\n",
		err: envLineErr(2)},
	{name: "missing name", input: ": node server.js\n",
		err: "Procfile:1: missing process type before ':'"},
	{name: "empty command", input: "web: a\nworker:\n",
		err: noCommandErr(2, "worker")},
	{name: "whitespace-only command", input: "worker: \t  \n",
		err: noCommandErr(1, "worker")},
	{name: "duplicate type", input: "web: a\nworker: b\n\nworker: c\n",
		err: duplicateErr(4, "worker", 2)},

	// Quoting and continuation lines: kept verbatim, as Heroku does, with a warning.
	{name: "YAML-style double-quoted command", input: "web: \"bundle exec puma\"\n",
		want: []Entry{e("web", "web", "\"bundle exec puma\"", 1)},
		warn: []string{"Procfile:1: the command of process type \"web\" is one quoted word: the shell runs a program named \"bundle exec puma\"; remove the quotes"}},
	{name: "YAML-style single-quoted command", input: "worker: 'celery -A app worker'\n",
		want: []Entry{e("worker", "worker", "'celery -A app worker'", 1)},
		warn: []string{"Procfile:1: the command of process type \"worker\" is one quoted word: the shell runs a program named 'celery -A app worker'; remove the quotes"}},
	{name: "quoted single word", input: "web: \"./server\"\n",
		want: []Entry{e("web", "web", "\"./server\"", 1)}},
	{name: "several quoted words", input: "web: \"./bin/my app\" \"--name=a b\"\n",
		want: []Entry{e("web", "web", "\"./bin/my app\" \"--name=a b\"", 1)}},
	{name: "quoted env prefix", input: "release: REDIS_URL='redis://' python manage.py migrate\n",
		want: []Entry{e("release", "release", "REDIS_URL='redis://' python manage.py migrate", 1)}},
	{name: "continuation onto an indented line", input: "web: bundle exec \\\n  puma -p $PORT\n",
		err: "Procfile:2: expected \"name: command\", found \"  puma -p $PORT\"\n  hint: " + joinHint(1)},
	{name: "continuation onto an unindented line", input: "# web\nweb: bundle exec \\\npuma -p $PORT\n",
		err: "Procfile:3: expected \"name: command\", found \"puma -p $PORT\"\n  hint: " + joinHint(2)},
	{name: "continuation before a process line", input: "web: bundle exec puma \\\nworker: b\n",
		want: []Entry{e("web", "web", "bundle exec puma \\", 1), e("worker", "worker", "b", 2)},
		warn: []string{"Procfile:1: the command of process type \"web\" ends with '\\', but a Procfile entry is one line: the next line does not continue it"}},
	{name: "escaped backslash at the end", input: "web: echo \\\\\nworker: b\n",
		want: []Entry{e("web", "web", "echo \\\\", 1), e("worker", "worker", "b", 2)}},
	{name: "no continuation hint after a blank line", input: "web: a \\\n\n  b\n",
		err: "Procfile:3: expected \"name: command\", found \"  b\""},

	// Names and Kubernetes.
	{name: "underscore renamed", input: "worker_beat: celery beat\n",
		want: []Entry{e("worker_beat", "worker-beat", "celery beat", 1)},
		warn: []string{"Procfile:1: process type \"worker_beat\" is named \"worker-beat\" in Kubernetes"}},
	{name: "uppercase lowered", input: "# types\nWeb: a\nBIG_Worker: b\n",
		want: []Entry{e("Web", "web", "a", 2), e("BIG_Worker", "big-worker", "b", 3)},
		warn: []string{
			"Procfile:2: process type \"Web\" is named \"web\" in Kubernetes",
			"Procfile:3: process type \"BIG_Worker\" is named \"big-worker\" in Kubernetes",
		}},
	{name: "leading digit", input: "2fa-worker: a\n123: b\n",
		want: []Entry{e("2fa-worker", "2fa-worker", "a", 1), e("123", "123", "b", 2)}},
	{name: "dashes inside", input: "web-uploads: a\nworker--x: b\n",
		want: []Entry{e("web-uploads", "web-uploads", "a", 1), e("worker--x", "worker--x", "b", 2)}},
	{name: "leading dash", input: "-web: a\n",
		err: "Procfile:1: process type \"-web\" must start and end with a letter or digit to be a Kubernetes name"},
	{name: "trailing underscore", input: "web_: a\n",
		err: "Procfile:1: process type \"web_\" (\"web-\" in Kubernetes) must start and end with a letter or digit to be a Kubernetes name"},
	{name: "only underscore", input: "_: a\n",
		err: "Procfile:1: process type \"_\" (\"-\" in Kubernetes) must start and end with a letter or digit to be a Kubernetes name"},
	{name: "63 characters", input: name63 + ": a\n",
		want: []Entry{e(name63, name63, "a", 1)}},
	{name: "64 characters", input: name64 + ": a\n",
		err: "Procfile:1: process type \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…\" is 64 characters long; Kubernetes names allow at most 63"},
	{name: "dot in name", input: "web.1: a\n",
		err: "Procfile:1: invalid character '.' in process type \"web.1\"\n  hint: process types may use only letters, digits, '-' and '_'"},
	{name: "slash in name", input: "bin/web: a\n",
		err: "Procfile:1: invalid character '/' in process type \"bin/web\"\n  hint: process types may use only letters, digits, '-' and '_'"},
	{name: "non-ASCII in name", input: "wéb: a\n",
		err: "Procfile:1: invalid character 'é' in process type \"wéb\"\n  hint: process types may use only letters, digits, '-' and '_'"},
	{name: "quoted name", input: "\"web\": a\n",
		err: "Procfile:1: invalid character '\"' in process type \"\\\"web\\\"\"\n  hint: process types may use only letters, digits, '-' and '_'"},
	{name: "non-breaking space before name", input: "\u00a0web: a\n",
		err: "Procfile:1: invalid character '\\u00a0' in process type \"\\u00a0web\"\n  hint: process types may use only letters, digits, '-' and '_'"},
	{name: "tab inside name", input: "work\ter: a\n",
		err: "Procfile:1: invalid character '\\t' in process type \"work\\ter\"\n  hint: process types may use only letters, digits, '-' and '_'"},
	{name: "underscore collides with dash", input: "worker_beat: a\nweb: b\nworker-beat: c\n",
		err: "Procfile:3: process type \"worker-beat\" collides with \"worker_beat\" on line 1: both are \"worker-beat\" in Kubernetes\n  hint: give one of them another name"},
	{name: "case collision", input: "Web: a\nweb: b\n",
		err: "Procfile:2: process type \"web\" collides with \"Web\" on line 1: both are \"web\" in Kubernetes\n  hint: give one of them another name"},

	// Comments and blank lines.
	{name: "comments and blank lines", input: "# top\n\n   \n\t\n  # indented comment\n#web: old\nweb: a\n\n# end\n",
		want: []Entry{e("web", "web", "a", 7)}},
	{name: "trailing comment kept", input: "worker: ./bin/worker # optional\n",
		want: []Entry{e("worker", "worker", "./bin/worker # optional", 1)}},
	{name: "hash inside command", input: "web: echo a#b\n",
		want: []Entry{e("web", "web", "echo a#b", 1)}},

	// Line endings and bytes.
	{name: "CRLF", input: "web: a\r\nworker: b\r\n",
		want: []Entry{e("web", "web", "a", 1), e("worker", "worker", "b", 2)}},
	{name: "CRLF on a blank line and no final newline", input: "web: a\r\n\r\nworker: b",
		want: []Entry{e("web", "web", "a", 1), e("worker", "worker", "b", 3)}},
	{name: "lone CR inside a line", input: "web: a\nworker: b\rc\n",
		err: "Procfile:2: carriage return without a line feed at column 10\n  hint: save the file with LF or CRLF line endings; a CR alone (old Mac line endings) would glue lines together"},
	{name: "old Mac line endings", input: "web: a\rworker: b\r",
		err: "Procfile:1: carriage return without a line feed at column 7\n  hint: save the file with LF or CRLF line endings; a CR alone (old Mac line endings) would glue lines together"},
	{name: "CR in a comment", input: "# a\rb\nweb: a\n",
		err: "Procfile:1: carriage return without a line feed at column 4\n  hint: save the file with LF or CRLF line endings; a CR alone (old Mac line endings) would glue lines together"},
	{name: "UTF-8 BOM", input: "\uFEFFweb: a\n",
		want: []Entry{e("web", "web", "a", 1)},
		warn: []string{bomWarn}},
	{name: "UTF-8 BOM and CRLF", input: "\uFEFF# c\r\nweb: a\r\n",
		want: []Entry{e("web", "web", "a", 2)},
		warn: []string{bomWarn}},
	{name: "BOM not at start", input: "web: a\n\uFEFFworker: b\n",
		err: "Procfile:2: invalid character '\\ufeff' in process type \"\\ufeffworker\"\n  hint: process types may use only letters, digits, '-' and '_'"},
	{name: "UTF-16 BOM", input: "\xFF\xFEw\x00e\x00b\x00:\x00",
		err: "Procfile: file is UTF-16 encoded\n  hint: save it as UTF-8"},
	{name: "UTF-8 in command", input: "web: echo ☕ café\n",
		want: []Entry{e("web", "web", "echo ☕ café", 1)}},
	{name: "invalid UTF-8", input: "web: a\nworker: echo caf\xe9\n",
		err: "Procfile:2: invalid UTF-8 (byte 0xe9 at column 17)\n  hint: save the file as UTF-8"},
	{name: "invalid UTF-8 in a comment", input: "# caf\xe9\n",
		err: "Procfile:1: invalid UTF-8 (byte 0xe9 at column 6)\n  hint: save the file as UTF-8"},
	{name: "NUL byte", input: "web: a\x00b\n",
		err: "Procfile:1: NUL byte at column 7\n  hint: the file looks binary or UTF-16 encoded; save it as UTF-8 text"},
	{name: "long line", input: "web: " + longCommand + "\nworker: b\n",
		want: []Entry{e("web", "web", strings.TrimSpace(longCommand), 1), e("worker", "worker", "b", 2)}},
	{name: "file too large", input: strings.Repeat("# padding padding padding padding\n", MaxSize/34+1),
		err: "Procfile: file is larger than 1 MiB\n  hint: a Procfile is a short list of process types; check that this is the right file"},
	{name: "no trailing newline", input: "web: a\nworker: b",
		want: []Entry{e("web", "web", "a", 1), e("worker", "worker", "b", 2)}},
	{name: "empty file", input: ""},
	{name: "only newlines", input: "\n\n\n"},
	{name: "only comments", input: "# web: a\n#worker: b\n"},

	// Merge conflicts.
	{name: "conflict start marker", input: "<<<<<<< HEAD\nweb: a\n=======\nweb: b\n>>>>>>> feature\n",
		err: "Procfile:1: unresolved merge conflict marker\n  hint: resolve the merge conflict, then delete the <<<<<<<, ======= and >>>>>>> lines"},
	{name: "conflict separator", input: "web: a\n=======\n",
		err: "Procfile:2: unresolved merge conflict marker\n  hint: resolve the merge conflict, then delete the <<<<<<<, ======= and >>>>>>> lines"},
	{name: "conflict end marker", input: "web: a\n>>>>>>> 3f2a1c9 (add worker)\n",
		err: "Procfile:2: unresolved merge conflict marker\n  hint: resolve the merge conflict, then delete the <<<<<<<, ======= and >>>>>>> lines"},
	{name: "conflict base marker", input: "web: a\n||||||| merged common ancestors\n",
		err: "Procfile:2: unresolved merge conflict marker\n  hint: resolve the merge conflict, then delete the <<<<<<<, ======= and >>>>>>> lines"},

	// Release phase.
	{name: "release last", input: "web: a\nrelease: ./migrate\n",
		want: []Entry{e("web", "web", "a", 1), e("release", "release", "./migrate", 2)}},
	{name: "capitalised release is not the release phase", input: "Release: ./migrate\n",
		want: []Entry{e("Release", "release", "./migrate", 1)},
		warn: []string{
			"Procfile:1: process type \"Release\" is named \"release\" in Kubernetes",
			"Procfile:1: process type \"Release\" is not the release phase: only \"release\" in lowercase is",
		}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(strings.NewReader(tc.input), "Procfile")
			if tc.err != "" {
				if err == nil {
					t.Fatalf("Parse succeeded with %v; want error:\n%s", p.Entries, tc.err)
				}
				if err.Error() != tc.err {
					t.Fatalf("wrong error\n got: %s\nwant: %s", err, tc.err)
				}
				var perr *Error
				if !errors.As(err, &perr) {
					t.Fatalf("error is %T, want *procfile.Error", err)
				}
				if p != nil {
					t.Errorf("Parse returned a Procfile with its error: %+v", p)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse failed: %v", err)
			}
			if p.File != "Procfile" {
				t.Errorf("File = %q, want %q", p.File, "Procfile")
			}
			if !slices.Equal(p.Entries, tc.want) {
				t.Errorf("entries\n got: %+v\nwant: %+v", clipEntries(p.Entries), clipEntries(tc.want))
			}
			var warns []string
			for _, w := range p.Warnings {
				warns = append(warns, w.String())
			}
			if !slices.Equal(warns, tc.warn) {
				t.Errorf("warnings\n got: %q\nwant: %q", warns, tc.warn)
			}
		})
	}
}

// clipEntries shortens commands so that a failing long-line case prints readably.
func clipEntries(es []Entry) []Entry {
	out := slices.Clone(es)
	for i := range out {
		out[i].Command = clip(out[i].Command)
	}
	return out
}

func TestRelease(t *testing.T) {
	p, err := Parse(strings.NewReader("release: ./migrate\nweb: a\nreleases: b\n"), "Procfile")
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, e := range p.Entries {
		got = append(got, e.Release())
	}
	if want := []bool{true, false, false}; !slices.Equal(got, want) {
		t.Errorf("Release() per entry = %v, want %v", got, want)
	}
}

func TestLookup(t *testing.T) {
	p, err := Parse(strings.NewReader("web: a\nworker_beat: b\nClock: c\n"), "Procfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want string // Name of the entry found, "" for none
	}{
		{"web", "web"},
		{"worker_beat", "worker_beat"},
		{"worker-beat", "worker_beat"},
		{"Clock", "Clock"},
		{"clock", "Clock"},
		{"CLOCK", ""},
		{"worker", ""},
		{"", ""},
	} {
		got, ok := p.Lookup(tc.name)
		if ok != (tc.want != "") || got.Name != tc.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tc.name, got.Name, ok, tc.want)
		}
	}
}

func TestValidKubeName(t *testing.T) {
	for s, want := range map[string]bool{
		"web": true, "worker-beat": true, "2fa": true, "123": true, "a": true, name63: true,
		"": false, "-web": false, "web-": false, "Web": false, "worker_beat": false, "web.1": false, name64: false,
	} {
		if got := ValidKubeName(s); got != want {
			t.Errorf("ValidKubeName(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestErrorString(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{File: "Procfile", Line: 3, Msg: "boom"}, "Procfile:3: boom"},
		{Error{File: "a/Procfile", Line: 1, Msg: "boom", Hint: "fix it"}, "a/Procfile:1: boom\n  hint: fix it"},
		{Error{File: "Procfile", Msg: "file is UTF-16 encoded"}, "Procfile: file is UTF-16 encoded"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Procfile")
	if err := os.WriteFile(path, []byte("web: a\nweb: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(path)
	if want := path + duplicateErr(2, "web", 1)[len("Procfile"):]; err == nil || err.Error() != want {
		t.Errorf("ParseFile(%s) error = %v, want %s", path, err, want)
	}

	_, err = ParseFile(filepath.Join(dir, "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ParseFile(missing) error = %v, want fs.ErrNotExist", err)
	}
}

// failingReader fails after returning some data.
type failingReader struct{ done bool }

func (r *failingReader) Read(b []byte) (int, error) {
	if r.done {
		return 0, errors.New("disk on fire")
	}
	r.done = true
	return copy(b, "web: a\n"), nil
}

func TestParseReadError(t *testing.T) {
	_, err := Parse(&failingReader{}, "Procfile")
	if want := "read Procfile: disk on fire"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

// TestProcfileExample: the annotated example at the repository's root parses, with the
// types it documents.
func TestProcfileExample(t *testing.T) {
	p, err := ParseFile(filepath.Join("..", "Procfile.example"))
	if err != nil {
		t.Fatalf("Procfile.example: %v", err)
	}
	var names []string
	for _, e := range p.Entries {
		names = append(names, e.KubeName)
	}
	want := "release web worker worker-beat clock reports mailer"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("Procfile.example types = %q, want %q", got, want)
	}
}

const bomWarn = "Procfile:1: byte order mark (BOM) at the start of the file ignored; Heroku's Procfile buildpack refuses a file that starts with one: save it as UTF-8 without BOM"

func noSpaceWarn(line int, name string) string {
	return fmt.Sprintf("Procfile:%d: no space after ':' in process type %q; Heroku's classic stack ignores such a line: add a space", line, name)
}

func noCommandErr(line int, name string) string {
	return fmt.Sprintf("Procfile:%d: process type %q has no command\n  hint: write the command on the same line, after ':'; a Procfile entry is one line", line, name)
}

func duplicateErr(line int, name string, first int) string {
	return fmt.Sprintf("Procfile:%d: process type %q declared twice (first on line %d)\n  hint: Heroku runs only the last one and ignores line %d: delete the line you do not want, or give it a name of its own", line, name, first, first)
}

func joinHint(line int) string {
	return fmt.Sprintf("a Procfile entry is one line, and a '\\' at the end of line %d does not continue it: join the two lines", line)
}

func envLineErr(line int) string {
	return fmt.Sprintf("Procfile:%d: expected \"name: command\", found a NAME=value line, as in an env file (not quoted here: it may hold a secret)\n  hint: a Procfile declares process types, one \"name: command\" per line; config vars go in .env", line)
}
