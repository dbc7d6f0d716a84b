package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/release"
	"github.com/slipwayhq/slipway/platform/safefile"
)

// Migration is what an import does, or would do: the report a front end shows, as text
// or JSON. It never holds a config value where JSON or text would show it.
type Migration struct {
	// App is the app's name; AppFrom says where it came from.
	App         string `json:"app"`
	AppFrom     string `json:"appFrom"`
	Environment string `json:"environment"`
	// Sources are the repository's files the app was read from.
	Sources []string    `json:"sources"`
	Build   BuildChoice `json:"build"`
	// Processes are the process types with their quantity and size.
	Processes []ProcessMap `json:"processes"`
	// Domain is the host the environment serves, from Heroku's custom domains.
	Domain string    `json:"domain,omitempty"`
	Config ConfigMap `json:"config"`
	// Addons are the add-ons, each with what to do about it.
	Addons []AddonMap `json:"addons"`
	// EnvFiles are the repository's .env* files and what Slipway does with each.
	EnvFiles []Dropped `json:"envFiles"`
	// Dropped are the exports' parts that have no place on Slipway, with why.
	Dropped []Dropped `json:"dropped"`
	// Todo is what the user must do that the import cannot.
	Todo []string `json:"todo"`
	// Warnings are the app's own (Procfile, app.json, heroku.yml …).
	Warnings []string `json:"warnings"`
	// Files are the files the import writes, with their state.
	Files []FileChange `json:"files"`
	// Changes lists what differs from what is already there (files, cluster config): a
	// re-run applies them only when forced.
	Changes []string `json:"changes"`
	// Applied is true once Apply changed what the plan says; false for a plan, or when Apply
	// refused to replace what exists.
	Applied bool `json:"applied"`

	values   map[string]string
	manifest []byte
	// envFile is the environment's env file, as the slipway.yaml to be written names it.
	envFile string
}

// BuildChoice is how the image is built.
type BuildChoice struct {
	// Dockerfile is the repository's Dockerfile that is built; empty when Generated.
	Dockerfile string `json:"dockerfile,omitempty"`
	Generated  bool   `json:"generated"`
	// Language is the detected language and version a generated Dockerfile builds.
	Language string `json:"language,omitempty"`
	// Why says what decided it; Notes what may surprise (a Dockerfile left unused).
	Why   string   `json:"why,omitempty"`
	Notes []string `json:"notes,omitempty"`
	// Problem is why the image cannot be built as things are.
	Problem string `json:"problem,omitempty"`
}

// ProcessMap is one process type after the import.
type ProcessMap struct {
	Type         string `json:"type"`
	Command      string `json:"command"`
	Source       string `json:"source"`
	Replicas     int    `json:"replicas"`
	ReplicasFrom string `json:"replicasFrom"`
	Size         string `json:"size,omitempty"`
	SizeFrom     string `json:"sizeFrom,omitempty"`
	Resources    string `json:"resources,omitempty"`
}

// ConfigMap is what became of the exported config vars (names only).
type ConfigMap struct {
	File     string    `json:"file,omitempty"`
	Format   string    `json:"format,omitempty"`
	Imported []string  `json:"imported"`
	Dropped  []Dropped `json:"dropped"`
	// Notes are imported vars worth a word (a buildpack's build settings).
	Notes []Dropped `json:"notes"`
	// Destination is where the values went or go: "cluster" or "file"; Target names the
	// environment's release or the file; Reason says why a file when a cluster was asked for.
	Destination string `json:"destination,omitempty"`
	Target      string `json:"target,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// Release is the config release made in the cluster (vN), when one was.
	Release int `json:"release,omitempty"`
}

// AddonMap is one add-on and what to do about it.
type AddonMap struct {
	Name    string   `json:"name"`
	Service string   `json:"service"`
	Plan    string   `json:"plan"`
	Vars    []string `json:"vars"`
	Todo    string   `json:"todo"`
}

// Dropped is something left behind (or only noted), with why.
type Dropped struct {
	What string `json:"what"`
	Why  string `json:"why"`
}

// FileChange is one file the import writes.
type FileChange struct {
	Path string `json:"path"`
	// State is "create", "update" or "unchanged".
	State string `json:"state"`
	// Mode is the file's permission bits as written.
	Mode string `json:"mode"`
	// Diff are the changed lines of an update ("-old", "+new"); never for the config file,
	// whose changes are listed by name in Changes.
	Diff []string `json:"diff,omitempty"`

	data []byte
	perm fs.FileMode
}

// ConfigStore is an environment's config in the cluster: a release.Manager.
type ConfigStore interface {
	Config(ctx context.Context) (map[string]string, error)
	SetConfig(ctx context.Context, vars map[string]string, timeout time.Duration) (*release.Result, error)
}

var _ ConfigStore = (*release.Manager)(nil)

// ApplyOptions say where config goes and whether what exists may be replaced.
type ApplyOptions struct {
	// Cluster is the environment's config when the user asked for the cluster; ClusterErr
	// why it could not be opened. With neither, the values go to the environment's file.
	Cluster    ConfigStore
	ClusterErr error
	// Force replaces what differs from what exists (slipway.yaml, the config file, config
	// vars already set in the cluster).
	Force bool
	// Timeout is the config release's rollout deadline.
	Timeout time.Duration
}

// ErrWouldChange is returned by Apply when the import would replace what exists and was
// not forced: nothing was changed, and Migration.Changes says what would be.
var ErrWouldChange = errors.New("the import would change what is already there")

// envFileHeader heads the config file an import writes.
const envFileHeader = `config vars imported from Heroku by slipway import heroku.
Secrets: this file is mode 0600 and listed in .gitignore and .dockerignore; keep it out of git.
slipway deploy -e %s reads it (and later config set/unset in the cluster win over it).`

// Apply carries the plan out: config into the cluster or the environment's file, then
// slipway.yaml and the ignore files. When something that exists would be replaced and
// o.Force is false it changes nothing and returns ErrWouldChange.
func (m *Migration) Apply(ctx context.Context, dir string, o ApplyOptions) error {
	var current map[string]string
	if len(m.values) > 0 {
		var err error
		current, err = m.configTarget(ctx, dir, o)
		if err != nil {
			return err
		}
		m.configChanges(current)
	}
	if len(m.Changes) > 0 && !o.Force {
		return ErrWouldChange
	}
	d, err := safefile.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	for _, f := range m.Files {
		if err := d.Check(f.Path); err != nil {
			return err
		}
	}
	if m.Config.Destination == "cluster" {
		set := map[string]string{}
		for k, v := range m.values {
			if cur, ok := current[k]; !ok || cur != v {
				set[k] = v
			}
		}
		if len(set) > 0 {
			res, err := o.Cluster.SetConfig(ctx, set, o.Timeout)
			if err != nil {
				return err
			}
			m.Config.Release = res.Release.Revision
		}
	}
	for i := range m.Files {
		f := &m.Files[i]
		if f.State == "unchanged" {
			continue
		}
		if err := d.WriteFile(f.Path, f.data, f.perm); err != nil {
			return err
		}
	}
	m.Applied = true
	return nil
}

// configTarget decides where the values go and returns what is there now.
func (m *Migration) configTarget(ctx context.Context, dir string, o ApplyOptions) (map[string]string, error) {
	if o.Cluster != nil {
		cur, err := o.Cluster.Config(ctx)
		var nd *release.NotDeployedError
		switch {
		case err == nil:
			m.Config.Destination, m.Config.Target = "cluster", m.Environment
			return cur, nil
		case errors.As(err, &nd):
			m.Config.Reason = fmt.Sprintf("%s is not deployed in %s yet, so there is no release to set config in; the first deploy there reads the file", m.App, m.Environment)
		default:
			m.Config.Reason = "the cluster could not be read: " + err.Error()
		}
	} else if o.ClusterErr != nil {
		m.Config.Reason = "the cluster could not be reached: " + o.ClusterErr.Error()
	}
	m.Config.Destination, m.Config.Target = "file", m.envFile
	return m.configFile(dir, m.envFile)
}

// configFile plans the environment's config file: what it holds now, merged with the
// imported values (vars only in the file stay).
func (m *Migration) configFile(dir, name string) (map[string]string, error) {
	ef, found, err := app.ReadAppEnvFile(dir, name)
	if err != nil {
		return nil, err
	}
	cur := map[string]string{}
	if found {
		cur = ef.Vars
	}
	merged := maps.Clone(cur)
	maps.Copy(merged, m.values)
	data, err := app.FormatEnv(fmt.Sprintf(envFileHeader, m.Environment), slices.Sorted(maps.Keys(merged)), merged)
	if err != nil {
		return nil, err
	}
	f := FileChange{Path: name, State: "create", Mode: "0600", data: data, perm: 0o600}
	if found {
		f.State = "update"
		if maps.Equal(cur, merged) {
			f.State = "unchanged"
		}
	}
	m.Files = append([]FileChange{f}, m.Files...)
	for _, ig := range []string{".gitignore", ".dockerignore"} {
		fc, ok, err := ignoreFile(dir, ig, name)
		if err != nil {
			return nil, err
		}
		if ok {
			m.Files = append(m.Files, fc)
		}
	}
	return cur, nil
}

// configChanges lists the vars whose value would replace another (names only).
func (m *Migration) configChanges(current map[string]string) {
	var changed []string
	for _, k := range m.Config.Imported {
		if cur, ok := current[k]; ok && cur != m.values[k] {
			changed = append(changed, k)
		}
	}
	if len(changed) > 0 {
		where := m.Config.Target
		if m.Config.Destination == "cluster" {
			where = "the cluster's config of " + m.Environment
		}
		m.Changes = append(m.Changes, fmt.Sprintf("%s: replace the value of %s", where, strings.Join(changed, ", ")))
	}
}

// plannedFiles adds slipway.yaml to the files, with what differs from the existing one.
func (m *Migration) plannedFiles(existing []byte) {
	f := FileChange{Path: app.ManifestFile, State: "create", Mode: "0644", data: m.manifest, perm: 0o644}
	if existing != nil {
		f.State = "unchanged"
		if !bytes.Equal(existing, m.manifest) {
			f.State, f.Diff = "update", lineDiff(string(existing), string(m.manifest))
			m.Changes = append(m.Changes, app.ManifestFile+": rewrite (see its diff)")
		}
	}
	m.Files = append(m.Files, f)
}

// ignoreFile plans adding name to an ignore file, when it is not listed yet. An ignore file
// that cannot be read is an error: it is never replaced unread.
func ignoreFile(dir, ignore, name string) (FileChange, bool, error) {
	data, err := app.ReadAppFile(dir, ignore)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		data = nil
	case err != nil:
		return FileChange{}, false, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if l == name || l == "/"+name {
			return FileChange{}, false, nil
		}
	}
	state := "create"
	if data != nil {
		state = "update"
		if !bytes.HasSuffix(data, []byte("\n")) && len(data) > 0 {
			data = append(data, '\n')
		}
	}
	out := append(slices.Clone(data), []byte("# config vars imported from Heroku (secrets)\n/"+name+"\n")...)
	return FileChange{Path: ignore, State: state, Mode: "0644", data: out, perm: 0o644}, true, nil
}

// lineDiff returns the lines removed from a ("-") and added in b ("+"), in order, from a
// longest common subsequence of lines.
func lineDiff(a, b string) []string {
	x, y := strings.Split(strings.TrimSuffix(a, "\n"), "\n"), strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	n, k := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, k+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := k - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < k {
		switch {
		case i < n && j < k && x[i] == y[j]:
			i, j = i+1, j+1
		case i < n && (j == k || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "-"+x[i])
			i++
		default:
			out = append(out, "+"+y[j])
			j++
		}
	}
	return out
}
