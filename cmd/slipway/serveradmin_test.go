package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/platform/gitpush"
)

// runServerAdmin runs slipway with args in process, as main does, and returns the exit code
// and what went to stdout and stderr.
func runServerAdmin(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	s := &Streams{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}
	code = Main(args, s)
	return code, out.String(), errb.String()
}

// TestServerAdmin runs the admin commands in turn on one data directory, relative to -C.
func TestServerAdmin(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	repo := filepath.Join(data, "apps", "shop.git")
	tokens := filepath.Join(data, "tokens.json")
	id := `[0-9a-f]{8}`
	// YAML quotes an ID that would read as a number ("20402030", "1e234567").
	yamlID := `(?:[0-9a-f]{8}|"[0-9a-f]{8}")`
	secret := `slp_[a-z2-7]{52}\n`
	var secrets []string
	for _, tc := range []struct {
		name   string
		args   string
		code   int
		stdout string // regular expressions, matching all of the output
		stderr string
	}{
		{"no apps", "apps list", 0, "", "no apps in " + data + "\n"},
		{"create", "apps create shop", 0, "created app shop \\(repository " + repo + "\\)\n", ""},
		{"create again", "apps create shop", 1, "",
			`error: app "shop" exists already \(` + repo + "\\)\n  hint: choose another name, or delete the app first to start again with an empty repository\n"},
		{"bad name", "apps create ../etc", 1, "", `error: app name "../etc" is not usable in Kubernetes: .*\n`},
		{"create without a name", "apps create", 2, "",
			"error: slipway server apps create takes one NAME, got 0 arguments\nRun 'slipway server apps create --help' for usage.\n"},
		{"list", "apps list", 0, "NAME  CREATED\nshop  [0-9]+s\n", ""},
		{"list as JSON", "apps list -o json", 0, `\[\n  \{\n    "name": "shop",\n    "created": "[^"]+"\n  \}\n\]\n`, ""},
		{"list as XML", "apps list -o xml", 2, "", "error: -o xml: expected table, json or yaml\nRun 'slipway server apps list --help' for usage.\n"},
		{"apps alone", "apps", 2, "", "error: slipway server apps needs a command: create, list or delete\nRun 'slipway server apps --help' for usage.\n"},
		{"apps unknown", "apps frob", 2, "", `error: unknown slipway server apps command "frob": use create, list or delete` + "\nRun 'slipway server apps --help' for usage.\n"},
		{"delete", "apps delete shop", 0, "deleted app shop's repository\n",
			"its deployed environments keep running; to remove one, delete its Helm release from the cluster\n"},
		{"delete again", "apps delete shop", 1, "",
			`error: no app "shop" on this server` + "\n  hint: create it on the server with 'slipway server apps create shop'\n"},

		{"no tokens", "tokens list", 0, "", "no tokens in " + tokens + "\n"},
		{"token for every app", "tokens create laptop", 0, secret,
			"created token " + id + ` \(laptop\) for every app.\nIts secret, above, is shown this once: the server keeps only its hash. Store it now.\n` +
				`Give it to 'slipway remote add URL', or to git as the password of HTTP basic auth, with any user name.\n`},
		{"token for two apps", "tokens create shop-ci --app web -a shop", 0, secret,
			"created token " + id + ` \(shop-ci\) for app shop, web.\n.*\n.*\n`},
		{"token name taken", "tokens create laptop", 1, "",
			`error: a token named "laptop" exists already \(ID ` + id + "\\)\n  hint: choose another name, or revoke the old token first\n"},
		{"token for a bad app", "tokens create x --app Shop", 1, "", `error: create token "x": app name "Shop" is not usable .*\n`},
		{"token without a name", "tokens create", 2, "", "error: slipway server tokens create takes one NAME, got 0 arguments\nRun 'slipway server tokens create --help' for usage.\n"},
		{"tokens", "tokens list", 0, "ID        NAME     APPS      CREATED\n" + id + "  laptop   \\*         [0-9]+s\n" + id + "  shop-ci  shop,web  [0-9]+s\n", ""},
		{"tokens as YAML", "tokens list -o yaml", 0,
			"- apps: \\[\\]\n  created: \"[^\"]+\"\n  id: " + yamlID + "\n  name: laptop\n- apps:\n  - shop\n  - web\n  created: \"[^\"]+\"\n  id: " + yamlID + "\n  name: shop-ci\n", ""},
		{"revoke", "tokens revoke laptop", 0, "revoked token " + id + ` \(laptop\)` + "\n", ""},
		{"revoke again", "tokens revoke laptop", 1, "",
			`error: no token with ID or name "laptop"` + "\n  hint: list the tokens with 'slipway server tokens list'\n"},
		{"tokens alone", "tokens", 2, "", "error: slipway server tokens needs a command: create, list or revoke\nRun 'slipway server tokens --help' for usage.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runServerAdmin(append([]string{"-C", dir, "server", "--data", "data"}, strings.Fields(tc.args)...)...)
			if code != tc.code || !regexp.MustCompile(`^`+tc.stdout+`$`).MatchString(stdout) || !regexp.MustCompile(`^`+tc.stderr+`$`).MatchString(stderr) {
				t.Errorf("slipway server %s: exit %d, stdout\n%s\nstderr\n%s\nwant exit %d, stdout\n%s\nstderr\n%s", tc.args, code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
			}
			if strings.HasPrefix(tc.args, "tokens create") && code == 0 {
				secrets = append(secrets, strings.TrimSpace(stdout))
			}
		})
	}

	// The secrets printed are the tokens'; the revoked one no longer works, and the tokens
	// file holds neither.
	ts := &gitpush.Tokens{File: tokens}
	if len(secrets) != 2 {
		t.Fatalf("%d secrets printed; want 2", len(secrets))
	}
	if _, err := ts.Authenticate(secrets[0]); !errors.Is(err, gitpush.ErrBadToken) {
		t.Errorf("the revoked token authenticates: %v", err)
	}
	if tok, err := ts.Authenticate(secrets[1]); err != nil || tok.Name != "shop-ci" || !tok.Allows("shop") || tok.Allows("api") {
		t.Errorf("shop-ci's secret: %+v, %v; want shop-ci, for shop and web", tok, err)
	}
	b, err := os.ReadFile(tokens)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Errorf("the tokens file holds secret %s", s)
		}
	}
	for _, tc := range []string{"tokens list", "tokens list -o json"} {
		_, stdout, _ := runServerAdmin(append([]string{"-C", dir, "server", "--data", "data"}, strings.Fields(tc)...)...)
		if hash := mustList(t, ts)[0].Hash; strings.Contains(stdout, hash) || strings.Contains(stdout, hash[8:]) {
			t.Errorf("slipway server %s shows the hash:\n%s", tc, stdout)
		}
	}
}

func mustList(t *testing.T, ts *gitpush.Tokens) []gitpush.Token {
	t.Helper()
	toks, err := ts.List()
	if err != nil || len(toks) == 0 {
		t.Fatalf("List = %v, %v", toks, err)
	}
	return toks
}
