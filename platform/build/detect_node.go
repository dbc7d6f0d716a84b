package build

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// nodeMajors are the Node.js release lines Slipway builds with, oldest first.
var nodeMajors = []version{{18}, {20}, {22}, {24}}

// defaultNodeMajor is used when package.json has no engines.node.
const defaultNodeMajor = "22"

// packageJSON is the part of package.json that detection reads. Fields are decoded loosely:
// real files put numbers and objects where strings are expected.
type packageJSON struct {
	Engines        map[string]any `json:"engines"`
	Scripts        map[string]any `json:"scripts"`
	PackageManager any            `json:"packageManager"`
}

func (pj *packageJSON) script(name string) string {
	s, _ := pj.Scripts[name].(string)
	return strings.TrimSpace(s)
}

func (pj *packageJSON) engine(name string) string {
	s, _ := pj.Engines[name].(string)
	return strings.TrimSpace(s)
}

// nodeSetup is what the Node.js stages need: the image, how to install, build and prune.
type nodeSetup struct {
	major    string
	manifest []string // files copied before installing: package.json and the lockfile
	corepack string   // the corepack command that provides yarn or pnpm ("" for npm)
	install  string
	build    string // the script to run ("" for none): build, or heroku-postbuild
	run      string // how to run a script: "npm run", "yarn run", "pnpm run"
	prune    string // removes devDependencies after the build ("" when not possible)
	start    bool   // package.json has a start script, or server.js exists (npm start's default)
}

// readPackageJSON parses package.json, saying where it is broken.
func readPackageJSON(r *repo) (*packageJSON, error) {
	b, err := r.read("package.json")
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	var pj packageJSON
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, fmt.Errorf("parse package.json: %s", jsonError(b, err))
	}
	return &pj, nil
}

// jsonError adds the line number to a JSON syntax error.
func jsonError(b []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:se.Offset], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	return err.Error()
}

// resolveNode chooses the Node.js major and package manager, recording why in p.
// what names the purpose in messages ("" for the app itself, "assets: " for an assets stage).
func resolveNode(r *repo, p *Plan, what string) (*nodeSetup, *packageJSON, error) {
	pj, err := readPackageJSON(r)
	if err != nil {
		return nil, nil, err
	}
	s := &nodeSetup{}

	// Version: Heroku reads engines.node only (not .nvmrc) and picks the newest release matching it.
	switch rng := pj.engine("node"); rng {
	case "":
		s.major = defaultNodeMajor
		p.Warnings = append(p.Warnings, fmt.Sprintf("%spackage.json has no engines.node: using Node.js %s (set engines.node to choose)", what, s.major))
	default:
		c, err := parseConstraint(rng, npmRange)
		if err != nil {
			s.major = defaultNodeMajor
			p.Warnings = append(p.Warnings, fmt.Sprintf("%spackage.json engines.node: cannot read %v; using Node.js %s", what, err, s.major))
			break
		}
		v, ok := c.highest(nodeMajors, 1)
		if !ok {
			s.major = defaultNodeMajor
			p.Warnings = append(p.Warnings, fmt.Sprintf("%spackage.json engines.node %q matches none of the supported Node.js majors (%s): using %s",
				what, rng, lineStrings(nodeMajors, 1), s.major))
			break
		}
		s.major = lineString(v, 1)
		p.Reasons = append(p.Reasons, fmt.Sprintf("%spackage.json engines.node %q → %s", what, rng, s.major))
	}
	for _, f := range []string{".nvmrc", ".node-version"} {
		if r.exists(f) {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s%s is ignored, as on Heroku: the version comes from package.json engines.node", what, f))
		}
	}

	// Package manager: by lockfile, as Heroku does; packageManager settles a tie.
	pmField, _ := pj.PackageManager.(string)
	pmName, pmVersion, _ := strings.Cut(pmField, "@")
	if i := strings.IndexByte(pmVersion, '+'); i >= 0 {
		pmVersion = pmVersion[:i] // pnpm@10.1.0+sha512.…: the hash is corepack's business
	}
	locks := map[string]string{"npm": r.firstExisting("package-lock.json", "npm-shrinkwrap.json"), "yarn": r.firstExisting("yarn.lock"), "pnpm": r.firstExisting("pnpm-lock.yaml")}
	var present []string
	for _, pm := range []string{"npm", "yarn", "pnpm"} {
		if locks[pm] != "" {
			present = append(present, locks[pm])
		}
	}
	pm := ""
	switch {
	case len(present) > 1 && locks[pmName] != "":
		pm = pmName
		p.Warnings = append(p.Warnings, fmt.Sprintf("%sseveral lockfiles (%s): using %s, as package.json packageManager says (Heroku refuses to build this; delete the others)", what, strings.Join(present, ", "), locks[pm]))
	case len(present) > 0:
		for _, c := range []string{"npm", "yarn", "pnpm"} {
			if locks[c] != "" {
				pm = c
				break
			}
		}
		if len(present) > 1 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("%sseveral lockfiles (%s): using %s (Heroku refuses to build this; delete the others)", what, strings.Join(present, ", "), locks[pm]))
		}
	case pmName == "yarn" || pmName == "pnpm" || pmName == "npm":
		pm = pmName
		p.Warnings = append(p.Warnings, fmt.Sprintf("%sno lockfile: dependencies are resolved afresh on every build (commit the %s lockfile)", what, pm))
	default:
		pm = "npm"
		p.Warnings = append(p.Warnings, fmt.Sprintf("%sno lockfile: dependencies are resolved afresh on every build with npm install (commit package-lock.json)", what))
	}
	lock := locks[pm]
	s.manifest = []string{"package.json"}
	if lock != "" {
		s.manifest = append(s.manifest, lock)
		p.Reasons = append(p.Reasons, fmt.Sprintf("%s%s → %s", what, lock, pm))
	}
	if pm == "yarn" && r.exists(".yarnrc.yml") {
		s.manifest = append(s.manifest, ".yarnrc.yml")
	}
	if pm == "pnpm" && r.exists("pnpm-workspace.yaml") {
		s.manifest = append(s.manifest, "pnpm-workspace.yaml")
	}
	if r.exists(".npmrc") {
		s.manifest = append(s.manifest, ".npmrc")
	}

	switch pm {
	case "npm":
		s.run = "npm run"
		s.prune = "npm prune --omit=dev"
		if lock != "" {
			s.install = "npm ci"
		} else {
			s.install = "npm install"
		}
	case "yarn":
		s.run = "yarn run"
		berry := yarnBerry(r, pmName, pmVersion)
		if pmName == "yarn" && pmVersion != "" {
			s.corepack = "corepack install"
			p.Reasons = append(p.Reasons, fmt.Sprintf("%spackage.json packageManager %q → yarn %s (corepack)", what, pmName+"@"+pmVersion, pmVersion))
		} else {
			want := "1"
			if berry {
				want = "stable"
			}
			if v := pj.engine("yarn"); v != "" && yarnRange.MatchString(v) {
				want = v
				p.Reasons = append(p.Reasons, fmt.Sprintf("%spackage.json engines.yarn %q → yarn %s (corepack)", what, v, v))
			}
			s.corepack = "corepack install --global yarn@" + want
		}
		switch {
		case !berry:
			s.install = "yarn install --frozen-lockfile"
			s.prune = "yarn install --frozen-lockfile --production --ignore-scripts --prefer-offline"
		case majorOf(pmVersion) >= 4:
			s.install = "yarn install --immutable"
			s.prune = "yarn workspaces focus --all --production"
		default:
			s.install = "yarn install --immutable"
			p.Warnings = append(p.Warnings, fmt.Sprintf("%sdevDependencies are kept: yarn before 4 prunes only with the workspace-tools plugin", what))
		}
		if lock == "" {
			s.install = "yarn install"
		}
	case "pnpm":
		s.run = "pnpm run"
		s.prune = "pnpm prune --prod"
		if pmName == "pnpm" && pmVersion != "" {
			s.corepack = "corepack install"
			p.Reasons = append(p.Reasons, fmt.Sprintf("%spackage.json packageManager %q → pnpm %s (corepack)", what, pmName+"@"+pmVersion, pmVersion))
		} else {
			want := pnpmForLockfile(r)
			s.corepack = "corepack install --global pnpm@" + want
			p.Reasons = append(p.Reasons, fmt.Sprintf("%sno packageManager in package.json: pnpm %s, from the lockfile's version", what, want))
		}
		if lock != "" {
			s.install = "pnpm install --frozen-lockfile"
		} else {
			s.install = "pnpm install"
		}
	}

	s.start = pj.script("start") != "" || r.exists("server.js")
	return s, pj, nil
}

// yarnRange accepts engines.yarn values corepack understands as a version or range.
var yarnRange = regexp.MustCompile(`^[0-9][0-9A-Za-z.*^~<>=| -]*$`)

// yarnBerry reports whether the project uses yarn 2 or later.
func yarnBerry(r *repo, pmName, pmVersion string) bool {
	if pmName == "yarn" && pmVersion != "" {
		return majorOf(pmVersion) >= 2
	}
	if r.exists(".yarnrc.yml") {
		return true
	}
	b, _ := r.read("yarn.lock")
	return bytes.Contains(b, []byte("\n__metadata:"))
}

// pnpmForLockfile maps pnpm-lock.yaml's lockfileVersion to the pnpm major that writes it.
func pnpmForLockfile(r *repo) string {
	b, _ := r.read("pnpm-lock.yaml")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "lockfileVersion:"); ok {
			v = strings.Trim(strings.TrimSpace(v), `'"`)
			switch {
			case strings.HasPrefix(v, "9."):
				return "9"
			case strings.HasPrefix(v, "6."):
				return "8"
			case strings.HasPrefix(v, "5."):
				return "7"
			}
		}
	}
	return "9"
}

// majorOf returns the leading number of a version string, or 0.
func majorOf(s string) int {
	v, n, err := parsePartial(s)
	if err != nil || n == 0 {
		return 0
	}
	return v[0]
}

// planNode is the Node.js plan: one stage installs everything and builds, then prunes
// devDependencies; the final stage takes /app from it.
func planNode(r *repo, p *Plan, _ genOptions) error {
	s, pj, err := resolveNode(r, p, "")
	if err != nil {
		return err
	}
	p.Version = s.major
	// Build: Heroku runs heroku-postbuild instead of build when both exist.
	switch {
	case pj.script("heroku-postbuild") != "":
		s.build = "heroku-postbuild"
		p.Reasons = append(p.Reasons, "package.json scripts.heroku-postbuild runs at build (Heroku runs it instead of build)")
		p.Warnings = append(p.Warnings, fmt.Sprintf("heroku-postbuild (%q) runs inside docker build, where config vars and add-ons are not available", pj.script("heroku-postbuild")))
	case pj.script("build") != "":
		s.build = "build"
		p.Reasons = append(p.Reasons, "package.json scripts.build runs at build")
	}
	for _, hook := range []string{"heroku-prebuild", "heroku-cleanup"} {
		if pj.script(hook) != "" {
			p.Warnings = append(p.Warnings, fmt.Sprintf("package.json scripts.%s is not run: move it into build", hook))
		}
	}
	if r.webCommand() == "" && s.start {
		p.Reasons = append(p.Reasons, "no Procfile web process: CMD is npm start, as on Heroku")
	}
	writeNode(r, p, s)
	return nil
}

// nodeAssets prepares an assets stage for a non-Node.js app with a package.json: only when
// there is a build script to run (an npm install alone builds nothing the app can serve).
func nodeAssets(r *repo, p *Plan) (*nodeSetup, error) {
	pj, err := readPackageJSON(r)
	if err != nil {
		return nil, err
	}
	if pj.script("build") == "" {
		if pj.script("heroku-postbuild") != "" {
			p.Warnings = append(p.Warnings, "package.json has scripts.heroku-postbuild but no build script: its assets are not built (add a build script to build them in a Node.js stage)")
		}
		return nil, nil
	}
	p.Reasons = append(p.Reasons, fmt.Sprintf("package.json scripts.build (%q) → a Node.js stage builds the assets", pj.script("build")))
	s, _, err := resolveNode(r, p, "assets: ")
	if err != nil {
		return nil, err
	}
	s.build = "build" // the assets stage runs build; heroku-postbuild belongs to a Node.js app
	return s, nil
}
