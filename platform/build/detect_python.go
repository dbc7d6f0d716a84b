package build

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// defaultPython is used when no file names a Python version.
const defaultPython = "3.12"

// oldestPython is the oldest Python line still maintained upstream (and on Heroku).
var oldestPython = version{3, 9}

// pythonSetup is what the Python stages need.
type pythonSetup struct {
	version string
	// manifest are the files copied before installing; nil means the whole repository
	// is needed (requirements that point at local files, `pip install .`).
	manifest []string
	tools    string   // pip packages installed into /opt/tools to run the install ("" for none)
	install  []string // RUN commands, run with /opt/venv active
	buildApt []string // Debian packages needed to compile dependencies
	runApt   []string // Debian packages the compiled dependencies need at run time
}

// planPython is the Python plan: a virtualenv built in one stage and copied into the final one.
func planPython(r *repo, p *Plan, opts genOptions) error {
	s := &pythonSetup{}
	if err := resolvePythonVersion(r, p, s); err != nil {
		return err
	}
	p.Version = s.version
	deps, err := resolvePythonInstall(r, p, s)
	if err != nil {
		return err
	}
	for _, n := range nativeDeps(deps, pythonNative) {
		p.Reasons = append(p.Reasons, fmt.Sprintf("%s needs %s to build", n.name, strings.Join(n.build, " ")))
		s.buildApt = append(s.buildApt, n.build...)
		s.runApt = append(s.runApt, n.run...)
	}
	if r.exists("manage.py") && strings.Contains(strings.ToLower(deps), "django") {
		p.Warnings = append(p.Warnings, "Django: collectstatic is not run at build, where config vars are not available (Heroku runs it): run it in the release command or a build step of your own")
	}
	writePython(r, p, s, opts)
	return nil
}

// resolvePythonVersion reads .python-version, runtime.txt, then Pipfile.lock, as Heroku does.
func resolvePythonVersion(r *repo, p *Plan, s *pythonSetup) error {
	set := func(file, raw string) bool {
		v, ok := majorMinor(raw)
		if !ok || !strings.HasPrefix(strings.TrimPrefix(raw, "python-"), v) {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %q is not a Python version like 3.12: ignored", file, raw))
			return false
		}
		s.version = v
		p.Reasons = append(p.Reasons, fmt.Sprintf("%s %q → %s", file, raw, v))
		return true
	}
	b, err := r.read(".python-version")
	if err != nil {
		return err
	}
	found := false
	if b != nil {
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				found = set(".python-version", line)
				break
			}
		}
	}
	if !found {
		b, err := r.read("runtime.txt")
		if err != nil {
			return err
		}
		if b != nil {
			found = set("runtime.txt", strings.TrimSpace(string(b)))
		}
	}
	if !found {
		b, err := r.read("Pipfile.lock")
		if err != nil {
			return err
		}
		if b != nil {
			var lock struct {
				Meta struct {
					Requires struct {
						Full    string `json:"python_full_version"`
						Version string `json:"python_version"`
					} `json:"requires"`
				} `json:"_meta"`
			}
			if err := json.Unmarshal(b, &lock); err != nil {
				return fmt.Errorf("parse Pipfile.lock: %s", jsonError(b, err))
			}
			if v := lock.Meta.Requires.Full + lock.Meta.Requires.Version; v != "" {
				found = set("Pipfile.lock _meta.requires", firstNonEmpty(lock.Meta.Requires.Full, lock.Meta.Requires.Version))
			}
		}
	}
	if !found {
		s.version = defaultPython
		p.Warnings = append(p.Warnings, fmt.Sprintf("no .python-version or runtime.txt: using Python %s (write e.g. 3.12 into .python-version to choose)", s.version))
		return nil
	}
	if v, _, _ := parsePartial(s.version); v.less(oldestPython) {
		p.Warnings = append(p.Warnings, fmt.Sprintf("Python %s is end-of-life (Heroku no longer builds it) and its %s image may not exist: move to %s or later",
			s.version, pythonImage(s.version), lineString(oldestPython, 2)))
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// resolvePythonInstall chooses how dependencies are installed and returns the text of the
// dependency files (to look for packages that need system libraries).
func resolvePythonInstall(r *repo, p *Plan, s *pythonSetup) (string, error) {
	pyproject, err := r.read("pyproject.toml")
	if err != nil {
		return "", err
	}
	poetry := r.exists("poetry.lock") || bytes.Contains(pyproject, []byte("[tool.poetry]"))
	project := bytes.Contains(pyproject, []byte("[project]"))

	var managers []string
	if r.exists("requirements.txt") {
		managers = append(managers, "requirements.txt")
	}
	if r.exists("Pipfile") || r.exists("Pipfile.lock") {
		managers = append(managers, "Pipfile")
	}
	if poetry {
		managers = append(managers, "poetry")
	}
	if r.exists("uv.lock") {
		managers = append(managers, "uv.lock")
	}
	if len(managers) > 1 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("several package managers' files (%s): using the first", strings.Join(managers, ", ")))
	}
	which := ""
	switch {
	case len(managers) > 0:
		which = managers[0]
	case project:
		which = "pyproject"
	case r.exists("setup.py"):
		which = "setup.py"
	}

	switch which {
	case "requirements.txt":
		b, err := r.read("requirements.txt")
		if err != nil {
			return "", err
		}
		reqs, local := requirements(b)
		if reqs == 0 {
			p.Reasons = append(p.Reasons, "requirements.txt lists no packages: pip install is skipped")
			return "", nil
		}
		p.Reasons = append(p.Reasons, fmt.Sprintf("requirements.txt (%s) → pip install", plural(reqs, "entry", "entries")))
		s.manifest = []string{"requirements.txt"}
		if local {
			s.manifest = nil
			p.Reasons = append(p.Reasons, "requirements.txt refers to other files: the whole repository is copied before pip runs")
		}
		s.install = []string{"pip install --no-cache-dir -r requirements.txt"}
		return string(b), nil
	case "Pipfile":
		b, _ := r.read("Pipfile")
		s.tools = "pipenv"
		s.manifest = r.existing("Pipfile", "Pipfile.lock")
		if !r.exists("Pipfile.lock") {
			p.Warnings = append(p.Warnings, "Pipfile without Pipfile.lock: the lock is made afresh on every build (commit Pipfile.lock)")
			s.install = append(s.install, "pipenv lock")
		}
		s.install = append(s.install, "pipenv requirements > /tmp/requirements.txt && pip install --no-cache-dir -r /tmp/requirements.txt")
		p.Reasons = append(p.Reasons, "Pipfile → pipenv (default packages only)")
		return string(b), nil
	case "poetry":
		s.tools = "poetry"
		s.manifest = r.existing("pyproject.toml", "poetry.lock")
		s.install = []string{"poetry install --only main --no-root --no-interaction"}
		p.Reasons = append(p.Reasons, "pyproject.toml [tool.poetry] → poetry install --only main")
		return string(pyproject), nil
	case "uv.lock":
		s.tools = "uv"
		s.manifest = r.existing("pyproject.toml", "uv.lock")
		s.install = []string{"UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never uv sync --locked --no-dev --no-install-project"}
		p.Reasons = append(p.Reasons, "uv.lock → uv sync --locked --no-dev")
		return string(pyproject), nil
	case "pyproject":
		s.install = []string{"pip install --no-cache-dir ."}
		p.Reasons = append(p.Reasons, "pyproject.toml [project] → pip install . (the project and its dependencies)")
		return string(pyproject), nil
	case "setup.py":
		b, _ := r.read("setup.py")
		s.install = []string{"pip install --no-cache-dir ."}
		p.Reasons = append(p.Reasons, "setup.py → pip install . (the project and its dependencies)")
		return string(b), nil
	}
	if len(pyproject) > 0 {
		p.Warnings = append(p.Warnings, "pyproject.toml has neither [project] nor [tool.poetry]: no dependencies are installed")
	}
	return "", nil
}

// requirements counts the entries of a requirements file and reports whether any of them
// refers to a local file (-r, -c, -e, a path) that must be in the image before pip runs.
func requirements(b []byte) (n int, local bool) {
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		switch {
		case strings.HasPrefix(line, "-r"), strings.HasPrefix(line, "--requirement"),
			strings.HasPrefix(line, "-c"), strings.HasPrefix(line, "--constraint"),
			strings.HasPrefix(line, "-e ."), strings.HasPrefix(line, "--editable ."),
			strings.HasPrefix(line, "."), strings.HasPrefix(line, "/"), strings.Contains(line, "file:"):
			local = true
		}
	}
	return n, local
}

// native is a package that compiles against a system library.
type native struct {
	name       string
	match      func(deps string) bool
	build, run []string
}

// pythonNative are the common Python packages that build from source against a library.
var pythonNative = []native{
	{"psycopg2", func(d string) bool { return hasWord(d, "psycopg2") }, []string{"build-essential", "libpq-dev"}, []string{"libpq5"}},
	{"mysqlclient", func(d string) bool { return hasWord(d, "mysqlclient") }, []string{"build-essential", "default-libmysqlclient-dev", "pkg-config"}, []string{"libmariadb3"}},
}

// hasWord reports whether deps names the package w exactly (psycopg2, not psycopg2-binary).
func hasWord(deps, w string) bool {
	deps = strings.ToLower(deps)
	for i := 0; ; {
		j := strings.Index(deps[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isNameByte(deps[j-1])
		end := j + len(w)
		after := end == len(deps) || (!isNameByte(deps[end]) && deps[end] != '-')
		if before && after {
			return true
		}
		i = end
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9')
}

// nativeDeps returns the entries of table that deps needs.
func nativeDeps(deps string, table []native) []native {
	var out []native
	for _, n := range table {
		if n.match(deps) {
			out = append(out, n)
		}
	}
	return out
}

// plural renders "1 entry", "2 entries".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
