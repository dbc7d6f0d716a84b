package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
		for k := range vars {
			if err := checkVarName(k); err != nil {
				return nil, &FileError{File: file, Line: lineOfKey(data, k), Msg: err.Error()}
			}
		}
		return vars, nil
	}
	return nil, &FileError{File: file, Line: envErrorLine(data), Msg: strings.TrimSpace(perr.Error())}
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

func lineOfKey(data []byte, key string) int {
	for i, l := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "export "))
		if strings.HasPrefix(t, key+"=") || strings.HasPrefix(t, key+" =") || strings.HasPrefix(t, key+":") {
			return i + 1
		}
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
