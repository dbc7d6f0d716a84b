package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "f")); err != nil {
		t.Fatal(err)
	}
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var se *SymlinkError
	if err := d.WriteFile("f", []byte("new"), 0o600); !errors.As(err, &se) || se.Target != target {
		t.Errorf("WriteFile through a symlink: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "old" {
		t.Errorf("target now %q", b)
	}
	if err := d.Remove("f"); !errors.As(err, &se) {
		t.Errorf("Remove of a symlink: %v", err)
	}
}

func TestWriteFileModeAndNoLeftovers(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("f", []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "f"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", st.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(entries))
	}
}

func TestCreateBelowRefusesSymlinkedComponent(t *testing.T) {
	base := t.TempDir()
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(base, "a")); err != nil {
		t.Fatal(err)
	}
	var se *SymlinkError
	if _, err := CreateBelow(base, filepath.Join("a", "b")); !errors.As(err, &se) {
		t.Errorf("CreateBelow through a symlink: %v", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("something was created through the symlink")
	}
	if _, err := CreateBelow(base, "../x"); err == nil {
		t.Errorf("CreateBelow accepted a path leaving base")
	}
}
