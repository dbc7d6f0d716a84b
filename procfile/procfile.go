package procfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// MaxSize is the largest Procfile, in bytes, that Parse accepts.
	MaxSize = 1 << 20

	// MaxNameLen is the longest process type name: Kubernetes names are DNS labels
	// (RFC 1123), which hold at most 63 characters.
	MaxNameLen = 63

	// ReleaseType is the process type that Heroku runs in the release phase.
	ReleaseType = "release"
)

// Entry is one process type.
type Entry struct {
	Name     string // as written in the file, e.g. "worker_beat"
	KubeName string // DNS-label form used for Kubernetes names, e.g. "worker-beat"
	Command  string // the command, verbatim after trimming surrounding whitespace
	Line     int    // 1-based line number
}

// Release reports whether this is the release-phase type ("release").
// Like Heroku, the comparison is case-sensitive: "Release" is an ordinary type.
func (e Entry) Release() bool { return e.Name == ReleaseType }

// Warning is something tolerated but worth telling the user (e.g. a renamed type).
type Warning struct {
	File    string
	Line    int
	Message string
}

// String renders the warning as "FILE:LINE: message".
func (w Warning) String() string { return location(w.File, w.Line) + ": " + w.Message }

// Procfile is a parsed file: entries in file order.
type Procfile struct {
	File     string // the name used in messages
	Entries  []Entry
	Warnings []Warning
}

// Lookup finds an entry by its Name or its KubeName.
func (p *Procfile) Lookup(name string) (Entry, bool) {
	for _, e := range p.Entries {
		if e.Name == name || e.KubeName == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Error is a located parse error. Error() renders "FILE:LINE: message" plus
// "\n  hint: ..." when Hint is set. Line is 0 for errors about the whole file
// (too large, UTF-16), which render as "FILE: message".
type Error struct {
	File string
	Line int
	Msg  string
	Hint string
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := location(e.File, e.Line) + ": " + e.Msg
	if e.Hint != "" {
		s += "\n  hint: " + e.Hint
	}
	return s
}

func location(file string, line int) string {
	if line <= 0 {
		return file
	}
	return file + ":" + strconv.Itoa(line)
}

// ParseFile opens and parses path (messages use path as given).
// An error opening the file is returned as is, so errors.Is(err, fs.ErrNotExist) works.
func ParseFile(path string) (*Procfile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a Procfile. name is used in messages (e.g. "Procfile" or a path).
// A malformed file yields a *Error for the first problem found and no Procfile.
// A file with no entries (empty, or only comments) is not an error: callers decide.
func Parse(r io.Reader, name string) (*Procfile, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxSize {
		return nil, &Error{File: name, Msg: "file is larger than 1 MiB",
			Hint: "a Procfile is a short list of process types; check that this is the right file"}
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, &Error{File: name, Msg: "file is UTF-16 encoded", Hint: "save it as UTF-8"}
	}
	p := &parser{out: &Procfile{File: name}, byKube: map[string]int{}}
	if rest, ok := bytes.CutPrefix(data, []byte("\uFEFF")); ok {
		data = rest
		p.warn(1, "byte order mark (BOM) at the start of the file ignored; Heroku's Procfile buildpack refuses a file that starts with one: save it as UTF-8 without BOM")
	}
	for i, line := range strings.Split(string(data), "\n") {
		if err := p.line(i+1, line); err != nil {
			return nil, err
		}
	}
	return p.out, nil
}

type parser struct {
	out    *Procfile
	byKube map[string]int // KubeName -> index in out.Entries
	cont   int            // the last line whose command ends with a backslash (0 for none)
}

func (p *parser) fail(line int, hint, format string, args ...any) error {
	return &Error{File: p.out.File, Line: line, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

func (p *parser) warn(line int, format string, args ...any) {
	p.out.Warnings = append(p.out.Warnings, Warning{File: p.out.File, Line: line, Message: fmt.Sprintf(format, args...)})
}

// conflictMarkers are the line starts git writes into a file with a merge conflict.
var conflictMarkers = []string{"<<<<<<<", "|||||||", "=======", ">>>>>>>"}

// line parses line number n, s being its text without the "\n".
func (p *parser) line(n int, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return p.fail(n, "the file looks binary or UTF-16 encoded; save it as UTF-8 text",
			"NUL byte at column %d", column(s, i))
	}
	if i := invalidUTF8(s); i >= 0 {
		return p.fail(n, "save the file as UTF-8",
			"invalid UTF-8 (byte 0x%02x at column %d)", s[i], column(s, i))
	}
	s = strings.TrimSuffix(s, "\r")
	if i := strings.IndexByte(s, '\r'); i >= 0 {
		return p.fail(n, "save the file with LF or CRLF line endings; a CR alone (old Mac line endings) would glue lines together",
			"carriage return without a line feed at column %d", column(s, i))
	}
	for _, m := range conflictMarkers {
		if strings.HasPrefix(s, m) {
			return p.fail(n, "resolve the merge conflict, then delete the <<<<<<<, ======= and >>>>>>> lines",
				"unresolved merge conflict marker")
		}
	}

	t := strings.TrimLeft(s, " \t")
	if t == "" || t[0] == '#' {
		return nil // blank line or comment
	}
	if envLine(t) {
		// Quoting it could put a secret into a CI log: this is likely an env file.
		return p.fail(n, "a Procfile declares process types, one \"name: command\" per line; config vars go in .env",
			"expected \"name: command\", found a NAME=value line, as in an env file (not quoted here: it may hold a secret)")
	}
	if len(t) != len(s) {
		// Heroku reads an indented process line as the process line (its current parser
		// says so in a warning): so does Slipway. Other indented text stays an error.
		if name, rest, ok := cutName(t); ok && strings.HasPrefix(rest, ":") {
			p.warn(n, "leading whitespace before process type %q ignored, as Heroku does; remove it so other tools read the line too", clip(name))
			return p.entry(n, t)
		}
		return p.expected(n, s, p.joinHint(n))
	}
	return p.entry(n, s)
}

// entry parses a line that starts with neither whitespace nor '#'.
func (p *parser) entry(n int, s string) error {
	head, cmd, found := strings.Cut(s, ":")
	name := strings.TrimRight(head, " \t")
	switch {
	case !found || strings.Contains(name, " "):
		return p.expected(n, s, p.joinHint(n))
	case name == "":
		return p.fail(n, "", "missing process type before ':'")
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return !isNameRune(r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return p.fail(n, "process types may use only letters, digits, '-' and '_'",
			"invalid character %q in process type %q", r, clip(name))
	}
	if len(name) != len(head) {
		return p.fail(n, "remove the space before ':'", "space between process type %q and ':'", name)
	}
	spaced := cmd != "" && (cmd[0] == ' ' || cmd[0] == '\t')
	cmd = strings.Trim(cmd, " \t")
	if cmd == "" {
		return p.fail(n, "write the command on the same line, after ':'; a Procfile entry is one line",
			"process type %q has no command", name)
	}

	kube := kubeName(name)
	if len(name) > MaxNameLen {
		return p.fail(n, "", "process type %q is %d characters long; Kubernetes names allow at most %d",
			clip(name), len(name), MaxNameLen)
	}
	if !ValidKubeName(kube) {
		what := fmt.Sprintf("process type %q", name)
		if kube != name {
			what += fmt.Sprintf(" (%q in Kubernetes)", kube)
		}
		return p.fail(n, "", "%s must start and end with a letter or digit to be a Kubernetes name", what)
	}
	if i, ok := p.byKube[kube]; ok {
		first := p.out.Entries[i]
		if first.Name == name {
			return p.fail(n, fmt.Sprintf("Heroku runs only the last one and ignores line %d: delete the line you do not want, or give it a name of its own", first.Line),
				"process type %q declared twice (first on line %d)", name, first.Line)
		}
		return p.fail(n, "give one of them another name",
			"process type %q collides with %q on line %d: both are %q in Kubernetes", name, first.Name, first.Line, kube)
	}

	if !spaced {
		p.warn(n, "no space after ':' in process type %q; Heroku's classic stack ignores such a line: add a space", name)
	}
	if kube != name {
		p.warn(n, "process type %q is named %q in Kubernetes", name, kube)
	}
	if kube == ReleaseType && name != ReleaseType {
		p.warn(n, "process type %q is not the release phase: only %q in lowercase is", name, ReleaseType)
	}
	if quotedWords(cmd) {
		p.warn(n, "the command of process type %q is one quoted word: the shell runs a program named %s; remove the quotes", name, clip(cmd))
	}
	if continued(cmd) {
		p.cont = n
		p.warn(n, "the command of process type %q ends with '\\', but a Procfile entry is one line: the next line does not continue it", name)
	}
	p.byKube[kube] = len(p.out.Entries)
	p.out.Entries = append(p.out.Entries, Entry{Name: name, KubeName: kube, Command: cmd, Line: n})
	return nil
}

// expected reports a line that is not of the form "name: command".
func (p *parser) expected(n int, s, hint string) error {
	if hint == "" {
		if name, rest, ok := cutName(s); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			hint = fmt.Sprintf("put ':' right after the process type, as in %q", name+": <command>")
		}
	}
	return p.fail(n, hint, "expected \"name: command\", found %q", clip(s))
}

// joinHint is the hint for a line n that is not a process line, when the line before it
// ended with a backslash and so was probably meant to continue onto it.
func (p *parser) joinHint(n int) string {
	if p.cont == 0 || p.cont != n-1 {
		return ""
	}
	return fmt.Sprintf("a Procfile entry is one line, and a '\\' at the end of line %d does not continue it: join the two lines", p.cont)
}

// quotedWords reports whether cmd is a single quoted string holding a space or tab, as
// in `web: "bundle exec puma"` (YAML-style quoting): the shell takes it as one word, the
// name of a program to run.
func quotedWords(cmd string) bool {
	if len(cmd) < 3 || (cmd[0] != '"' && cmd[0] != '\'') || cmd[len(cmd)-1] != cmd[0] {
		return false
	}
	inner := cmd[1 : len(cmd)-1]
	return !strings.ContainsRune(inner, rune(cmd[0])) && strings.ContainsAny(inner, " \t")
}

// continued reports whether cmd ends with an odd number of backslashes, a shell line
// continuation (an even number is escaped backslashes).
func continued(cmd string) bool {
	n := len(cmd) - len(strings.TrimRight(cmd, "\\"))
	return n%2 == 1
}

// envLine reports whether s looks like an env file's NAME=value (or export NAME=value).
func envLine(s string) bool {
	if rest, ok := strings.CutPrefix(s, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		s = strings.TrimLeft(rest, " \t")
	}
	_, rest, ok := cutName(s)
	return ok && strings.HasPrefix(strings.TrimLeft(rest, " \t"), "=")
}

// cutName splits s after its leading run of process type characters.
func cutName(s string) (name, rest string, ok bool) {
	i := strings.IndexFunc(s, func(r rune) bool { return !isNameRune(r) })
	if i < 0 {
		i = len(s)
	}
	return s[:i], s[i:], i > 0
}

func isNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}

// kubeName maps a valid process type name to its Kubernetes form:
// lower case, '_' replaced by '-'.
func kubeName(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "_", "-")
}

// ValidKubeName reports whether s is an RFC 1123 DNS label, the form Kubernetes
// requires of most names: 1 to 63 characters of a-z, 0-9 and '-', starting and
// ending with a letter or digit. A leading digit is allowed.
func ValidKubeName(s string) bool {
	if len(s) == 0 || len(s) > MaxNameLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// invalidUTF8 returns the byte offset of the first invalid UTF-8 sequence in s, or -1.
func invalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}

// column is the 1-based character column of byte offset i in s.
func column(s string, i int) int { return utf8.RuneCountInString(s[:i]) + 1 }

// clip shortens s to about 40 characters for quoting in a message.
func clip(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	n := 0
	for i := range s {
		if n == limit {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
