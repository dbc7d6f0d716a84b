package build

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// dockerInstructions are the Dockerfile instructions (docs.docker.com/reference/dockerfile).
var dockerInstructions = setOfStrings("ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE",
	"FROM", "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER",
	"VOLUME", "WORKDIR")

var argRef = regexp.MustCompile(`^\$\{([A-Z_][A-Z0-9_]*)\}$`)

// checkDockerfile is a small syntax and consistency check of a generated Dockerfile:
// known instructions; only ARGs before the first FROM; every FROM image an ARG declared
// there or an earlier stage; stage names unique; COPY --from naming an earlier stage;
// CMD in JSON form; and the final stage running as a non-root user in /app with PORT=5000.
func checkDockerfile(b []byte) error {
	text := string(b)
	if !strings.HasSuffix(text, "\n") {
		return fmt.Errorf("no newline at the end")
	}
	// Join continuation lines, as the Dockerfile parser does.
	var lines []string
	var cur strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		t := strings.TrimSpace(l)
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if strings.HasSuffix(t, "\\") {
			cur.WriteString(strings.TrimSuffix(t, "\\") + " ")
			continue
		}
		cur.WriteString(t)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		return fmt.Errorf("continuation at the end of the file")
	}

	type state struct {
		user, workdir string
		port          bool
	}
	args := map[string]bool{}
	stages := map[string]bool{}
	inherited := map[string]state{} // what a stage passes on to FROM <stage>
	seenFrom := false
	var user, workdir, current string
	port := false
	for i, l := range lines {
		if current != "" { // the stage so far, for a later FROM <stage>
			inherited[current] = state{user, workdir, port}
		}
		instr, rest, _ := strings.Cut(l, " ")
		rest = strings.TrimSpace(rest)
		if !dockerInstructions[instr] {
			return fmt.Errorf("instruction %d %q: unknown", i+1, instr)
		}
		if rest == "" {
			return fmt.Errorf("instruction %d %q: no arguments", i+1, instr)
		}
		if !seenFrom && instr != "ARG" && instr != "FROM" {
			return fmt.Errorf("instruction %d %q before the first FROM (only ARG may come first)", i+1, l)
		}
		switch instr {
		case "ARG":
			name, val, ok := strings.Cut(rest, "=")
			if !ok || val == "" {
				return fmt.Errorf("ARG %q: base image arguments need a default", rest)
			}
			if seenFrom {
				return fmt.Errorf("ARG %s after FROM: base image arguments belong at the top", name)
			}
			args[name] = true
		case "FROM":
			seenFrom = true
			f := strings.Fields(rest)
			if m := argRef.FindStringSubmatch(f[0]); m != nil {
				if !args[m[1]] {
					return fmt.Errorf("FROM %s: no ARG %s at the top", f[0], m[1])
				}
			} else if !stages[f[0]] {
				return fmt.Errorf("FROM %s: neither an ARG nor an earlier stage", f[0])
			}
			st := inherited[f[0]] // zero for an image
			user, workdir, port = st.user, st.workdir, st.port
			switch {
			case len(f) == 3 && strings.EqualFold(f[1], "AS"):
				if stages[f[2]] {
					return fmt.Errorf("FROM %s: stage %s declared twice", rest, f[2])
				}
				stages[f[2]] = true
				current = f[2]
			case len(f) == 1:
				current = ""
			default:
				return fmt.Errorf("FROM %q: expected IMAGE [AS NAME]", rest)
			}
		case "COPY":
			for _, f := range strings.Fields(rest) {
				if from, ok := strings.CutPrefix(f, "--from="); ok && !stages[from] {
					return fmt.Errorf("COPY %s: no earlier stage %s", rest, from)
				}
			}
			if len(strings.Fields(strings.TrimSpace(regexp.MustCompile(`--\S+`).ReplaceAllString(rest, "")))) < 2 {
				return fmt.Errorf("COPY %s: needs a source and a destination", rest)
			}
		case "CMD", "ENTRYPOINT":
			var argv []string
			if err := json.Unmarshal([]byte(rest), &argv); err != nil || len(argv) == 0 {
				return fmt.Errorf("%s %s: not a JSON array of strings", instr, rest)
			}
		case "USER":
			user = rest
		case "WORKDIR":
			workdir = rest
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				if !strings.Contains(kv, "=") {
					return fmt.Errorf("ENV %s: use the NAME=value form", rest)
				}
				if kv == "PORT=5000" {
					port = true
				}
			}
		}
	}
	if current != "" {
		inherited[current] = state{user, workdir, port}
	}
	if !seenFrom {
		return fmt.Errorf("no FROM")
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		return fmt.Errorf("the final stage runs as root (USER %q)", user)
	}
	if workdir != "/app" {
		return fmt.Errorf("the final stage's WORKDIR is %q, want /app", workdir)
	}
	if !port {
		return fmt.Errorf("the final stage does not set PORT=5000")
	}
	if len(stages) == 0 {
		return fmt.Errorf("not multi-stage: no FROM … AS name")
	}
	return nil
}

// TestCheckDockerfile makes sure the checker rejects what it is meant to reject.
func TestCheckDockerfile(t *testing.T) {
	good := "ARG IMG=x:1\nFROM ${IMG} AS build\nRUN a \\\n && b\nFROM ${IMG}\nWORKDIR /app\nCOPY --from=build /a /a\nENV PORT=5000\nUSER 10001\nCMD [\"a\"]\n"
	if err := checkDockerfile([]byte(good)); err != nil {
		t.Fatalf("good Dockerfile rejected: %v", err)
	}
	bad := map[string]string{
		"unknown instruction": strings.Replace(good, "RUN a", "RUNN a", 1),
		"RUN before FROM":     "RUN x\n" + good,
		"undeclared ARG":      strings.Replace(good, "FROM ${IMG}\n", "FROM ${OTHER}\n", 1),
		"unknown stage":       strings.Replace(good, "--from=build", "--from=nope", 1),
		"root user":           strings.Replace(good, "USER 10001", "USER root", 1),
		"shell-form CMD":      strings.Replace(good, `CMD ["a"]`, "CMD a", 1),
		"no PORT":             strings.Replace(good, "ENV PORT=5000", "ENV A=1", 1),
	}
	for name, df := range bad {
		if err := checkDockerfile([]byte(df)); err == nil {
			t.Errorf("%s: accepted\n%s", name, df)
		}
	}
}
