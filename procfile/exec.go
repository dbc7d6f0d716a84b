package procfile

import (
	"fmt"
	"strings"
)

// ExecCommand returns the string to hand to `/bin/sh -c` so that the process becomes PID 1's
// replacement and receives signals: "exec " is inserted when cmd is a simple command
// (after any leading VAR=value assignments: `A=1 B="x y" exec node x.js`), and cmd is returned
// unchanged with ok=false when it is compound (unquoted ; & && || | ( ) backtick $( newline,
// or it starts with a shell keyword such as if/for/while/case/{/!), or already starts with exec (ok=true then).
//
// Why the explicit exec: dash (Debian's /bin/sh, and so most images built on Debian or
// Ubuntu) forks for the command in `sh -c 'cmd'` and stays PID 1 itself, and a shell
// that is PID 1 ignores SIGTERM, so the process would be SIGKILLed after the grace period
// instead of shutting down cleanly. bash and busybox sh happen to exec a lone simple command
// themselves; the inserted exec makes every shell behave the same way.
//
// Why after the assignments: `exec A=1 node` would try to run a program called "A=1".
// Assignments before a special built-in such as exec stay in the shell's environment and are
// exported to the program exec runs. Verified with dash 0.5.12 (/bin/sh here), BusyBox
// v1.35.0 sh and bash 5.2 (also with --posix): `A=1 B="x y" exec sh -c 'echo "$A|$B|$$"'`
// prints "1|x y|" followed by the PID of the outer shell, i.e. the variables reach the
// program and no new process was created. TestExecCommandRunsInShell checks this on every run.
//
// The analysis is deliberately conservative: whatever it cannot prove simple is returned
// unchanged (it still runs, just without the exec). Beyond the constructs above it also gives
// up on `<<` here-documents, `$'…'` quoting, `${…}` holding quotes or operators, unterminated
// quotes, a trailing backslash, a redirection before the command word, and a command word that
// is a shell built-in (cd, export, eval, ., echo, …): `exec cd` fails, since exec only runs
// programs. A trailing ` # comment` is a shell comment and is ignored. The compound check
// comes first: `exec a; b` is returned unchanged with ok=false, like any other compound command.
func ExecCommand(cmd string) (script string, ok bool) {
	script, ok, _ = analyse(cmd)
	return script, ok
}

// NoExecReason says why the shell running cmd stays PID 1 while the program it starts does
// not receive SIGTERM, or "" when that is not so: cmd is exec'd (see ExecCommand), or it is
// a shell built-in (`echo hi`) or only assignments, which the shell itself carries out, so
// there is no other program to signal. The reason completes "the command …".
func NoExecReason(cmd string) string {
	_, _, why := analyse(cmd)
	return why
}

// analyse is ExecCommand, with the reason when cmd cannot be exec'd and a program other than
// the shell would miss the signals.
func analyse(cmd string) (script string, ok bool, why string) {
	words, ok := lexSimple(cmd)
	if !ok {
		return cmd, false, "is a compound shell command (a list, pipeline, subshell or substitution) or uses shell syntax Slipway does not analyse"
	}
	k := 0
	for k < len(words) && isAssignment(cmd[words[k].start:words[k].end]) {
		if words[k].redirect {
			return cmd, false, "has a redirection among its leading assignments"
		}
		k++
	}
	if k == len(words) {
		return cmd, false, "" // nothing to exec: empty, only assignments, or only a comment
	}
	w := words[k]
	raw := cmd[w.start:w.end]
	bare := strings.NewReplacer(`"`, "", `'`, "", `\`, "").Replace(raw) // quote removal, roughly
	switch {
	case bare == "exec":
		return cmd, true, ""
	case w.redirect:
		return cmd, false, "starts with a redirection"
	case shellKeywords[raw]:
		return cmd, false, fmt.Sprintf("is a compound shell command (it starts with %q)", raw)
	case shellBuiltins[bare]:
		return cmd, false, "" // the shell runs it itself: there is no other program
	}
	return cmd[:w.start] + "exec " + cmd[w.start:], true, ""
}

// word is one blank-separated shell word, cmd[start:end].
type word struct {
	start, end int
	redirect   bool // holds an unquoted '<' or '>'
}

// lexSimple splits cmd into words the way sh would for a simple command, stopping at a comment.
// It reports ok=false as soon as it meets anything a simple command cannot hold.
func lexSimple(cmd string) (words []word, ok bool) {
	cur := word{start: -1}
	flush := func() {
		if cur.start >= 0 {
			words = append(words, cur)
		}
		cur = word{start: -1}
	}
	i := 0
	for i < len(cmd) {
		c := cmd[i]
		if c == ' ' || c == '\t' {
			flush()
			i++
			continue
		}
		if c == '#' && cur.start < 0 {
			if strings.ContainsRune(cmd[i:], '\n') {
				return nil, false // the comment ends and another command follows
			}
			break
		}
		if cur.start < 0 {
			cur.start = i
		}
		switch c {
		case ';', '&', '|', '(', ')', '`', '\n':
			return nil, false
		case '\'':
			j := strings.IndexByte(cmd[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			i += j + 2
		case '"':
			if i, ok = skipDoubleQuoted(cmd, i+1); !ok {
				return nil, false
			}
		case '\\':
			if i+1 >= len(cmd) || cmd[i+1] == '\n' {
				return nil, false
			}
			i += 2
		case '$':
			if i, ok = skipDollar(cmd, i); !ok {
				return nil, false
			}
		case '<', '>':
			cur.redirect = true
			switch next := byteAt(cmd, i+1); {
			case c == '<' && next == '<':
				return nil, false // here-document
			case next == '&' || c == '>' && next == '|':
				i += 2 // 2>&1, <&3, >|file: not a background job or a pipe
			default:
				i++
			}
		default:
			i++
		}
		cur.end = i
	}
	flush()
	return words, true
}

// skipDoubleQuoted returns the index just past the '"' closing the string that starts at i.
func skipDoubleQuoted(cmd string, i int) (int, bool) {
	for i < len(cmd) {
		switch cmd[i] {
		case '"':
			return i + 1, true
		case '`':
			return 0, false
		case '\\':
			i += 2
		case '$':
			var ok bool
			if i, ok = skipDollar(cmd, i); !ok {
				return 0, false
			}
		default:
			i++
		}
	}
	return 0, false
}

// skipDollar returns the index after the expansion that starts with the '$' at i. Command
// substitution, $'…' quoting and ${…} holding anything but plain text are refused.
func skipDollar(cmd string, i int) (int, bool) {
	switch byteAt(cmd, i+1) {
	case '(', '\'':
		return 0, false
	case '{':
		j := strings.IndexByte(cmd[i+2:], '}')
		if j < 0 || strings.ContainsAny(cmd[i+2:i+2+j], "'\"`$(){};&|<>\\\n") {
			return 0, false
		}
		return i + 2 + j + 1, true
	}
	return i + 1, true
}

func byteAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// isAssignment reports whether the shell word w is a variable assignment (NAME=value).
func isAssignment(w string) bool {
	eq := strings.IndexByte(w, '=')
	if eq <= 0 {
		return false
	}
	for i := 0; i < eq; i++ {
		c := w[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// shellKeywords are reserved words of POSIX sh and bash: a command starting with one is compound.
var shellKeywords = setOf("if", "then", "else", "elif", "fi", "do", "done", "case", "esac",
	"while", "until", "for", "in", "{", "}", "!", "[[", "]]", "function", "select", "time", "coproc")

// shellBuiltins are built-ins that exec cannot run (there is no program of that name, or
// it would not do the same thing), plus a few that exist both ways but are pointless as a
// process and absent from minimal images.
var shellBuiltins = setOf(".", ":", "alias", "bg", "break", "builtin", "cd", "command",
	"continue", "declare", "dirs", "disown", "echo", "enable", "eval", "exit", "export",
	"false", "fc", "fg", "getopts", "hash", "jobs", "kill", "let", "local", "popd", "printf",
	"pushd", "pwd", "read", "readonly", "return", "set", "shift", "shopt", "source", "test",
	"[", "times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
