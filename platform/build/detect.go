package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/procfile"
)

// Plan is what Detect found in a repository Slipway writes the Dockerfile for, and the
// Dockerfile it wrote.
type Plan struct {
	// Language is the primary language: "Node.js", "Python", "Ruby", "Go" or "PHP".
	Language string
	// Version is the language version chosen: "22", "3.11", "3.3", "1.26", "8.3".
	Version string
	// Reasons says what was detected and from which file, one finding per entry, e.g.
	// `package.json engines.node ">=18 <23" → 22`.
	Reasons []string
	// Dockerfile is the generated Dockerfile; the same repository always gives the same bytes.
	Dockerfile []byte
	// BaseImages are the images the Dockerfile's FROM lines use by default, in order of their
	// ARGs, e.g. ["node:22-bookworm-slim"]. Each is an ARG, so a build can substitute its own.
	BaseImages []string
	// Warnings are guesses and defaults the user should know about.
	Warnings []string
	// BuildKit says the Dockerfile needs BuildKit: it keeps a compiler's cache in a cache
	// mount (see GenerateOptions).
	BuildKit bool
}

// GenerateOptions are what a generated Dockerfile may rely on.
type GenerateOptions struct {
	// BuildKit says BuildKit builds the image, so a compiler's cache (Go's) may live in a
	// cache mount (RUN --mount=type=cache) and outlive the build, as Docker's language
	// guides do it. Without it the Dockerfile suits the classic builder too.
	BuildKit bool
}

// ErrUndetected is wrapped by Detect's error when no supported language is recognised.
var ErrUndetected = errors.New("no supported language detected: looked for package.json (Node.js), " +
	"requirements.txt, pyproject.toml, Pipfile or setup.py (Python), Gemfile (Ruby), go.mod (Go) " +
	"and composer.json (PHP)")

// language is one supported language: how to find it and how to write its Dockerfile.
type language struct {
	name string
	// markers are the files whose presence selects the language, strongest first.
	markers []string
	// weak are files that select the language only when nothing else does
	// (Heroku's Python buildpack, for one, also detects on runtime.txt and .python-version).
	weak []string
	// commands are the words that mark a Procfile command as this language's.
	commands []string
	// plan resolves the version and writes the Dockerfile.
	plan func(r *repo, p *Plan, opts genOptions) error
}

// languages in the order used when nothing else decides between several candidates.
// package.json comes last: it is the file most often present for front-end assets only.
var languages = []*language{
	{
		name:     "Go",
		markers:  []string{"go.mod"},
		commands: nil, // a Go process runs its own binary: matched by name in goCommand
		plan:     planGo,
	},
	{
		name:     "Ruby",
		markers:  []string{"Gemfile"},
		commands: []string{"bundle", "rails", "puma", "unicorn", "sidekiq", "rake", "ruby", "rackup", "thin", "passenger"},
		plan:     planRuby,
	},
	{
		name:     "Python",
		markers:  []string{"requirements.txt", "pyproject.toml", "Pipfile", "setup.py"},
		weak:     []string{"runtime.txt", ".python-version", "Pipfile.lock", "poetry.lock", "uv.lock", "setup.cfg"},
		commands: []string{"python", "python3", "gunicorn", "uvicorn", "celery", "daphne", "hypercorn", "waitress-serve", "manage.py", "flask", "django-admin", "pipenv", "poetry", "uv"},
		plan:     planPython,
	},
	{
		name:     "PHP",
		markers:  []string{"composer.json"},
		commands: []string{"php", "heroku-php-apache2", "heroku-php-nginx", "artisan", "composer"},
		plan:     planPHP,
	},
	{
		name:     "Node.js",
		markers:  []string{"package.json"},
		commands: []string{"node", "npm", "yarn", "pnpm", "npx", "nodemon", "pm2", "ts-node", "tsx"},
		plan:     planNode,
	},
}

// unsupported are languages Heroku builds and Slipway does not: named in the error, so
// that a Java app is not mistaken for a Node.js app because of a package.json for assets.
var unsupported = []struct {
	name     string
	markers  []string
	commands []string
}{
	{"Java", []string{"pom.xml", "build.gradle", "build.gradle.kts", "system.properties"}, []string{"java"}},
	{"Clojure", []string{"project.clj", "deps.edn"}, []string{"java", "lein", "clojure"}},
	{"Scala", []string{"build.sbt"}, []string{"java", "sbt"}},
}

// repo is the repository being inspected.
type repo struct {
	dir  string
	proc *procfile.Procfile // nil without a (valid) Procfile
}

// exists reports whether name is a regular file in the repository (a link counts only
// when it stays inside the repository).
func (r *repo) exists(name string) bool {
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return false
	}
	defer root.Close()
	st, err := root.Stat(filepath.FromSlash(name))
	return err == nil && st.Mode().IsRegular()
}

// maxLockfileSize bounds the lock files detection reads (yarn.lock, Gemfile.lock, …), which
// can be larger than the other inputs' app.MaxInputSize.
const maxLockfileSize = 64 << 20

// lockfiles are the files read with maxLockfileSize.
var lockfiles = setOfStrings("yarn.lock", "pnpm-lock.yaml", "Gemfile.lock", "Pipfile.lock", "package-lock.json")

// read returns the contents of name, or nil when it does not exist. It reads as the app's
// other inputs are read (app.ReadAppFile): a regular file, or a link that stays inside the
// repository; a named pipe, a device or a link out of the repository is an error; at most
// app.MaxInputSize bytes (maxLockfileSize for a lock file).
func (r *repo) read(name string) ([]byte, error) {
	if !lockfiles[name] {
		b, err := app.ReadAppFile(r.dir, name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return b, err
	}
	root, err := os.OpenRoot(r.dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer root.Close()
	// O_NONBLOCK: opening a named pipe must not wait for a writer; it is refused below.
	f, err := root.OpenFile(filepath.FromSlash(name), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", name, st.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxLockfileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxLockfileSize {
		return nil, fmt.Errorf("%s is more than %d MiB; Slipway reads lock files of at most that", name, maxLockfileSize>>20)
	}
	return b, nil
}

// firstExisting returns the first of names that exists, or "".
func (r *repo) firstExisting(names ...string) string {
	for _, n := range names {
		if r.exists(n) {
			return n
		}
	}
	return ""
}

// existing returns those of names that exist, in the given order.
func (r *repo) existing(names ...string) []string {
	var out []string
	for _, n := range names {
		if r.exists(n) {
			out = append(out, n)
		}
	}
	return out
}

// Detect inspects dir and returns the build plan for a repository Slipway writes the
// Dockerfile for (see ForApp: one without a Dockerfile, or one Heroku builds with buildpacks).
//
// Like Heroku's buildpacks it looks at files in the repository root: package.json (Node.js),
// requirements.txt, pyproject.toml, Pipfile or setup.py (Python; runtime.txt and
// .python-version also count when nothing else is found), Gemfile (Ruby), go.mod (Go) and
// composer.json (PHP). When several are present the Procfile decides (a web command running
// gunicorn is Python's even beside a package.json), and a package.json with a build script
// becomes an extra stage that builds the assets. The error wraps ErrUndetected when no
// supported language is found; other errors name the file that could not be read or parsed.
// The Dockerfile suits either of the engine's builders (see DetectFor).
func Detect(dir string) (*Plan, error) { return DetectFor(dir, GenerateOptions{}) }

// DetectFor is Detect, with a Dockerfile that may rely on what o says.
func DetectFor(dir string, o GenerateOptions) (*Plan, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("detect language: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("detect language: %s is not a directory", dir)
	}
	r := &repo{dir: dir}
	p := &Plan{}
	if r.exists("Procfile") {
		var pf *procfile.Procfile
		b, err := r.read("Procfile")
		if err == nil {
			pf, err = procfile.Parse(bytes.NewReader(b), "Procfile")
		}
		if err != nil {
			// Detect is not the place to reject a Procfile (loading the app does that):
			// without it the choice between languages falls back to the fixed order.
			p.Warnings = append(p.Warnings, fmt.Sprintf("Procfile not used for detection: %v", err))
		} else {
			r.proc = pf
		}
	}

	var found []*language
	var files = map[*language][]string{}
	for _, l := range languages {
		if fs := r.existing(l.markers...); len(fs) > 0 {
			found = append(found, l)
			files[l] = fs
		}
	}
	if len(found) == 0 {
		for _, l := range languages {
			if fs := r.existing(l.weak...); len(fs) > 0 {
				found = append(found, l)
				files[l] = fs
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s detected from %s only: there is no dependency file, so nothing is installed",
					l.name, strings.Join(fs, ", ")))
			}
		}
	}
	if err := checkUnsupported(r, found); err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, undetected(r)
	}

	primary, why := choosePrimary(r, found)
	p.Language = primary.name
	p.Reasons = append(p.Reasons, fmt.Sprintf("%s found → %s", strings.Join(files[primary], ", "), primary.name))
	if len(found) > 1 {
		var others []string
		for _, l := range found {
			if l != primary {
				others = append(others, fmt.Sprintf("%s (%s)", l.name, strings.Join(files[l], ", ")))
			}
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("several languages found; %s is the primary one (%s); also found: %s",
			primary.name, why, strings.Join(others, ", ")))
	}

	opts := genOptions{buildKit: o.BuildKit}
	if primary.name != "Node.js" && contains(found, "Node.js") {
		ap := &Plan{}
		a, err := nodeAssets(r, ap)
		if err != nil {
			return nil, err
		}
		opts.assets = a
		opts.findings = ap
	}
	if err := primary.plan(r, p, opts); err != nil {
		return nil, err
	}
	return p, nil
}

func contains(ls []*language, name string) bool {
	for _, l := range ls {
		if l.name == name {
			return true
		}
	}
	return false
}

// commandWords returns the program names a Procfile command runs: the first word after
// any VAR=value assignments, plus the words after common wrappers (`bin/start-web python -m
// gunicorn` → start-web, python, gunicorn; `bundle exec puma` → bundle, puma).
func commandWords(cmd string) []string {
	var words []string
	for _, f := range strings.Fields(cmd) {
		if strings.HasPrefix(f, "-") || strings.Contains(f, "=") || f == "exec" {
			continue
		}
		f = strings.Trim(f, `"'();&|`)
		words = append(words, filepath.Base(f))
	}
	return words
}

// matchCommand reports whether the Procfile command cmd looks like l's.
func matchCommand(r *repo, l *language, cmd string) bool {
	words := commandWords(cmd)
	if l.name == "Go" {
		return goCommand(r, words)
	}
	for _, w := range words {
		for _, c := range l.commands {
			if strings.HasPrefix(w, c) && strings.Trim(w[len(c):], "0123456789.") == "" {
				return true // python, python3, python3.12
			}
		}
	}
	return false
}

// choosePrimary picks the language to build when several were found: the web command's
// language, else the language most Procfile commands use, else the first in languages order.
func choosePrimary(r *repo, found []*language) (*language, string) {
	if len(found) == 1 {
		return found[0], ""
	}
	if r.proc != nil {
		if web, ok := r.proc.Lookup("web"); ok {
			var hit []*language
			for _, l := range found {
				if matchCommand(r, l, web.Command) {
					hit = append(hit, l)
				}
			}
			if len(hit) >= 1 {
				return hit[0], fmt.Sprintf("the Procfile's web command %q runs it", web.Command)
			}
		}
		best, bestN := (*language)(nil), 0
		for _, l := range found {
			n := 0
			for _, e := range r.proc.Entries {
				if matchCommand(r, l, e.Command) {
					n++
				}
			}
			if n > bestN {
				best, bestN = l, n
			}
		}
		if best != nil {
			return best, fmt.Sprintf("%d Procfile command(s) run it", bestN)
		}
	}
	return found[0], "no Procfile command decides, and " + found[0].name + " comes first in Slipway's order (Go, Ruby, Python, PHP, Node.js)"
}

// checkUnsupported returns an ErrUndetected error when the app is written in a language
// Slipway does not build: its files are present and the Procfile runs it (or no supported
// language was found at all).
func checkUnsupported(r *repo, found []*language) error {
	for _, u := range unsupported {
		fs := r.existing(u.markers...)
		if len(fs) == 0 {
			continue
		}
		runs := false
		if r.proc != nil {
			for _, e := range r.proc.Entries {
				for _, w := range commandWords(e.Command) {
					for _, c := range u.commands {
						if w == c {
							runs = true
						}
					}
				}
			}
		}
		supportedRuns := false
		if r.proc != nil {
			for _, l := range found {
				for _, e := range r.proc.Entries {
					if matchCommand(r, l, e.Command) {
						supportedRuns = true
					}
				}
			}
		}
		if len(found) == 0 || (runs && !supportedRuns) {
			return fmt.Errorf("%w; found %s, a %s app, which Slipway cannot build without a Dockerfile: add a Dockerfile",
				ErrUndetected, strings.Join(fs, ", "), u.name)
		}
	}
	return nil
}

// undetected explains what was found instead, with a hint when the Procfile names a language.
func undetected(r *repo) error {
	if r.proc != nil {
		var hints []string
		for _, l := range languages {
			for _, e := range r.proc.Entries {
				if l.name != "Go" && matchCommand(r, l, e.Command) {
					hints = append(hints, fmt.Sprintf("the Procfile's %s command looks like %s but there is no %s", e.Name, l.name, l.markers[0]))
					break
				}
			}
		}
		if len(hints) > 0 {
			sort.Strings(hints)
			return fmt.Errorf("%w (%s)", ErrUndetected, strings.Join(hints, "; "))
		}
	}
	return ErrUndetected
}

// webCommand returns the Procfile's web command, or "".
func (r *repo) webCommand() string {
	if r.proc == nil {
		return ""
	}
	if e, ok := r.proc.Lookup("web"); ok {
		return e.Command
	}
	return ""
}
