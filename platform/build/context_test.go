package build

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadContextGit: in a git repository the context is what git would commit — tracked
// files and untracked files that are not ignored — minus .dockerignore, relative to the app
// directory even when it is a subdirectory of the repository; never .git, never a
// git-ignored .env, never a file deleted from the work tree.
func TestReadContextGit(t *testing.T) {
	repo := t.TempDir()
	write(t, repo, map[string]string{
		".gitignore":           ".env\nnode_modules/\n",
		"top.txt":              "outside the app\n",
		"app/Procfile":         "web: node index.js\n",
		"app/index.js":         "x\n",
		"app/gone.js":          "x\n",
		"app/lib/a.js":         "x\n",
		"app/.dockerignore":    "*.log\n",
		"app/tracked.env.yaml": "x\n",
	})
	gitRun(t, repo, "init", "-q")
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-qm", "one")
	dir := filepath.Join(repo, "app")
	if err := os.Remove(filepath.Join(dir, "gone.js")); err != nil {
		t.Fatal(err)
	}
	write(t, dir, map[string]string{
		".env":                "SECRET=sk_live_x\n", // git-ignored
		"lib/.env":            "SECRET=y\n",         // git-ignored too (pattern without a slash)
		"new.js":              "untracked, not ignored\n",
		"debug.log":           "dockerignored\n",
		"node_modules/m/i.js": "git-ignored\n",
		".env.staging":        "SECRET=z\n", // untracked, not ignored: shipped, with a warning
		".env.example":        "SECRET=\n",  // a template: shipped without a warning
	})
	if err := os.Symlink("index.js", filepath.Join(dir, "link.js")); err != nil {
		t.Fatal(err)
	}
	c, err := ReadContext(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".dockerignore", ".env.example", ".env.staging", "Procfile", "index.js", "lib/a.js", "link.js", "new.js", "tracked.env.yaml"}
	if !c.Git || !slices.Equal(c.Files, want) {
		t.Errorf("git=%v files %v, want %v", c.Git, c.Files, want)
	}
	if wantEnv := []string{".env", "lib/.env"}; !slices.Equal(c.LeftOutEnv, wantEnv) {
		t.Errorf("left-out env files %v, want %v", c.LeftOutEnv, wantEnv)
	}
	if c.DockerIgnored != 1 {
		t.Errorf("debug.log is untracked, not ignored: git lists it, .dockerignore removes it; want 1 dockerignored, got %d", c.DockerIgnored)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], ".env.staging") || !strings.Contains(c.Warnings[0], ".gitignore") || strings.Contains(c.Warnings[0], "SECRET") {
		t.Errorf("want one warning naming .env.staging (never its content): %q", c.Warnings)
	}

	// The tar holds exactly the files, links as links, and no .git.
	names := tarNames(t, c, nil)
	for _, f := range want {
		if !slices.Contains(names, f) {
			t.Errorf("tar lacks %s: %v", f, names)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, ".git") || n == ".env" || strings.Contains(n, "node_modules") {
			t.Errorf("tar holds %s", n)
		}
	}
	withGen := tarNames(t, c, []byte("FROM x\n"))
	if !slices.Contains(withGen, GeneratedDockerfile) {
		t.Errorf("the generated Dockerfile is missing: %v", withGen)
	}
}

// TestReadContextOutsideGit: every file minus .dockerignore, minus .git and .env*.
func TestReadContextOutsideGit(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"Dockerfile":       "FROM x\n",
		".dockerignore":    "tmp/\nDockerfile\n",
		"index.js":         "x\n",
		".env":             "SECRET=1\n",
		".env.production":  "SECRET=2\n",
		"sub/.env":         "SECRET=3\n",
		".git/config":      "[core]\n",
		"sub/.git/HEAD":    "x\n",
		"tmp/scratch":      "x\n",
		"sub/real.txt":     "x\n",
		"sub/.environment": "x\n", // .env* too, by name
	})
	c, err := ReadContext(dir, "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".dockerignore", "Dockerfile", "index.js", "sub/real.txt"}
	if c.Git || !slices.Equal(c.Files, want) {
		t.Errorf("git=%v files %v, want %v", c.Git, c.Files, want)
	}
	if wantEnv := []string{".env", ".env.production", "sub/.env", "sub/.environment"}; !slices.Equal(c.LeftOutEnv, wantEnv) {
		t.Errorf("left-out env files %v, want %v", c.LeftOutEnv, wantEnv)
	}
}

// TestContextHash: the hash follows exactly the context's files: a left-out .env does not
// change it, a shipped file's content, a new shipped file and a link's target do.
func TestContextHash(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{".gitignore": ".env\n", "a.txt": "a\n"})
	gitRun(t, dir, "init", "-q")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-qm", "one")
	hash := func() string {
		t.Helper()
		h, err := mustContext(t, dir, "").Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := hash()
	if again := hash(); again != base {
		t.Fatalf("same content, different hashes: %s, %s", base, again)
	}
	write(t, dir, map[string]string{".env": "SECRET=1\n"})
	if h := hash(); h != base {
		t.Errorf("a git-ignored .env changed the hash")
	}
	write(t, dir, map[string]string{".env": "SECRET=2\n"})
	if h := hash(); h != base {
		t.Errorf("a git-ignored .env's content changed the hash")
	}
	write(t, dir, map[string]string{"a.txt": "b\n"})
	changed := hash()
	if changed == base {
		t.Errorf("a shipped file's content did not change the hash")
	}
	write(t, dir, map[string]string{"b.txt": "new\n"})
	added := hash()
	if added == changed {
		t.Errorf("a new untracked, not ignored file did not change the hash")
	}
	if err := os.Symlink("a.txt", filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	linked := hash()
	os.Remove(filepath.Join(dir, "l"))
	if err := os.Symlink("b.txt", filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	if relinked := hash(); linked == added || relinked == linked {
		t.Errorf("a link and its target should change the hash")
	}
}

func tarNames(t *testing.T, c *Context, generated []byte) []string {
	t.Helper()
	rc := c.Tar(generated)
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "link.js" && (h.Typeflag != tar.TypeSymlink || h.Linkname != "index.js") {
			t.Errorf("link.js should be sent as a link to index.js: %+v", h)
		}
		names = append(names, strings.TrimSuffix(h.Name, "/"))
	}
}
