package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// The tests of this file try the app's inputs the way a hostile or careless repository
// would (issue 10, items 2, 3, 8, 9, 10 and 12): through the real binary, each checking that
// nothing secret is echoed, nothing outside the app is read, and every refusal says what and
// where.

// secret is what a config value looks like in these tests; no output may ever hold it.
const secret = "sk_live_zq9Secret"

// noSecret fails when out holds the secret.
func noSecret(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(out, "zq9Secret") {
		t.Errorf("the output holds a config value:\n%s", out)
	}
}

// TestEnvErrorsNeverQuoteValues: a malformed env file is refused with its file, line and
// variable by every command that reads it, and the value stays out of the message.
func TestEnvErrorsNeverQuoteValues(t *testing.T) {
	cases := []struct {
		name, env, want string
	}{
		{"unterminated quote", "A=1\nSECRET_KEY=\"" + secret + "\nB=2\n", `.env:2: SECRET_KEY: the value's opening " is never closed`},
		{"a value pasted alone", "A=1\n" + secret + "\n", ".env:2: expected NAME=value: this line has no '='"},
		{"a space instead of =", "SECRET_KEY " + secret + "\n", ".env:1: expected NAME=value"},
		{"a dash in the name", "SECRET-KEY=" + secret + "\n", `.env:1: "SECRET-KEY" is not a valid variable name in an env file`},
		{"invalid UTF-8", "SECRET_KEY=" + secret + "\xff\xfe\n", ".env:1: SECRET_KEY: invalid UTF-8 at column"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeApp(t, map[string]string{"Procfile": "web: sleep 60\n", ".env": tc.env})
			for _, args := range [][]string{
				{"chart", "--include-secrets", "-o", filepath.Join(dir, "out")},
				{"chart", "--lint"},
				{"local"},
				{"local", "run", "true"},
				{"local", "run", "-e", ".env", "true"},
			} {
				stdout, stderr, code := run(t, dir, args...)
				if code == 0 {
					t.Errorf("slipway %s: exit 0, want a refusal", strings.Join(args, " "))
				}
				if !strings.Contains(stderr, tc.want) {
					t.Errorf("slipway %s: stderr lacks %q:\n%s", strings.Join(args, " "), tc.want, stderr)
				}
				noSecret(t, stdout+stderr)
				noStackTrace(t, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Errorf("a chart was written from a malformed env file")
			}
		})
	}
	t.Run("config set without =", func(t *testing.T) {
		_, stderr, code := run(t, t.TempDir(), "config", "set", secret, "--app", "x")
		if code != 2 {
			t.Errorf("exit %d, want 2 (usage)", code)
		}
		noSecret(t, stderr)
	})
}

// TestInputSymlinks: an app's input may be a relative link to a file inside the app
// directory; a link out of it (to /etc/shadow, or to a secrets file elsewhere) is refused
// before anything is read, naming the link and where it points, and quoting nothing.
func TestInputSymlinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(outside, []byte("SECRET_KEY="+secret+"\nweb "+secret+"\n{"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, input := range []string{"Procfile", ".env", ".env.staging", "app.json", "heroku.yml", "slipway.yaml"} {
		for _, target := range []string{outside, "../" + filepath.Base(filepath.Dir(outside)) + "/elsewhere", "/etc/passwd"} {
			t.Run(input+" to "+target, func(t *testing.T) {
				dir := writeApp(t, map[string]string{"Procfile": "web: sleep 60\n"})
				os.Remove(filepath.Join(dir, input))
				if err := os.Symlink(target, filepath.Join(dir, input)); err != nil {
					t.Fatal(err)
				}
				commands := [][]string{{"chart", "--template"}}
				switch input {
				case ".env.staging":
					commands = [][]string{{"chart", "--template", "-e", "staging", "--include-secrets"}}
				case "Procfile":
					commands = append(commands, []string{"local"})
				case ".env":
					commands = append(commands, []string{"local"}, []string{"local", "run", "true"})
				}
				for _, args := range commands {
					stdout, stderr, code := runFor(t, 20*time.Second, dir, args...)
					if code != 1 {
						t.Errorf("slipway %s: exit %d, want 1", strings.Join(args, " "), code)
					}
					want := input + ": is a symbolic link to " + target + ", outside the app directory"
					if !strings.Contains(stderr, want) {
						t.Errorf("slipway %s: stderr lacks %q:\n%s", strings.Join(args, " "), want, stderr)
					}
					noSecret(t, stdout+stderr)
					if strings.Contains(stderr, "root:") {
						t.Errorf("stderr quotes /etc/passwd:\n%s", stderr)
					}
					noStackTrace(t, stderr)
				}
			})
		}
	}
	t.Run("a relative link inside the app is read", func(t *testing.T) {
		dir := writeApp(t, map[string]string{"config/Procfile.prod": "web: sleep 60\nworker: sleep 61\n", "config/env": "A=1\n"})
		for link, target := range map[string]string{"Procfile": "config/Procfile.prod", ".env": "config/env"} {
			if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
		}
		stdout, stderr, code := run(t, dir, "chart", "--template", "--include-secrets")
		if code != 0 || !strings.Contains(stdout, "sleep 61") {
			t.Errorf("exit %d; the linked Procfile was not used:\n%s", code, stderr)
		}
	})
	t.Run("a link that points nowhere", func(t *testing.T) {
		dir := writeApp(t, map[string]string{})
		if err := os.Symlink("Procfile.gone", filepath.Join(dir, "Procfile")); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := run(t, dir, "chart", "--template")
		if code != 1 || !strings.Contains(stderr, "Procfile: is a symbolic link to Procfile.gone, which does not exist") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
	})
	t.Run("an env file named in slipway.yaml must be inside the app", func(t *testing.T) {
		dir := writeApp(t, map[string]string{"Procfile": "web: sleep 60\n", "slipway.yaml": "environments:\n  staging:\n    envFile: " + outside + "\n"})
		stdout, stderr, code := run(t, dir, "chart", "--template", "-e", "staging", "--include-secrets")
		if code != 1 || !strings.Contains(stderr, "slipway.yaml:3: environments.staging.envFile:") || !strings.Contains(stderr, "not a path inside the app directory") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
		noSecret(t, stdout+stderr)
	})
}

// TestNonRegularInputs: a named pipe, a directory or a file over 1 MiB where an input is
// expected is refused at once; nothing hangs.
func TestNonRegularInputs(t *testing.T) {
	for _, input := range []string{"Procfile", ".env", "app.json", "heroku.yml", "slipway.yaml"} {
		t.Run(input+" as a named pipe", func(t *testing.T) {
			dir := writeApp(t, map[string]string{"Procfile": "web: sleep 60\n"})
			os.Remove(filepath.Join(dir, input))
			if err := syscall.Mkfifo(filepath.Join(dir, input), 0o644); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := runFor(t, 20*time.Second, dir, "chart", "--template", "--include-secrets")
			if code != 1 || !strings.Contains(stderr, input+": is a named pipe (FIFO), not a file") {
				t.Errorf("exit %d, stderr:\n%s", code, stderr)
			}
		})
	}
	t.Run("Procfile as a directory", func(t *testing.T) {
		dir := writeApp(t, map[string]string{"Procfile/x": "web: sleep 60\n"})
		_, stderr, code := run(t, dir, "chart", "--template")
		if code != 1 || strings.TrimSpace(stderr) != "error: Procfile: is a directory, not a file" {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
	})
	t.Run("slipway.yaml over 1 MiB", func(t *testing.T) {
		big := "name: shop\n" + strings.Repeat("# padding padding padding padding padding padding\n", 30000)
		dir := writeApp(t, map[string]string{"Procfile": "web: sleep 60\n", "slipway.yaml": big})
		_, stderr, code := runFor(t, 20*time.Second, dir, "chart", "--template")
		if code != 1 || !strings.Contains(stderr, "slipway.yaml: is 1500011 bytes; Slipway reads input files of at most 1 MiB") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
	})
}

// TestFirstSignalEndsReading: a command blocked reading (a kubeconfig that is a named pipe
// nobody writes, an API server that never answers) ends on the first SIGINT or SIGTERM,
// with 130 or 143, instead of waiting for a second one.
func TestFirstSignalEndsReading(t *testing.T) {
	dir := writeApp(t, map[string]string{"Procfile": "web: sleep 60\n"})
	fifo := filepath.Join(t.TempDir(), "kubeconfig")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			cmd := exec.Command(e2e.Slipway(t), "releases", "--kubeconfig", fifo)
			cmd.Dir = dir
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second) // blocked opening the pipe by now
			start := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("slipway releases still runs 10 s after one %v", tc.sig)
			}
			if got := cmd.ProcessState.ExitCode(); got != tc.code {
				t.Errorf("exit code %d after %v, want %d", got, tc.sig, tc.code)
			}
			t.Logf("ended %v after the signal", time.Since(start).Round(time.Millisecond))
		})
	}
}

// runFor is run with a deadline: a command that hangs is killed and fails the test.
func runFor(t *testing.T, limit time.Duration, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, e2e.Slipway(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("slipway %s still ran after %v (killed)", strings.Join(args, " "), limit)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run slipway %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// TestInitForceReplacesBrokenManifest: init --force writes a new slipway.yaml over one that
// does not load, saying why; without --force it still refuses.
func TestInitForceReplacesBrokenManifest(t *testing.T) {
	for name, manifest := range map[string]string{
		"syntax":        "name: shop\nprocesses: [\n",
		"unknown field": "name: shop\nprocesses:\n  web:\n    prot: 80\n",
		"unknown type":  "processes:\n  wrker: {replicas: 2}\n",
		"bad name":      "name: Shop_Review\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeApp(t, map[string]string{"Procfile": "web: sleep 60\n", "slipway.yaml": manifest})
			if _, _, code := run(t, dir, "init"); code != 1 {
				t.Errorf("init without --force: exit %d, want 1", code)
			}
			stdout, stderr, code := run(t, dir, "init", "--force")
			if code != 0 {
				t.Fatalf("init --force: exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "does not load with its slipway.yaml, which is replaced") || !strings.Contains(stdout, "wrote") {
				t.Errorf("init --force did not say what it replaced:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
			if _, stderr, code := run(t, dir, "chart", "--template"); code != 0 {
				t.Errorf("the new slipway.yaml does not load: %s", stderr)
			}
		})
	}
}

// TestAppNamesAndMessages: the messages of item 12 that concern the app's inputs.
func TestAppNamesAndMessages(t *testing.T) {
	t.Run("a 53-character app name deploys to its default environments", func(t *testing.T) {
		name := strings.Repeat("a", 52) + "z"
		dir := writeApp(t, map[string]string{"Procfile": "web: sleep 60\n", "slipway.yaml": "name: " + name + "\n"})
		for _, env := range []string{"staging", "production"} {
			if _, stderr, code := run(t, dir, "chart", "--template", "-e", env); code != 0 {
				t.Fatalf("-e %s: exit %d\n%s", env, code, stderr)
			}
		}
		stdout, stderr, code := run(t, dir, "init", "--print")
		if code != 0 {
			t.Fatalf("init --print: exit %d\n%s", code, stderr)
		}
		for _, line := range strings.Split(stdout, "\n") {
			if ns, ok := strings.CutPrefix(strings.TrimSpace(line), "namespace: "); ok && (len(ns) > 63 || !strings.HasPrefix(ns, "aaaa")) {
				t.Errorf("namespace %q (%d characters)", ns, len(ns))
			}
		}
		if !strings.Contains(stdout, "-production\n") {
			t.Errorf("no production namespace in:\n%s", stdout)
		}
	})
	t.Run("a directory named without Latin letters", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "日本語")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: sleep 60\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := run(t, dir, "chart", "--template")
		if code != 1 || !strings.Contains(stderr, `the directory name "日本語" has no letter or digit of a-z, 0-9`) || !strings.Contains(stderr, "set name: in slipway.yaml") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
		stdout, stderr, code := run(t, dir, "chart", "--template", "-a", "nihongo")
		if code != 0 || !strings.Contains(stdout, "nihongo-web") {
			t.Errorf("-a nihongo: exit %d\n%s", code, stderr)
		}
	})
	t.Run("no signal warning for a shell built-in", func(t *testing.T) {
		dir := writeApp(t, map[string]string{"Procfile": "web: echo hi\nworker: cd app && ./worker\n"})
		_, stderr, code := run(t, dir, "chart", "--template")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if strings.Contains(stderr, "process web") {
			t.Errorf("a warning about web's `echo hi`:\n%s", stderr)
		}
		if !strings.Contains(stderr, "process worker's command is a compound shell command") {
			t.Errorf("no warning about worker's compound command:\n%s", stderr)
		}
	})
	t.Run("config a Secret cannot hold", func(t *testing.T) {
		// .env and app.json are each under the 1 MiB input bound; together they are not.
		big := strings.Repeat("x", 700<<10)
		dir := writeApp(t, map[string]string{
			"Procfile": "web: sleep 60\n",
			".env":     "BIG_ONE=" + secret + big + "\n",
			"app.json": `{"env": {"BIG_TWO": {"value": "` + secret + big + `"}}}`,
		})
		out := filepath.Join(dir, "out")
		_, stderr, code := run(t, dir, "chart", "--include-secrets", "-o", out)
		if code != 1 || !strings.Contains(stderr, "above the 1.00 MiB a Kubernetes Secret holds (largest: BIG_ONE 700.0 KiB, BIG_TWO 700.0 KiB)") {
			t.Errorf("exit %d, stderr:\n%s", code, stderr)
		}
		noSecret(t, stderr)
		if _, err := os.Stat(out); err == nil {
			t.Errorf("a chart was written with config a Secret cannot hold")
		}
		// Without the values the chart refers to a Secret made elsewhere: nothing to refuse.
		if _, stderr, code := run(t, dir, "chart", "-o", out); code != 0 {
			t.Errorf("chart without --include-secrets: exit %d\n%s", code, stderr)
		}
	})
}

// TestInputsMustBeText: bytes that are not UTF-8 are refused with file:line, never passed
// on changed (JSON decoding would turn them into U+FFFD in a config value).
func TestInputsMustBeText(t *testing.T) {
	for _, tc := range []struct{ file, body, want string }{
		{"app.json", "{\n  \"env\": {\"GREETING\": \"gr\xfc\xdfe\"}\n}\n", "app.json:2: invalid UTF-8 at column 26"},
		{"heroku.yml", "setup:\n  config:\n    GREETING: gr\xfc\xdfe\n", "heroku.yml:3: invalid UTF-8 at column 17"},
		{"slipway.yaml", "build:\n  args:\n    GREETING: gr\xfc\xdfe\n", "slipway.yaml:3: invalid UTF-8 at column 17"},
		{".env", "GREETING=gr\xfc\xdfe\n", ".env:1: GREETING: invalid UTF-8 at column 12"},
		{"Procfile", "web: echo gr\xfc\xdfe\n", "Procfile:1: invalid UTF-8"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			dir := writeApp(t, map[string]string{"Procfile": "web: sleep 60\n", tc.file: tc.body})
			out := filepath.Join(dir, "out")
			_, stderr, code := run(t, dir, "chart", "--include-secrets", "-o", out)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want 1 and %q; stderr:\n%s", code, tc.want, stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a chart was written")
			}
		})
	}
}
