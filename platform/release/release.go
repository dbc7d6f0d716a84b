package release

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/user"
	"slices"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/progress"
)

// Labels Slipway adds to Helm's release records, so that `slipway apps` finds them without
// decoding them.
const (
	LabelApp         = "slipway.dev/app"
	LabelEnvironment = "slipway.dev/environment"
)

// Manager operates one app's releases in one environment.
type Manager struct {
	// Kube is the connection, working in the environment's namespace.
	Kube *kube.Client
	// App is the app's name, which is its Helm release name.
	App string
	// Environment is the environment's name (staging).
	Environment string
	// Holder names who takes the deploy lock (default user@host pid N).
	Holder string
	// Progress receives what is happening (nil: nothing). Each event's Message is one line
	// of plain text.
	Progress progress.Func
	// Poll is how often a release looks at its release command and rollout to report them
	// to Progress (default 1s).
	Poll time.Duration
	// LockDuration is the lock's lease duration (default 10s).
	LockDuration time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Copy copies an image by digest into another repository, for promotions between
	// environments with different registries (default image.Copy).
	Copy func(ctx context.Context, from image.Ref, to string) (image.Ref, error)
	// Refusals says how a deploy watches for pods the cluster refuses to create (zero: the
	// defaults of kube.RefusalWatch).
	Refusals kube.RefusalWatch
	// Helm is Helm's action configuration for the namespace (its release store and
	// Kubernetes client); nil: one is made from Kube's connection.
	Helm *action.Configuration

	once    sync.Once
	helm    *action.Configuration
	helmErr error
}

// Release is one revision of the app in the environment.
type Release struct {
	Revision    int
	Status      string
	Description string
	// Image is the image reference every process ran (repository@digest, or :tag).
	Image string
	// Version is the source version (git sha) the image was built from, if known.
	Version string
	Updated time.Time
}

// Holder returns the default lock holder: user@host pid N.
func Holder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
}

// send reports an event whose message is format's text.
func (m *Manager) send(phase progress.Phase, status progress.Status, format string, args ...any) {
	m.Progress.Send(progress.Event{Phase: phase, Status: status, Message: fmt.Sprintf(format, args...)})
}

// cfg is Helm's action configuration for the namespace: m.Helm, or one built once.
func (m *Manager) cfg() (*action.Configuration, error) {
	m.once.Do(func() {
		if m.Helm != nil {
			m.helm = m.Helm
			return
		}
		c := new(action.Configuration)
		err := c.Init(m.Kube.Getter, m.Kube.Namespace, "secret", func(string, ...any) {})
		if err != nil {
			m.helmErr = m.Kube.Explain(fmt.Errorf("connect Helm to %s: %w", m.Kube.Namespace, err))
			return
		}
		m.helm = c
	})
	return m.helm, m.helmErr
}

// History returns the app's releases in the environment, newest first. Nothing deployed
// is an empty list.
func (m *Manager) History(ctx context.Context) ([]Release, error) {
	rels, err := m.history()
	if err != nil {
		return nil, err
	}
	out := make([]Release, 0, len(rels))
	for i := len(rels) - 1; i >= 0; i-- {
		out = append(out, summary(rels[i]))
	}
	return out, nil
}

// history returns Helm's releases, oldest first.
func (m *Manager) history() ([]*release.Release, error) {
	cfg, err := m.cfg()
	if err != nil {
		return nil, err
	}
	rels, err := cfg.Releases.History(m.App)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, m.Kube.Explain(fmt.Errorf("read the releases of %s in %s: %w", m.App, m.Kube.Namespace, err))
	}
	slices.SortFunc(rels, func(a, b *release.Release) int { return cmp.Compare(a.Version, b.Version) })
	return rels, nil
}

// current returns the deployed release, or nil when none is.
func (m *Manager) current() (*release.Release, error) {
	rels, err := m.history()
	if err != nil {
		return nil, err
	}
	return deployed(rels), nil
}

// deployed returns the deployed release of rels (oldest first), or nil.
func deployed(rels []*release.Release) *release.Release {
	for i := len(rels) - 1; i >= 0; i-- {
		if rels[i].Info.Status == release.StatusDeployed {
			return rels[i]
		}
	}
	return nil
}

// NotDeployedError says the environment has no deployed release of the app.
type NotDeployedError struct {
	App, Environment, Namespace string
}

func (e *NotDeployedError) Error() string {
	return fmt.Sprintf("%s has no deployed release in %s (namespace %s)", e.App, e.Environment, e.Namespace)
}

// Hint says how to deploy it.
func (e *NotDeployedError) Hint() string {
	return "deploy it first: slipway deploy -e " + e.Environment
}

func (m *Manager) notDeployed() error {
	return &NotDeployedError{App: m.App, Environment: m.Environment, Namespace: m.Kube.Namespace}
}

// Current returns the deployed release, or a *NotDeployedError.
func (m *Manager) Current(ctx context.Context) (*Release, error) {
	rel, err := m.current()
	if err != nil {
		return nil, err
	}
	if rel == nil {
		return nil, m.notDeployed()
	}
	s := summary(rel)
	return &s, nil
}

func summary(r *release.Release) Release {
	s := Release{Revision: r.Version, Status: r.Info.Status.String(), Description: r.Info.Description, Updated: r.Info.LastDeployed.Time}
	if v, err := valuesOf(r); err == nil {
		s.Image = imageRef(v.Image)
		s.Version = v.App.Version
	}
	return s
}

func imageRef(i charts.ImageValues) string {
	if i.Digest != "" {
		return i.Repository + "@" + i.Digest
	}
	tag := i.Tag
	if tag == "" {
		tag = charts.DefaultTag
	}
	return i.Repository + ":" + tag
}

// valuesOf decodes a release's values (the merged ones: chart defaults and the release's).
func valuesOf(r *release.Release) (*charts.Values, error) {
	merged := map[string]any{}
	if r.Chart != nil {
		maps.Copy(merged, r.Chart.Values)
	}
	maps.Copy(merged, r.Config)
	b, err := json.Marshal(merged)
	if err != nil {
		return nil, err
	}
	var v charts.Values
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("read the values of v%d: %w", r.Version, err)
	}
	if v.Processes == nil {
		v.Processes = map[string]charts.ProcessValues{}
	}
	if v.Config.Data == nil {
		v.Config.Data = map[string]string{}
	}
	return &v, nil
}

func valuesMap(v *charts.Values) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// processNames lists the Procfile spellings of the process types in v, sorted.
func processNames(v *charts.Values) []string {
	var names []string
	for k, p := range v.Processes {
		names = append(names, cmp.Or(p.Name, k))
	}
	slices.Sort(names)
	return names
}

// processKey finds a process type in v by its Kubernetes or Procfile name.
func processKey(v *charts.Values, name string) (string, bool) {
	if _, ok := v.Processes[name]; ok {
		return name, true
	}
	for k, p := range v.Processes {
		if p.Name == name {
			return k, true
		}
	}
	return "", false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
