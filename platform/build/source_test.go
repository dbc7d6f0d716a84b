package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestContextFilesHonourDockerignore(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"Dockerfile":      "FROM busybox:1.36\n",
		".dockerignore":   "# comment\n.env*\nnode_modules\n*.log\n!keep.log\nDockerfile\n",
		".env":            "SECRET=1\n",
		".env.production": "SECRET=2\n",
		"app.js":          "x",
		"debug.log":       "x",
		"keep.log":        "x",
		"node_modules/a":  "x",
		"src/b.go":        "x",
	})
	files := mustContext(t, dir, "Dockerfile").Files
	want := []string{".dockerignore", "Dockerfile", "app.js", "keep.log", "src/b.go"}
	if !slices.Equal(files, want) {
		t.Errorf("context files %v, want %v", files, want)
	}
}

func TestReadSource(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"Procfile": "web: x\n", ".dockerignore": "scratch/\n"})

	outside, err := ReadSource(mustContext(t, dir, ""))
	if err != nil {
		t.Fatal(err)
	}
	if outside.Commit != "" || !regexp.MustCompile(`^src-[0-9a-f]{12}$`).MatchString(outside.Tag) {
		t.Errorf("outside git: %+v", outside)
	}

	gitRun(t, dir, "init", "-q")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-qm", "one")
	clean, err := ReadSource(mustContext(t, dir, ""))
	if err != nil {
		t.Fatal(err)
	}
	if clean.Dirty || len(clean.Commit) != 40 || clean.Tag != clean.Commit[:12] {
		t.Errorf("clean tree: %+v", clean)
	}
	withExtra, _ := ReadSource(mustContext(t, dir, ""), []byte("generated Dockerfile"))
	if !strings.HasPrefix(withExtra.Tag, clean.Tag+"-") || withExtra.Tag == clean.Tag {
		t.Errorf("a generated Dockerfile should show in the tag: %s", withExtra.Tag)
	}

	write(t, dir, map[string]string{"Procfile": "web: y\n"})
	dirty, _ := ReadSource(mustContext(t, dir, ""))
	if !dirty.Dirty || !regexp.MustCompile(`^[0-9a-f]{12}-dirty-[0-9a-f]{12}$`).MatchString(dirty.Tag) {
		t.Errorf("dirty tree: %+v", dirty)
	}
	again, _ := ReadSource(mustContext(t, dir, ""))
	if again.Tag != dirty.Tag {
		t.Errorf("same content, different tags: %s, %s", dirty.Tag, again.Tag)
	}
	// A file the build context leaves out does not change the tag.
	write(t, dir, map[string]string{"scratch/notes": "x"})
	ignored, _ := ReadSource(mustContext(t, dir, ""))
	if ignored.Tag != dirty.Tag {
		t.Errorf("an ignored file changed the tag: %s, %s", dirty.Tag, ignored.Tag)
	}
	write(t, dir, map[string]string{"Procfile": "web: z\n"})
	other, _ := ReadSource(mustContext(t, dir, ""))
	if other.Tag == dirty.Tag {
		t.Errorf("different content, same tag %s", other.Tag)
	}
}

// mustContext reads dir's build context.
func mustContext(t *testing.T, dir, dockerfile string) *Context {
	t.Helper()
	c, err := ReadContext(dir, dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
