package gitpush

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testTokens are tokens in a file of a fresh directory (made by the first change), on a
// clock that moves a second a call.
func testTokens(t *testing.T) *Tokens {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	return &Tokens{
		File: filepath.Join(t.TempDir(), "data", "tokens.json"),
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Second)
			return now
		},
	}
}

var secretPattern = regexp.MustCompile(`^slp_[a-z2-7]{52}$`)

func TestTokensCreate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		token    string
		apps     []string
		wantApps []string
		err      string // "" : created
	}{
		{"every app", "ci", nil, nil, ""},
		{"some apps, sorted, once each", "deploy bot", []string{"web", "api", "web"}, []string{"api", "web"}, ""},
		{"unicode name", "Zoë's laptop", []string{"shop"}, []string{"shop"}, ""},
		{"64 characters", strings.Repeat("é", 64), nil, nil, ""},
		{"empty name", "", nil, nil, `token name "": a token needs a name`},
		{"65 characters", strings.Repeat("x", 65), nil, nil, "longer than 64 characters"},
		{"tab", "a\tb", nil, nil, "only printable characters"},
		{"newline", "a\nb", nil, nil, "only printable characters"},
		{"escape", "a\x1b[31m", nil, nil, "only printable characters"},
		{"not UTF-8", "a\xffb", nil, nil, "not valid UTF-8"},
		{"leading space", " ci", nil, nil, "starts or ends with a space"},
		{"bad app", "ci", []string{"shop", "../etc"}, nil, `app name "../etc" is not usable`},
		{"empty app", "ci", []string{""}, nil, `app name "" is not usable`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := testTokens(t)
			secret, tok, err := ts.Create(tc.token, tc.apps)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Create = %v; want an error containing %q", err, tc.err)
				}
				if _, err := os.Stat(ts.File); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a refused Create wrote the file: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !secretPattern.MatchString(secret) {
				t.Errorf("secret %q is not slp_ and 52 lowercase base32 characters", secret)
			}
			if tok.Name != tc.token || fmt.Sprint(tok.Apps) != fmt.Sprint(tc.wantApps) || len(tok.ID) != 8 || !strings.HasPrefix(tok.Hash, tok.ID) || tok.Hash != hashSecret(secret) {
				t.Errorf("token %+v; want name %q, apps %v, ID the hash's start", tok, tc.token, tc.wantApps)
			}
			list, err := ts.List()
			if err != nil || len(list) != 1 || fmt.Sprint(list[0]) != fmt.Sprint(tok) {
				t.Errorf("List = %+v, %v; want %+v", list, err, tok)
			}
		})
	}
}

func TestTokensFile(t *testing.T) {
	ts := testTokens(t)
	var secrets []string
	for _, name := range []string{"a", "b"} {
		secret, _, err := ts.Create(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, secret)
	}
	fi, err := os.Stat(ts.File)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("tokens file mode %v; want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(ts.File))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("tokens directory mode %v; want 0700", di.Mode().Perm())
	}
	b, err := os.ReadFile(ts.File)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) || bytes.Contains(b, []byte(strings.TrimPrefix(s, TokenPrefix))) {
			t.Errorf("the tokens file holds a secret:\n%s", b)
		}
	}
	es, err := os.ReadDir(filepath.Dir(ts.File))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "tokens.json tokens.json.lock" {
		t.Errorf("tokens directory holds %s; want the file and its lock alone", got)
	}
}

func TestTokensNameUnique(t *testing.T) {
	ts := testTokens(t)
	_, first, err := ts.Create("ci", nil)
	if err != nil {
		t.Fatal(err)
	}
	var te *TokenExistsError
	if _, _, err := ts.Create("ci", []string{"shop"}); !errors.As(err, &te) || te.ID != first.ID || te.Hint() == "" {
		t.Errorf("second token named ci: %v; want a *TokenExistsError naming %s", err, first.ID)
	}
	var ne *TokenNameError
	if _, _, err := ts.Create(first.ID, nil); !errors.As(err, &ne) {
		t.Errorf("a token named after another's ID: %v; want a *TokenNameError", err)
	}
	if list, _ := ts.List(); len(list) != 1 {
		t.Errorf("%d tokens after refused Creates; want 1", len(list))
	}
}

func TestTokensAuthenticate(t *testing.T) {
	ts := testTokens(t)
	all, allTok, err := ts.Create("admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	shop, shopTok, err := ts.Create("shop ci", []string{"shop"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		secret string
		want   *Token // nil: ErrBadToken
		allows map[string]bool
	}{
		{"every app", all, &allTok, map[string]bool{"shop": true, "web": true}},
		{"one app", shop, &shopTok, map[string]bool{"shop": true, "web": false}},
		{"empty", "", nil, nil},
		{"the hash", allTok.Hash, nil, nil},
		{"the ID", allTok.ID, nil, nil},
		{"upper case", strings.ToUpper(all), nil, nil},
		{"one character off", all[:len(all)-1] + "a", nil, nil},
		{"with a newline", all + "\n", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "one character off" && strings.HasSuffix(all, "a") {
				tc.secret = all[:len(all)-1] + "b"
			}
			got, err := ts.Authenticate(tc.secret)
			if tc.want == nil {
				if got != nil || !errors.Is(err, ErrBadToken) {
					t.Errorf("Authenticate = %+v, %v; want ErrBadToken", got, err)
				}
				return
			}
			if err != nil || got == nil || got.ID != tc.want.ID || got.Name != tc.want.Name {
				t.Fatalf("Authenticate = %+v, %v; want %+v", got, err, tc.want)
			}
			for app, want := range tc.allows {
				if got.Allows(app) != want {
					t.Errorf("Allows(%s) = %v; want %v", app, !want, want)
				}
			}
		})
	}
}

func TestTokensRevoke(t *testing.T) {
	ts := testTokens(t)
	secrets := map[string]string{}
	toks := map[string]Token{}
	for _, name := range []string{"a", "b", "c"} {
		s, tok, err := ts.Create(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		secrets[name], toks[name] = s, tok
	}
	for _, tc := range []struct {
		name, by, revoked string // revoked "": a *NoTokenError
	}{
		{"by name", "a", "a"},
		{"by ID", toks["b"].ID, "b"},
		{"again", "a", ""},
		{"unknown", "zzz", ""},
		{"a prefix of an ID", toks["c"].ID[:4], ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ts.Revoke(tc.by)
			if tc.revoked == "" {
				var nt *NoTokenError
				if !errors.As(err, &nt) || nt.IDOrName != tc.by {
					t.Fatalf("Revoke(%q) = %+v, %v; want a *NoTokenError", tc.by, got, err)
				}
				return
			}
			if err != nil || got.Name != tc.revoked {
				t.Fatalf("Revoke(%q) = %+v, %v; want token %s", tc.by, got, err, tc.revoked)
			}
			if _, err := ts.Authenticate(secrets[tc.revoked]); !errors.Is(err, ErrBadToken) {
				t.Errorf("the revoked token still authenticates: %v", err)
			}
		})
	}
	if tok, err := ts.Authenticate(secrets["c"]); err != nil || tok.Name != "c" {
		t.Errorf("the token left: %+v, %v; want c", tok, err)
	}
	list, err := ts.List()
	if err != nil || len(list) != 1 || list[0].Name != "c" {
		t.Errorf("List = %+v, %v; want c alone", list, err)
	}
}

// TestTokensRevokeAmbiguous: a file edited by hand so that a name is another token's ID.
func TestTokensRevokeAmbiguous(t *testing.T) {
	ts := testTokens(t)
	_, a, err := ts.Create("a", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(ts.File)
	if err != nil {
		t.Fatal(err)
	}
	h := hashSecret("other")
	other := fmt.Sprintf(`{"id": %q, "name": %q, "hash": %q, "created": "2026-01-01T00:00:00Z"}`, h[:8], a.ID, h)
	b = bytes.Replace(b, []byte("\n  ]"), []byte(",\n"+other+"\n  ]"), 1)
	if err := os.WriteFile(ts.File, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Revoke(a.ID); err == nil || !strings.Contains(err.Error(), "names 2 tokens") {
		t.Errorf("Revoke(%s) = %v; want it refused as naming 2 tokens", a.ID, err)
	}
	if list, err := ts.List(); err != nil || len(list) != 2 {
		t.Errorf("List = %v, %v; want both tokens kept", list, err)
	}
}

func TestTokensList(t *testing.T) {
	same := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := &Tokens{File: filepath.Join(t.TempDir(), "tokens.json"), Now: func() time.Time { return same }}
	if list, err := ts.List(); err != nil || len(list) != 0 {
		t.Fatalf("List without a file = %v, %v; want no tokens", list, err)
	}
	for _, name := range []string{"c", "a"} {
		if _, _, err := ts.Create(name, nil); err != nil {
			t.Fatal(err)
		}
	}
	ts.Now = func() time.Time { return same.Add(-time.Hour) }
	if _, _, err := ts.Create("z", nil); err != nil {
		t.Fatal(err)
	}
	list, err := ts.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tok := range list {
		names = append(names, tok.Name)
	}
	if got := strings.Join(names, " "); got != "z a c" {
		t.Errorf("List = %s; want z a c (oldest first, then by name)", got)
	}
}

// TestTokensConcurrent: tokens created at once, each through its own Tokens (its own lock
// file descriptor, as another process has), are all kept.
func TestTokensConcurrent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens.json")
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ts := &Tokens{File: file}
			_, _, errs[i] = ts.Create(fmt.Sprintf("token %d", i), nil)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	list, err := (&Tokens{File: file}).List()
	if err != nil || len(list) != n {
		t.Errorf("%d tokens kept of %d created (%v)", len(list), n, err)
	}
}

func TestTokensCorrupt(t *testing.T) {
	h := hashSecret("x")
	for _, tc := range []struct {
		name, content, want string
	}{
		{"not JSON", "{tokens", "invalid character"},
		{"truncated", `{"tokens": [{"id": "`, "unexpected EOF"},
		{"unknown field", `{"tokens": [], "secret": "x"}`, `unknown field "secret"`},
		{"two objects", `{"tokens": []} {}`, "data after the JSON object"},
		{"no hash", `{"tokens": [{"id": "abcd", "name": "x"}]}`, `token 1 ("x") has no valid hash`},
		{"wrong ID", `{"tokens": [{"id": "abcdabcd", "name": "x", "hash": "` + h + `"}]}`, `token 1 ("x") has no valid hash`},
		{"too large", `{"tokens": [], "x": "` + strings.Repeat("x", maxTokensFile) + `"}`, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := &Tokens{File: filepath.Join(t.TempDir(), "tokens.json")}
			if err := os.WriteFile(ts.File, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			check := func(op string, err error) {
				t.Helper()
				var ce *CorruptTokensError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), ts.File) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: %v; want a *CorruptTokensError naming %s and saying %q", op, err, ts.File, tc.want)
				}
			}
			_, err := ts.List()
			check("List", err)
			_, err = ts.Authenticate("slp_x")
			check("Authenticate", err)
			_, _, err = ts.Create("new", nil)
			check("Create", err)
			_, err = ts.Revoke("x")
			check("Revoke", err)
			if b, _ := os.ReadFile(ts.File); string(b) != tc.content {
				t.Errorf("the corrupt file was changed")
			}
		})
	}
}

func TestTokensSymlink(t *testing.T) {
	dir := t.TempDir()
	real := &Tokens{File: filepath.Join(dir, "real.json")}
	if _, _, err := real.Create("a", nil); err != nil {
		t.Fatal(err)
	}
	ts := &Tokens{File: filepath.Join(dir, "tokens.json")}
	if err := os.Symlink("real.json", ts.File); err != nil {
		t.Fatal(err)
	}
	var se *SymlinkError
	if _, err := ts.List(); !errors.As(err, &se) {
		t.Errorf("List through a symlink: %v; want a *SymlinkError", err)
	}
	if _, _, err := ts.Create("b", nil); err == nil {
		t.Errorf("Create through a symlink succeeded")
	}
	if list, _ := real.List(); len(list) != 1 {
		t.Errorf("the file behind the symlink has %d tokens; want 1", len(list))
	}
}
