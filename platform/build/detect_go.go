package build

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// oldestGo is the oldest Go line maintained upstream. The go directive is a minimum
// (Go 1.21 and later), and newer toolchains build older modules, so older requests use it.
var oldestGo = version{1, 25}

// goMod is what detection reads from go.mod.
type goMod struct {
	module       string
	goVersion    string // the go directive, e.g. "1.25.0"
	toolchain    string // the toolchain directive without "go", e.g. "1.26.1"
	herokuGo     string // `// +heroku goVersion go1.25` without "go"
	herokuInstal []string
	requires     []string
}

// parseGoMod reads the directives detection needs. It is no full parser: blocks are
// followed only for require, and anything it does not understand is skipped.
func parseGoMod(b []byte) (*goMod, error) {
	m := &goMod{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	inRequire := false
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "//"); ok {
			f := strings.Fields(rest)
			if len(f) >= 3 && f[0] == "+heroku" && f[1] == "goVersion" {
				m.herokuGo = strings.TrimPrefix(f[2], "go")
			}
			if len(f) >= 3 && f[0] == "+heroku" && f[1] == "install" {
				m.herokuInstal = f[2:]
			}
			continue
		}
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if inRequire {
			if f[0] == ")" {
				inRequire = false
			} else {
				m.requires = append(m.requires, f[0])
			}
			continue
		}
		switch f[0] {
		case "module":
			if len(f) < 2 {
				return nil, fmt.Errorf("parse go.mod: line %d: module directive without a path", n)
			}
			m.module = strings.Trim(f[1], `"`)
		case "go":
			if len(f) >= 2 {
				m.goVersion = f[1]
			}
		case "toolchain":
			if len(f) >= 2 {
				m.toolchain = strings.TrimPrefix(f[1], "go")
			}
		case "require":
			if len(f) >= 2 && f[1] == "(" {
				inRequire = true
			} else if len(f) >= 2 {
				m.requires = append(m.requires, f[1])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read go.mod: %w", err)
	}
	if m.module == "" {
		return nil, fmt.Errorf("parse go.mod: no module directive")
	}
	return m, nil
}

// goSetup is what the Go stages need.
type goSetup struct {
	version  string
	manifest []string // go.mod and go.sum
	vendor   bool
	out      string // the -o argument: a file under /app/bin, or /app/bin/ for several binaries
	pkgs     []string
}

// planGo is the Go plan: a static binary built in golang, run on busybox.
func planGo(r *repo, p *Plan, opts genOptions) error {
	b, err := r.read("go.mod")
	if err != nil {
		return err
	}
	m, err := parseGoMod(b)
	if err != nil {
		return err
	}
	s := &goSetup{}
	switch {
	case m.herokuGo != "":
		v, ok := majorMinor(m.herokuGo)
		if !ok {
			return fmt.Errorf("parse go.mod: +heroku goVersion %q is not a Go version like go1.26", "go"+m.herokuGo)
		}
		s.version = v
		p.Reasons = append(p.Reasons, fmt.Sprintf("go.mod // +heroku goVersion go%s → %s (Heroku's setting wins over the go directive)", m.herokuGo, v))
	case m.goVersion != "":
		v, ok := majorMinor(m.goVersion)
		if !ok {
			return fmt.Errorf("parse go.mod: go %q is not a Go version like 1.26", m.goVersion)
		}
		s.version = v
		why := fmt.Sprintf("go.mod go %s → %s", m.goVersion, v)
		if tv, ok := majorMinor(m.toolchain); ok && newer(tv, v) {
			s.version = tv
			why = fmt.Sprintf("go.mod toolchain go%s (newer than go %s) → %s", m.toolchain, m.goVersion, tv)
		}
		p.Reasons = append(p.Reasons, why)
	default:
		s.version = lineString(oldestGo, 2)
		p.Warnings = append(p.Warnings, fmt.Sprintf("go.mod has no go directive: using Go %s", s.version))
	}
	if newer(lineString(oldestGo, 2), s.version) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("Go %s is no longer maintained: building with %s, which builds older modules too", s.version, lineString(oldestGo, 2)))
		s.version = lineString(oldestGo, 2)
	}
	p.Version = s.version

	s.manifest = r.existing("go.mod", "go.sum")
	s.vendor = r.exists(filepath.Join("vendor", "modules.txt"))
	if s.vendor {
		p.Reasons = append(p.Reasons, "vendor/modules.txt → the vendored modules are used, nothing is downloaded")
	}
	resolveGoPackages(r, p, m, s)
	for _, req := range m.requires {
		if req == "github.com/mattn/go-sqlite3" {
			p.Warnings = append(p.Warnings, "github.com/mattn/go-sqlite3 needs cgo, and the image builds with CGO_ENABLED=0: use modernc.org/sqlite or a Dockerfile of your own")
		}
	}
	writeGo(r, p, s, opts)
	return nil
}

// newer reports whether the major.minor a is newer than b.
func newer(a, b string) bool {
	va, _, _ := parsePartial(a)
	vb, _, _ := parsePartial(b)
	return vb.less(va)
}

// resolveGoPackages chooses what to build: the +heroku install directive; else the root
// package when it is a main package (Heroku's default, "."); else the commands under cmd/;
// else ".". Binaries land in /app/bin, where Heroku's Go buildpack puts them (bin/ is on PATH).
//
// One binary is named after the module, as Heroku names it, unless the Procfile runs a single
// other bin/<name>: then it gets that name, so that the Procfile works unchanged.
func resolveGoPackages(r *repo, p *Plan, m *goMod, s *goSetup) {
	name := path.Base(m.module)
	named := " (named after the module, as Heroku does)"
	if bins := procfileBins(r); len(bins) == 1 && bins[0] != name {
		p.Reasons = append(p.Reasons, fmt.Sprintf("the Procfile runs bin/%s → the binary is named %s (not %s, after the module)", bins[0], bins[0], name))
		name, named = bins[0], ""
	}
	switch cmds := goCommands(r); {
	case len(m.herokuInstal) > 0:
		s.pkgs = m.herokuInstal
		s.out = "/app/bin/"
		p.Reasons = append(p.Reasons, fmt.Sprintf("go.mod // +heroku install %s → built into /app/bin", strings.Join(m.herokuInstal, " ")))
	case goMainPackage(r, "."):
		s.pkgs = []string{"."}
		s.out = "/app/bin/" + name
		p.Reasons = append(p.Reasons, fmt.Sprintf("package main in the repository root → /app/bin/%s%s", name, named))
	case len(cmds) == 1:
		s.pkgs = []string{"./cmd/" + cmds[0]}
		s.out = "/app/bin/" + cmds[0]
		p.Reasons = append(p.Reasons, fmt.Sprintf("one command under cmd/ → ./cmd/%s built into /app/bin/%s", cmds[0], cmds[0]))
		if name != path.Base(m.module) && name != cmds[0] {
			s.out = "/app/bin/" + name
			p.Reasons = append(p.Reasons, fmt.Sprintf("… and named %s, as the Procfile runs it", name))
		}
	case len(cmds) > 1:
		s.pkgs = []string{"./cmd/..."}
		s.out = "/app/bin/"
		p.Reasons = append(p.Reasons, fmt.Sprintf("commands under cmd/ (%s) → all built into /app/bin", strings.Join(cmds, ", ")))
	default:
		s.pkgs = []string{"."}
		s.out = "/app/bin/" + name
		p.Reasons = append(p.Reasons, fmt.Sprintf("no cmd/ directory → . built into /app/bin/%s%s", name, named))
	}
}

// goCommands lists the directories under cmd/ that hold Go files, sorted.
func goCommands(r *repo) []string {
	entries, err := os.ReadDir(filepath.Join(r.dir, "cmd"))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(r.dir, "cmd", e.Name(), "*.go"))
		if len(files) > 0 {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// goMainPackage reports whether a non-test Go file in sub (a directory of the repository)
// declares package main; files are read as r.read reads them.
func goMainPackage(r *repo, sub string) bool {
	files, _ := filepath.Glob(filepath.Join(r.dir, filepath.FromSlash(sub), "*.go"))
	sort.Strings(files)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := r.read(path.Join(sub, filepath.Base(f)))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if rest, ok := strings.CutPrefix(line, "package "); ok {
				if strings.TrimSpace(rest) == "main" {
					return true
				}
				break
			}
		}
	}
	return false
}

// goCommand reports whether the Procfile command words run one of the module's binaries:
// bin/<name> or <name>, where name is the module's last element or a command under cmd/.
func goCommand(r *repo, words []string) bool {
	b, err := r.read("go.mod")
	if err != nil || b == nil {
		return false
	}
	m, err := parseGoMod(b)
	if err != nil {
		return false
	}
	names := append([]string{path.Base(m.module)}, goCommands(r)...)
	for _, p := range m.herokuInstal {
		names = append(names, path.Base(strings.TrimSuffix(p, "/...")))
	}
	for _, w := range words {
		for _, n := range names {
			if w == n {
				return true
			}
		}
	}
	return false
}

// procfileBins returns the distinct names the Procfile runs from bin/ (bin/x, ./bin/x,
// /app/bin/x), sorted.
func procfileBins(r *repo) []string {
	if r.proc == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range r.proc.Entries {
		for _, f := range strings.Fields(e.Command) {
			f = strings.Trim(f, `"'();&|`)
			for _, prefix := range []string{"bin/", "./bin/", "/app/bin/"} {
				if n, ok := strings.CutPrefix(f, prefix); ok && n != "" && !strings.Contains(n, "/") && !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
