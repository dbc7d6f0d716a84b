package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/joho/godotenv"
)

// EnvFile is a parsed .env file.
type EnvFile struct {
	// Path is the file as named in messages.
	Path string
	Vars map[string]string
	data []byte
}

// Line is the line that sets key, for messages about its value; 0 when unknown.
func (ef *EnvFile) Line(key string) int { return lineOfKey(ef.data, key) }

// ReadEnvFile parses the env file at path, a file named explicitly (see ReadNamedFile), with
// godotenv (v1.5.1: quotes, escapes, `export`, ${VAR} expansion within the file); display
// names it in messages. A malformed file is an error with file:line that never quotes a
// value.
func ReadEnvFile(path, display string) (*EnvFile, error) {
	data, err := ReadNamedFile(path, display)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file", display)
	}
	if err != nil {
		return nil, err
	}
	vars, err := ParseEnv(data, display)
	if err != nil {
		return nil, err
	}
	return &EnvFile{Path: display, Vars: vars, data: data}, nil
}

// ReadAppEnvFile parses the app's own env file name, a path relative to the app directory
// dir read as ReadAppFile reads it; found is false when it does not exist.
func ReadAppEnvFile(dir, name string) (ef *EnvFile, found bool, err error) {
	data, err := ReadAppFile(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	vars, err := ParseEnv(data, name)
	if err != nil {
		return nil, false, err
	}
	return &EnvFile{Path: name, Vars: vars, data: data}, true, nil
}

// ParseEnv parses .env content; file is used in messages. Errors never quote the file's
// content: they give the line, the column where it helps, and the variable's name when the
// line has one. Content that is not UTF-8 text is refused rather than changed (godotenv
// would pass the bytes through to a process, but Kubernetes and Helm carry values as text
// and would replace them with U+FFFD).
func ParseEnv(data []byte, file string) (vars map[string]string, err error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, _ := lineCol(data, i)
		return nil, &FileError{File: file, Line: line, Msg: "NUL byte: this is not a text file"}
	}
	if i := invalidUTF8(data); i >= 0 {
		line, col := runeLineCol(data, i)
		return nil, &FileError{File: file, Line: line, Msg: keyed(lineAt(data, line), fmt.Sprintf("invalid UTF-8 at column %d: config values must be text", col)),
			Fix: "save the file as UTF-8; for binary data, store it base64-encoded and decode it in the app"}
	}
	defer func() {
		// godotenv has panicked on odd input in other versions; never let that reach a user
		// (nor what it panicked with, which may quote the input).
		if r := recover(); r != nil {
			vars, err = nil, &FileError{File: file, Line: envErrorLine(data), Msg: "cannot parse this line: expected NAME=value"}
		}
	}()
	vars, perr := godotenv.UnmarshalBytes(data)
	if perr == nil {
		// Report the first bad name in the file, not whichever the map yields first.
		var bad *FileError
		for _, k := range sortedKeys(vars) {
			if err := CheckVarName(k); err != nil {
				fe := &FileError{File: file, Line: lineOfKey(data, k), Msg: err.Error()}
				if k == "" {
					fe.Msg = "expected NAME=value"
				}
				if bad == nil || (fe.Line > 0 && (bad.Line == 0 || fe.Line < bad.Line)) {
					bad = fe
				}
			}
		}
		if bad != nil {
			return nil, bad
		}
		return vars, nil
	}
	return nil, envError(data, file, perr)
}

// envError locates a godotenv error and says what is wrong in words of its own: godotenv's
// messages quote the input (the rest of the file, or a value's first line), which may hold
// secrets.
func envError(data []byte, file string, perr error) *FileError {
	norm := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")) // as godotenv reads it
	msg := strings.TrimSpace(perr.Error())
	if m := envNearRE.FindStringSubmatch(msg); m != nil {
		// near quotes the statement from its first character; the bad character is where
		// godotenv's name scan stopped.
		if near, err := strconv.Unquote(m[1]); err == nil && bytes.HasSuffix(norm, []byte(near)) {
			start := len(norm) - len(near)
			i := start + nameEnd([]byte(near))
			for i > start && i < len(norm) && !utf8.RuneStart(norm[i]) {
				i-- // godotenv reads bytes: point at the character
			}
			line, col := runeLineCol(norm, i)
			if i >= len(norm) || norm[i] == '\n' {
				return &FileError{File: file, Line: line, Msg: "expected NAME=value: this line has no '='"}
			}
			r, _ := utf8.DecodeRune(norm[i:])
			if name, ok := keyOf(lineAt(norm, line)); ok && col <= utf8.RuneCountInString(name)+1 {
				return &FileError{File: file, Line: line, Msg: fmt.Sprintf("%q is not a valid variable name in an env file: %q at column %d (letters, digits, _ and . only)", name, r, col)}
			}
			return &FileError{File: file, Line: line, Msg: fmt.Sprintf("column %d: expected NAME=value (a name holds letters, digits, _ and . only)", col)}
		}
	}
	if rest, ok := strings.CutPrefix(msg, "unterminated quoted value "); ok && rest != "" {
		// Nothing after the opening quote closes it: it is the last unescaped one.
		q := rest[0]
		for i := len(norm) - 1; i >= 0; i-- {
			if norm[i] == q && (i == 0 || norm[i-1] != '\\') {
				if bytes.HasPrefix(norm[i:], []byte(rest)) {
					line, _ := lineCol(norm, i)
					return &FileError{File: file, Line: line, Msg: keyed(lineAt(norm, line), fmt.Sprintf("the value's opening %c is never closed", q))}
				}
				break
			}
		}
	}
	if msg == "zero length string" {
		// `export` and blanks at the very end: the last line with something on it.
		line := bytes.Count(bytes.TrimRightFunc(norm, unicode.IsSpace), []byte("\n")) + 1
		return &FileError{File: file, Line: line, Msg: "expected NAME=value"}
	}
	line := envErrorLine(data)
	return &FileError{File: file, Line: line, Msg: "cannot parse this line: expected NAME=value"}
}

var envNearRE = regexp.MustCompile(`(?s)^unexpected character "(?:[^"\\]|\\.)*" in variable name near (".*")$`)

// nameEnd is where godotenv's scan of a variable name at the start of stmt stops: the index
// of the first character that is neither blank, '_', '.', a letter nor a digit (godotenv
// reads the name byte by byte).
func nameEnd(stmt []byte) int {
	for i, c := range stmt {
		r := rune(c)
		if c == '=' || c == ':' || !(r == ' ' || r == '\t' || r == '\v' || r == '\f' || r == '\r' || r == 0x85 || r == 0xA0 ||
			c == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsNumber(r)) {
			return i
		}
	}
	return len(stmt)
}

// keyed puts the variable name of line before msg when the line has one (see keyOf).
func keyed(line, msg string) string {
	if name, ok := keyOf(line); ok && CheckVarName(name) == nil {
		return name + ": " + msg
	}
	return msg
}

// keyOf returns what line declares as a variable name: what comes before its first '=' or
// ':' once a leading `export` is dropped. A line without a separator may be a pasted value,
// so it has none.
func keyOf(line string) (string, bool) {
	t := strings.TrimLeft(line, " \t")
	if rest, ok := strings.CutPrefix(t, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		t = strings.TrimLeft(rest, " \t")
	}
	i := strings.IndexAny(t, "=:")
	if i <= 0 || i > 200 {
		return "", false
	}
	return strings.TrimRight(t[:i], " \t"), true
}

// runeLineCol is lineCol with the column counted in characters, as an editor shows it.
func runeLineCol(data []byte, off int) (line, col int) {
	line, _ = lineCol(data, off)
	start := bytes.LastIndexByte(data[:min(off, len(data))], '\n') + 1
	return line, utf8.RuneCount(data[start:min(off, len(data))]) + 1
}

// lineAt returns line n (1-based) of data, without its newline.
func lineAt(data []byte, n int) string {
	lines := bytes.SplitN(data, []byte("\n"), n+1)
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimSuffix(string(lines[n-1]), "\r")
}

// invalidUTF8 returns the offset of the first byte of data that is not valid UTF-8, or -1.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// envErrorLine finds the line a godotenv error starts on: the first line after the longest
// prefix of whole lines that still parses.
func envErrorLine(data []byte) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	good, end := 0, 0
	for i, l := range lines {
		end += len(l)
		if _, err := godotenv.UnmarshalBytes(data[:end]); err == nil {
			good = i + 1
		}
	}
	return good + 1
}

// lineOfKey finds the line that sets key: the first statement `[export] key = …` (or
// `key: …`). The key "" comes from a line starting with '=' or from a last statement
// without one (`export PATH`): the last statement is reported then.
func lineOfKey(data []byte, key string) int {
	last := 0
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		last = i + 1
		if rest, ok := strings.CutPrefix(t, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			t = strings.TrimSpace(rest)
		}
		if rest, ok := strings.CutPrefix(t, key); ok {
			rest = strings.TrimLeft(rest, " \t")
			if rest != "" && (rest[0] == '=' || rest[0] == ':') {
				return i + 1
			}
		}
	}
	if key == "" {
		return last
	}
	return 0
}
