package app

import (
	"fmt"
	"strings"
)

// FormatEnv writes vars as an env file that ParseEnv reads back exactly, one line per var
// in keys order. Each value gets the first of three forms that godotenv (v1.5.1) reads back
// unchanged: 'single-quoted' (literal, newlines included, but no quote inside and no
// backslash at the end), "double-quoted" with \\ \" \$ \n \r escaped (but no quote or
// backslash at the end: godotenv trims the one and misreads the other), or bare (one line,
// no $, no " #", no space at either end). A value no form carries is an error naming its key,
// never the value. header, when not empty, goes first as # comment lines.
func FormatEnv(header string, keys []string, vars map[string]string) ([]byte, error) {
	var b strings.Builder
	if header != "" {
		for _, l := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
			b.WriteString(strings.TrimRight("# "+l, " ") + "\n")
		}
	}
	for _, k := range keys {
		v, ok := vars[k]
		if !ok {
			return nil, fmt.Errorf("env file: no value for %s", k)
		}
		if err := CheckVarName(k); err != nil {
			return nil, fmt.Errorf("env file: %w", err)
		}
		line, ok := envLine(k, v)
		if !ok {
			return nil, fmt.Errorf("env file: the value of %s has no form an env file reads back unchanged (it ends with a quote or a backslash and holds characters only quotes keep)", k)
		}
		b.WriteString(line)
	}
	return []byte(b.String()), nil
}

// envLine is K=value in the first form that reads back as v.
func envLine(k, v string) (string, bool) {
	for _, q := range []string{"'" + v + "'", doubleQuoteEnv(v), v} {
		line := k + "=" + q + "\n"
		if back, err := ParseEnv([]byte(line), "env file"); err == nil && len(back) == 1 && back[k] == v {
			return line, true
		}
	}
	return "", false
}

// doubleQuoteEnv escapes what godotenv's double quotes understand: \\ \" \$ \n \r
// (and $NAME would expand).
func doubleQuoteEnv(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch r {
		case '\\', '"', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
