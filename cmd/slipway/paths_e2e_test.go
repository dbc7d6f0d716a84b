package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// These tests run the real binary: path flags (issue 10 item 7), a chart written again over
// itself (item 11), no write through a symlink (item 3), and local's and completion's
// messages (item 12).

// tree describes every entry below dir without following a symlink: a file's mode and
// content, a symlink's target, a directory's mode.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "symlink to " + target
		case fi.IsDir():
			out[rel] = fmt.Sprintf("dir %v", fi.Mode().Perm())
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("file %v %q", fi.Mode().Perm(), b)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

// sameTree fails t when before and after differ, naming each difference.
func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		if a, ok := after[p]; !ok {
			t.Errorf("%s: %s was removed", what, p)
		} else if a != b {
			t.Errorf("%s: %s changed:\n  before %.200s\n  after  %.200s", what, p, b, a)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared", what, p)
		}
	}
}

func mustWrite(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestPathFlags: absolute paths in -e, -f, -o, --kubeconfig, --state-dir and -C are taken as
// they are; relative ones are relative to the app directory (-C), not to the working
// directory.
func TestPathFlags(t *testing.T) {
	app := writeApp(t, map[string]string{
		"Procfile":     "web: echo web-from-Procfile\n",
		"Procfile.dev": "web: echo web-from-relative-f\n",
		"rel.env":      "X=from-app-dir\n",
	})
	elsewhere := writeApp(t, map[string]string{
		"app.env":      "X=from-absolute\n",
		"Procfile.abs": "web: echo web-from-absolute-f\n",
		"rel.env":      "X=from-working-dir\n", // what a path relative to the working directory would read
		"Procfile.dev": "web: echo web-from-working-dir\n",
	})
	cwd := elsewhere // slipway runs here, with -C naming the app

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"-e absolute", []string{"-C", app, "local", "run", "-e", filepath.Join(elsewhere, "app.env"), "printenv", "X"}, "from-absolute\n"},
		{"-e relative", []string{"-C", app, "local", "run", "-e", "rel.env", "printenv", "X"}, "from-app-dir\n"},
		{"-e relative, -C relative", []string{"-C", filepath.Base(app), "local", "run", "-e", "rel.env", "printenv", "X"}, "from-app-dir\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := cwd
			if strings.Contains(tc.name, "-C relative") {
				dir = filepath.Dir(app)
			}
			stdout, stderr, code := run(t, dir, tc.args...)
			noStackTrace(t, stderr)
			if code != 0 || stdout != tc.want {
				t.Errorf("slipway %s: exit %d, stdout %q, want 0 and %q; stderr:\n%s", strings.Join(tc.args, " "), code, stdout, tc.want, stderr)
			}
		})
	}

	for _, tc := range []struct {
		name, f, want string
	}{
		{"-f absolute", filepath.Join(elsewhere, "Procfile.abs"), "| web-from-absolute-f"},
		{"-f relative", "Procfile.dev", "| web-from-relative-f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, cwd, "-C", app, "local", "-f", tc.f)
			noStackTrace(t, stderr)
			if code != 0 || !strings.Contains(stdout, tc.want) {
				t.Errorf("slipway -C APP local -f %s: exit %d, want 0 and %q in:\n%s%s", tc.f, code, tc.want, stdout, stderr)
			}
		})
	}

	t.Run("-o absolute and relative", func(t *testing.T) {
		abs := filepath.Join(t.TempDir(), "abs-chart")
		if _, stderr, code := run(t, cwd, "-C", app, "chart", "-o", abs); code != 0 {
			t.Fatalf("chart -o %s: exit %d: %s", abs, code, stderr)
		}
		if _, err := os.Stat(filepath.Join(abs, "Chart.yaml")); err != nil {
			t.Errorf("chart -o ABSOLUTE wrote no Chart.yaml there: %v", err)
		}
		stdout, stderr, code := run(t, cwd, "-C", app, "chart", "-o", "out/chart")
		if code != 0 {
			t.Fatalf("chart -o out/chart: exit %d: %s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(app, "out", "chart", "Chart.yaml")); err != nil {
			t.Errorf("chart -o out/chart with -C APP: no chart in APP/out/chart (%v); stdout %q", err, stdout)
		}
		if _, err := os.Stat(filepath.Join(cwd, "out")); err == nil {
			t.Errorf("chart -o out/chart with -C APP wrote into the working directory")
		}
		if !strings.Contains(stdout, filepath.Join(app, "out", "chart")) {
			t.Errorf("stdout does not name where the chart went: %q", stdout)
		}
	})

	t.Run("--kubeconfig", func(t *testing.T) {
		_, stderr, code := run(t, cwd, "-C", app, "--kubeconfig", "no-such-kubeconfig", "ps")
		noStackTrace(t, stderr)
		if want := filepath.Join(app, "no-such-kubeconfig"); code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("--kubeconfig relative: exit %d, stderr %q; want 1 and an error naming %s", code, stderr, want)
		}
		abs := filepath.Join(elsewhere, "absent-kubeconfig")
		_, stderr, code = run(t, cwd, "-C", app, "--kubeconfig", abs, "ps")
		if code != 1 || !strings.Contains(stderr, abs) || strings.Contains(stderr, filepath.Join(app, abs)) {
			t.Errorf("--kubeconfig absolute: exit %d, stderr %q; want 1 and an error naming %s", code, stderr, abs)
		}
	})

	t.Run("--state-dir", func(t *testing.T) {
		stdout, stderr, code := run(t, cwd, "-C", app, "sandbox", "status", "--state-dir", "sandbox-state")
		if want := filepath.Join(app, "sandbox-state"); code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("sandbox status --state-dir relative: exit %d, stdout %q, stderr %q; want %s", code, stdout, stderr, want)
		}
		abs := filepath.Join(elsewhere, "state")
		stdout, _, code = run(t, cwd, "-C", app, "sandbox", "status", "--state-dir", abs)
		if code != 0 || !strings.Contains(stdout, "no sandbox in "+abs+" ") {
			t.Errorf("sandbox status --state-dir absolute: exit %d, stdout %q; want %s", code, stdout, abs)
		}
	})
}

// TestChartRerun: writing the chart again keeps files Slipway did not write and says so,
// replaces the ones it wrote, removes the ones it no longer generates, and refuses,
// changing nothing, a file of its own name that it did not write.
func TestChartRerun(t *testing.T) {
	app := writeApp(t, map[string]string{"Procfile": "web: ./server\nworker: ./work\n"})
	out := filepath.Join(app, "chart")
	chart := func() (string, int) {
		t.Helper()
		_, stderr, code := run(t, app, "chart", "-o", out)
		noStackTrace(t, stderr)
		return stderr, code
	}
	if stderr, code := chart(); code != 0 {
		t.Fatalf("first chart: exit %d: %s", code, stderr)
	}
	extra := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n"
	mustWrite(t, filepath.Join(out, "templates", "extra.yaml"), extra, 0o644)
	mustWrite(t, filepath.Join(out, "README.md"), "my notes\n", 0o644)
	// A copy of a template Slipway wrote, under another name, is the user's.
	dep, err := os.ReadFile(filepath.Join(out, "templates", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(out, "templates", "my-deployment.yaml"), string(dep), 0o644)
	// A template an earlier Slipway wrote and this one no longer generates: its first line
	// is the marker the generated templates carry.
	firstLine, _, _ := strings.Cut(string(dep), "\n")
	stale := strings.Replace(firstLine, "templates/deployment.yaml", "templates/worker-deployment.yaml", 1) + "\n{{- /* old */ -}}\n"
	mustWrite(t, filepath.Join(out, "templates", "worker-deployment.yaml"), stale, 0o644)
	// An edit to a file Slipway wrote, marker kept: replaced.
	svc, err := os.ReadFile(filepath.Join(out, "templates", "service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(out, "templates", "service.yaml"), string(svc)+"\n{{- /* edited */ -}}\n", 0o644)

	stderr, code := chart()
	if code != 0 {
		t.Fatalf("second chart: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"kept templates/extra.yaml: not written by Slipway",
		"kept README.md: not written by Slipway",
		"kept templates/my-deployment.yaml: not written by Slipway",
		"removed templates/worker-deployment.yaml",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "templates", "extra.yaml")); err != nil || string(b) != extra {
		t.Errorf("templates/extra.yaml was not kept as it was: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(out, "templates", "my-deployment.yaml")); err != nil {
		t.Errorf("templates/my-deployment.yaml (a copy of Slipway's) was not kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "templates", "worker-deployment.yaml")); err == nil {
		t.Errorf("templates/worker-deployment.yaml, which Slipway wrote and no longer generates, is still there")
	}
	if b, _ := os.ReadFile(filepath.Join(out, "templates", "service.yaml")); strings.Contains(string(b), "edited") {
		t.Errorf("templates/service.yaml, written by Slipway, was not replaced")
	}

	// A file Slipway did not write, where Slipway writes one: refused, nothing changed.
	mustWrite(t, filepath.Join(out, "templates", "service.yaml"), "# my own service\n", 0o644)
	mustWrite(t, filepath.Join(out, "values.yaml"), "# hand-written values\nimage:\n  tag: mine\n", 0o644)
	before := tree(t, out)
	stderr, code = chart()
	if code != 1 {
		t.Errorf("chart over a user's templates/service.yaml: exit %d, want 1; stderr:\n%s", code, stderr)
	}
	for _, f := range []string{filepath.Join(out, "templates", "service.yaml"), filepath.Join(out, "values.yaml")} {
		if !strings.Contains(stderr, f) || !strings.Contains(stderr, "not written by Slipway") {
			t.Errorf("the refusal does not name %s:\n%s", f, stderr)
		}
	}
	sameTree(t, "refused chart", before, tree(t, out))

	// A chart from a Slipway that marked no file (before this one): taken as Slipway's.
	legacy := filepath.Join(app, "legacy")
	if _, stderr, code := run(t, app, "chart", "-o", legacy); code != 0 {
		t.Fatalf("chart -o legacy: exit %d: %s", code, stderr)
	}
	_ = filepath.WalkDir(legacy, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if first, rest, _ := strings.Cut(string(b), "\n"); strings.HasPrefix(first, `{"$comment"`) {
				mustWrite(t, p, "{"+rest, 0o644)
			} else if strings.Contains(first, "Generated by Slipway") {
				mustWrite(t, p, rest, 0o644)
			}
		}
		return nil
	})
	if _, stderr, code := run(t, app, "chart", "-o", legacy); code != 0 {
		t.Errorf("chart over a chart without markers: exit %d: %s", code, stderr)
	}
}

// TestChartNoWriteThroughSymlinks: a symlink where the chart writes a file or directory is
// refused with an error naming it and its target; the target keeps its content and mode.
func TestChartNoWriteThroughSymlinks(t *testing.T) {
	const secret = "sk_live_symlink_test_value"
	for _, secrets := range []bool{false, true} {
		for _, tc := range []struct {
			name string
			// setup makes the link (in app, whose chart is at out) to something in outside,
			// and returns the link's path relative to app.
			setup func(t *testing.T, app, out, outside string) string
			// defaultOut: the chart goes to the default .slipway/chart.
			defaultOut bool
		}{
			{name: "values.yaml", setup: func(t *testing.T, app, out, outside string) string {
				replaceWithLink(t, filepath.Join(out, "values.yaml"), filepath.Join(outside, "target"))
				return "chart/values.yaml"
			}},
			{name: "Chart.yaml", setup: func(t *testing.T, app, out, outside string) string {
				// A Chart.yaml that says Slipway wrote it, so that only the symlink is wrong.
				b, err := os.ReadFile(filepath.Join(out, "Chart.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				mustWrite(t, filepath.Join(outside, "target"), string(b), 0o644)
				replaceWithLink(t, filepath.Join(out, "Chart.yaml"), filepath.Join(outside, "target"))
				return "chart/Chart.yaml"
			}},
			{name: "a template", setup: func(t *testing.T, app, out, outside string) string {
				replaceWithLink(t, filepath.Join(out, "templates", "deployment.yaml"), filepath.Join(outside, "target"))
				return "chart/templates/deployment.yaml"
			}},
			{name: "templates", setup: func(t *testing.T, app, out, outside string) string {
				if err := os.RemoveAll(filepath.Join(out, "templates")); err != nil {
					t.Fatal(err)
				}
				mustSymlink(t, outside, filepath.Join(out, "templates"))
				return "chart/templates"
			}},
			{name: ".slipway", defaultOut: true, setup: func(t *testing.T, app, out, outside string) string {
				mustSymlink(t, outside, filepath.Join(app, ".slipway"))
				return ".slipway"
			}},
			{name: ".slipway/chart", defaultOut: true, setup: func(t *testing.T, app, out, outside string) string {
				if err := os.Mkdir(filepath.Join(app, ".slipway"), 0o755); err != nil {
					t.Fatal(err)
				}
				mustSymlink(t, outside, filepath.Join(app, ".slipway", "chart"))
				return ".slipway/chart"
			}},
		} {
			name := tc.name
			if secrets {
				name += "/include-secrets"
			}
			t.Run(name, func(t *testing.T) {
				app := writeApp(t, map[string]string{"Procfile": "web: ./server\n", ".env": "API_TOKEN=" + secret + "\n"})
				outside := t.TempDir()
				mustWrite(t, filepath.Join(outside, "target"), "outside content\n", 0o644)
				out := filepath.Join(app, "chart")
				if _, stderr, code := run(t, app, "chart", "-o", out); code != 0 {
					t.Fatalf("first chart: exit %d: %s", code, stderr)
				}
				link := tc.setup(t, app, out, outside)
				target, _ := os.Readlink(filepath.Join(app, link))
				args := []string{"chart"}
				if !tc.defaultOut {
					args = append(args, "-o", out)
				}
				if secrets {
					args = append(args, "--include-secrets")
				}
				beforeOutside, beforeApp := tree(t, outside), tree(t, app)
				stdout, stderr, code := run(t, app, args...)
				noStackTrace(t, stderr)
				if code != 1 {
					t.Errorf("slipway %s with %s a symlink: exit %d, want 1; stdout %q, stderr:\n%s", strings.Join(args, " "), link, code, stdout, stderr)
				}
				if !strings.Contains(stderr, filepath.FromSlash(link)+" is a symlink") || !strings.Contains(stderr, target) {
					t.Errorf("the error does not name %s and its target %s:\n%s", link, target, stderr)
				}
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("a config value was printed")
				}
				sameTree(t, "outside the app", beforeOutside, tree(t, outside))
				sameTree(t, "the app", beforeApp, tree(t, app))
			})
		}
	}

	t.Run("hard link", func(t *testing.T) {
		// A values.yaml that is also a file outside (a hard link): the chart's new file
		// replaces the name, so the outside file never receives the values.
		app := writeApp(t, map[string]string{"Procfile": "web: ./server\n", ".env": "API_TOKEN=" + secret + "\n"})
		out := filepath.Join(app, "chart")
		if _, stderr, code := run(t, app, "chart", "-o", out); code != 0 {
			t.Fatalf("first chart: exit %d: %s", code, stderr)
		}
		outside := filepath.Join(t.TempDir(), "linked")
		if err := os.Link(filepath.Join(out, "values.yaml"), outside); err != nil {
			t.Fatal(err)
		}
		before := tree(t, filepath.Dir(outside))
		if _, stderr, code := run(t, app, "chart", "-o", out, "--include-secrets"); code != 0 {
			t.Fatalf("chart --include-secrets: exit %d: %s", code, stderr)
		}
		sameTree(t, "the hard link outside", before, tree(t, filepath.Dir(outside)))
		st, err := os.Stat(filepath.Join(out, "values.yaml"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("values.yaml with secrets: %v, %v; want mode 0600", st.Mode(), err)
		}
		if b, _ := os.ReadFile(filepath.Join(out, "values.yaml")); !strings.Contains(string(b), secret) {
			t.Errorf("values.yaml lacks the config value")
		}
		if entries, _ := os.ReadDir(out); len(entries) != 5 { // .helmignore Chart.yaml templates values.schema.json values.yaml
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("chart directory holds %v: a temporary file left behind?", names)
		}
	})

	t.Run("-o a symlink to a directory", func(t *testing.T) {
		app := writeApp(t, map[string]string{"Procfile": "web: ./server\n"})
		real := t.TempDir()
		link := filepath.Join(t.TempDir(), "chart-link")
		mustSymlink(t, real, link)
		if _, stderr, code := run(t, app, "chart", "-o", link); code != 0 {
			t.Fatalf("chart -o SYMLINK-TO-DIR: exit %d: %s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(real, "templates", "deployment.yaml")); err != nil {
			t.Errorf("the chart is not in the directory -o's symlink names: %v", err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("-o's symlink was replaced: %v", err)
		}
	})
}

// replaceWithLink replaces the file at path with a symlink to target.
func replaceWithLink(t *testing.T, path, target string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	mustSymlink(t, target, path)
}

// TestInitNoWriteThroughSymlink: init --force does not write through a slipway.yaml that
// is a symlink.
func TestInitNoWriteThroughSymlink(t *testing.T) {
	app := writeApp(t, map[string]string{"Procfile": "web: ./server\n"})
	outside := t.TempDir()
	target := filepath.Join(outside, "slipway.yaml")
	mustWrite(t, target, "name: elsewhere\n", 0o640)
	mustSymlink(t, target, filepath.Join(app, "slipway.yaml"))
	for _, args := range [][]string{{"init", "--force"}, {"init"}} {
		before, beforeApp := tree(t, outside), tree(t, app)
		stdout, stderr, code := run(t, app, args...)
		noStackTrace(t, stderr)
		if code != 1 || !strings.Contains(stderr, "slipway.yaml is a symlink") || !strings.Contains(stderr, target) {
			t.Errorf("slipway %s over a symlinked slipway.yaml: exit %d, stdout %q, stderr %q; want 1 and an error naming the link and %s", strings.Join(args, " "), code, stdout, stderr, target)
		}
		sameTree(t, "the symlink's target", before, tree(t, outside))
		sameTree(t, "the app", beforeApp, tree(t, app))
	}
	// --print writes nothing, but reading a link out of the app is refused too.
	if _, stderr, code := run(t, app, "init", "--print"); code != 1 || !strings.Contains(stderr, "outside the app directory") {
		t.Errorf("init --print: exit %d: %s", code, stderr)
	}
}

// TestLocalMessages: -m release=N says why, -p 0 is a usage error, a bad PORT in an env
// file is named without its value.
func TestLocalMessages(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		want    []string
		notWant []string
	}{
		{"-m release=2", []string{"local", "-m", "release=2"}, 2, []string{`"release=2"`, "runs once", "takes no count", "--no-release"}, []string{"no such process type"}},
		{"-p 0", []string{"local", "-p", "0"}, 2, []string{"--port 0", "1 to 65535"}, nil},
		{"-p -1", []string{"local", "-p", "-1"}, 2, []string{"--port -1"}, nil},
		{"local run -p 0", []string{"local", "run", "-p", "0", "true"}, 2, []string{"--port 0"}, nil},
		{"bad PORT", []string{"local", "-e", "bad.env"}, 1, []string{"bad.env", "PORT", "not a port number"}, []string{"sk_live_port_value"}},
		{"local run bad PORT", []string{"local", "run", "-e", "bad.env", "true"}, 1, []string{"bad.env", "PORT"}, []string{"sk_live_port_value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := localApp(t, map[string]string{
				"Procfile": "web: touch started\nrelease: touch released\n",
				"bad.env":  "A=1\nPORT=sk_live_port_value\n",
			})
			stdout, stderr, code := run(t, dir, tc.args...)
			noStackTrace(t, stderr)
			if code != tc.code {
				t.Errorf("slipway %s: exit %d, want %d; stderr:\n%s", strings.Join(tc.args, " "), code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(stdout+stderr, w) {
					t.Errorf("output holds %q:\n%s%s", w, stdout, stderr)
				}
			}
			for _, f := range []string{"started", "released"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("a process ran (%s)", f)
				}
			}
		})
	}

}

// TestCompletionUnsupportedShell: completion for a shell cobra does not write (or for
// none) is a usage error naming the supported ones.
func TestCompletionUnsupportedShell(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"completion", "tcsh"}, {"completion"}} {
		stdout, stderr, code := run(t, dir, args...)
		noStackTrace(t, stderr)
		if code != 2 || stdout != "" {
			t.Errorf("slipway %s: exit %d, %d bytes on stdout; want 2 and nothing", strings.Join(args, " "), code, len(stdout))
		}
		for _, w := range []string{"bash", "zsh", "fish", "powershell"} {
			if !strings.Contains(stderr, w) {
				t.Errorf("slipway %s: stderr does not name %s:\n%s", strings.Join(args, " "), w, stderr)
			}
		}
	}
	if stdout, _, code := run(t, dir, "completion", "zsh"); code != 0 || !strings.Contains(stdout, "compdef") {
		t.Errorf("completion zsh: exit %d, %d bytes", code, len(stdout))
	}
}

// TestLocalTypesNamedRunAndAll: process types named run and all can be started: run as
// `local -- run` or `local run` without a COMMAND, all by name or by -m all=N (then *=N
// counts the others).
func TestLocalTypesNamedRunAndAll(t *testing.T) {
	report := "echo ran $DYNO; exec sleep 60"
	dir := localApp(t, map[string]string{
		"Procfile": "web: " + report + "\nrun: " + report + "\nall: " + report + "\n",
	})
	for _, tc := range []struct {
		name string
		args []string
		ran  []string
		not  []string
	}{
		{"local -- run", []string{"local", "--", "run"}, []string{"run.1"}, []string{"web.1", "all.1"}},
		{"local run", []string{"local", "run"}, []string{"run.1"}, []string{"web.1", "all.1"}},
		{"local:run", []string{"local:run"}, []string{"run.1"}, []string{"web.1", "all.1"}},
		{"local all", []string{"local", "all"}, []string{"all.1"}, []string{"web.1", "run.1"}},
		{"-m all=2", []string{"local", "-m", "all=2"}, []string{"all.1", "all.2"}, []string{"web.1", "run.1"}},
		{"-m *=1,all=0", []string{"local", "-m", "*=1,all=0"}, []string{"web.1", "run.1"}, []string{"all.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startLocal(t, dir, nil, tc.args...)
			for _, who := range tc.ran {
				s.waitFor("| ran "+who, 1)
			}
			s.signal(syscall.SIGTERM)
			if code := s.wait(); code != 143 {
				t.Errorf("exit code after SIGTERM = %d, want 143; stderr:\n%s", code, s.stderr.String())
			}
			noneLeft(t, s.mark)
			for _, who := range tc.not {
				if strings.Contains(s.output(), who) {
					t.Errorf("slipway %s started %s:\n%s", strings.Join(tc.args, " "), who, s.output())
				}
			}
		})
	}
	// Without a run type, local run without a COMMAND is still a usage error.
	other := localApp(t, map[string]string{"Procfile": "web: " + report + "\n"})
	_, stderr, code := run(t, other, "local", "run")
	if code != 2 || !strings.Contains(stderr, "COMMAND") {
		t.Errorf("local run without COMMAND or run type: exit %d, stderr %q; want 2", code, stderr)
	}
}
