package app

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/slipwayhq/slipway/procfile"
)

// Defaults Slipway applies where the inputs say nothing.
const (
	DefaultPort           = 5000
	DefaultGracePeriod    = 30 // Heroku's SIGTERM→SIGKILL
	DefaultReleaseTimeout = 900
	DefaultAutoscaleCPU   = 80
	// MaxNameLength keeps "<app>-<process>" within Kubernetes' 63 and Helm's 53 for releases.
	MaxNameLength = 53
)

// Options controls Load.
type Options struct {
	// Environment applies that environment's overrides from slipway.yaml; empty for none.
	Environment string
	// Name overrides the app name.
	Name string
	// IgnoreManifest loads the app as if it had no slipway.yaml (to write a new one over
	// one that does not parse).
	IgnoreManifest bool
	// Manifest, when not nil, is read as slipway.yaml in place of the file (to check a
	// slipway.yaml before it is written).
	Manifest []byte
}

// ProcfileFile is the Procfile's name.
const ProcfileFile = "Procfile"

// Load reads the app in dir. Errors are located (file:line or file: field) and mean the
// inputs are wrong; Load changes nothing anywhere.
func Load(dir string, opts Options) (*App, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load app: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("load app: %s is not a directory", dir)
	}
	a := &App{Dir: dir, Vars: map[string]Var{}, Environments: map[string]Environment{}, Build: Build{Args: map[string]string{}}}

	man, manRoot := &Manifest{}, (*yaml.Node)(nil)
	if !opts.IgnoreManifest {
		if man, manRoot, err = readManifest(a, dir, opts.Manifest); err != nil {
			return nil, err
		}
	}
	aj, err := readAppJSON(a, dir)
	if err != nil {
		return nil, err
	}
	hy, err := readHerokuYML(a, dir)
	if err != nil {
		return nil, err
	}
	if err := loadName(a, opts.Name, man, dir); err != nil {
		return nil, err
	}
	warnAppJSONName(a, opts.Name, man, aj)
	if err := loadProcesses(a, dir, hy); err != nil {
		return nil, err
	}
	applyFormation(a, aj)
	if err := applyHealthchecks(a, aj); err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(man.Processes) {
		if err := a.applySettings(name, man.Processes[name], manRoot, "processes"); err != nil {
			return nil, err
		}
	}
	if err := loadCron(a, aj); err != nil {
		return nil, err
	}
	loadVars(a, aj, hy)
	if err := loadImageAndBuild(a, man, manRoot, hy, aj); err != nil {
		return nil, err
	}
	if err := loadEnvironments(a, man, manRoot); err != nil {
		return nil, err
	}
	if opts.Environment != "" {
		env, ok := a.Environments[opts.Environment]
		if !ok {
			return nil, fmt.Errorf("unknown environment %q (known: %s); add it under environments: in %s", opts.Environment, strings.Join(a.EnvironmentNames(), ", "), ManifestFile)
		}
		if env.Image.Repository != "" {
			a.Image.Repository, a.Image.Configured = env.Image.Repository, true
		}
		if len(env.Image.PullSecrets) > 0 {
			a.Image.PullSecrets = env.Image.PullSecrets
		}
		for _, name := range sortedKeys(env.Processes) {
			if err := a.applySettings(name, env.Processes[name], manRoot, "environments", opts.Environment, "processes"); err != nil {
				return nil, err
			}
		}
	}
	if err := a.checkNames(); err != nil {
		return nil, err
	}
	return a, nil
}

// readFileIfExists reads the app's text file name (see ReadAppFile); ok is false when it
// does not exist. Text that is not UTF-8 is refused here, with its line and column: a
// JSON decoder would silently replace it with U+FFFD.
func readFileIfExists(dir, name string) (data []byte, ok bool, err error) {
	data, err = ReadAppFile(dir, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if i := invalidUTF8(data); i >= 0 {
		line, col := runeLineCol(data, i)
		return nil, false, &FileError{File: name, Line: line, Msg: fmt.Sprintf("invalid UTF-8 at column %d: this is not a text file Slipway can read", col),
			Fix: "save the file as UTF-8"}
	}
	return data, true, nil
}

func readManifest(a *App, dir string, given []byte) (*Manifest, *yaml.Node, error) {
	data, ok, err := given, true, error(nil)
	if given == nil {
		data, ok, err = readFileIfExists(dir, ManifestFile)
	}
	if err != nil || !ok {
		return &Manifest{}, nil, err
	}
	m, err := ParseManifest(data, ManifestFile)
	if err != nil {
		return nil, nil, err
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	a.Sources = append(a.Sources, ManifestFile)
	return m, &root, nil
}

func readAppJSON(a *App, dir string) (*AppJSON, error) {
	data, ok, err := readFileIfExists(dir, AppJSONFile)
	if err != nil || !ok {
		return &AppJSON{}, err
	}
	aj, err := ParseAppJSON(data, AppJSONFile)
	if err != nil {
		return nil, err
	}
	a.Sources = append(a.Sources, AppJSONFile)
	a.Warnings = append(a.Warnings, aj.Warnings...)
	return aj, nil
}

func readHerokuYML(a *App, dir string) (*HerokuYML, error) {
	data, ok, err := readFileIfExists(dir, HerokuYMLFile)
	if err != nil || !ok {
		return &HerokuYML{}, err
	}
	h, err := ParseHerokuYML(data, HerokuYMLFile)
	if err != nil {
		return nil, err
	}
	a.Sources = append(a.Sources, HerokuYMLFile)
	a.Warnings = append(a.Warnings, h.Warnings...)
	return h, nil
}

var nonLabel = regexp.MustCompile(`[^a-z0-9]+`)

// Slug turns free text ("PostHog - Product Analytics") into a DNS label.
func Slug(s string) string {
	s = nonLabel.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-")
	if len(s) > MaxNameLength {
		s = strings.TrimRight(s[:MaxNameLength], "-")
	}
	return s
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// loadName names the app: the override, else slipway.yaml's name, else the directory's.
// app.json's name is not the app's: it is what Heroku's Deploy button shows ("Start on
// Heroku: Node.js"), and the Heroku app it creates is named by the user.
func loadName(a *App, override string, man *Manifest, dir string) error {
	var where string
	switch {
	case override != "":
		a.Name = override
	case man.Name != "":
		a.Name, where = man.Name, ManifestFile+": name"
	default:
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("load app: %w", err)
		}
		base := filepath.Base(abs)
		a.Name, where = Slug(base), "the directory name"
		if a.Name == "" {
			return fmt.Errorf("the directory name %q has no letter or digit of a-z, 0-9 to make an app name of (Kubernetes names use lowercase letters, digits and '-'); set name: in %s", base, ManifestFile)
		}
	}
	if err := CheckName(a.Name); err != nil {
		if where != "" {
			where += ": "
		}
		return fmt.Errorf("%s%w; set name: in %s", where, err, ManifestFile)
	}
	return nil
}

// warnAppJSONName tells an app named by its directory that app.json's name no longer
// names it: before, an app.json "name" did, so an app deployed then runs under that name.
func warnAppJSONName(a *App, override string, man *Manifest, aj *AppJSON) {
	if override != "" || man.Name != "" || aj.Name == "" {
		return
	}
	if old := Slug(aj.Name); old != "" && old != a.Name {
		a.Warnings = append(a.Warnings, Warning{File: AppJSONFile, Message: fmt.Sprintf(
			"name %q is the Deploy button's title, not the app's name: the app is %q, the directory's (Slipway before 2026-12 named it %q: to keep deploying to an app of that name, set name: %s in %s)",
			aj.Name, a.Name, old, old, ManifestFile)})
	}
}

func loadProcesses(a *App, dir string, hy *HerokuYML) error {
	// The Procfile parser checks the text itself (UTF-16, NUL, invalid UTF-8, line by line).
	data, err := ReadAppFile(dir, ProcfileFile)
	found := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var pf *procfile.Procfile
	if found {
		if pf, err = procfile.Parse(bytes.NewReader(data), ProcfileFile); err != nil {
			return err
		}
	}
	if pf != nil {
		a.Sources = append(a.Sources, ProcfileFile)
		for _, w := range pf.Warnings {
			a.Warnings = append(a.Warnings, Warning{File: ProcfileFile, Line: w.Line, Message: w.Message})
		}
		for _, e := range pf.Entries {
			src := fmt.Sprintf("%s:%d", ProcfileFile, e.Line)
			if e.Release() {
				a.Release = &Release{Command: e.Command, Source: src, Timeout: DefaultReleaseTimeout}
				continue
			}
			a.Processes = append(a.Processes, newProcess(e.Name, e.KubeName, e.Command, src))
		}
	}
	for _, t := range hy.runTypes() {
		r := hy.Run[t]
		src := fmt.Sprintf("%s:%d", HerokuYMLFile, r.Line)
		if t == "release" {
			return &FileError{File: HerokuYMLFile, Line: r.Line, Msg: "run.release: put the release command under release: command:"}
		}
		if p, ok := a.Process(t); ok {
			if p.Command != r.Command {
				a.warn(HerokuYMLFile, r.Line, "run.%s overrides %s's command (as on Heroku, heroku.yml wins)", t, p.Source)
			}
			p.Command, p.Source = r.Command, src
			continue
		}
		kube := strings.ReplaceAll(strings.ToLower(t), "_", "-")
		if !dnsLabel.MatchString(kube) || len(kube) > 63 {
			return &FileError{File: HerokuYMLFile, Line: r.Line, Msg: fmt.Sprintf("run.%s: process type names use letters, digits, '-' and '_'", t)}
		}
		a.Processes = append(a.Processes, newProcess(t, kube, r.Command, src))
	}
	if hy.Release != "" {
		src := fmt.Sprintf("%s:%d", HerokuYMLFile, hy.ReleaseLine)
		if a.Release != nil && a.Release.Command != hy.Release {
			a.warn(HerokuYMLFile, hy.ReleaseLine, "release overrides %s's release command (as on Heroku, heroku.yml wins)", a.Release.Source)
		}
		a.Release = &Release{Command: hy.Release, Source: src, Timeout: DefaultReleaseTimeout}
	}
	if len(a.Processes) == 0 {
		if pf == nil {
			if cmd, ok := npmStart(dir); ok {
				a.warn("package.json", 0, "no Procfile: web runs %q, as on Heroku; write a Procfile to say so explicitly", cmd)
				a.Processes = append(a.Processes, newProcess("web", "web", cmd, "package.json"))
				a.Sources = append(a.Sources, "package.json")
				return nil
			}
			return &FileError{File: ProcfileFile, Msg: "no Procfile in " + dir, Fix: "Slipway runs the process types a Procfile declares, one per line, e.g. `web: npm start`; heroku.yml's run: section works too"}
		}
		msg := "declares no process type"
		if a.Release != nil {
			msg += " other than release"
		}
		return &FileError{File: ProcfileFile, Msg: msg, Fix: "add a line such as `web: bundle exec puma -p $PORT`"}
	}
	return nil
}

func npmStart(dir string) (string, bool) {
	data, ok, _ := readFileIfExists(dir, "package.json")
	if !ok {
		return "", false
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal(data, &pkg) != nil || strings.TrimSpace(pkg.Scripts["start"]) == "" {
		return "", false
	}
	return "npm start", true
}

var singletonNames = regexp.MustCompile(`^(clock|scheduler|beat|cron|celerybeat)$|[-_](beat|clock|scheduler)$`)

func newProcess(name, kube, cmd, src string) Process {
	p := Process{Name: name, KubeName: kube, Command: cmd, Source: src, Replicas: 1, GracePeriod: DefaultGracePeriod}
	if kube == "web" {
		p.Routed = true
		p.Port = DefaultPort
	}
	p.Singleton = singletonNames.MatchString(kube)
	p.Resources, _ = SizeResources(DefaultSize)
	return p
}

func applyFormation(a *App, aj *AppJSON) {
	for _, name := range sortedKeys(aj.Formation) {
		f := aj.Formation[name]
		p, ok := a.Process(name)
		if !ok {
			if name != "release" {
				a.warn(AppJSONFile, 0, "formation.%s: no such process type (process types: %s); ignored", name, strings.Join(a.ProcessNames(), ", "))
			}
			continue
		}
		if f.Quantity != nil {
			p.Replicas = *f.Quantity
		}
		if f.Size != "" {
			r, err := SizeResources(f.Size)
			if err != nil {
				a.warn(AppJSONFile, 0, "formation.%s.size: %v; using %s", name, err, DefaultSize)
				continue
			}
			p.Size, p.Resources = f.Size, r
		}
	}
}

func applyHealthchecks(a *App, aj *AppJSON) error {
	for _, name := range sortedKeys(aj.Healthchecks) {
		p, ok := a.Process(name)
		if !ok {
			return &FileError{File: AppJSONFile, Msg: fmt.Sprintf("healthchecks.%s: no such process type (process types: %s)", name, strings.Join(a.ProcessNames(), ", "))}
		}
		for i, c := range aj.Healthchecks[name] {
			probe := &Probe{Path: c.Path, Port: c.Port, Command: c.Command, Scheme: strings.ToUpper(c.Scheme),
				InitialDelaySeconds: c.InitialDelay, PeriodSeconds: c.Wait, TimeoutSeconds: c.Timeout, FailureThreshold: c.Attempts}
			if probe.Path == "" && len(probe.Command) == 0 {
				probe.TCP = true
			}
			if probe.Path != "" && !strings.HasPrefix(probe.Path, "/") {
				return &FileError{File: AppJSONFile, Msg: fmt.Sprintf("healthchecks.%s[%d].path: %q must start with /", name, i, c.Path)}
			}
			if (probe.Path != "" || probe.TCP) && probe.Port == 0 && p.Port == 0 {
				return &FileError{File: AppJSONFile, Msg: fmt.Sprintf("healthchecks.%s[%d]: process %s listens on no port; give \"port\" or \"command\"", name, i, name)}
			}
			switch c.Type {
			case "startup":
				p.Health.Startup = probe
			case "readiness":
				p.Health.Readiness = probe
			case "liveness":
				p.Health.Liveness = probe
			}
		}
	}
	return nil
}

// applySettings applies slipway.yaml settings for one process; path locates them in the file.
func (a *App) applySettings(name string, s ProcessSettings, root *yaml.Node, path ...string) error {
	path = append(path, name)
	fail := func(field, format string, args ...any) error {
		p := append(append([]string{}, path...), strings.Split(field, ".")...) // "resources.cpu" is two keys deep
		if field == "" {
			p = path
		}
		return &FileError{File: ManifestFile, Line: nodeLine(root, p...), Msg: strings.Join(p, ".") + ": " + fmt.Sprintf(format, args...)}
	}
	p, ok := a.Process(name)
	if !ok {
		return fail("", "no such process type (process types: %s)", strings.Join(a.ProcessNames(), ", "))
	}
	if s.Replicas != nil {
		if *s.Replicas < 0 {
			return fail("replicas", "must not be negative")
		}
		p.Replicas = *s.Replicas
	}
	if s.Port != nil {
		if *s.Port < 0 || *s.Port > 65535 {
			return fail("port", "%d is not a port (1-65535, or 0 for none)", *s.Port)
		}
		p.Port = *s.Port
	}
	if s.Routed != nil {
		p.Routed = *s.Routed
	}
	if s.Singleton != nil {
		p.Singleton = *s.Singleton
	}
	if s.SessionAffinity != nil {
		p.SessionAffinity = *s.SessionAffinity
	}
	if s.GracePeriod != nil {
		if *s.GracePeriod < 0 {
			return fail("gracePeriod", "must not be negative")
		}
		p.GracePeriod = *s.GracePeriod
	}
	if s.Size != "" {
		r, err := SizeResources(s.Size)
		if err != nil {
			return fail("size", "%v", err)
		}
		p.Size, p.Resources = s.Size, r
	}
	if r := s.Resources; r != nil {
		for _, f := range [][2]string{{"cpu", r.CPU}, {"memory", r.Memory}, {"cpuLimit", r.CPULimit}, {"memoryLimit", r.MemoryLimit}} {
			field, q := f[0], f[1]
			if q == "" {
				continue
			}
			if _, err := resource.ParseQuantity(q); err != nil {
				return fail("resources."+field, "%q is not a Kubernetes quantity (e.g. 250m, 1, 512Mi, 1Gi)", q)
			}
		}
		if r.CPU != "" {
			p.Resources.CPURequest = r.CPU
		}
		if r.Memory != "" {
			p.Resources.MemoryRequest, p.Resources.MemoryLimit = r.Memory, r.Memory
		}
		if r.CPULimit != "" {
			p.Resources.CPULimit = r.CPULimit
		}
		if r.MemoryLimit != "" {
			p.Resources.MemoryLimit = r.MemoryLimit
		}
	}
	if h := s.Health; h != nil {
		if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
			return fail("healthcheck.path", "%q must start with /", h.Path)
		}
		if h.Path != "" && len(h.Command) > 0 {
			return fail("healthcheck", "give path (HTTP) or command, not both")
		}
		if h.Port < 0 || h.Port > 65535 {
			return fail("healthcheck.port", "%d is not a port", h.Port)
		}
		if h.Path == "" && len(h.Command) == 0 && h.Port == 0 {
			return fail("healthcheck", "give path, port or command")
		}
		if h.Path != "" && h.Port == 0 && p.Port == 0 {
			return fail("healthcheck.port", "process %s listens on no port; give the health port", name)
		}
		probe := &Probe{Path: h.Path, Port: h.Port, Command: h.Command, TCP: h.Path == "" && len(h.Command) == 0,
			InitialDelaySeconds: h.InitialDelay, PeriodSeconds: h.Period, TimeoutSeconds: h.Timeout, FailureThreshold: h.Attempts}
		if p.Routed || (p.Port != 0 && (h.Port == 0 || h.Port == p.Port)) {
			// A serving process: the check gates traffic (startup + readiness), never kills.
			startup := *probe
			p.Health.Startup, p.Health.Readiness = &startup, probe
		} else {
			// A worker: the check is how Kubernetes finds one that died silently.
			p.Health.Liveness = probe
		}
	}
	if as := s.Autoscale; as != nil {
		if as.Min < 1 || as.Max < as.Min {
			return fail("autoscale", "need 1 <= min <= max, got min %d, max %d", as.Min, as.Max)
		}
		cpu := as.CPU
		if cpu == 0 {
			cpu = DefaultAutoscaleCPU
		}
		if cpu < 1 || cpu > 100 {
			return fail("autoscale.cpu", "%d is not a percentage (1-100)", cpu)
		}
		if p.Singleton {
			return fail("autoscale", "process %s is a singleton (one pod at most) and cannot autoscale; set singleton: false", name)
		}
		p.Autoscale = &Autoscale{Min: as.Min, Max: as.Max, CPU: cpu}
	}
	return nil
}

// nodeLine finds the line of a key path in a YAML document; 0 when unknown.
func nodeLine(root *yaml.Node, path ...string) int {
	if root == nil {
		return 0
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}

func loadCron(a *App, aj *AppJSON) error {
	seen := map[string]int{}
	for i, c := range aj.Cron {
		sum := sha256.Sum256([]byte(strings.TrimSpace(c.Schedule) + "\x00" + strings.TrimSpace(c.Command)))
		name := "cron-" + hex.EncodeToString(sum[:])[:8]
		if j, dup := seen[name]; dup {
			return &FileError{File: AppJSONFile, Msg: fmt.Sprintf("cron[%d]: same command and schedule as cron[%d]", i, j)}
		}
		seen[name] = i
		policy := map[string]string{"allow": "Allow", "forbid": "Forbid", "replace": "Replace"}[strings.ToLower(c.ConcurrencyPolicy)]
		if policy == "" {
			policy = "Forbid"
		}
		a.Cron = append(a.Cron, Cron{Name: name, Schedule: strings.TrimSpace(c.Schedule), Command: strings.TrimSpace(c.Command),
			Source: fmt.Sprintf("%s: cron[%d]", AppJSONFile, i), ConcurrencyPolicy: policy, Suspend: c.Maintenance})
	}
	return nil
}

func loadVars(a *App, aj *AppJSON, hy *HerokuYML) {
	for k, v := range hy.Config {
		a.Vars[k] = Var{Name: k, Value: v, HasValue: true}
	}
	for k, v := range aj.Env {
		a.Vars[k] = v
	}
	a.PostDeploy = aj.PostDeploy
}

func loadImageAndBuild(a *App, man *Manifest, root *yaml.Node, hy *HerokuYML, aj *AppJSON) error {
	a.Image.Repository = a.Name
	img, err := manifestImage(man.Image, root, "image")
	if err != nil {
		return err
	}
	if img.Repository != "" {
		a.Image.Repository, a.Image.Configured = img.Repository, true
	}
	a.Image.PullSecrets = img.PullSecrets
	for k, v := range hy.BuildArgs {
		a.Build.Args[k] = v
	}
	if hy.Dockerfile != "" && !localPath(hy.Dockerfile) {
		return &FileError{File: HerokuYMLFile, Line: hy.DockerfileLine, Msg: fmt.Sprintf("build.docker: %q is not a path inside the app directory: the Dockerfile is part of the build context", hy.Dockerfile)}
	}
	if man.Build.Dockerfile != "" && !localPath(man.Build.Dockerfile) {
		return &FileError{File: ManifestFile, Line: nodeLine(root, "build", "dockerfile"), Msg: fmt.Sprintf("build.dockerfile: %q is not a path inside the app directory: the Dockerfile is part of the build context", man.Build.Dockerfile)}
	}
	if err := chooseBuild(a, man, root, hy, aj); err != nil {
		return err
	}
	for k, v := range man.Build.Args {
		a.Build.Args[k] = v
	}
	if man.Release.Timeout < 0 {
		return &FileError{File: ManifestFile, Line: nodeLine(root, "release", "timeout"), Msg: "release.timeout: must be positive (seconds)"}
	}
	if a.Release != nil && man.Release.Timeout > 0 {
		a.Release.Timeout = man.Release.Timeout
	}
	return nil
}

// chooseBuild decides how the image is built, as Heroku would (see Build): slipway.yaml's
// build.generate or build.dockerfile, else heroku.yml's build.docker (a container app) or
// buildpack settings, else app.json's stack, else buildpacks, as for any app without heroku.yml
// build.docker. heroku.yml comes before app.json: Heroku reads it on every build, app.json's
// stack only when the app is created.
func chooseBuild(a *App, man *Manifest, root *yaml.Node, hy *HerokuYML, aj *AppJSON) error {
	b := &a.Build
	at := func(file string, line int) string {
		if line > 0 {
			return fmt.Sprintf("%s:%d", file, line)
		}
		return file
	}
	const buildpacks = "Heroku builds this app with buildpacks"
	switch {
	case man.Build.Generate != nil && *man.Build.Generate:
		line := nodeLine(root, "build", "generate")
		if man.Build.Dockerfile != "" {
			return &FileError{File: ManifestFile, Line: line, Msg: fmt.Sprintf("build.generate: true builds with Slipway's generated Dockerfile, and build.dockerfile names the repository's (%s): give one of them", man.Build.Dockerfile),
				Fix: "remove build.dockerfile to generate the Dockerfile, or set build.generate: false to build with " + man.Build.Dockerfile}
		}
		b.Generate, b.Source, b.Reason = true, at(ManifestFile, line), "slipway.yaml build.generate: true"
	case man.Build.Generate != nil:
		b.Dockerfile, b.Source, b.Reason = cmp.Or(man.Build.Dockerfile, hy.Dockerfile), at(ManifestFile, nodeLine(root, "build", "generate")), "slipway.yaml build.generate: false"
	case man.Build.Dockerfile != "":
		b.Dockerfile, b.Source, b.Reason = man.Build.Dockerfile, at(ManifestFile, nodeLine(root, "build", "dockerfile")), "slipway.yaml build.dockerfile"
	case hy.DockerfileLine > 0:
		b.Dockerfile, b.Source, b.Reason = hy.Dockerfile, at(HerokuYMLFile, hy.DockerfileLine), "heroku.yml build.docker: Heroku builds this app from its Dockerfile"
	case hy.Buildpacks != "":
		b.Generate, b.Source, b.Reason = true, at(HerokuYMLFile, hy.BuildpacksLine), "heroku.yml "+hy.Buildpacks+": "+buildpacks
	case aj.Stack == "container":
		b.Source, b.Reason = AppJSONFile, `app.json stack "container": Heroku builds this app from a Dockerfile`
		a.warn(AppJSONFile, 0, `stack "container": Heroku builds such an app from the Dockerfiles heroku.yml's build.docker names, and there is none; Slipway builds ./Dockerfile`)
	case aj.Stack != "":
		b.Generate, b.Source, b.Reason = true, AppJSONFile, fmt.Sprintf("app.json stack %q: %s", aj.Stack, buildpacks)
	default:
		b.Generate, b.Reason = true, "no heroku.yml build.docker: "+buildpacks
	}
	return nil
}

var dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func dnsSubdomain(s string) bool { return len(s) <= 253 && dnsSubdomainRE.MatchString(s) }

// DefaultEnvironments are the environments of an app whose slipway.yaml declares none.
var DefaultEnvironments = []string{"staging", "production"}

func loadEnvironments(a *App, man *Manifest, root *yaml.Node) error {
	if len(man.Environments) == 0 {
		for _, n := range DefaultEnvironments {
			a.Environments[n] = Environment{Name: n, Namespace: DefaultNamespace(a.Name, n), EnvFile: ".env." + n}
		}
		return nil
	}
	for _, n := range sortedKeys(man.Environments) {
		e := man.Environments[n]
		fail := func(field, format string, args ...any) error {
			return &FileError{File: ManifestFile, Line: nodeLine(root, "environments", n, field), Msg: "environments." + n + "." + field + ": " + fmt.Sprintf(format, args...)}
		}
		if !dnsLabel.MatchString(n) {
			return &FileError{File: ManifestFile, Line: nodeLine(root, "environments", n), Msg: fmt.Sprintf("environments: %q is not a valid environment name (lowercase letters, digits, '-')", n)}
		}
		env := Environment{Name: n, Namespace: e.Namespace, Context: e.Context, Domain: e.Domain, IngressClass: e.IngressClass,
			Websocket: e.Websocket, EnvFile: e.EnvFile, Branch: e.Branch, Processes: e.Processes}
		if env.Namespace == "" {
			env.Namespace = DefaultNamespace(a.Name, n)
		}
		if !dnsLabel.MatchString(env.Namespace) || len(env.Namespace) > 63 {
			if e.Namespace == "" {
				return &FileError{File: ManifestFile, Line: nodeLine(root, "environments", n), Msg: fmt.Sprintf("environments.%s: the name is too long to make a namespace of; set environments.%s.namespace", n, n)}
			}
			return fail("namespace", "%q is not a valid namespace name", env.Namespace)
		}
		if env.EnvFile == "" {
			env.EnvFile = ".env." + n
		} else if !localPath(env.EnvFile) {
			return fail("envFile", "%q is not a path inside the app directory: an app's env files live in its repository (relative, without ..)", env.EnvFile)
		}
		if env.Branch != "" {
			if err := CheckBranch(env.Branch); err != nil {
				return fail("branch", "%v", err)
			}
			for _, other := range sortedKeys(a.Environments) {
				if a.Environments[other].Branch == env.Branch {
					return fail("branch", "%q is the branch of environment %s already: a push deploys to one environment", env.Branch, other)
				}
			}
		}
		if env.Domain != "" && !dnsSubdomain(strings.TrimPrefix(env.Domain, "*.")) {
			return fail("domain", "%q is not a host name", env.Domain)
		}
		if e.TLS != nil {
			env.TLS = TLS{Enabled: e.TLS.Enabled, SecretName: e.TLS.SecretName, ClusterIssuer: e.TLS.ClusterIssuer}
			if env.TLS.Enabled && env.Domain == "" {
				return fail("tls", "TLS needs a domain")
			}
		}
		if e.Image != nil {
			img, err := manifestImage(*e.Image, root, "environments", n, "image")
			if err != nil {
				return err
			}
			env.Image = img
		}
		for _, pn := range sortedKeys(e.Processes) {
			if _, ok := a.Process(pn); !ok {
				return &FileError{File: ManifestFile, Line: nodeLine(root, "environments", n, "processes", pn), Msg: fmt.Sprintf("environments.%s.processes.%s: no such process type (process types: %s)", n, pn, strings.Join(a.ProcessNames(), ", "))}
			}
		}
		a.Environments[n] = env
	}
	return nil
}

// localPath reports whether p, from one of the app's files, names a path inside the app
// directory: relative, without "..".
func localPath(p string) bool { return filepath.IsLocal(filepath.FromSlash(p)) }

// DefaultNamespace is the namespace of environment env of app when slipway.yaml names none:
// "<app>-<env>". When that is over Kubernetes' 63 characters (a long app name, a long
// environment name), the app's part is shortened and a hash of the whole app name keeps it
// apart from other apps: "<app prefix>-<6 hex>-<env>".
func DefaultNamespace(app, env string) string {
	ns := app + "-" + env
	if len(ns) <= 63 {
		return ns
	}
	sum := sha256.Sum256([]byte(app))
	suffix := "-" + hex.EncodeToString(sum[:3]) + "-" + env
	keep := max(63-len(suffix), 1)
	return strings.TrimRight(app[:min(keep, len(app))], "-") + suffix
}

// manifestImage checks an image section of slipway.yaml (at path) and returns it as an Image.
func manifestImage(m ManifestImage, root *yaml.Node, path ...string) (Image, error) {
	field := strings.Join(path, ".")
	var img Image
	if r := m.Repository; r != "" {
		last := r[strings.LastIndex(r, "/")+1:]
		line := nodeLine(root, append(path, "repository")...)
		if strings.Contains(r, "@") || strings.Contains(last, ":") {
			return img, &FileError{File: ManifestFile, Line: line, Msg: fmt.Sprintf("%s.repository: %q has a tag or digest; give the repository only (Slipway tags each build)", field, r)}
		}
		if strings.ToLower(r) != r {
			return img, &FileError{File: ManifestFile, Line: line, Msg: fmt.Sprintf("%s.repository: %q must be lowercase", field, r)}
		}
		img.Repository = r
	}
	if m.PullSecret != "" {
		img.PullSecrets = append(img.PullSecrets, m.PullSecret)
	}
	img.PullSecrets = append(img.PullSecrets, m.PullSecrets...)
	for _, s := range img.PullSecrets {
		if !dnsSubdomain(s) {
			return img, &FileError{File: ManifestFile, Line: nodeLine(root, path...), Msg: fmt.Sprintf("%s: pull secret %q is not a valid Secret name", field, s)}
		}
	}
	return img, nil
}

// checkNames makes sure every object name the chart derives fits Kubernetes' limits.
func (a *App) checkNames() error {
	for _, p := range a.Processes {
		if n := len(a.Name) + 1 + len(p.KubeName); n > 63 {
			return fmt.Errorf("%s: object name %q is %d characters, over Kubernetes' 63: shorten the app name (name: in %s) or the process type", p.Source, a.Name+"-"+p.KubeName, n, ManifestFile)
		}
	}
	for _, c := range a.Cron {
		if n := len(a.Name) + 1 + len(c.Name); n > 52 {
			return fmt.Errorf("%s: CronJob name %q is %d characters, over Kubernetes' 52: shorten the app name (name: in %s)", c.Source, a.Name+"-"+c.Name, n, ManifestFile)
		}
	}
	return nil
}
