// Package env opens "app X in environment Y": it loads the app (from its directory, or takes
// its name alone when no app files are at hand), finds the environment's namespace and
// kube context, and connects to its cluster. Every front end (the CLI's cluster commands,
// the terminal UI, the git server) starts an operation here, so the rules for naming the
// namespace and choosing the context exist once.
package env

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/kube"
	"github.com/slipwayhq/slipway/platform/progress"
	"github.com/slipwayhq/slipway/platform/release"
)

// Default is the environment an operation works on when none is named.
const Default = "staging"

// Options say which app and environment to open, and how to reach its cluster.
type Options struct {
	// Dir is the app's directory.
	Dir string
	// App names the app. With app files in Dir it overrides the name they give; without
	// them (and NeedApp false) the app is known by this name alone.
	App string
	// Environment is the environment's name (default Default).
	Environment string
	// NeedApp says the operation needs the app's files (a deploy), not only its name.
	NeedApp bool
	// NameOnly opens the app by App alone even when Dir holds another app's files (a
	// dashboard looking at every app of a cluster).
	NameOnly bool
	// Namespace, when set, is where the app was found running; it wins over the rule
	// (a namespace set in slipway.yaml is not known from the name alone).
	Namespace string
	// Kubeconfig and Context choose the cluster as kubectl's flags do; Context overrides
	// the environment's own context from slipway.yaml.
	Kubeconfig, Context string
	// Connect makes the cluster client (default kube.Connect).
	Connect func(kube.Config) (*kube.Client, error)
}

// Env is one app in one environment, connected to its cluster.
type Env struct {
	// App is the loaded app; nil when the app is known by its name alone.
	App *app.App
	// Name is the app's name; Environment the environment's; Namespace where it runs.
	Name, Environment, Namespace string
	// Kube is the connection, working in Namespace.
	Kube *kube.Client
	// Warnings are what loading the app found questionable; the front end shows them.
	Warnings []app.Warning
}

// Open opens the environment o names. It does not contact the cluster.
func Open(o Options) (*Env, error) {
	name := o.Environment
	if name == "" {
		name = Default
	}
	e := &Env{Environment: name}
	var kubeContext string
	if !o.NeedApp && o.App != "" && (o.NameOnly || !HasAppFiles(o.Dir)) {
		if err := app.CheckName(o.App); err != nil {
			return nil, err
		}
		e.Name, e.Namespace = o.App, app.DefaultNamespace(o.App, name)
	} else {
		a, err := app.Load(o.Dir, app.Options{Name: o.App, Environment: name})
		if err != nil {
			return nil, err
		}
		env := a.Environments[name] // Load refuses an environment the app does not define
		e.App, e.Name, e.Namespace, e.Warnings, kubeContext = a, a.Name, env.Namespace, a.Warnings, env.Context
	}
	if o.Namespace != "" {
		e.Namespace = o.Namespace
	}
	if o.Context != "" {
		kubeContext = o.Context
	}
	connect := o.Connect
	if connect == nil {
		connect = kube.Connect
	}
	k, err := connect(kube.Config{Kubeconfig: o.Kubeconfig, Context: kubeContext, Namespace: e.Namespace})
	if err != nil {
		return nil, err
	}
	e.Kube = k
	return e, nil
}

// Releases is the release manager of the app in this environment; progress receives what
// its operations do (nil drops it).
func (e *Env) Releases(progress progress.Func) *release.Manager {
	return &release.Manager{Kube: e.Kube, App: e.Name, Environment: e.Environment, Progress: progress}
}

// HasAppFiles reports whether dir holds any of the files an app is read from.
func HasAppFiles(dir string) bool {
	for _, f := range []string{app.ProcfileFile, app.ManifestFile, app.AppJSONFile, app.HerokuYMLFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}
