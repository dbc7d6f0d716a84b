package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/build"
)

// DefaultEnvironment is the environment a Heroku app becomes when none is named: the app
// people import is the one serving their users.
const DefaultEnvironment = "production"

// Heroku is one import of a Heroku app: its repository and what the Heroku CLI exported.
// Every export is optional; Plan reads only the repository when none is given.
type Heroku struct {
	// Dir is the app's repository.
	Dir string
	// AppName is the Heroku app's name; empty takes slipway.yaml's, else the directory's.
	AppName string
	// Environment is the environment the Heroku app becomes: its config and domains land
	// there. Empty is DefaultEnvironment.
	Environment string
	// Config is `heroku config --shell` or `--json`, read from ConfigFile.
	Config     *ConfigExport
	ConfigFile string
	// Addons is `heroku addons --json`, read from AddonsFile ("" when not given).
	Addons     []Addon
	AddonsFile string
	// Formation is the quantity and size of each process type, read from FormationFile
	// (FormationSource says which export it was).
	Formation       []Formation
	FormationFile   string
	FormationSource string
	// Domains is `heroku domains --json`, read from DomainsFile.
	Domains     []Domain
	DomainsFile string
	// Registry is where the image goes (HOST[/PREFIX]): the image repository becomes
	// Registry/APP. Empty keeps slipway.yaml's.
	Registry string
	// KeepAddonConfig imports the variables add-ons set too: by default they are left out,
	// since they point at resources Heroku manages (and rotates, and deletes with the app).
	KeepAddonConfig bool
}

// Plan reads the repository and the exports and returns what the import would do: the
// slipway.yaml to write, the config to carry over and the report. It changes nothing.
func (h *Heroku) Plan() (*Migration, error) {
	env := h.Environment
	if env == "" {
		env = DefaultEnvironment
	}
	if err := app.CheckName(env); err != nil {
		return nil, fmt.Errorf("environment %q: %w", env, err)
	}
	m := &Migration{Environment: env, values: map[string]string{}}
	existing, err := h.readManifest()
	if err != nil {
		return nil, err
	}
	m.App, m.AppFrom, err = h.name(existing)
	if err != nil {
		return nil, err
	}
	a, err := app.Load(h.Dir, app.Options{Name: m.App})
	if err != nil {
		return nil, err
	}
	for _, w := range a.Warnings {
		m.Warnings = append(m.Warnings, w.String())
	}
	man, err := h.baseManifest(a, existing)
	if err != nil {
		return nil, err
	}
	man.Name = m.App
	if h.Registry != "" {
		man.Image.Repository = strings.TrimSuffix(h.Registry, "/") + "/" + m.App
	}
	if repo := man.Image.Repository; repo == "" || !strings.Contains(repo, "/") {
		m.Todo = append(m.Todo, "name the registry the image is pushed to and pulled from: image.repository in "+app.ManifestFile+" (HOST/"+m.App+")")
	}
	m.build(a, man)
	m.formation(h, a, man)
	m.domains(h, man)
	m.config(h, a)
	m.addons(h)
	m.inputs(h, a)
	if m.manifest, err = app.EncodeManifest(man); err != nil {
		return nil, err
	}
	// What is written must load: a bad registry, say, is refused now, not by the next command.
	after, err := app.Load(h.Dir, app.Options{Manifest: m.manifest})
	if err != nil {
		return nil, fmt.Errorf("the %s the import would write does not load: %w", app.ManifestFile, err)
	}
	m.envFile = ".env." + env
	if e, ok := after.Environments[env]; ok {
		m.envFile = e.EnvFile
	}
	m.plannedFiles(existing)
	return m, nil
}

// readManifest returns slipway.yaml's bytes, nil when there is none.
func (h *Heroku) readManifest() ([]byte, error) {
	data, err := app.ReadAppFile(h.Dir, app.ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// name is the app's name and where it came from: the Heroku app's, else slipway.yaml's,
// else the directory's. app.json's name is the Deploy button's display name ("Start on
// Heroku: Go"), not the app's.
func (h *Heroku) name(existing []byte) (name, from string, err error) {
	if h.AppName != "" {
		if err := app.CheckName(h.AppName); err != nil {
			return "", "", &NameError{Name: h.AppName, Err: err}
		}
		return h.AppName, "the Heroku app's name", nil
	}
	if existing != nil {
		man, err := app.ParseManifest(existing, app.ManifestFile)
		if err != nil {
			return "", "", err
		}
		if man.Name != "" {
			return man.Name, app.ManifestFile, nil
		}
	}
	abs, err := filepath.Abs(h.Dir)
	if err != nil {
		return "", "", err
	}
	name = app.Slug(filepath.Base(abs))
	if err := app.CheckName(name); err != nil {
		return "", "", &NameError{Name: filepath.Base(abs), Err: err, Directory: true}
	}
	return name, "the directory name", nil
}

// NameError is an app name that is not a DNS label.
type NameError struct {
	Name      string
	Err       error
	Directory bool
}

func (e *NameError) Error() string {
	if e.Directory {
		return fmt.Sprintf("the directory name %q makes no app name: %v", e.Name, e.Err)
	}
	return fmt.Sprintf("app name %q: %v", e.Name, e.Err)
}

// Hint says how to name the app.
func (e *NameError) Hint() string {
	return "give the Heroku app's name (lowercase letters, digits and '-', starting with a letter)"
}

func (e *NameError) Unwrap() error { return e.Err }

// baseManifest is the slipway.yaml the import starts from: the repository's own, so a
// re-run keeps what a person added, else what `slipway init` writes.
func (h *Heroku) baseManifest(a *app.App, existing []byte) (*app.Manifest, error) {
	if existing != nil {
		return app.ParseManifest(existing, app.ManifestFile)
	}
	data, err := app.InitManifest(a)
	if err != nil {
		return nil, err
	}
	return app.ParseManifest(data, app.ManifestFile)
}

// build records how the image is built, as Heroku would, and writes the choice into
// slipway.yaml when the repository has a Dockerfile (there the choice is a real one). When
// Heroku would use a buildpack for a language Slipway generates no Dockerfile for, the
// repository's Dockerfile is chosen instead, and the report says to check it.
func (m *Migration) build(a *app.App, man *app.Manifest) {
	_, statErr := os.Stat(filepath.Join(a.Dir, "Dockerfile"))
	own := statErr == nil
	m.Build = BuildChoice{Generated: a.Build.Generate, Why: a.Build.Reason}
	b, err := build.Choose(a, build.GenerateOptions{})
	switch {
	case err == nil && b.Plan != nil:
		m.Build.Generated, m.Build.Language = true, b.Plan.Language+" "+b.Plan.Version
	case err == nil:
		m.Build.Generated, m.Build.Dockerfile = false, b.Options.Dockerfile
	case errors.Is(err, build.ErrUndetected) && own && man.Build.Generate == nil:
		m.Build.Generated, m.Build.Dockerfile = false, "Dockerfile"
		m.Build.Why = a.Build.Reason + "; but Slipway generates Dockerfiles only for languages it detects, and detects none here, so it builds the repository's Dockerfile"
		m.Todo = append(m.Todo, "check that the repository's Dockerfile builds the app Heroku's buildpack built (Slipway cannot generate one for it)")
	case errors.Is(err, build.ErrUndetected):
		m.Build.Problem = err.Error()
		m.Todo = append(m.Todo, "add a Dockerfile: Slipway generates Dockerfiles only for languages it detects, and detects none here")
	default:
		m.Build.Problem = err.Error()
	}
	if b != nil {
		m.Build.Notes = b.Notes
	}
	if !own || man.Build.Dockerfile != "" || man.Build.Generate != nil {
		return
	}
	generate := m.Build.Generated
	man.Build.Generate = &generate
}

// formation maps Heroku's quantities and dyno sizes onto the process types.
func (m *Migration) formation(h *Heroku, a *app.App, man *app.Manifest) {
	byType := map[string]Formation{}
	for _, f := range h.Formation {
		byType[f.Type] = f
	}
	if man.Processes == nil {
		man.Processes = map[string]app.ProcessSettings{}
	}
	for _, p := range a.Processes {
		pm := ProcessMap{Type: p.Name, Command: p.Command, Source: p.Source, Replicas: p.Replicas, ReplicasFrom: "Slipway's default", Size: p.Size}
		if p.Size != "" {
			pm.SizeFrom = "app.json or slipway.yaml"
		}
		f, ok := byType[p.Name]
		switch {
		case ok:
			s := man.Processes[p.Name]
			q := f.Quantity
			s.Replicas = &q
			pm.Replicas, pm.ReplicasFrom = q, "Heroku's formation"
			if f.Size != "" {
				size := strings.ToLower(f.Size)
				if _, err := app.SizeResources(size); err != nil {
					m.Dropped = append(m.Dropped, Dropped{What: "dyno size " + f.Size + " of " + p.Name, Why: "not a size Slipway knows; give the type resources: {cpu, memory} in slipway.yaml"})
				} else {
					s.Size, s.Resources = size, nil
					pm.Size, pm.SizeFrom = size, "Heroku's formation"
				}
			}
			man.Processes[p.Name] = s
		case len(h.Formation) > 0 && h.FormationSource == "apps:info":
			// apps:info lists running dynos: a type without any was scaled to zero.
			s := man.Processes[p.Name]
			zero := 0
			s.Replicas = &zero
			pm.Replicas, pm.ReplicasFrom = 0, "Heroku's formation (no dynos running)"
			man.Processes[p.Name] = s
		case len(h.Formation) > 0:
			pm.ReplicasFrom = "Slipway's default (not in Heroku's formation)"
		}
		if pm.Size != "" {
			if r, err := app.SizeResources(pm.Size); err == nil {
				pm.Resources = describeResources(r)
			}
		}
		m.Processes = append(m.Processes, pm)
		delete(byType, p.Name)
	}
	for _, t := range slices.Sorted(maps.Keys(byType)) {
		m.Dropped = append(m.Dropped, Dropped{What: "formation " + t, Why: "no process type " + t + " in the Procfile (or heroku.yml run)"})
	}
	for k, s := range man.Processes {
		if s == (app.ProcessSettings{}) {
			delete(man.Processes, k)
		}
	}
}

func describeResources(r app.Resources) string {
	s := "cpu " + r.CPURequest + ", memory " + r.MemoryRequest
	if r.MemoryLimit != "" {
		s += " (limit " + r.MemoryLimit + ")"
	}
	return s
}

// domains puts the first custom domain on the environment; Slipway routes one host per
// environment, so the others are reported.
func (m *Migration) domains(h *Heroku, man *app.Manifest) {
	var custom []string
	for _, d := range h.Domains {
		if d.Kind == "heroku" || strings.HasSuffix(d.Hostname, ".herokuapp.com") {
			m.Dropped = append(m.Dropped, Dropped{What: "domain " + d.Hostname, Why: "Heroku's own hostname"})
			continue
		}
		if strings.HasPrefix(d.Hostname, "*.") {
			m.Dropped = append(m.Dropped, Dropped{What: "domain " + d.Hostname, Why: "a wildcard: Slipway routes one named host per environment; add the wildcard to the Ingress yourself"})
			continue
		}
		custom = append(custom, d.Hostname)
	}
	if len(custom) == 0 {
		return
	}
	if man.Environments == nil {
		man.Environments = map[string]app.ManifestEnvironment{}
	}
	e := man.Environments[m.Environment]
	e.Domain = custom[0]
	man.Environments[m.Environment] = e
	m.Domain = custom[0]
	m.Todo = append(m.Todo, fmt.Sprintf("point %s's DNS at the cluster's ingress, and turn on TLS for %s (environments.%s.tls in %s)", custom[0], m.Environment, m.Environment, app.ManifestFile))
	for _, d := range custom[1:] {
		m.Dropped = append(m.Dropped, Dropped{What: "domain " + d, Why: fmt.Sprintf("Slipway routes one host per environment (%s's is %s); redirect %s to it at your DNS provider, or add it to the Ingress yourself", m.Environment, custom[0], d)})
	}
}

// config sorts the exported config vars into imported and dropped.
func (m *Migration) config(h *Heroku, a *app.App) {
	if h.Config == nil {
		return
	}
	addonVar := map[string]string{}
	for _, ad := range h.Addons {
		for _, v := range ad.ConfigVars {
			addonVar[v] = ad.Service
		}
	}
	m.Config.File, m.Config.Format = h.ConfigFile, h.Config.Format
	for _, k := range h.Config.Keys {
		v := h.Config.Values[k]
		if why, drop := herokuOnly(k); drop {
			m.Config.Dropped = append(m.Config.Dropped, Dropped{What: k, Why: why})
			continue
		}
		if svc, ok := addonVar[k]; ok && !h.KeepAddonConfig {
			m.Config.Dropped = append(m.Config.Dropped, Dropped{What: k, Why: "set by the add-on " + svc + ", which stays on Heroku (see what to do)"})
			continue
		}
		if h.AddonsFile == "" && addonLike.MatchString(k) {
			m.Config.Notes = append(m.Config.Notes, Dropped{What: k, Why: "looks like an add-on's variable: imported as it is, so it still points at the resource on Heroku (with the add-ons export, add-ons' variables are left out and listed to do)"})
		}
		if note, ok := buildSetting(k); ok {
			m.Config.Notes = append(m.Config.Notes, Dropped{What: k, Why: note})
		}
		m.Config.Imported = append(m.Config.Imported, k)
		m.values[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(a.Vars)) {
		v := a.Vars[k]
		if _, ok := m.values[k]; ok || !v.Required || v.HasValue || v.Generate {
			continue
		}
		if _, ok := addonVar[k]; ok {
			continue // the add-on's to-do says to set it
		}
		todo := fmt.Sprintf("set %s (app.json says it is required", k)
		if v.Description != "" {
			todo += ": " + v.Description
		}
		m.Todo = append(m.Todo, todo+")")
	}
}

// addonLike matches the variables Heroku's data add-ons set (Postgres, Key-Value Store, Kafka).
var addonLike = regexp.MustCompile(`^(DATABASE_URL|REDIS_URL|REDIS_TLS_URL|HEROKU_(POSTGRESQL|REDIS)_[A-Z0-9_]+_URL|KAFKA_[A-Z0-9_]+)$`)

// herokuOnly says whether a config var only means something on Heroku, and why.
func herokuOnly(k string) (string, bool) {
	switch k {
	case "HEROKU_APP_ID", "HEROKU_APP_NAME", "HEROKU_DYNO_ID", "HEROKU_RELEASE_CREATED_AT",
		"HEROKU_RELEASE_VERSION", "HEROKU_SLUG_COMMIT", "HEROKU_SLUG_DESCRIPTION":
		return "Heroku's dyno metadata, which Heroku sets on each dyno", true
	case "HEROKU_BRANCH", "HEROKU_PR_NUMBER", "HEROKU_PARENT_APP_NAME":
		return "Heroku's review-app metadata", true
	case "BUILDPACK_URL", "LANGUAGE_PACK_URL":
		return "a buildpack URL: Slipway builds the app with a Dockerfile", true
	case "PORT":
		return "Slipway sets PORT for each process that listens", true
	case "DYNO":
		return "Slipway sets DYNO for each process (web.1, worker.2, …)", true
	}
	if strings.HasPrefix(k, "HEROKU_TEST_RUN_") {
		return "Heroku CI's metadata", true
	}
	return "", false
}

// buildSetting says what a buildpack's build setting means to Slipway's build.
func buildSetting(k string) (string, bool) {
	switch k {
	case "GOVERSION", "GO_INSTALL_PACKAGE_SPEC", "GO_LINKER_SYMBOL", "GO_LINKER_VALUE", "GO_SETUP_GOPATH_IN_IMAGE", "GO_INSTALL_TOOLS_IN_IMAGE":
		return "a setting of Heroku's Go buildpack: imported, but Slipway's build reads go.mod, not config vars", true
	case "NPM_CONFIG_PRODUCTION", "NODE_MODULES_CACHE", "USE_NPM_INSTALL", "YARN_PRODUCTION", "NODE_VERBOSE", "NPM_CONFIG_LOGLEVEL":
		return "a setting of Heroku's Node.js buildpack: imported, but Slipway's build does not read config vars", true
	case "DISABLE_COLLECTSTATIC", "PYTHON_RUNTIME":
		return "a setting of Heroku's Python buildpack: imported, but Slipway's build does not read config vars", true
	case "BUNDLE_WITHOUT", "BUNDLE_BUILD", "RAILS_SERVE_STATIC_FILES":
		return "a setting of Heroku's Ruby buildpack: imported as config (Slipway's build does not read config vars)", true
	}
	return "", false
}

// addons turns each add-on into what the user must do about it.
func (m *Migration) addons(h *Heroku) {
	for _, ad := range h.Addons {
		am := AddonMap{Name: ad.Name, Service: ad.Service, Plan: ad.Plan, Vars: ad.ConfigVars, Todo: addonTodo(ad)}
		if h.KeepAddonConfig && len(ad.ConfigVars) > 0 {
			am.Todo += "; its variables were imported and still point at Heroku's " + addonKind(ad)
		}
		m.Addons = append(m.Addons, am)
	}
}

// inputs reports the repository's inputs an import reads or leaves alone.
func (m *Migration) inputs(h *Heroku, a *app.App) {
	m.Sources = a.Sources
	entries, err := os.ReadDir(h.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, ".env") || e.IsDir() {
			continue
		}
		switch {
		case n == ".env":
			m.EnvFiles = append(m.EnvFiles, Dropped{What: n, Why: "read by slipway local, as by heroku local; never deployed"})
		case a.Environments[strings.TrimPrefix(n, ".env.")].EnvFile == n:
			m.EnvFiles = append(m.EnvFiles, Dropped{What: n, Why: "the " + strings.TrimPrefix(n, ".env.") + " environment's config file, read on each deploy there"})
		default:
			m.EnvFiles = append(m.EnvFiles, Dropped{What: n, Why: "not read by Slipway (a template or another tool's file)"})
		}
	}
	sort.Slice(m.EnvFiles, func(i, j int) bool { return m.EnvFiles[i].What < m.EnvFiles[j].What })
}
