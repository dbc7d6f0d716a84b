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
		name:    "line without '=' (godotenv's message kept)",
		in:      "A=1\n# fine\nB\nC=3\n",
		wantErr: `.env:3: unexpected character "\n" in variable name near "B\n"`, // cut at the line's end
	},
	{
		name:    "what follows the bad line is not quoted (it may hold secrets)",
		in:      "A=1\nB\nDATABASE_URL=postgres://u:hunter2@db/app\n",
		wantErr: `.env:2: unexpected character "\n" in variable name near "B\n"`,
	},
	{
		name:    "bad line with CRLF endings",
		in:      "A=1\r\nB=2\r\nC D E\r\nF=4\r\n",
		wantErr: `.env:3: unexpected character "\n" in variable name near "C D E\n"`,
	},
	{
		name:    "bad line after a multi-line value",
		in:      "PEM=\"-----BEGIN-----\nabc\n-----END-----\"\nB\n",
		wantErr: `.env:4: unexpected character "\n" in variable name near "B\n"`,
	},
	{
		name:    "quote in a name",
		in:      "A=1\n\"B\"=2\n",
		wantErr: `.env:2: unexpected character "\"" in variable name near "\"B\"=2\n"`,
	},
	{
		name:    "dash in a name",
		in:      "A=1\nB=2\nMY-VAR=3\n",
		wantErr: `.env:3: unexpected character "-" in variable name near "MY-VAR=3\n"`,
	},
	{
		name:    "unterminated quote",
		in:      "A=1\nB=\"open\nC=3\n",
		wantErr: ".env:2: unterminated quoted value \"open",
	},
	{
		name:    "unterminated quote with an escaped one inside",
		in:      "A=1\nB=2\nC='it\\'s\nD=4\n",
		wantErr: ".env:3: unterminated quoted value 'it\\'s",
	},
	{
		name:    "unterminated quote after a closed multi-line one",
		in:      "A=\"x\ny\"\nB=\"z\n",
		wantErr: ".env:3: unterminated quoted value \"z",
	},
	{
		name:    "export with only spaces after it",
		in:      "A=1\nexport   ",
		wantErr: ".env:2: zero length string",
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
		wantErr: `.env:3: unexpected character "\u0084" in variable name near "ÄPFEL=x\n"`,
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
		checkErr(t, "ReadEnvFile", err, "bad.env:2: unexpected character")
	})
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
