package gitpush

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/safefile"
)

// TokenPrefix starts every token's secret, so that one is recognised wherever it turns up
// (a log, a paste, a secret scanner).
const TokenPrefix = "slp_"

// MaxTokenName is the longest name a token can have, in characters.
const MaxTokenName = 64

// maxTokensFile is the largest tokens file read: some 30,000 tokens.
const maxTokensFile = 8 << 20

// ErrBadToken is a secret that matches no token.
var ErrBadToken = errors.New("the token is not one of this server's")

// TokensFile is where the server with data directory dir keeps its tokens.
func TokensFile(dir string) string { return filepath.Join(dir, "tokens.json") }

// Tokens are the server's access tokens, kept in File: each as a hash of its secret, never
// the secret itself, which Create returns once. The file is written atomically (mode 0600,
// in a directory made 0700), and every change is made under an exclusive lock on
// File+".lock", so that two processes changing tokens at once both keep their change.
type Tokens struct {
	// File is the tokens file; it need not exist (no tokens).
	File string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Rand is where secrets come from (nil: crypto/rand).
	Rand io.Reader
}

// Token is one access token, as kept: its secret is not.
type Token struct {
	// ID is the first 8 characters of Hash: what lists show, and what Revoke takes.
	ID string `json:"id"`
	// Name says whose or what for.
	Name string `json:"name"`
	// Hash is the hexadecimal SHA-256 of the secret.
	Hash string `json:"hash"`
	// Apps are the apps the token may push to and fetch from; none means every app.
	Apps []string `json:"apps,omitempty"`
	// Created is when the token was made.
	Created time.Time `json:"created"`
}

// Allows says whether the token gives access to app.
func (t Token) Allows(app string) bool { return len(t.Apps) == 0 || slices.Contains(t.Apps, app) }

// tokensFile is the tokens file's content.
type tokensFile struct {
	Tokens []Token `json:"tokens"`
}

// TokenNameError is a name a token cannot have.
type TokenNameError struct{ Name, Reason string }

func (e *TokenNameError) Error() string {
	return fmt.Sprintf("token name %q: %s", e.Name, e.Reason)
}

// TokenExistsError is a second token with a name already taken.
type TokenExistsError struct{ Name, ID string }

func (e *TokenExistsError) Error() string {
	return fmt.Sprintf("a token named %q exists already (ID %s)", e.Name, e.ID)
}

// Hint says what to do instead.
func (e *TokenExistsError) Hint() string {
	return "choose another name, or revoke the old token first"
}

// NoTokenError is a token that is not there to revoke.
type NoTokenError struct{ IDOrName string }

func (e *NoTokenError) Error() string {
	return fmt.Sprintf("no token with ID or name %q", e.IDOrName)
}

// Hint says where to look.
func (e *NoTokenError) Hint() string { return "list the tokens with 'slipway server tokens list'" }

// CorruptTokensError is a tokens file that cannot be read as one.
type CorruptTokensError struct {
	File string
	Err  error
}

func (e *CorruptTokensError) Error() string {
	return fmt.Sprintf("tokens file %s is corrupt: %v", e.File, e.Err)
}
func (e *CorruptTokensError) Unwrap() error { return e.Err }

// Hint says how to recover.
func (e *CorruptTokensError) Hint() string {
	return "restore it from a backup, or move it away and create the tokens again"
}

func (ts *Tokens) now() time.Time {
	if ts.Now != nil {
		return ts.Now()
	}
	return time.Now()
}

func (ts *Tokens) rand() io.Reader {
	if ts.Rand != nil {
		return ts.Rand
	}
	return rand.Reader
}

var secretEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// secretForm is the form of every secret Create makes: TokenPrefix and 32 random bytes in
// lowercase base32.
var secretForm = regexp.MustCompile(`^` + TokenPrefix + `[a-z2-7]{52}$`)

// WellFormed reports whether s has the form of a token's secret (whether it is one of a
// server's is for Authenticate to say).
func WellFormed(s string) bool { return secretForm.MatchString(s) }

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// checkTokenName is nil when name can be a token's name.
func checkTokenName(name string) error {
	switch {
	case name == "":
		return &TokenNameError{Name: name, Reason: "a token needs a name"}
	case !utf8.ValidString(name):
		return &TokenNameError{Name: name, Reason: "not valid UTF-8"}
	case utf8.RuneCountInString(name) > MaxTokenName:
		return &TokenNameError{Name: name, Reason: fmt.Sprintf("longer than %d characters", MaxTokenName)}
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return &TokenNameError{Name: name, Reason: "only printable characters and spaces are allowed"}
	case strings.TrimSpace(name) != name:
		return &TokenNameError{Name: name, Reason: "it starts or ends with a space"}
	}
	return nil
}

// Create makes a token called name for apps (none: every app) and returns its secret,
// which is kept nowhere: this is the only time anybody sees it. The name must be unique
// (*TokenExistsError otherwise); the apps need not exist yet.
func (ts *Tokens) Create(name string, apps []string) (string, Token, error) {
	if err := checkTokenName(name); err != nil {
		return "", Token{}, err
	}
	for _, a := range apps {
		if err := app.CheckName(a); err != nil {
			return "", Token{}, fmt.Errorf("create token %q: %w", name, err)
		}
	}
	apps = slices.Compact(slices.Sorted(slices.Values(apps)))
	if len(apps) == 0 {
		apps = nil
	}
	var secret string
	var tok Token
	err := ts.update(func(f *tokensFile) error {
		for _, t := range f.Tokens {
			if t.Name == name {
				return &TokenExistsError{Name: name, ID: t.ID}
			}
			if t.ID == name {
				return &TokenNameError{Name: name, Reason: fmt.Sprintf("it is the ID of the token named %q", t.Name)}
			}
		}
		for {
			b := make([]byte, 32)
			if _, err := io.ReadFull(ts.rand(), b); err != nil {
				return fmt.Errorf("create token %q: make its secret: %w", name, err)
			}
			secret = TokenPrefix + secretEncoding.EncodeToString(b)
			hash := hashSecret(secret)
			// IDs are unique, and never another token's name, so that Revoke finds one.
			if !slices.ContainsFunc(f.Tokens, func(t Token) bool { return t.ID == hash[:8] || t.Name == hash[:8] }) {
				tok = Token{ID: hash[:8], Name: name, Hash: hash, Apps: apps, Created: ts.now().UTC()}
				break
			}
		}
		f.Tokens = append(f.Tokens, tok)
		return nil
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, tok, nil
}

// List returns the tokens, oldest first (by name when made at the same time). No file is
// no tokens.
func (ts *Tokens) List() ([]Token, error) {
	f, err := ts.read()
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(f.Tokens, func(a, b Token) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return f.Tokens, nil
}

// Revoke removes the token with ID or name idOrName, and returns it: from then on its
// secret is refused. None is a *NoTokenError.
func (ts *Tokens) Revoke(idOrName string) (Token, error) {
	var gone Token
	err := ts.update(func(f *tokensFile) error {
		var at []int
		for i, t := range f.Tokens {
			if t.ID == idOrName || t.Name == idOrName {
				at = append(at, i)
			}
		}
		switch len(at) {
		case 0:
			return &NoTokenError{IDOrName: idOrName}
		case 1:
		default:
			var which []string
			for _, i := range at {
				which = append(which, fmt.Sprintf("%s (%s)", f.Tokens[i].ID, f.Tokens[i].Name))
			}
			return fmt.Errorf("revoke token %q: it names %d tokens: %s", idOrName, len(at), strings.Join(which, ", "))
		}
		gone = f.Tokens[at[0]]
		f.Tokens = slices.Delete(f.Tokens, at[0], at[0]+1)
		return nil
	})
	return gone, err
}

// Authenticate returns the token whose secret is secret, or ErrBadToken. The secret's hash
// is compared with every token's, each in constant time, whether or not one matched
// already, so that how long it takes says nothing about the tokens. It writes nothing.
func (ts *Tokens) Authenticate(secret string) (*Token, error) {
	f, err := ts.read()
	if err != nil {
		return nil, err
	}
	hash := []byte(hashSecret(secret))
	found := -1
	for i, t := range f.Tokens {
		if subtle.ConstantTimeCompare(hash, []byte(t.Hash)) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil, ErrBadToken
	}
	t := f.Tokens[found]
	return &t, nil
}

// read reads the tokens file; none is no tokens.
func (ts *Tokens) read() (*tokensFile, error) {
	if ts.File == "" {
		return nil, errors.New("no tokens file")
	}
	if err := notSymlink(ts.File); err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	r, err := os.Open(ts.File)
	if errors.Is(err, fs.ErrNotExist) {
		return &tokensFile{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxTokensFile+1))
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	if len(b) > maxTokensFile {
		return nil, &CorruptTokensError{File: ts.File, Err: fmt.Errorf("larger than %d bytes", maxTokensFile)}
	}
	var f tokensFile
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&f); err != nil {
		return nil, &CorruptTokensError{File: ts.File, Err: err}
	}
	if d.More() {
		return nil, &CorruptTokensError{File: ts.File, Err: errors.New("data after the JSON object")}
	}
	for i, t := range f.Tokens {
		if h, err := hex.DecodeString(t.Hash); err != nil || len(h) != sha256.Size || t.Hash != strings.ToLower(t.Hash) || t.ID != t.Hash[:8] {
			return nil, &CorruptTokensError{File: ts.File, Err: fmt.Errorf("token %d (%q) has no valid hash and ID", i+1, t.Name)}
		}
	}
	return &f, nil
}

// update changes the tokens file with change, under the lock. Nothing is written when
// change fails.
func (ts *Tokens) update(change func(*tokensFile) error) error {
	if ts.File == "" {
		return errors.New("no tokens file")
	}
	if err := os.MkdirAll(filepath.Dir(ts.File), 0o700); err != nil {
		return fmt.Errorf("create the tokens' directory: %w", err)
	}
	unlock, err := safefile.Lock(ts.File + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	f, err := ts.read()
	if err != nil {
		return err
	}
	if err := change(f); err != nil {
		return err
	}
	if f.Tokens == nil {
		f.Tokens = []Token{}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", ts.File, err)
	}
	dir, err := safefile.Open(filepath.Dir(ts.File))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.WriteFile(filepath.Base(ts.File), append(b, '\n'), 0o600)
}
