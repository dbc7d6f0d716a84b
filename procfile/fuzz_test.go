package procfile

import (
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts is usable:
// every warning is located, every entry has a command, a valid Kubernetes name and a
// line after the previous entry's, and no two entries share a Kubernetes name.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		if len(tc.input) <= 4096 { // the fuzzer's mutator works best on small inputs
			f.Add([]byte(tc.input))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(strings.NewReader(string(data)), "Procfile")
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned both a Procfile and an error: %v", err)
			}
			perr, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			if perr.Msg == "" || perr.File != "Procfile" || !strings.HasPrefix(err.Error(), "Procfile") {
				t.Fatalf("badly formed error %#v", perr)
			}
			return
		}
		for _, w := range p.Warnings {
			if w.File != "Procfile" || w.Line < 1 || w.Message == "" {
				t.Errorf("badly formed warning %#v", w)
			}
		}
		seen := map[string]bool{}
		last := 0
		for _, e := range p.Entries {
			if e.Command == "" || e.Command != strings.Trim(e.Command, " \t") {
				t.Errorf("entry %q has command %q", e.Name, e.Command)
			}
			if !ValidKubeName(e.KubeName) {
				t.Errorf("entry %q has invalid KubeName %q", e.Name, e.KubeName)
			}
			if e.Line <= last {
				t.Errorf("entry %q on line %d follows line %d", e.Name, e.Line, last)
			}
			last = e.Line
			if seen[e.KubeName] {
				t.Errorf("KubeName %q appears twice", e.KubeName)
			}
			seen[e.KubeName] = true
			if got, ok := p.Lookup(e.Name); !ok || got != e {
				t.Errorf("Lookup(%q) = %+v, %v; want %+v", e.Name, got, ok, e)
			}
		}
	})
}

// FuzzExecCommand checks that ExecCommand never panics, returns cmd unchanged when not ok,
// and otherwise only inserts "exec " at the start of a word, leaving a script it accepts
// as already exec'd.
func FuzzExecCommand(f *testing.F) {
	for _, tc := range execCases {
		f.Add(tc.cmd)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		script, ok := ExecCommand(cmd)
		if !ok || script == cmd {
			if script != cmd {
				t.Fatalf("ExecCommand(%q) = %q, false; want cmd unchanged", cmd, script)
			}
			return
		}
		if len(script) != len(cmd)+len("exec ") {
			t.Fatalf("ExecCommand(%q) = %q: not a single insertion of \"exec \"", cmd, script)
		}
		found := false
		for i := 0; i <= len(cmd) && !found; i++ {
			found = script[:i] == cmd[:i] && script[i:i+5] == "exec " && script[i+5:] == cmd[i:] &&
				(i == 0 || cmd[i-1] == ' ' || cmd[i-1] == '\t')
		}
		if !found {
			t.Fatalf("ExecCommand(%q) = %q: \"exec \" not inserted at a word start", cmd, script)
		}
		if again, ok := ExecCommand(script); !ok || again != script {
			t.Fatalf("ExecCommand(%q) = %q, %v; want it unchanged and ok", script, again, ok)
		}
	})
}
