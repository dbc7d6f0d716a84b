package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/slipwayhq/slipway/platform/app"
)

// How to make each export, for hints. FILE stands for whatever the user names it.
const (
	fixConfig    = "export the config vars with `heroku config --shell > FILE` or `heroku config --json > FILE`"
	fixAddons    = "export the add-ons with `heroku addons --json > FILE`"
	fixFormation = "export the app with `heroku apps:info --json > FILE`, or the formation list the Platform API returns for GET /apps/APP/formation"
	fixDomains   = "export the domains with `heroku domains --json > FILE`"
)

// ConfigExport is what `heroku config --shell` or `heroku config --json` printed.
type ConfigExport struct {
	// Format is "shell" or "json".
	Format string
	// Keys are the config var names in file order (json: sorted).
	Keys []string
	// Values maps each key to its value. Values are secrets: never put one in a message.
	Values map[string]string
}

// ParseConfig reads the config vars of an app as `heroku config --shell` (one KEY=VALUE a
// line, each value quoted by the CLI's own rule) or `heroku config --json` (an object of
// strings) printed them; file names it in errors. A JSON export is recognised by its first
// non-space byte, '{'. An empty file is an export with no config vars.
//
// The shell format is read by exactly the CLI's quoting rule (see quoteRule): a value is
// bare when it has none of the characters the rule quotes, single-quoted with \\ for a
// backslash, or double-quoted with \" \\ \$ \` \! escaped and \n for a newline. A line the
// CLI could not have printed is an error: a bare value with a character it would have
// quoted, an unknown escape, an unterminated quote, text after the closing quote, a line
// without '=', a name set twice or one app.CheckVarName refuses. CRLF line ends, blank lines
// and a last line without a newline are fine. The human table `heroku config` prints is
// refused with a hint. Errors never quote a value.
func ParseConfig(data []byte, file string) (*ConfigExport, error) {
	data, err := checkText(data, file, fixConfig)
	if err != nil {
		return nil, err
	}
	switch first := firstByte(data); first {
	case '{':
		return parseConfigJSON(data, file)
	case '[':
		d := &jdoc{file: file, data: data}
		msg := "expected config vars, got a JSON list"
		if like := d.identify(); like != "" {
			msg = "this looks like " + like + ", not config vars"
		}
		return nil, &app.FileError{File: file, Msg: msg, Fix: fixConfig}
	}
	return parseConfigShell(data, file)
}

// quoteRule is the set of characters that make the Heroku CLI quote a config value
// (packages/cli/src/lib/config/quote.ts: /["\s#!$&'()*,:;<=>?@[\\\]^`{|}]/).
const quoteRule = "\"#!$&'()*,:;<=>?@[\\]^`{|}"

// jsSpace reports whether JavaScript's \s matches r: ECMAScript WhiteSpace and
// LineTerminator. It differs from unicode.IsSpace: U+FEFF is one, U+0085 is not.
func jsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x00a0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// quoted reports whether the Heroku CLI quotes a value holding r.
func quoted(r rune) bool { return jsSpace(r) || strings.ContainsRune(quoteRule, r) }

func parseConfigShell(data []byte, file string) (*ConfigExport, error) {
	exp := &ConfigExport{Format: "shell", Keys: []string{}, Values: map[string]string{}}
	firstLine := map[string]int{}
	seenText := false
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		if strings.Trim(line, " \t\r") == "" {
			continue
		}
		if !seenText && tableHeaderRE.MatchString(line) {
			return nil, &app.FileError{File: file, Line: n,
				Msg: "this is the table `heroku config` prints, not an export of the config vars",
				Fix: fixConfig}
		}
		seenText = true
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			msg := "expected KEY=VALUE: this line has no '='"
			if tableLineRE.MatchString(line) {
				msg = "expected KEY=VALUE, got KEY: VALUE as in the table `heroku config` prints"
			}
			return nil, &app.FileError{File: file, Line: n, Msg: msg, Fix: fixConfig}
		}
		key := line[:eq]
		if err := app.CheckVarName(key); err != nil {
			// What comes before '=' on a line that is not an export may be part of a value
			// (a wrapped certificate, say): describe the name rather than quote it.
			msg := "expected KEY=VALUE: nothing before '='"
			var vne *app.VarNameError
			if errors.As(err, &vne) && vne.Name != "" {
				msg = "what comes before '=' is not a valid config var name (" + vne.Why + ")"
			}
			return nil, &app.FileError{File: file, Line: n, Msg: msg}
		}
		if first, ok := firstLine[key]; ok {
			return nil, &app.FileError{File: file, Line: n,
				Msg: fmt.Sprintf("%s is set twice (first on line %d)", key, first)}
		}
		value, at, problem := unquoteShell(line[eq+1:])
		if problem != "" {
			col := utf8.RuneCountInString(line[:eq+1+at]) + 1
			return nil, &app.FileError{File: file, Line: n,
				Msg: fmt.Sprintf("%s: column %d: %s", key, col, problem)}
		}
		firstLine[key] = n
		exp.Keys = append(exp.Keys, key)
		exp.Values[key] = value
	}
	return exp, nil
}

// tableHeaderRE matches the header of the table `heroku config` prints, in colour too.
var tableHeaderRE = regexp.MustCompile(`^(\x1b\[[0-9;]*m)*=== `)

// tableLineRE matches a line of the table `heroku config` prints: "NAME: value".
var tableLineRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*:( |$)`)

// unquoteShell decodes one value as the Heroku CLI quoted it. On failure it returns the
// byte offset in s of the problem and a description that does not quote s.
func unquoteShell(s string) (value string, at int, problem string) {
	if s == "" {
		return "", 0, ""
	}
	switch s[0] {
	case '\'':
		return unquoteSingle(s)
	case '"':
		return unquoteDouble(s)
	}
	// A bare value cannot hold '\r': one at the end is a CRLF line end.
	s = strings.TrimSuffix(s, "\r")
	for i, r := range s {
		if quoted(r) {
			return "", i, "a bare value with a space or one of " + quoteRule + " in it, which Heroku would have quoted"
		}
	}
	return s, 0, ""
}

// unquoteSingle decodes '...': \\ is a backslash, \' a quote (which the CLI never writes:
// it double-quotes a value with a quote), anything else is itself.
func unquoteSingle(s string) (string, int, string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '\'') {
				b.WriteByte(s[i+1])
				i++
				continue
			}
			return "", i, `a backslash inside single quotes that is not followed by \ or '`
		case '\'':
			if at, problem := afterQuote(s, i+1); problem != "" {
				return "", at, problem
			}
			return b.String(), 0, ""
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, "the opening ' is never closed"
}

// unquoteDouble decodes "...": \" \\ \$ \` \! are the character, \n a newline. The CLI
// escapes " \ $ ` ! and nothing else, so any other escape, and an unescaped $ ` or !, is
// not its output.
func unquoteDouble(s string) (string, int, string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return "", 0, `the opening " is never closed`
			}
			switch e := s[i+1]; e {
			case '"', '\\', '$', '`', '!':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			default:
				return "", i, "unknown escape: inside double quotes Heroku escapes only \" \\ $ ` ! and newlines (\\n)"
			}
			i++
		case '"':
			if at, problem := afterQuote(s, i+1); problem != "" {
				return "", at, problem
			}
			return b.String(), 0, ""
		case '$', '`', '!':
			return "", i, "an unescaped $, ` or ! inside double quotes, which Heroku would have escaped"
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, `the opening " is never closed`
}

// afterQuote checks that nothing but a CRLF's '\r' follows a closing quote at s[i-1].
func afterQuote(s string, i int) (int, string) {
	if rest := s[i:]; rest != "" && rest != "\r" {
		return i, "text after the closing quote"
	}
	return 0, ""
}

func parseConfigJSON(data []byte, file string) (*ConfigExport, error) {
	d := &jdoc{file: file, data: data}
	root, err := d.root(fixConfig)
	if err != nil {
		return nil, err
	}
	members, err := d.members(root, "")
	if err != nil {
		return nil, err
	}
	exp := &ConfigExport{Format: "json", Keys: []string{}, Values: map[string]string{}}
	for _, m := range members {
		if err := app.CheckVarName(m.key); err != nil {
			return nil, &app.FileError{File: file, Line: m.line, Msg: err.Error()}
		}
		if m.val.kind() != "a string" {
			if like := d.identify(); like != "" && !strings.HasPrefix(like, likeConfig) {
				return nil, &app.FileError{File: file, Msg: "this looks like " + like + ", not config vars", Fix: fixConfig}
			}
			return nil, d.errAt(m.val.off, "%s: expected a string, got %s", m.key, m.val.kind())
		}
		var v string
		if err := json.Unmarshal(m.val.raw, &v); err != nil {
			return nil, d.errAt(m.val.off, "%s: expected a string", m.key)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return nil, d.errAt(m.val.off, "%s: the value holds a NUL character, which no environment variable can", m.key)
		}
		exp.Keys = append(exp.Keys, m.key)
		exp.Values[m.key] = v
	}
	sort.Strings(exp.Keys)
	return exp, nil
}

// Addon is one add-on of `heroku addons --json`.
type Addon struct {
	// Name is the add-on's own name, e.g. "postgresql-curly-12345".
	Name string
	// Service is addon_service.name, e.g. "heroku-postgresql".
	Service string
	// HumanName is addon_service.human_name, e.g. "Heroku Postgres"; it may be empty.
	HumanName string
	// Plan is plan.name, e.g. "heroku-postgresql:essential-0".
	Plan string
	// App is app.name: the app that owns the add-on, which differs from the exported app's
	// when the add-on is attached from another app.
	App string
	// ConfigVars are the config vars the add-on sets, e.g. ["DATABASE_URL"].
	ConfigVars []string
}

// ParseAddons reads what `heroku addons --json` printed: a JSON list of add-on objects, in
// file order; file names it in errors. Fields it does not read are ignored; name,
// addon_service.name, plan.name and app.name must be non-empty strings, human_name a string
// or absent, config_vars a list of config var names or absent. An add-on listed twice is an
// error.
func ParseAddons(data []byte, file string) ([]Addon, error) {
	d, elems, err := jsonList(data, file, "an add-on list", fixAddons, "addon_service")
	if err != nil {
		return nil, err
	}
	list := []Addon{}
	firstLine := map[string]int{}
	for i, el := range elems {
		o, err := d.object(el, fmt.Sprintf("add-on %d", i+1), "")
		if err != nil {
			return nil, err
		}
		var a Addon
		if a.Name, err = o.str("name", true); err != nil {
			return nil, err
		}
		o.where = fmt.Sprintf("add-on %q", a.Name)
		if first, ok := firstLine[a.Name]; ok {
			return nil, d.errAt(el.off, "%s is listed twice (first on line %d)", o.where, first)
		}
		firstLine[a.Name] = d.line(el.off)
		svc, err := o.obj("addon_service")
		if err != nil {
			return nil, err
		}
		if a.Service, err = svc.str("name", true); err != nil {
			return nil, err
		}
		if a.HumanName, err = svc.str("human_name", false); err != nil {
			return nil, err
		}
		plan, err := o.obj("plan")
		if err != nil {
			return nil, err
		}
		if a.Plan, err = plan.str("name", true); err != nil {
			return nil, err
		}
		owner, err := o.obj("app")
		if err != nil {
			return nil, err
		}
		if a.App, err = owner.str("name", true); err != nil {
			return nil, err
		}
		if a.ConfigVars, err = o.varNames("config_vars"); err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	return list, nil
}

// Formation is one process type's quantity and dyno size.
type Formation struct {
	// Type is the process type, e.g. "web".
	Type string
	// Quantity is how many dynos run it.
	Quantity int
	// Size is the dyno size, e.g. "Standard-1X".
	Size string
}

// oneOff are the dyno types that are not part of the formation: `heroku run`, Heroku
// Scheduler's jobs and the release phase.
var oneOff = map[string]bool{"run": true, "scheduler": true, "release": true}

// ParseFormation reads either `heroku apps:info --json` (an object whose "dynos" list
// holds the running dynos: a type's quantity is how many it has and its size theirs;
// one-off dynos of type "run", "scheduler" or "release" are left out; a list with no other
// dynos is an error) or the Platform API's formation list (a JSON list of {"type",
// "quantity", "size", ...}, as GET /apps/APP/formation returns). source says which:
// "apps:info" or "formation". The list is sorted by type.
func ParseFormation(data []byte, file string) (list []Formation, source string, err error) {
	data, err = checkText(data, file, fixFormation)
	if err != nil {
		return nil, "", err
	}
	if firstByte(data) == '{' {
		list, err := parseAppsInfo(data, file)
		return list, "apps:info", err
	}
	list, err = parseFormationList(data, file)
	return list, "formation", err
}

func parseAppsInfo(data []byte, file string) ([]Formation, error) {
	d := &jdoc{file: file, data: data}
	root, err := d.root(fixFormation)
	if err != nil {
		return nil, err
	}
	top, err := d.object(root, "", "")
	if err != nil {
		return nil, err
	}
	dynosVal, ok := top.f["dynos"]
	if !ok {
		msg := `expected the object that ` + "`heroku apps:info --json`" + ` prints, with a "dynos" list`
		if like := d.identify(); like != "" {
			msg = "this looks like " + like + ", not the app's formation"
		}
		return nil, &app.FileError{File: file, Msg: msg, Fix: fixFormation}
	}
	var dynos []jval
	if dynosVal.kind() != "null" {
		if dynos, err = d.elements(dynosVal, "dynos"); err != nil {
			return nil, err
		}
	}
	count := map[string]int{}
	size := map[string]string{}
	sizeFrom := map[string]string{} // the dyno each type's size was first read from
	for i, el := range dynos {
		o, err := d.object(el, fmt.Sprintf("dyno %d", i+1), "")
		if err != nil {
			return nil, err
		}
		name, err := o.str("name", false)
		if err != nil {
			return nil, err
		}
		if name != "" {
			o.where = "dyno " + name
		}
		typ, err := o.str("type", true)
		if err != nil {
			return nil, err
		}
		if oneOff[typ] {
			continue
		}
		sz, err := o.str("size", true)
		if err != nil {
			return nil, err
		}
		if prev, ok := size[typ]; ok && prev != sz {
			return nil, &app.FileError{File: file, Line: d.line(el.off),
				Msg: fmt.Sprintf("%s has size %q, but %s has %q: a process type's dynos have one size", o.where, sz, sizeFrom[typ], prev),
				Fix: "export the app again once the resize has finished"}
		}
		size[typ], sizeFrom[typ] = sz, o.where
		count[typ]++
	}
	if len(count) == 0 {
		msg := "no dynos are listed"
		if len(dynos) > 0 {
			msg = "no dynos are listed but one-off ones (run, scheduler, release)"
		}
		return nil, &app.FileError{File: file, Line: d.line(dynosVal.off), Msg: msg,
			Fix: "apps:info lists running dynos only (and none when it could not read them): scale the app up and export it again, or export the formation list the Platform API returns for GET /apps/APP/formation"}
	}
	list := make([]Formation, 0, len(count))
	for typ, n := range count {
		list = append(list, Formation{Type: typ, Quantity: n, Size: size[typ]})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Type < list[j].Type })
	return list, nil
}

func parseFormationList(data []byte, file string) ([]Formation, error) {
	d, elems, err := jsonList(data, file, "a formation list", fixFormation, "quantity")
	if err != nil {
		return nil, err
	}
	list := []Formation{}
	firstLine := map[string]int{}
	for i, el := range elems {
		o, err := d.object(el, fmt.Sprintf("formation %d", i+1), "")
		if err != nil {
			return nil, err
		}
		var f Formation
		if f.Type, err = o.str("type", true); err != nil {
			return nil, err
		}
		o.where = fmt.Sprintf("process type %q", f.Type)
		if first, ok := firstLine[f.Type]; ok {
			return nil, d.errAt(el.off, "%s is listed twice (first on line %d)", o.where, first)
		}
		firstLine[f.Type] = d.line(el.off)
		if f.Quantity, err = o.count("quantity"); err != nil {
			return nil, err
		}
		if f.Size, err = o.str("size", true); err != nil {
			return nil, err
		}
		list = append(list, f)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Type < list[j].Type })
	return list, nil
}

// Domain is one of `heroku domains --json`.
type Domain struct {
	// Hostname is the domain, e.g. "www.example.com" or "*.example.com".
	Hostname string
	// Kind is "heroku" (the app's herokuapp.com domain) or "custom".
	Kind string
}

// ParseDomains reads what `heroku domains --json` printed: a JSON list of domain objects, in
// file order; file names it in errors. hostname must be a host name (a wildcard's "*."
// included) and kind "heroku" or "custom"; a hostname listed twice is an error.
func ParseDomains(data []byte, file string) ([]Domain, error) {
	d, elems, err := jsonList(data, file, "a domain list", fixDomains, "hostname")
	if err != nil {
		return nil, err
	}
	list := []Domain{}
	firstLine := map[string]int{}
	for i, el := range elems {
		o, err := d.object(el, fmt.Sprintf("domain %d", i+1), "")
		if err != nil {
			return nil, err
		}
		var dom Domain
		if dom.Hostname, err = o.str("hostname", true); err != nil {
			return nil, err
		}
		if !hostnameRE.MatchString(dom.Hostname) || len(dom.Hostname) > 253 {
			return nil, d.errAt(o.f["hostname"].off, "%s: hostname %q is not a host name", o.where, dom.Hostname)
		}
		o.where = fmt.Sprintf("domain %q", dom.Hostname)
		if first, ok := firstLine[dom.Hostname]; ok {
			return nil, d.errAt(el.off, "%s is listed twice (first on line %d)", o.where, first)
		}
		firstLine[dom.Hostname] = d.line(el.off)
		if dom.Kind, err = o.str("kind", true); err != nil {
			return nil, err
		}
		if dom.Kind != "heroku" && dom.Kind != "custom" {
			return nil, d.errAt(o.f["kind"].off, `%s: kind %q is neither "heroku" nor "custom"`, o.where, dom.Kind)
		}
		list = append(list, dom)
	}
	return list, nil
}

// hostnameRE is a DNS name as Heroku stores one (ASCII, punycode for the rest), optionally
// a wildcard: dot-separated labels of letters, digits, '-' and '_'.
var hostnameRE = regexp.MustCompile(`^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$`)

// checkText checks what every export is, UTF-8 text, and drops a UTF-8 byte order mark
// (PowerShell's Out-File writes one). fix says how to export the file again.
func checkText(data []byte, file, fix string) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) ||
		(len(data) >= 2 && (data[0] == 0) != (data[1] == 0)) {
		return nil, &app.FileError{File: file, Msg: "the file is UTF-16, not UTF-8 text",
			Fix: "Windows PowerShell's > writes UTF-16: " + fix + " in cmd.exe, or pipe it to `Out-File -Encoding utf8 FILE`"}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, &app.FileError{File: file, Line: lineAt(data, i), Msg: "NUL byte: this is not a text file", Fix: fix}
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, &app.FileError{File: file, Line: lineAt(data, i),
				Msg: "invalid UTF-8: the Heroku CLI writes UTF-8 text", Fix: fix}
		}
		i += size
	}
	return data, nil
}

// firstByte is the first byte of data that is not JSON white space, or 0.
func firstByte(data []byte) byte {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 {
		return t[0]
	}
	return 0
}

// lineAt is the line of data that byte offset off is on.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// jdoc is a JSON export being read, for errors located at the line of a value.
type jdoc struct {
	file string
	data []byte
	nl   []int // offsets of the newlines in data, once line has needed them
}

// jval is one JSON value of a jdoc and the byte offset where it starts.
type jval struct {
	raw json.RawMessage
	off int
}

// kind names v's JSON type for messages, without its content (which may be a secret).
func (v jval) kind() string {
	if len(v.raw) == 0 {
		return "nothing"
	}
	switch v.raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// line is the line that byte offset off is on. The parsers ask for one per value they read,
// so it searches an index rather than count newlines each time.
func (d *jdoc) line(off int) int {
	if d.nl == nil {
		d.nl = []int{}
		for i, c := range d.data {
			if c == '\n' {
				d.nl = append(d.nl, i)
			}
		}
	}
	n, _ := slices.BinarySearch(d.nl, off)
	return n + 1
}

func (d *jdoc) errAt(off int, format string, args ...any) *app.FileError {
	return &app.FileError{File: d.file, Line: d.line(off), Msg: fmt.Sprintf(format, args...)}
}

// syntaxCharRE is the character encoding/json quotes in a syntax error, which may be part
// of a value.
var syntaxCharRE = regexp.MustCompile(`^invalid character '(?:[^'\\]|\\.)*'`)

// root checks that the document is one JSON value and returns it.
func (d *jdoc) root(fix string) (jval, error) {
	if firstByte(d.data) == 0 {
		return jval{}, &app.FileError{File: d.file, Msg: "the file is empty", Fix: fix}
	}
	var raw json.RawMessage
	if err := json.Unmarshal(d.data, &raw); err != nil {
		var se *json.SyntaxError
		if !errors.As(err, &se) {
			return jval{}, &app.FileError{File: d.file, Msg: "invalid JSON", Fix: fix}
		}
		pos := min(max(int(se.Offset)-1, 0), len(d.data)) // Offset counts the bad byte
		line := d.line(pos)
		col := utf8.RuneCount(d.data[bytes.LastIndexByte(d.data[:pos], '\n')+1:pos]) + 1
		msg := syntaxCharRE.ReplaceAllString(se.Error(), "unexpected character")
		return jval{}, &app.FileError{File: d.file, Line: line, Msg: fmt.Sprintf("column %d: invalid JSON: %s", col, msg)}
	}
	off := len(d.data) - len(bytes.TrimLeft(d.data, " \t\r\n"))
	return jval{raw: bytes.TrimRight(d.data[off:], " \t\r\n"), off: off}, nil
}

// skipSep returns the offset in b of the first byte from i on that is neither JSON white
// space nor one of seps.
func skipSep(b []byte, i int, seps string) int {
	for i < len(b) && (strings.IndexByte(" \t\r\n", b[i]) >= 0 || strings.IndexByte(seps, b[i]) >= 0) {
		i++
	}
	return i
}

// jmember is one member of a JSON object.
type jmember struct {
	key  string
	line int // of the key
	val  jval
}

// members returns the members of object v in order; a key given twice is an error. where
// prefixes messages.
func (d *jdoc) members(v jval, where string) ([]jmember, error) {
	dec := json.NewDecoder(bytes.NewReader(v.raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, d.errAt(v.off, "%sexpected an object, got %s", where, v.kind())
	}
	var out []jmember
	seen := map[string]int{}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return nil, d.errAt(v.off, "%sinvalid JSON object", where)
		}
		end := int(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, d.errAt(v.off+end, "%sinvalid JSON object", where)
		}
		m := jmember{key: key, line: d.line(v.off + end), val: jval{raw: raw, off: v.off + skipSep(v.raw, end, ":")}}
		if first, ok := seen[key]; ok {
			return nil, &app.FileError{File: d.file, Line: m.line, Msg: fmt.Sprintf("%s%q appears twice (first on line %d)", where, key, first)}
		}
		seen[key] = m.line
		out = append(out, m)
	}
	return out, nil
}

// elements returns the elements of list v; what names v in messages.
func (d *jdoc) elements(v jval, what string) ([]jval, error) {
	dec := json.NewDecoder(bytes.NewReader(v.raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, d.errAt(v.off, "%s: expected a list, got %s", what, v.kind())
	}
	var out []jval
	for dec.More() {
		start := skipSep(v.raw, int(dec.InputOffset()), ",")
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, d.errAt(v.off+start, "%s: invalid JSON list", what)
		}
		out = append(out, jval{raw: raw, off: v.off + start})
	}
	return out, nil
}

// jobj is a JSON object being read field by field.
type jobj struct {
	d     *jdoc
	v     jval
	where string // what the object is, e.g. `add-on "x"`
	path  string // where it is inside that, e.g. "plan."
	f     map[string]jval
}

// object reads v as an object.
func (d *jdoc) object(v jval, where, path string) (*jobj, error) {
	prefix := where
	if prefix != "" {
		prefix += ": "
	}
	if path != "" {
		prefix += strings.TrimSuffix(path, ".") + ": "
	}
	members, err := d.members(v, prefix)
	if err != nil {
		return nil, err
	}
	o := &jobj{d: d, v: v, where: where, path: path, f: map[string]jval{}}
	for _, m := range members {
		o.f[m.key] = m.val
	}
	return o, nil
}

func (o *jobj) errAt(off int, key, format string, args ...any) *app.FileError {
	prefix := o.path + key + ": "
	if o.where != "" {
		prefix = o.where + ": " + prefix
	}
	return o.d.errAt(off, "%s%s", prefix, fmt.Sprintf(format, args...))
}

// str reads a string field. A missing or null field is "", an error when required, as is
// an empty one.
func (o *jobj) str(key string, required bool) (string, error) {
	v, ok := o.f[key]
	if !ok || v.kind() == "null" {
		if required {
			return "", o.errAt(o.v.off, key, "missing")
		}
		return "", nil
	}
	var s string
	if v.kind() != "a string" || json.Unmarshal(v.raw, &s) != nil {
		return "", o.errAt(v.off, key, "expected a string, got %s", v.kind())
	}
	if required && s == "" {
		return "", o.errAt(v.off, key, "empty")
	}
	return s, nil
}

// obj reads a required object field.
func (o *jobj) obj(key string) (*jobj, error) {
	v, ok := o.f[key]
	if !ok || v.kind() == "null" {
		return nil, o.errAt(o.v.off, key, "missing")
	}
	if v.kind() != "an object" {
		return nil, o.errAt(v.off, key, "expected an object, got %s", v.kind())
	}
	return o.d.object(v, o.where, o.path+key+".")
}

// count reads a required whole number of at least 0.
func (o *jobj) count(key string) (int, error) {
	v, ok := o.f[key]
	if !ok || v.kind() == "null" {
		return 0, o.errAt(o.v.off, key, "missing")
	}
	var n int
	if v.kind() != "a number" {
		return 0, o.errAt(v.off, key, "expected a whole number, got %s", v.kind())
	}
	if json.Unmarshal(v.raw, &n) != nil || n < 0 {
		return 0, o.errAt(v.off, key, "expected a whole number of at least 0, got %s", string(v.raw))
	}
	return n, nil
}

// varNames reads an optional list of config var names.
func (o *jobj) varNames(key string) ([]string, error) {
	names := []string{}
	v, ok := o.f[key]
	if !ok || v.kind() == "null" {
		return names, nil
	}
	if v.kind() != "a list" {
		return nil, o.errAt(v.off, key, "expected a list of config var names, got %s", v.kind())
	}
	elems, err := o.d.elements(v, key)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, el := range elems {
		var s string
		if el.kind() != "a string" || json.Unmarshal(el.raw, &s) != nil {
			return nil, o.errAt(el.off, key, "expected a config var name, got %s", el.kind())
		}
		if err := app.CheckVarName(s); err != nil {
			return nil, o.errAt(el.off, key, "%v", err)
		}
		if seen[s] {
			return nil, o.errAt(el.off, key, "%s is listed twice", s)
		}
		seen[s] = true
		names = append(names, s)
	}
	return names, nil
}

// jsonList reads a document that must be a JSON list of objects; what names the list in
// messages ("an add-on list"), fix says how to export it. When the first element lacks the
// field marker and the document looks like another export, it says so.
func jsonList(data []byte, file, what, fix, marker string) (*jdoc, []jval, error) {
	data, err := checkText(data, file, fix)
	if err != nil {
		return nil, nil, err
	}
	d := &jdoc{file: file, data: data}
	if first := firstByte(data); first != '[' && first != '{' && first != 0 {
		start := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
		msg := "expected JSON (" + what + "), not text"
		if tableHeaderRE.Match(data[start:]) {
			msg = "this is a table the Heroku CLI prints, not JSON (" + what + ")"
		}
		return nil, nil, &app.FileError{File: file, Line: lineAt(data, start), Msg: msg, Fix: fix}
	}
	root, err := d.root(fix)
	if err != nil {
		return nil, nil, err
	}
	like := func() error {
		if like := d.identify(); like != "" {
			return &app.FileError{File: file, Msg: "this looks like " + like + ", not " + what, Fix: fix}
		}
		return nil
	}
	if root.kind() != "a list" {
		if err := like(); err != nil {
			return nil, nil, err
		}
		return nil, nil, &app.FileError{File: file, Msg: "expected " + what + ", got " + root.kind(), Fix: fix}
	}
	elems, err := d.elements(root, what)
	if err != nil {
		return nil, nil, err
	}
	var first map[string]json.RawMessage
	if len(elems) > 0 && json.Unmarshal(elems[0].raw, &first) == nil && first != nil {
		if _, ok := first[marker]; !ok {
			if err := like(); err != nil {
				return nil, nil, err
			}
		}
	}
	return d, elems, nil
}

// likeConfig starts identify's description of a config var export.
const likeConfig = "the config vars"

// identify says which Heroku export the document looks like, for messages when it is not
// the one expected; "" when it does not look like any. It reads field names only.
func (d *jdoc) identify() string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(d.data, &obj) == nil && obj != nil {
		switch {
		case has(obj, "dynos", "app") && isKind(obj["dynos"], '['):
			return "what `heroku apps:info --json` prints"
		case has(obj, "addon_service", "plan") && isKind(obj["addon_service"], '{'):
			return "a single add-on"
		case has(obj, "hostname", "kind"):
			return "a single domain"
		case looksLikeConfig(obj):
			return likeConfig + " `heroku config --json` prints"
		}
		return ""
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(d.data, &list) != nil || len(list) == 0 || list[0] == nil {
		return ""
	}
	el := list[0]
	switch {
	case has(el, "addon_service"):
		return "the add-on list `heroku addons --json` prints"
	case has(el, "hostname", "kind"):
		return "the domain list `heroku domains --json` prints"
	case has(el, "type", "quantity"):
		return "a formation list"
	case has(el, "type", "name", "state"):
		return "the dyno list `heroku ps --json` prints (running dynos, not the formation)"
	}
	return ""
}

func has(obj map[string]json.RawMessage, keys ...string) bool {
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			return false
		}
	}
	return true
}

func isKind(v json.RawMessage, first byte) bool { return len(v) > 0 && v[0] == first }

// looksLikeConfig reports whether obj looks like config vars: string values under names
// in capitals, as Heroku's are by convention.
func looksLikeConfig(obj map[string]json.RawMessage) bool {
	for k, v := range obj {
		if !isKind(v, '"') || strings.ToUpper(k) != k {
			return false
		}
	}
	return len(obj) > 0
}
