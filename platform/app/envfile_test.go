package app

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// envCases are ParseEnv's table; the fuzz target is seeded from it too.
var envCases = []struct {
	name    string
	in      string
	want    map[string]string
	wantErr string // the whole error text; "" means success
}{
	{name: "empty", in: "", want: map[string]string{}},
	{
		name: "plain, quoted and exported",
		in:   "A=1\nB=\"two words\"\nC='single $A'\nexport D=4\n  E = five\n",
		want: map[string]string{"A": "1", "B": "two words", "C": "single $A", "D": "4", "E": "five"},
	},
	{
		name: "comments and blank lines",
		in:   "# a comment\n\nA=1 # trailing comment\nB=\"x # not a comment\"\n   # indented comment\n",
		want: map[string]string{"A": "1", "B": "x # not a comment"},
	},
	{
		name: "empty values",
		in:   "A=\nB=\"\"\nC=''\n",
		want: map[string]string{"A": "", "B": "", "C": ""},
	},
	{
		name: "expansion within the file",
		in:   "HOST=db\nPORT=5432\nURL=postgres://${HOST}:$PORT/app\nNOPE=${UNSET_IN_FILE}x\nLITERAL='${HOST}'\n",
		want: map[string]string{"HOST": "db", "PORT": "5432", "URL": "postgres://db:5432/app", "NOPE": "x", "LITERAL": "${HOST}"},
	},
	{
		name: "escapes and multi-line double quotes",
		in:   "PEM=\"-----BEGIN-----\\nabc\\n-----END-----\"\nML=\"line1\nline2\"\n",
		want: map[string]string{"PEM": "-----BEGIN-----\nabc\n-----END-----", "ML": "line1\nline2"},
	},
	{
		name: "CRLF and a byte order mark",
		in:   "\xef\xbb\xbfA=1\r\nB=2\r\n",
		want: map[string]string{"A": "1", "B": "2"},
	},
	{
		name: "unquoted spaces are kept (java-getting-started)",
		in:   "ENERGY=20 GeV\n",
		want: map[string]string{"ENERGY": "20 GeV"},
	},
	{
		name: "yaml-style colon",
		in:   "A: b\n",
		want: map[string]string{"A": "b"},
	},
	{
		name: "KEY=#x does not panic (godotenv v1.6 pre-releases do)",
		in:   "KEY=#x\nNEXT=1\n",
		want: map[string]string{"KEY": "#x", "NEXT": "1"},
	},
	{
		name: "dots in names",
		in:   "spring.profiles.active=dev\n",
		want: map[string]string{"spring.profiles.active": "dev"},
	},
	{
		name:    "line without '='",
		in:      "A=1\n# fine\nB\nC=3\n",
		wantErr: `.env:3: expected NAME=value: this line has no '='`,
	},
	{
		name:    "what follows the bad line is not quoted (it may hold secrets)",
		in:      "A=1\nB\nDATABASE_URL=postgres://u:hunter2@db/app\n",
		wantErr: `.env:2: expected NAME=value: this line has no '='`,
	},
	{
		name:    "bad line with CRLF endings",
		in:      "A=1\r\nB=2\r\nC D E\r\nF=4\r\n",
		wantErr: `.env:3: expected NAME=value: this line has no '='`,
	},
	{
		name:    "bad line after a multi-line value",
		in:      "PEM=\"-----BEGIN-----\nabc\n-----END-----\"\nB\n",
		wantErr: `.env:4: expected NAME=value: this line has no '='`,
	},
	{
		name:    "quote in a name",
		in:      "A=1\n\"B\"=2\n",
		wantErr: `.env:2: "\"B\"" is not a valid variable name in an env file: '"' at column 1 (letters, digits, _ and . only)`,
	},
	{
		name:    "dash in a name",
		in:      "A=1\nB=2\nMY-VAR=3\n",
		wantErr: `.env:3: "MY-VAR" is not a valid variable name in an env file: '-' at column 3 (letters, digits, _ and . only)`,
	},
	{
		name:    "unterminated quote",
		in:      "A=1\nB=\"open\nC=3\n",
		wantErr: ".env:2: B: the value's opening \" is never closed",
	},
	{
		name:    "unterminated quote with an escaped one inside",
		in:      "A=1\nB=2\nC='it\\'s\nD=4\n",
		wantErr: ".env:3: C: the value's opening ' is never closed",
	},
	{
		name:    "unterminated quote after a closed multi-line one",
		in:      "A=\"x\ny\"\nB=\"z\n",
		wantErr: ".env:3: B: the value's opening \" is never closed",
	},
	{
		name:    "export with only spaces after it",
		in:      "A=1\nexport   ",
		wantErr: ".env:2: expected NAME=value",
	},
	{
		name:    "NUL byte",
		in:      "A=1\nB=x\x00y\n",
		wantErr: ".env:2: NUL byte: this is not a text file",
	},
	{
		name:    "name starting with a digit",
		in:      "A=1\n2FA_SECRET=x\n",
		wantErr: `.env:2: "2FA_SECRET" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)`,
	},
	{
		name:    "name with a space",
		in:      "A=1\nMY VAR=x\n",
		wantErr: `.env:2: "MY VAR" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)`,
	},
	{
		name:    "non-ASCII name (godotenv reads it byte by byte)",
		in:      "A=1\n\nÄPFEL=x\n",
		wantErr: `.env:3: "ÄPFEL" is not a valid variable name in an env file: 'Ä' at column 1 (letters, digits, _ and . only)`,
	},
	{
		name:    "two bad names: the first line is reported",
		in:      "A=1\nZ Z=x\nB B=y\n",
		wantErr: `.env:2: "Z Z" is not a valid config var name (letters, digits, _, . and - only, not starting with a digit)`,
	},
	{
		name:    "empty name",
		in:      "A=1\n=x\n",
		wantErr: ".env:2: expected NAME=value",
	},
	{
		name:    "export without a value",
		in:      "A=1\nB=2\nexport PATH",
		wantErr: ".env:3: expected NAME=value",
	},
}

func TestParseEnv(t *testing.T) {
	for _, tc := range envCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEnv([]byte(tc.in), ".env")
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("expected error %q, got none (vars %q)", tc.wantErr, got)
				}
				if err.Error() != tc.wantErr {
					t.Errorf("error:\n expected %q\n      got %q", tc.wantErr, err.Error())
				}
				var fe *FileError
				if !errors.As(err, &fe) || fe.File != ".env" || fe.Line == 0 {
					t.Errorf("expected a *FileError for .env with a line, got %T %+v", err, err)
				}
				return
			}
			checkErr(t, "ParseEnv", err)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("vars:\n expected %q\n      got %q", tc.want, got)
			}
		})
	}
}

func TestReadEnvFile(t *testing.T) {
	dir := writeApp(t, map[string]string{".env.staging": "A=1\n", "bad.env": "A=1\nB\n"})
	t.Run("reads", func(t *testing.T) {
		ef, err := ReadEnvFile(filepath.Join(dir, ".env.staging"), ".env.staging")
		checkErr(t, "ReadEnvFile", err)
		if ef.Path != ".env.staging" || !reflect.DeepEqual(ef.Vars, map[string]string{"A": "1"}) {
			t.Errorf("expected .env.staging with A=1, got %+v", ef)
		}
	})
	t.Run("missing file is named as displayed", func(t *testing.T) {
		_, err := ReadEnvFile(filepath.Join(dir, ".env.production"), ".env.production")
		if err == nil || err.Error() != ".env.production: no such file" {
			t.Errorf("expected %q, got %v", ".env.production: no such file", err)
		}
	})
	t.Run("parse error is named as displayed", func(t *testing.T) {
		_, err := ReadEnvFile(filepath.Join(dir, "bad.env"), "bad.env")
		checkErr(t, "ReadEnvFile", err, "bad.env:2: expected NAME=value")
	})
}

// TestParseEnvNeverQuotesValues: whatever is wrong with a line, the error names the file,
// the line and, when the line has one, the variable, but never its value (issue 10: a
// malformed .env used to put the secret into CI logs).
func TestParseEnvNeverQuotesValues(t *testing.T) {
	const secret = "sk_live_zq9"
	for _, tc := range []struct{ name, in, want string }{
		{"unterminated double quote", `SECRET_KEY="` + secret, `.env:1: SECRET_KEY: the value's opening " is never closed`},
		{"unterminated single quote", "A=1\nSECRET_KEY='" + secret + "\nB=2\n", `.env:2: SECRET_KEY: the value's opening ' is never closed`},
		{"unterminated after export", "export SECRET_KEY=\"" + secret + "\n", `.env:1: SECRET_KEY: the value's opening " is never closed`},
		{"a value pasted alone", "A=1\n" + secret + "\n", ".env:2: expected NAME=value: this line has no '='"},
		{"a space instead of =", "SECRET_KEY " + secret + "\n", ".env:1: expected NAME=value: this line has no '='"},
		{"a dash in the name", "SECRET-KEY=" + secret + "\n", `.env:1: "SECRET-KEY" is not a valid variable name in an env file: '-' at column 7 (letters, digits, _ and . only)`},
		{"a path pasted alone", "keys/" + secret + "\n", ".env:1: column 5: expected NAME=value (a name holds letters, digits, _ and . only)"},
		{"a name starting with a digit", "2FA=" + secret + "\n", `.env:1: "2FA" is not a valid config var name`},
		{"invalid UTF-8 in the value", "SECRET_KEY=" + secret + "\xff\n", ".env:1: SECRET_KEY: invalid UTF-8 at column 23: config values must be text"},
		{"invalid UTF-8 in a multi-line value", "PEM=\"a\n" + secret + "\xfe\"\n", ".env:2: invalid UTF-8 at column 12: config values must be text"},
		{"NUL in the value", "SECRET_KEY=" + secret + "\x00\n", ".env:1: NUL byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEnv([]byte(tc.in), ".env")
			if err == nil {
				t.Fatalf("%q parsed; expected an error", tc.in)
			}
			if strings.Contains(err.Error(), "zq9") {
				t.Errorf("the error quotes the value:\n%v", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error:\n expected %q\n      got %q", tc.want, err.Error())
			}
		})
	}
}

// TestParseEnvErrorLineIsFast: locating an error used to parse every prefix of the file,
// minutes for a 20,000-line file.
func TestParseEnvErrorLineIsFast(t *testing.T) {
	for _, last := range []string{"BROKEN\n", "X=\"unterminated\n", "export\n"} {
		data := []byte(strings.Repeat("KEY_NAME=some value here\n", 20000) + last)
		start := time.Now()
		_, err := ParseEnv(data, ".env")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q: locating the error took %v, expected well under 5s", last, d)
		}
		var fe *FileError
		if !errors.As(err, &fe) || fe.Line != 20001 {
			t.Errorf("%q: expected an error on line 20001, got %v", last, err)
		}
	}
}
