package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestProgramsAsBuilt wants every embedded program kept out of Slipway's build (its first
// line) and written out for building exactly as before it was a file of its own: a change
// rebuilds every cached sandbox, so it has to be meant (then update the sums here).
func TestProgramsAsBuilt(t *testing.T) {
	want := map[string]string{
		"etcd":     "46a61fc5374582193ac2dad7970f35705aa0828004d811816ef7ddd6c21da34c",
		"registry": "756e28fe727f413503641f5496db6b77a99ec7f9f3c06cc02446db2b4a8299d9",
		"pause":    "a4f9280cd9ef3b9fce1010125e0abf0a6527bcc1d1e1001cf64435f5d41ca5bb",
	}
	dirs, err := fs.ReadDir(programs, "programs")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, d.Name())
		b, err := programs.ReadFile("programs/" + d.Name() + "/main.go")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), buildIgnore) {
			t.Errorf("programs/%s/main.go does not start with %q: Slipway's own build would compile it", d.Name(), buildIgnore)
		}
		sum := sha256.Sum256([]byte(program(d.Name())))
		if got := hex.EncodeToString(sum[:]); got != want[d.Name()] {
			t.Errorf("programs/%s/main.go as built has sha256 %s, want %s", d.Name(), got, want[d.Name()])
		}
	}
	if !slices.Equal(names, slices.Sorted(maps.Keys(want))) {
		t.Errorf("programs holds %v, want %v", names, want)
	}
}

// TestProgramsCompile builds the embedded programs as Build does, each in its module (the
// registry and pause in the tools module, etcd in the Kubernetes build module). It needs the
// go toolchain and the modules (from the module cache or the proxy).
func TestProgramsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds etcd: not with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain on PATH")
	}
	b := &Build{Go: "go", KubernetesVersion: KubernetesVersion, Progress: &testWriter{t}}
	dir, out := t.TempDir(), t.TempDir()
	if err := b.buildTools(t.Context(), filepath.Join(dir, "tools"), out, []string{Registry, Pause}); err != nil {
		t.Errorf("build the registry and pause: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "k8s"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := b.buildKubernetes(t.Context(), filepath.Join(dir, "k8s"), out, []string{Etcd}); err != nil {
		t.Errorf("build etcd: %v", err)
	}
	for _, name := range []string{Registry, Pause, Etcd} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Mode()&0o111 == 0 {
			t.Errorf("%s: not built (%v)", name, err)
		}
	}
}

// testWriter logs what is written to it.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
