package procfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type execCase struct {
	name string
	cmd  string
	want string // the script; "" means cmd unchanged
	ok   bool
}

// execCases is shared with FuzzExecCommand as its seed corpus.
var execCases = []execCase{
	// Simple commands get exec.
	{"simple", "node server.js", "exec node server.js", true},
	{"one word", "./bin/worker", "exec ./bin/worker", true},
	{"assignments", `A=1 B="x y" node x.js`, `A=1 B="x y" exec node x.js`, true},
	{"assignment with single quotes", "REDIS_URL='redis://' python manage.py migrate", "REDIS_URL='redis://' exec python manage.py migrate", true},
	{"assignment with escaped space", `A=x\ y node`, `A=x\ y exec node`, true},
	{"empty assignment", "A= node", "A= exec node", true},
	{"word with = is not an assignment", "1A=x node", "exec 1A=x node", true},
	{"parameter expansion", "bin/puma -p ${PORT:-5000}", "exec bin/puma -p ${PORT:-5000}", true},
	{"variable", "gunicorn --bind :$PORT app", "exec gunicorn --bind :$PORT app", true},
	{"quoted operators", `sh -c 'echo a; echo b' "x|y" \;`, `exec sh -c 'echo a; echo b' "x|y" \;`, true},
	{"redirections", "node x.js 2>&1 >>log <in", "exec node x.js 2>&1 >>log <in", true},
	{"clobber redirection", "node x.js >|log", "exec node x.js >|log", true},
	{"trailing comment", "./bin/docker-worker-celery --with-scheduler # optional", "exec ./bin/docker-worker-celery --with-scheduler # optional", true},
	{"comment hides operators", "node x.js # a; b && c", "exec node x.js # a; b && c", true},
	{"hash inside a word", "echo a#b", "", false}, // echo is a built-in
	{"hash inside a word of a program", "node a#b;c", "", false},
	{"env is a program", "env A=1 node", "exec env A=1 node", true},
	{"windows variable", "python manage.py runserver %PORT%", "exec python manage.py runserver %PORT%", true},
	{"glob", "node *.js", "exec node *.js", true},

	// Already exec.
	{"already exec", "exec node x.js", "", true},
	{"already exec after assignments", "A=1 exec node x.js", "", true},
	{"quoted exec", `"exec" node`, "", true},
	{"exec then compound", "exec node x.js; echo done", "", false},

	// Compound: unchanged.
	{"and", "./bin/fider migrate && ./bin/fider", "", false},
	{"or", "a || b", "", false},
	{"semicolon", "a; b", "", false},
	{"background", "a & b", "", false},
	{"bash &> is a background job in sh", "a &>log", "", false},
	{"pipe", "a | b", "", false},
	{"subshell", "(cd graditude/frontend && npm run build)", "", false},
	{"paren later", "a (b)", "", false},
	{"command substitution", "node $(cat args)", "", false},
	{"command substitution in quotes", `node "$(cat args)"`, "", false},
	{"backticks", "node `cat args`", "", false},
	{"backticks in quotes", "node \"`cat args`\"", "", false},
	{"arithmetic", "node $((1+2))", "", false},
	{"newline", "a\nb", "", false},
	{"comment then newline", "a # c\nb", "", false},
	{"escaped newline", "a \\\nb", "", false},
	{"here-document", "cat <<EOF", "", false},
	{"ANSI-C quoting", "node $'a\\'b' ; rm x '", "", false},
	{"expansion with operator", "node ${A:-;}", "", false},
	{"nested expansion", "node ${A:-${B}}", "", false},
	{"unterminated expansion", "node ${A", "", false},
	{"unterminated single quote", "node 'x", "", false},
	{"unterminated double quote", `node "x`, "", false},
	{"trailing backslash", `node x\`, "", false},
	{"substitution in assignment", "A=$(x) node", "", false},

	// Keywords and built-ins: unchanged.
	{"if", "if true; then a; fi", "", false},
	{"for", "for i in 1 2 3", "", false},
	{"while", "while :", "", false},
	{"case", "case x in", "", false},
	{"brace group", "{ a }", "", false},
	{"bang", "! a", "", false},
	{"double bracket", "[[ -f x ]]", "", false},
	{"time", "time node x", "", false},
	{"keyword after assignment", "A=1 while x", "", false},
	{"cd", "cd app", "", false},
	{"dot", ". ./env.sh", "", false},
	{"eval", `eval "$CMD"`, "", false},
	{"export", "export A=1", "", false},
	{"quoted builtin", `"cd" app`, "", false},

	// Nothing to exec: unchanged.
	{"empty", "", "", false},
	{"blank", "  \t", "", false},
	{"only assignments", "A=1 B=2", "", false},
	{"only a comment", "# nothing", "", false},
	{"redirection first", ">log node x", "", false},
	{"redirection in assignment", "A=1>log node x", "", false},
	{"redirection with fd first", "2>&1 node x", "", false},
}

func TestExecCommand(t *testing.T) {
	for _, tc := range execCases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == "" {
				want = tc.cmd
			}
			got, ok := ExecCommand(tc.cmd)
			if got != want || ok != tc.ok {
				t.Errorf("ExecCommand(%q)\n got: %q, %v\nwant: %q, %v", tc.cmd, got, ok, want, tc.ok)
			}
		})
	}
}

// TestExecCommandRunsInShell runs ExecCommand's output through real shells to show that the
// exec'd program replaces the shell (same PID) and still receives the leading assignments.
func TestExecCommandRunsInShell(t *testing.T) {
	shells := [][]string{{"/bin/sh"}}
	if p, err := exec.LookPath("busybox"); err == nil {
		shells = append(shells, []string{p, "sh"})
	} else if os.Getenv("SLIPWAY_E2E") == "require" {
		t.Fatal("SLIPWAY_E2E=require, but busybox (Debian's busybox-static, the shell of small images) is not installed")
	}
	if p, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, []string{p, "--posix"})
	}
	// In each command, $$ is the PID of the inner `sh -c`; "PID" in want stands for the PID
	// of the outer shell, which is the same process only when exec worked.
	cases := []struct {
		cmd  string
		want string
	}{
		{`sh -c 'echo "$$"'`, "PID"},
		{`A=1 B="x y" sh -c 'echo "$A|$B|$$"'`, "1|x y|PID"},
		{`A=1 exec sh -c 'echo "$A|$$"'`, "1|PID"},
		{`REDIS_URL='redis://' sh -c 'echo "$REDIS_URL|$$"' # optional`, "redis://|PID"},
		{`sh -c 'echo "err|$$" >&2' 2>&1`, "err|PID"},
		{`A=outer; A=inner sh -c 'echo "$A"'`, "inner"}, // compound: left alone, still runs
		{`echo a && echo b`, "a\nb"},
	}
	for _, sh := range shells {
		t.Run(strings.Join(append([]string{filepath.Base(sh[0])}, sh[1:]...), " "), func(t *testing.T) {
			if _, err := exec.LookPath(sh[0]); err != nil {
				t.Skipf("%s not found", sh[0])
			}
			for _, tc := range cases {
				script, _ := ExecCommand(tc.cmd)
				c := exec.Command(sh[0], append(sh[1:], "-c", script)...)
				c.Env = []string{"PATH=/usr/bin:/bin"}
				var out strings.Builder
				c.Stdout = &out
				c.Stderr = &out
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				pid := strconv.Itoa(c.Process.Pid)
				if err := c.Wait(); err != nil {
					t.Errorf("%s -c %q: %v\n%s", sh[0], script, err, out.String())
					continue
				}
				want := strings.ReplaceAll(tc.want, "PID", pid)
				if got := strings.TrimSpace(out.String()); got != want {
					t.Errorf("%s -c %q printed %q, want %q (outer shell PID %s)", sh[0], script, got, want, pid)
				}
			}
		})
	}
}

// TestNoExecReason: a warning about signals is due only when another program than the
// shell would miss them, and it says why in the command's own terms.
func TestNoExecReason(t *testing.T) {
	for _, tc := range []struct{ cmd, want string }{
		{"node server.js", ""},
		{"exec node server.js", ""},
		{"echo hi", ""}, // the shell runs echo itself
		{"A=1 B=2", ""}, // only assignments
		{"cd app && node x.js", "is a compound shell command"},
		{"while true; do x; done", "is a compound shell command"},
		{"if x; then y; fi", "is a compound shell command"},
		{"{ node x; }", "is a compound shell command"},
		{">log node x.js", "starts with a redirection"},
		{"A=1>x node", "has a redirection among its leading assignments"},
	} {
		if got := NoExecReason(tc.cmd); (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("NoExecReason(%q) = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}
