package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/platform/app"
)

// herokuQuote is the Heroku CLI's quote (packages/cli/src/lib/config/quote.ts in
// heroku/cli), written here apart from the parser so that each checks the other:
//
//	if (/["\s#!$&'()*,:;<=>?@[\\\]^`{|}]/.test(s)) {
//	  if (/['\n]/.test(s)) return '"' + s.replace(/(["\\$`!])/g, '\\$1').replace(/\n/g, '\\n') + '"'
//	  return "'" + s.replace(/(['\\])/g, '\\$1') + "'"
//	}
//	return s
func herokuQuote(s string) string {
	// JavaScript's \s: ECMAScript WhiteSpace (TAB, VT, FF, ZWNBSP, every Zs) and
	// LineTerminator (LF, CR, LS, PS).
	const jsWhite = "\t\v\f\ufeff \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\n\r\u2028\u2029"
	if !strings.ContainsAny(s, jsWhite+"\"#!$&'()*,:;<=>?@[\\]^`{|}") {
		return s
	}
	var b strings.Builder
	if strings.ContainsAny(s, "'\n") {
		b.WriteByte('"')
		for _, r := range s {
			switch r {
			case '"', '\\', '$', '`', '!':
				b.WriteByte('\\')
				b.WriteRune(r)
			case '\n':
				b.WriteString(`\n`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	b.WriteByte('\'')
	for _, r := range s {
		if r == '\'' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// trickyValues are values whose quoting has caught parsers out.
var trickyValues = []string{
	"",
	"plain",
	"en_US.UTF-8",
	"~/+%-._/",
	" ",
	"   ",
	"\t",
	"a\tb",
	"\r",
	"a\rb",
	"ends with CR\r",
	"\r\n",
	"line1\nline2",
	"\n",
	"trailing newline\n",
	`a\nb`,       // backslash and n, not a newline
	"a\\nb\nc",   // backslash n, then a real newline
	`it's`,       // a quote: double-quoted
	`say "it's"`, // both quotes
	`"`,
	`'`,
	`\`,
	`\\`,
	`'\'`,
	`"\"`,
	`C:\Program Files\acme`,
	"a=b",
	"==",
	"$HOME",
	"${HOME}",
	"it's $HOME",
	"`date`",
	"it's `date`",
	"!",
	"it's!",
	"!!",
	"#not a comment",
	"postgres://u:p@host:5432/db?sslmode=require",
	"a;b|c&d<e>f(g)h{i}j[k]l^m*n?o,p",
	"\u00a0",
	"non\u00a0breaking",
	"line\u2028separator",
	"para\u2029separator",
	"bom\ufeff",
	"next\u0085line", // U+0085 is space to Go but not to JavaScript: printed bare
	"zero\u200bwidth",
	"ideographic\u3000space",
	"🚀",
	"emoji 🚀 and it's",
	"日本語",
	"\x01\x1b[0m",
	"-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBg\n-----END PRIVATE KEY-----\n",
	`{"json": "value", "n": [1, 2]}`,
	"\\\n\\",
	"'\n'",
}

func TestHerokuQuoteAsTheCLIPrints(t *testing.T) {
	// What the Heroku CLI prints for these values, worked out by hand from quote.ts.
	tests := []struct {
		name, value, want string
	}{
		{"bare", "production", "production"},
		{"empty", "", ""},
		{"url", "postgres://u:p@h:5432/d", "'postgres://u:p@h:5432/d'"},
		{"space", "a b", "'a b'"},
		{"backslash", `C:\x`, `'C:\\x'`},
		{"literal backslash n", `a\nb`, `'a\\nb'`},
		{"quote", `it's`, `"it's"`},
		{"both quotes", `say "it's"`, `"say \"it's\""`},
		{"newline", "a\nb", `"a\nb"`},
		{"dollar with quote", "it's $HOME `date` !", "\"it's \\$HOME \\`date\\` \\!\""},
		{"dollar alone", "$HOME", "'$HOME'"},
		{"backslash n and quote", `it's a\nb`, `"it's a\\nb"`},
		{"nbsp", "a\u00a0b", "'a\u00a0b'"},
		{"nel", "a\u0085b", "a\u0085b"},
		{"cr", "a\rb", "'a\rb'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := herokuQuote(tc.value); got != tc.want {
				t.Errorf("herokuQuote(%q) = %q, want %q", tc.value, got, tc.want)
			}
		})
	}
}

func TestParseConfigRoundTrip(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n"} {
		var file strings.Builder
		want := map[string]string{}
		var keys []string
		for i, v := range trickyValues {
			k := fmt.Sprintf("K%d", i)
			keys = append(keys, k)
			want[k] = v
			fmt.Fprintf(&file, "%s=%s%s", k, herokuQuote(v), eol)
		}
		t.Run(fmt.Sprintf("eol %q", eol), func(t *testing.T) {
			exp, err := ParseConfig([]byte(file.String()), "config.env")
			if err != nil {
				t.Fatal(err)
			}
			if exp.Format != "shell" || !reflect.DeepEqual(exp.Keys, keys) {
				t.Fatalf("format %q keys %q, want shell %q", exp.Format, exp.Keys, keys)
			}
			for _, k := range keys {
				if exp.Values[k] != want[k] {
					t.Errorf("%s: printed as %q, parsed %q, want %q", k, herokuQuote(want[k]), exp.Values[k], want[k])
				}
			}
		})
	}
	// Each value on its own, as the last line without a newline.
	for i, v := range trickyValues {
		t.Run(fmt.Sprintf("alone %d", i), func(t *testing.T) {
			exp, err := ParseConfig([]byte("K="+herokuQuote(v)), "config.env")
			if err != nil {
				t.Fatalf("%q printed as %q: %v", v, herokuQuote(v), err)
			}
			if got := exp.Values["K"]; got != v {
				t.Fatalf("printed as %q, parsed %q, want %q", herokuQuote(v), got, v)
			}
		})
	}
}

func TestParseConfigShell(t *testing.T) {
	tests := []struct {
		name string
		in   string
		keys []string
		want map[string]string
	}{
		{"empty file", "", []string{}, map[string]string{}},
		{"blank lines only", "\n\r\n  \n", []string{}, map[string]string{}},
		{"bare", "RACK_ENV=production\n", []string{"RACK_ENV"}, map[string]string{"RACK_ENV": "production"}},
		{"empty value", "EMPTY=\n", []string{"EMPTY"}, map[string]string{"EMPTY": ""}},
		{"empty value crlf", "EMPTY=\r\nB=b\r\n", []string{"EMPTY", "B"}, map[string]string{"EMPTY": "", "B": "b"}},
		{"no final newline", "A=1\nB='x y'", []string{"A", "B"}, map[string]string{"A": "1", "B": "x y"}},
		{"blank lines between", "A=1\n\n\r\nB=2\n\n", []string{"A", "B"}, map[string]string{"A": "1", "B": "2"}},
		{"file order", "Z=1\nA=2\n", []string{"Z", "A"}, map[string]string{"Z": "1", "A": "2"}},
		{"single quoted url", "DATABASE_URL='postgres://u:p@h:5432/d'\n", []string{"DATABASE_URL"}, map[string]string{"DATABASE_URL": "postgres://u:p@h:5432/d"}},
		{"single quoted backslashes", `P='C:\\a\\b'`, []string{"P"}, map[string]string{"P": `C:\a\b`}},
		{"single quoted literal backslash n", `P='a\\nb'`, []string{"P"}, map[string]string{"P": `a\nb`}},
		{"single quoted escaped quote", `P='it\'s'`, []string{"P"}, map[string]string{"P": "it's"}},
		{"single quoted raw cr before crlf", "P='a\r'\r\n", []string{"P"}, map[string]string{"P": "a\r"}},
		{"godotenv misreads this", `K="say \"it's\""`, []string{"K"}, map[string]string{"K": `say "it's"`}},
		{"double quoted escapes", "K=\"it's \\$HOME \\`date\\` \\! \\\\\"", []string{"K"}, map[string]string{"K": "it's $HOME `date` ! \\"}},
		{"double quoted newline", `K="a\nb\n"`, []string{"K"}, map[string]string{"K": "a\nb\n"}},
		{"double quoted backslash then n", `K="it's a\\nb"`, []string{"K"}, map[string]string{"K": `it's a\nb`}},
		{"double quoted backslash then newline", `K="'\\\n"`, []string{"K"}, map[string]string{"K": "'\\\n"}},
		{"double quoted crlf", "K=\"it's\"\r\n", []string{"K"}, map[string]string{"K": "it's"}},
		{"unicode separators stay in a line", "K='a\u2028b'\nL=2\n", []string{"K", "L"}, map[string]string{"K": "a\u2028b", "L": "2"}},
		{"bare NEL", "K=a\u0085b\n", []string{"K"}, map[string]string{"K": "a\u0085b"}},
		{"bare emoji", "K=🚀\n", []string{"K"}, map[string]string{"K": "🚀"}},
		{"utf-8 bom", "\ufeffK=v\n", []string{"K"}, map[string]string{"K": "v"}},
		{"names with dot and dash", "a.b-c=1\n", []string{"a.b-c"}, map[string]string{"a.b-c": "1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := ParseConfig([]byte(tc.in), "config.env")
			if err != nil {
				t.Fatal(err)
			}
			if exp.Format != "shell" {
				t.Errorf("format %q, want shell", exp.Format)
			}
			if !reflect.DeepEqual(exp.Keys, tc.keys) {
				t.Errorf("keys %q, want %q", exp.Keys, tc.keys)
			}
			if !reflect.DeepEqual(exp.Values, tc.want) {
				t.Errorf("values %q, want %q", exp.Values, tc.want)
			}
		})
	}
}

func TestParseConfigJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		keys []string
		want map[string]string
	}{
		{"empty object", "{}\n", []string{}, map[string]string{}},
		{"sorted keys", `{"Z": "1", "A": "2", "M": ""}`, []string{"A", "M", "Z"}, map[string]string{"Z": "1", "A": "2", "M": ""}},
		{"escapes", `{"K": "say \"it's\"\n\u00e9 \\n $HOME"}`, []string{"K"}, map[string]string{"K": "say \"it's\"\né \\n $HOME"}},
		{"leading space and bom", "\ufeff \n{\"K\": \"v\"}", []string{"K"}, map[string]string{"K": "v"}},
		{"crlf", "{\r\n  \"K\": \"v\"\r\n}\r\n", []string{"K"}, map[string]string{"K": "v"}},
		{"names another export uses", `{"hostname": "a", "kind": "b", "dynos": "c", "app": "d"}`, []string{"app", "dynos", "hostname", "kind"}, map[string]string{"hostname": "a", "kind": "b", "dynos": "c", "app": "d"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := ParseConfig([]byte(tc.in), "config.json")
			if err != nil {
				t.Fatal(err)
			}
			if exp.Format != "json" {
				t.Errorf("format %q, want json", exp.Format)
			}
			if !reflect.DeepEqual(exp.Keys, tc.keys) {
				t.Errorf("keys %q, want %q", exp.Keys, tc.keys)
			}
			if !reflect.DeepEqual(exp.Values, tc.want) {
				t.Errorf("values %q, want %q", exp.Values, tc.want)
			}
		})
	}
}

func TestParseConfigTestdata(t *testing.T) {
	// The same config vars as the CLI prints them in each format.
	want := map[string]string{
		"DATABASE_URL":    "postgres://u1abc:p4ss@ec2-1-2-3-4.eu-west-1.compute.amazonaws.com:5432/d9abc",
		"LANG":            "en_US.UTF-8",
		"RACK_ENV":        "production",
		"SECRET_KEY_BASE": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"EMPTY":           "",
		"GREETING":        "say \"it's\" $HOME `date` !",
		"PRIVATE_KEY":     "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBg\n-----END PRIVATE KEY-----\n",
		"WINDOWS_PATH":    `C:\Program Files\acme`,
		"SENTRY_DSN":      "https://abc@o1.ingest.sentry.io/2",
	}
	tests := []struct {
		name, file, format string
		keys               []string
	}{
		{"shell", "config.shell", "shell", []string{"DATABASE_URL", "LANG", "RACK_ENV", "SECRET_KEY_BASE", "EMPTY", "GREETING", "PRIVATE_KEY", "WINDOWS_PATH", "SENTRY_DSN"}},
		{"json", "config.json", "json", []string{"DATABASE_URL", "EMPTY", "GREETING", "PRIVATE_KEY", "RACK_ENV"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := ParseConfig(readTestdata(t, tc.file), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if exp.Format != tc.format || !reflect.DeepEqual(exp.Keys, tc.keys) {
				t.Fatalf("format %q keys %q, want %q %q", exp.Format, exp.Keys, tc.format, tc.keys)
			}
			for _, k := range exp.Keys {
				if exp.Values[k] != want[k] {
					t.Errorf("%s = %q, want %q", k, exp.Values[k], want[k])
				}
			}
			// Printing the values again by the CLI's rule gives the shell file back.
			if tc.format == "shell" {
				var b strings.Builder
				for _, k := range exp.Keys {
					fmt.Fprintf(&b, "%s=%s\n", k, herokuQuote(exp.Values[k]))
				}
				if b.String() != string(readTestdata(t, tc.file)) {
					t.Errorf("quoting the values again gives\n%s\nnot the file", b.String())
				}
			}
		})
	}
}

// secret is in the value of every error case, so that a message quoting it is caught.
const secret = "s3cr3t"

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		in      string
		want    string
		wantFix bool
	}{
		{"human table", "config.env", "=== acme-web Config Vars\n\nDATABASE_URL: " + secret + "\n",
			"config.env:1: this is the table `heroku config` prints, not an export of the config vars", true},
		{"human table after blank line", "config.env", "\n=== acme Config Vars\nK: " + secret + "\n",
			"config.env:2: this is the table `heroku config` prints, not an export of the config vars", true},
		{"coloured human table", "config.env", "\x1b[1m=== acme-web Config Vars\x1b[22m\n\n\x1b[32mK\x1b[39m: " + secret + "\n",
			"config.env:1: this is the table `heroku config` prints, not an export of the config vars", true},
		{"table line without header", "config.env", "K: " + secret + "\n",
			"config.env:1: expected KEY=VALUE, got KEY: VALUE as in the table `heroku config` prints", true},
		{"no equals", "config.env", "A=1\n" + secret + "\n",
			"config.env:2: expected KEY=VALUE: this line has no '='", true},
		{"comment", "config.env", "# " + secret + "\n",
			"config.env:1: expected KEY=VALUE: this line has no '='", true},
		{"nothing before equals", "config.env", "=" + secret + "\n",
			"config.env:1: expected KEY=VALUE: nothing before '='", false},
		{"bad name not quoted", "config.env", "A=1\nB=2\nMII" + secret + "+/x==\n",
			"config.env:3: what comes before '=' is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)", false},
		{"export prefix", "config.env", "export K=" + secret + "\n",
			"config.env:1: what comes before '=' is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)", false},
		{"leading digit", "config.env", "1K=" + secret + "\n",
			"config.env:1: what comes before '=' is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)", false},
		{"duplicate", "config.env", "K=1\nA=2\nK=" + secret + "\n",
			"config.env:3: K is set twice (first on line 1)", false},
		{"bare space", "config.env", "K=" + secret + " x\n",
			"config.env:1: K: column 9: a bare value with a space or one of \"#!$&'()*,:;<=>?@[\\]^`{|} in it, which Heroku would have quoted", false},
		{"bare dollar", "config.env", "K=$" + secret + "\n",
			"config.env:1: K: column 3: a bare value with a space or one of \"#!$&'()*,:;<=>?@[\\]^`{|} in it, which Heroku would have quoted", false},
		{"bare nbsp", "config.env", "K=" + secret + "\u00a0\n",
			"config.env:1: K: column 9: a bare value with a space or one of \"#!$&'()*,:;<=>?@[\\]^`{|} in it, which Heroku would have quoted", false},
		{"bare cr inside", "config.env", "K=" + secret + "\rx\n",
			"config.env:1: K: column 9: a bare value with a space or one of \"#!$&'()*,:;<=>?@[\\]^`{|} in it, which Heroku would have quoted", false},
		{"bare trailing space", "config.env", "K=" + secret + " \n",
			"config.env:1: K: column 9: a bare value with a space or one of \"#!$&'()*,:;<=>?@[\\]^`{|} in it, which Heroku would have quoted", false},
		{"bare quote inside", "config.env", "K=" + secret + "'x'\n",
			"config.env:1: K: column 9: a bare value with a space or one of \"#!$&'()*,:;<=>?@[\\]^`{|} in it, which Heroku would have quoted", false},
		{"unterminated single", "config.env", "A=1\nK='" + secret + "\n",
			"config.env:2: K: column 3: the opening ' is never closed", false},
		{"unterminated double", "config.env", "K=\"it's " + secret + "\n",
			"config.env:1: K: column 3: the opening \" is never closed", false},
		{"double ends in backslash", "config.env", "K=\"" + secret + "\\",
			"config.env:1: K: column 3: the opening \" is never closed", false},
		{"single unknown escape", "config.env", "K='" + secret + "\\n'\n",
			"config.env:1: K: column 10: a backslash inside single quotes that is not followed by \\ or '", false},
		{"double unknown escape", "config.env", "K=\"it's " + secret + "\\t\"\n",
			"config.env:1: K: column 15: unknown escape: inside double quotes Heroku escapes only \" \\ $ ` ! and newlines (\\n)", false},
		{"double unescaped dollar", "config.env", "K=\"it's $" + secret + "\"\n",
			"config.env:1: K: column 9: an unescaped $, ` or ! inside double quotes, which Heroku would have escaped", false},
		{"double unescaped backtick", "config.env", "K=\"it's `" + secret + "`\"\n",
			"config.env:1: K: column 9: an unescaped $, ` or ! inside double quotes, which Heroku would have escaped", false},
		{"text after single", "config.env", "K='" + secret + " x'y\n",
			"config.env:1: K: column 13: text after the closing quote", false},
		{"space after double", "config.env", "K=\"it's " + secret + "\" \n",
			"config.env:1: K: column 16: text after the closing quote", false},
		{"two values", "config.env", "K='a b' '" + secret + "'\n",
			"config.env:1: K: column 8: text after the closing quote", false},
		{"utf-16", "config.env", "\xff\xfeK\x00=\x00",
			"config.env: the file is UTF-16, not UTF-8 text", true},
		{"utf-16 without bom", "config.env", "K\x00=\x00",
			"config.env: the file is UTF-16, not UTF-8 text", true},
		{"nul", "config.env", "A=1\nK=" + secret + "\x00\n",
			"config.env:2: NUL byte: this is not a text file", true},
		{"invalid utf-8", "config.env", "A=1\n\nK=" + secret + "\xff\n",
			"config.env:3: invalid UTF-8: the Heroku CLI writes UTF-8 text", true},
		{"json not string", "config.json", "{\n  \"A\": \"1\",\n  \"PORT\": 5000\n}",
			"config.json:3: PORT: expected a string, got a number", false},
		{"json null", "config.json", "{\n  \"K\": null\n}",
			"config.json:2: K: expected a string, got null", false},
		{"json duplicate", "config.json", "{\n  \"K\": \"1\",\n  \"A\": \"2\",\n  \"K\": \"" + secret + "\"\n}",
			"config.json:4: \"K\" appears twice (first on line 2)", false},
		{"json bad name", "config.json", "{\n  \"my var\": \"" + secret + "\"\n}",
			"config.json:2: \"my var\" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)", false},
		{"json nul", "config.json", "{\"K\": \"" + secret + "\\u0000\"}",
			"config.json:1: K: the value holds a NUL character, which no environment variable can", false},
		{"json syntax quotes no value", "config.json", "{\n  \"K\": \"" + secret + "\"x\"\n}",
			"config.json:2: column 16: invalid JSON: unexpected character after object key:value pair", false},
		{"json syntax error at a quote", "config.json", "{\"K\": \"" + secret + "\"'\"}",
			"config.json:1: column 15: invalid JSON: unexpected character after object key:value pair", false},
		{"json unterminated", "config.json", "{\"K\": \"" + secret,
			"config.json:1: column 13: invalid JSON: unexpected end of JSON input", false},
		{"json list", "config.json", `[{"addon_service": {"name": "x"}, "plan": {"name": "` + secret + `"}}]`,
			"config.json: this looks like the add-on list `heroku addons --json` prints, not config vars", true},
		{"apps info", "config.json", `{"app": {"name": "` + secret + `"}, "dynos": []}`,
			"config.json: this looks like what `heroku apps:info --json` prints, not config vars", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := ParseConfig([]byte(tc.in), tc.file)
			if err == nil {
				t.Fatalf("accepted as %q", exp.Values)
			}
			fe := checkFileError(t, err, tc.file, tc.want)
			if tc.wantFix != (fe.Fix != "") {
				t.Errorf("hint %q, want one: %v", fe.Fix, tc.wantFix)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(fe.Fix, secret) {
				t.Errorf("the error quotes the value: %q (hint %q)", err, fe.Fix)
			}
		})
	}
}

func TestParseConfigRefusesTheTableTestdata(t *testing.T) {
	_, err := ParseConfig(readTestdata(t, "config.table"), "config.table")
	fe := checkFileError(t, err, "config.table", "config.table:1: this is the table `heroku config` prints, not an export of the config vars")
	if !strings.Contains(fe.Fix, "heroku config --shell") || !strings.Contains(fe.Fix, "heroku config --json") {
		t.Errorf("hint %q does not say how to export", fe.Fix)
	}
	if strings.Contains(err.Error()+fe.Fix, "postgres://") {
		t.Errorf("the error quotes a value: %v", err)
	}
}

func TestJSSpaceIsNotUnicodeIsSpace(t *testing.T) {
	tests := []struct {
		name   string
		r      rune
		quoted bool
	}{
		{"space", ' ', true},
		{"vertical tab", '\v', true},
		{"nbsp", 0x00a0, true},
		{"ogham space", 0x1680, true},
		{"en quad", 0x2000, true},
		{"hair space", 0x200a, true},
		{"line separator", 0x2028, true},
		{"narrow nbsp", 0x202f, true},
		{"ideographic space", 0x3000, true},
		{"bom is JavaScript white space", 0xfeff, true},
		{"next line is not", 0x0085, false},
		{"zero width space is not", 0x200b, false},
		{"mongolian vowel separator is not (since Unicode 6.3)", 0x180e, false},
		{"tilde", '~', false},
		{"percent", '%', false},
		{"slash", '/', false},
		{"plus", '+', false},
		{"hash", '#', true},
		{"backslash", '\\', true},
		{"colon", ':', true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := quoted(tc.r); got != tc.quoted {
				t.Errorf("quoted(%U) = %v, want %v", tc.r, got, tc.quoted)
			}
			if got := herokuQuote(string(tc.r)) != string(tc.r); got != tc.quoted {
				t.Errorf("herokuQuote quotes %U: %v, want %v", tc.r, got, tc.quoted)
			}
		})
	}
}

func TestParseAddons(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Addon
	}{
		{"empty list", "[]\n", []Addon{}},
		{"minimal", `[{"name": "a-1", "addon_service": {"name": "svc"}, "plan": {"name": "svc:p"}, "app": {"name": "x"}}]`,
			[]Addon{{Name: "a-1", Service: "svc", Plan: "svc:p", App: "x", ConfigVars: []string{}}}},
		{"nulls for optional fields", `[{"name": "a-1", "addon_service": {"name": "svc", "human_name": null}, "plan": {"name": "svc:p"}, "app": {"name": "x"}, "config_vars": null}]`,
			[]Addon{{Name: "a-1", Service: "svc", Plan: "svc:p", App: "x", ConfigVars: []string{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAddons([]byte(tc.in), "addons.json")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	t.Run("testdata", func(t *testing.T) {
		got, err := ParseAddons(readTestdata(t, "addons.json"), "addons.json")
		if err != nil {
			t.Fatal(err)
		}
		want := []Addon{
			{Name: "postgresql-curly-12345", Service: "heroku-postgresql", HumanName: "Heroku Postgres", Plan: "heroku-postgresql:essential-0", App: "acme-web", ConfigVars: []string{"DATABASE_URL"}},
			{Name: "redis-rigid-67890", Service: "heroku-redis", HumanName: "Heroku Key-Value Store", Plan: "heroku-redis:mini", App: "acme-shared", ConfigVars: []string{"REDIS_URL", "REDIS_TLS_URL"}},
			{Name: "scheduler-shaped-24680", Service: "scheduler", Plan: "scheduler:standard", App: "acme-web", ConfigVars: []string{}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
}

func TestParseAddonsErrors(t *testing.T) {
	const ok = `{"name": "a-1", "addon_service": {"name": "svc"}, "plan": {"name": "svc:p"}, "app": {"name": "x"}}`
	tests := []struct {
		name, in, want string
	}{
		{"empty file", "", "addons.json: the file is empty"},
		{"human table", "=== acme-web Add-ons\n", "addons.json:1: this is a table the Heroku CLI prints, not JSON (an add-on list)"},
		{"text", "\nAdd-on  Plan  Price\n", "addons.json:2: expected JSON (an add-on list), not text"},
		{"object", `{"name": "a"}`, "addons.json: expected an add-on list, got an object"},
		{"domains", readTestdataString(t, "domains.json"), "addons.json: this looks like the domain list `heroku domains --json` prints, not an add-on list"},
		{"formation", readTestdataString(t, "formation.json"), "addons.json: this looks like a formation list, not an add-on list"},
		{"apps info", readTestdataString(t, "apps-info.json"), "addons.json: this looks like what `heroku apps:info --json` prints, not an add-on list"},
		{"config json", `{"DATABASE_URL": "postgres://x"}`, "addons.json: this looks like the config vars `heroku config --json` prints, not an add-on list"},
		{"element not object", "[\n  " + ok + ",\n  \"a\"\n]", "addons.json:3: add-on 2: expected an object, got a string"},
		{"no name", "[\n{\"addon_service\": {\"name\": \"svc\"}}]", "addons.json:2: add-on 1: name: missing"},
		{"empty name", "[{\"name\": \"\"}]", "addons.json:1: add-on 1: name: empty"},
		{"name a number", "[{\n\"name\": 5}]", "addons.json:2: add-on 1: name: expected a string, got a number"},
		{"no service", `[{"name": "a-1", "plan": {"name": "p"}}]`, `addons.json:1: add-on "a-1": addon_service: missing`},
		{"service a string", "[{\"name\": \"a-1\",\n \"addon_service\": \"svc\"}]", `addons.json:2: add-on "a-1": addon_service: expected an object, got a string`},
		{"service name missing", "[{\"name\": \"a-1\",\n \"addon_service\": {}}]", `addons.json:2: add-on "a-1": addon_service.name: missing`},
		{"human name a list", "[{\"name\": \"a-1\", \"addon_service\": {\"name\": \"s\",\n \"human_name\": []}}]", `addons.json:2: add-on "a-1": addon_service.human_name: expected a string, got a list`},
		{"plan missing", `[{"name": "a-1", "addon_service": {"name": "s"}, "app": {"name": "x"}}]`, `addons.json:1: add-on "a-1": plan: missing`},
		{"plan name null", `[{"name": "a-1", "addon_service": {"name": "s"}, "plan": {"name": null}}]`, `addons.json:1: add-on "a-1": plan.name: missing`},
		{"app missing", `[{"name": "a-1", "addon_service": {"name": "s"}, "plan": {"name": "s:p"}}]`, `addons.json:1: add-on "a-1": app: missing`},
		{"config vars a string", "[{\"name\": \"a-1\", \"addon_service\": {\"name\": \"s\"}, \"plan\": {\"name\": \"s:p\"}, \"app\": {\"name\": \"x\"},\n\"config_vars\": \"DATABASE_URL\"}]", `addons.json:2: add-on "a-1": config_vars: expected a list of config var names, got a string`},
		{"config var a number", "[{\"name\": \"a-1\", \"addon_service\": {\"name\": \"s\"}, \"plan\": {\"name\": \"s:p\"}, \"app\": {\"name\": \"x\"}, \"config_vars\": [\n\"A\",\n 1]}]", `addons.json:3: add-on "a-1": config_vars: expected a config var name, got a number`},
		{"config var invalid", `[{"name": "a-1", "addon_service": {"name": "s"}, "plan": {"name": "s:p"}, "app": {"name": "x"}, "config_vars": ["DATABASE URL"]}]`, `addons.json:1: add-on "a-1": config_vars: "DATABASE URL" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)`},
		{"config var twice", `[{"name": "a-1", "addon_service": {"name": "s"}, "plan": {"name": "s:p"}, "app": {"name": "x"}, "config_vars": ["A", "A"]}]`, `addons.json:1: add-on "a-1": config_vars: A is listed twice`},
		{"duplicate add-on", "[\n" + ok + ",\n" + ok + "\n]", `addons.json:3: add-on "a-1" is listed twice (first on line 2)`},
		{"duplicate field", "[{\"name\": \"a-1\",\n\"name\": \"a-2\"}]", `addons.json:2: add-on 1: "name" appears twice (first on line 1)`},
		{"syntax", "[\n  {\"name\": \"a\",}\n]", "addons.json:2: column 16: invalid JSON: unexpected character looking for beginning of object key string"},
		{"trailing text", "[]\nNo add-ons.\n", "addons.json:2: column 1: invalid JSON: unexpected character after top-level value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAddons([]byte(tc.in), "addons.json")
			if err == nil {
				t.Fatalf("accepted as %+v", got)
			}
			checkFileError(t, err, "addons.json", tc.want)
		})
	}
}

func TestParseFormation(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		in     string
		want   []Formation
		source string
	}{
		{"apps:info testdata", "apps-info.json", readTestdataString(t, "apps-info.json"),
			[]Formation{{Type: "web", Quantity: 2, Size: "Standard-2X"}, {Type: "worker", Quantity: 1, Size: "Standard-1X"}}, "apps:info"},
		{"formation testdata", "formation.json", readTestdataString(t, "formation.json"),
			[]Formation{{Type: "web", Quantity: 2, Size: "standard-2X"}, {Type: "worker", Quantity: 0, Size: "standard-1X"}}, "formation"},
		{"apps:info release dyno ignored", "info.json", `{"app": {}, "dynos": [{"type": "release", "size": "Basic"}, {"type": "web", "size": "Basic", "name": "web.1"}]}`,
			[]Formation{{Type: "web", Quantity: 1, Size: "Basic"}}, "apps:info"},
		{"apps:info one-off without size", "info.json", `{"app": {}, "dynos": [{"type": "run"}, {"type": "web", "size": "Eco"}]}`,
			[]Formation{{Type: "web", Quantity: 1, Size: "Eco"}}, "apps:info"},
		{"empty formation list", "formation.json", "[]", []Formation{}, "formation"},
		{"formation sorted", "formation.json", `[{"type": "web", "quantity": 1, "size": "Basic"}, {"type": "clock", "quantity": 1, "size": "Basic"}]`,
			[]Formation{{Type: "clock", Quantity: 1, Size: "Basic"}, {Type: "web", Quantity: 1, Size: "Basic"}}, "formation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, source, err := ParseFormation([]byte(tc.in), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if source != tc.source || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v from %q\nwant %+v from %q", got, source, tc.want, tc.source)
			}
		})
	}
}

func TestParseFormationErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantFix        bool
	}{
		{"empty dynos", "{\n  \"app\": {\"name\": \"a\"},\n  \"dynos\": []\n}", "f.json:3: no dynos are listed", true},
		{"null dynos", "{\"app\": {},\n\"dynos\": null}", "f.json:2: no dynos are listed", true},
		{"only one-offs", `{"app": {}, "dynos": [{"type": "run", "name": "run.1", "size": "Basic"}, {"type": "scheduler"}]}`,
			"f.json:1: no dynos are listed but one-off ones (run, scheduler, release)", true},
		{"dynos not a list", "{\"app\": {},\n\"dynos\": {}}", "f.json:2: dynos: expected a list, got an object", false},
		{"dyno without type", "{\"app\": {}, \"dynos\": [\n{\"name\": \"web.1\", \"size\": \"Basic\"}]}", "f.json:2: dyno web.1: type: missing", false},
		{"dyno without size", "{\"app\": {}, \"dynos\": [\n{\"name\": \"web.1\", \"type\": \"web\"}]}", "f.json:2: dyno web.1: size: missing", false},
		{"dyno size a number", "{\"app\": {}, \"dynos\": [{\"type\": \"web\",\n\"size\": 1}]}", "f.json:2: dyno 1: size: expected a string, got a number", false},
		{"sizes differ", "{\"app\": {}, \"dynos\": [\n{\"name\": \"web.1\", \"type\": \"web\", \"size\": \"Basic\"},\n{\"name\": \"web.2\", \"type\": \"web\", \"size\": \"Standard-1X\"}]}",
			`f.json:3: dyno web.2 has size "Standard-1X", but dyno web.1 has "Basic": a process type's dynos have one size`, true},
		{"object without dynos", `{"app": {"name": "a"}}`, "f.json: expected the object that `heroku apps:info --json` prints, with a \"dynos\" list", true},
		{"config json", `{"DATABASE_URL": "postgres://x"}`, "f.json: this looks like the config vars `heroku config --json` prints, not the app's formation", true},
		{"addons", readTestdataString(t, "addons.json"), "f.json: this looks like the add-on list `heroku addons --json` prints, not a formation list", true},
		{"domains", readTestdataString(t, "domains.json"), "f.json: this looks like the domain list `heroku domains --json` prints, not a formation list", true},
		{"dyno list", `[{"name": "web.1", "type": "web", "size": "Basic", "state": "up"}]`, "f.json: this looks like the dyno list `heroku ps --json` prints (running dynos, not the formation), not a formation list", true},
		{"negative quantity", "[{\"type\": \"web\",\n\"quantity\": -1, \"size\": \"Basic\"}]", `f.json:2: process type "web": quantity: expected a whole number of at least 0, got -1`, false},
		{"fractional quantity", `[{"type": "web", "quantity": 1.5, "size": "Basic"}]`, `f.json:1: process type "web": quantity: expected a whole number of at least 0, got 1.5`, false},
		{"quantity a string", `[{"type": "web", "quantity": "1", "size": "Basic"}]`, `f.json:1: process type "web": quantity: expected a whole number, got a string`, false},
		{"quantity missing", `[{"type": "web", "size": "Basic"}]`, `f.json:1: process type "web": quantity: missing`, false},
		{"size missing", `[{"type": "web", "quantity": 1}]`, `f.json:1: process type "web": size: missing`, false},
		{"type twice", "[{\"type\": \"web\", \"quantity\": 1, \"size\": \"Basic\"},\n{\"type\": \"web\", \"quantity\": 2, \"size\": \"Basic\"}]", `f.json:2: process type "web" is listed twice (first on line 1)`, false},
		{"text", "web=1:Basic worker=0:Basic\n", "f.json:1: expected JSON (a formation list), not text", true},
		{"empty", " \n", "f.json: the file is empty", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, source, err := ParseFormation([]byte(tc.in), "f.json")
			if err == nil {
				t.Fatalf("accepted as %+v from %q", got, source)
			}
			fe := checkFileError(t, err, "f.json", tc.want)
			if tc.wantFix != (fe.Fix != "") {
				t.Errorf("hint %q, want one: %v", fe.Fix, tc.wantFix)
			}
		})
	}
}

func TestParseDomains(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Domain
	}{
		{"testdata", readTestdataString(t, "domains.json"), []Domain{
			{Hostname: "acme-web-0123456789ab.herokuapp.com", Kind: "heroku"},
			{Hostname: "www.example.com", Kind: "custom"},
			{Hostname: "*.example.com", Kind: "custom"},
		}},
		{"empty", "[]", []Domain{}},
		{"apex and punycode", `[{"hostname": "xn--bcher-kva.example", "kind": "custom"}, {"hostname": "example.com", "kind": "custom"}]`, []Domain{
			{Hostname: "xn--bcher-kva.example", Kind: "custom"},
			{Hostname: "example.com", Kind: "custom"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDomains([]byte(tc.in), "domains.json")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseDomainsErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"human output", "=== acme-web Heroku Domain\nacme-web.herokuapp.com\n", "d.json:1: this is a table the Heroku CLI prints, not JSON (a domain list)"},
		{"addons", readTestdataString(t, "addons.json"), "d.json: this looks like the add-on list `heroku addons --json` prints, not a domain list"},
		{"single domain", `{"hostname": "www.example.com", "kind": "custom"}`, "d.json: this looks like a single domain, not a domain list"},
		{"hostname missing", "[\n{\"kind\": \"custom\"}]", "d.json:2: domain 1: hostname: missing"},
		{"hostname with space", "[{\n\"hostname\": \"www example.com\", \"kind\": \"custom\"}]", `d.json:2: domain 1: hostname "www example.com" is not a host name`},
		{"hostname with path", `[{"hostname": "example.com/x", "kind": "custom"}]`, `d.json:1: domain 1: hostname "example.com/x" is not a host name`},
		{"empty label", `[{"hostname": "a..b", "kind": "custom"}]`, `d.json:1: domain 1: hostname "a..b" is not a host name`},
		{"wildcard inside", `[{"hostname": "a.*.b", "kind": "custom"}]`, `d.json:1: domain 1: hostname "a.*.b" is not a host name`},
		{"kind unknown", "[{\"hostname\": \"a.b\",\n\"kind\": \"apex\"}]", `d.json:2: domain "a.b": kind "apex" is neither "heroku" nor "custom"`},
		{"kind missing", `[{"hostname": "a.b"}]`, `d.json:1: domain "a.b": kind: missing`},
		{"duplicate", "[{\"hostname\": \"a.b\", \"kind\": \"custom\"},\n {\"hostname\": \"a.b\", \"kind\": \"custom\"}]", `d.json:2: domain "a.b" is listed twice (first on line 1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDomains([]byte(tc.in), "d.json")
			if err == nil {
				t.Fatalf("accepted as %+v", got)
			}
			checkFileError(t, err, "d.json", tc.want)
		})
	}
}

// checkFileError checks that err is a *app.FileError for file that reads want.
func checkFileError(t *testing.T, err error, file, want string) *app.FileError {
	t.Helper()
	var fe *app.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error is %T, want *app.FileError: %v", err, err)
	}
	if fe.File != file {
		t.Errorf("error names %q, want %q", fe.File, file)
	}
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
	return fe
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readTestdataString(t *testing.T, name string) string { return string(readTestdata(t, name)) }

// The testdata JSON is well-formed, so the error cases above test the parsers, not typos.
func TestTestdataIsJSON(t *testing.T) {
	for _, name := range []string{"addons.json", "apps-info.json", "formation.json", "domains.json", "config.json"} {
		t.Run(name, func(t *testing.T) {
			if !json.Valid(readTestdata(t, name)) {
				t.Fatal("not valid JSON")
			}
		})
	}
}
