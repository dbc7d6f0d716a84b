package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/joho/godotenv"
)

// EnvFile is a parsed .env file.
type EnvFile struct {
	// Path is the file as named in messages.
	Path string
	Vars map[string]string
}

// ReadEnvFile parses a .env file with godotenv (v1.5.1: quotes, escapes, `export`, ${VAR}
// expansion within the file). A malformed file is an error with file:line.
func ReadEnvFile(path, display string) (*EnvFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file", display)
		}
		return nil, fmt.Errorf("read %s: %w", display, err)
	}
	vars, err := ParseEnv(data, display)
	if err != nil {
		return nil, err
	}
	return &EnvFile{Path: display, Vars: vars}, nil
}

// ParseEnv parses .env content; file is used in messages.
func ParseEnv(data []byte, file string) (vars map[string]string, err error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, _ := lineCol(data, i)
		return nil, &FileError{File: file, Line: line, Msg: "NUL byte: this is not a text file"}
	}
	defer func() {
		// godotenv has panicked on odd input in other versions; never let that reach a user.
		if r := recover(); r != nil {
			vars, err = nil, &FileError{File: file, Msg: fmt.Sprintf("cannot parse: %v", r)}
		}
	}()
	vars, perr := godotenv.UnmarshalBytes(data)
	if perr == nil {
		// Report the first bad name in the file, not whichever the map yields first.
		var bad *FileError
		for _, k := range sortedKeys(vars) {
			if err := checkVarName(k); err != nil {
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

var envNearRE = regexp.MustCompile(`(?s)^(unexpected character "(?:[^"\\]|\\.)*" in variable name near )(".*")$`)

// envError locates a godotenv error. godotenv's messages say where they are only by quoting
// the input: "near" quotes the whole rest of the file (which may hold secrets), so the
// quote is cut after the offending line; "unterminated quoted value" quotes the value's
// first line. Any other message is located by parsing prefixes of the file, which is slow
// on a long file but never needed for these two.
func envError(data []byte, file string, perr error) *FileError {
	norm := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")) // as godotenv reads it
	msg := strings.TrimSpace(perr.Error())
	line := 0
	if m := envNearRE.FindStringSubmatch(msg); m != nil {
		if near, err := strconv.Unquote(m[2]); err == nil && bytes.HasSuffix(norm, []byte(near)) {
			line = bytes.Count(norm[:len(norm)-len(near)], []byte("\n")) + 1
			if i := strings.IndexByte(near, '\n'); i >= 0 {
				near = near[:i+1]
			}
			msg = m[1] + strconv.Quote(near)
		}
	} else if rest, ok := strings.CutPrefix(msg, "unterminated quoted value "); ok && rest != "" {
		// Nothing after the opening quote closes it: it is the last unescaped one.
		q := rest[0]
		for i := len(norm) - 1; i >= 0; i-- {
			if norm[i] == q && (i == 0 || norm[i-1] != '\\') {
				if bytes.HasPrefix(norm[i:], []byte(rest)) {
					line = bytes.Count(norm[:i], []byte("\n")) + 1
				}
				break
			}
		}
	}
	if line == 0 {
		line = envErrorLine(data)
	}
	return &FileError{File: file, Line: line, Msg: msg}
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

// envFilePath resolves an env file name against the app directory.
func envFilePath(dir, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}
