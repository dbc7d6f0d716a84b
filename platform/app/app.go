package app

import (
	"fmt"
	"sort"
)

// App is one application: its process types, config, schedule and platform settings.
type App struct {
	// Name is the app's DNS-label name: slipway.yaml's name, else the directory's made a
	// DNS label. app.json's name never names the app: it is the title Heroku's Deploy button
	// shows ("Start on Heroku: Go"), not a Heroku app's name.
	Name string
	// Dir is the directory the app was loaded from.
	Dir string
	// Processes are the long-running process types, in Procfile order.
	Processes []Process
	// Release is the release-phase command, or nil.
	Release *Release
	// Cron are the scheduled tasks.
	Cron []Cron
	// Vars are the config vars the app declares (app.json env), by name.
	Vars map[string]Var
	// Image says where the app's image lives.
	Image Image
	// Environments are the deploy targets, by name.
	Environments map[string]Environment
	// Build holds build settings from heroku.yml and slipway.yaml.
	Build Build
	// PostDeploy is app.json's scripts.postdeploy, if any.
	PostDeploy string
	// Sources lists the files the app was loaded from, relative to Dir.
	Sources []string
	// Warnings are things tolerated but worth telling the user, in the order found.
	Warnings []Warning
}

// Process is one long-running process type.
type Process struct {
	// Name is the type as written in the Procfile (worker_beat).
	Name string
	// KubeName is its DNS-label form (worker-beat), used in object names.
	KubeName string
	// Command is the command line as written.
	Command string
	// Source says where the command came from ("Procfile:3", "heroku.yml").
	Source string
	// Replicas is the initial quantity (formation).
	Replicas int
	// Port is the port the process listens on (PORT); 0 for none.
	Port int
	// Routed processes receive traffic from the Ingress (web by default).
	Routed bool
	// Singleton processes run at most one pod and are replaced with Recreate (clock, scheduler).
	Singleton bool
	// Size is the Heroku dyno size the resources come from, if one was given.
	Size string
	// Resources are the container's requests and limits.
	Resources Resources
	// Health holds the declared probes.
	Health Health
	// Autoscale, when set, puts the type under an HPA.
	Autoscale *Autoscale
	// SessionAffinity keeps a client on one pod (websockets, socket.io).
	SessionAffinity bool
	// GracePeriod is the seconds between SIGTERM and SIGKILL.
	GracePeriod int
}

// Release is the release-phase command, run once per deploy before the new version starts.
type Release struct {
	Command string
	Source  string
	// Timeout is the deadline in seconds.
	Timeout int
}

// Cron is one scheduled task.
type Cron struct {
	// Name is a stable DNS-label name derived from the schedule and command.
	Name     string
	Schedule string
	Command  string
	Source   string
	// ConcurrencyPolicy is Kubernetes' Allow, Forbid or Replace.
	ConcurrencyPolicy string
	Suspend           bool
}

// Var is a config var declared by app.json.
type Var struct {
	Name        string
	Description string
	// Value is the default; HasValue tells an empty default from none.
	Value    string
	HasValue bool
	Required bool
	// Generate is true for generator: "secret": a random value made once and kept.
	Generate bool
}

// Resources are Kubernetes quantities; empty strings are left out.
type Resources struct {
	CPURequest    string
	MemoryRequest string
	CPULimit      string
	MemoryLimit   string
}

// Health holds the probes of a process type.
type Health struct {
	Startup   *Probe
	Readiness *Probe
	Liveness  *Probe
}

// Probe is a health check: exactly one of Path (HTTP GET), Command (exec) or TCP is used.
type Probe struct {
	Path    string
	Port    int
	Command []string
	TCP     bool
	// Scheme is HTTP or HTTPS for Path checks.
	Scheme              string
	InitialDelaySeconds int
	PeriodSeconds       int
	TimeoutSeconds      int
	FailureThreshold    int
}

// Autoscale puts a process type under a HorizontalPodAutoscaler.
type Autoscale struct {
	Min, Max int
	// CPU is the target average CPU utilisation in percent.
	CPU int
}

// Image says where the app's image is pushed and pulled.
type Image struct {
	// Repository is "registry/name" without a tag.
	Repository string
	// Configured is true when slipway.yaml sets Repository (at the top or for the
	// environment); false when it is the default, the app's name.
	Configured bool
	// PullSecrets are docker-registry Secrets for a private registry.
	PullSecrets []string
}

// Build holds build settings: how the image is built, and why.
//
// As on Heroku, an app is built the way buildpacks would build it — with Slipway's own
// Dockerfile, generated for the detected language — unless it is a container app: one whose
// heroku.yml has build.docker, or whose app.json stack is "container". slipway.yaml's
// build.generate and build.dockerfile decide over both.
type Build struct {
	// Generate says Slipway builds with its own Dockerfile, generated for the detected
	// language, even when the repository has one; false, with the repository's Dockerfile
	// (Dockerfile).
	Generate bool
	// Dockerfile is the repository's Dockerfile relative to Dir, when slipway.yaml or
	// heroku.yml names one; "" for ./Dockerfile. Always "" when Generate is set.
	Dockerfile string
	// Reason says, for front ends to show, what made the choice and why: "heroku.yml
	// build.languages: Heroku builds this app with buildpacks", "no heroku.yml build.docker:
	// Heroku builds this app with buildpacks".
	Reason string
	// Source is where the choice is stated ("slipway.yaml:7", "heroku.yml:3", "app.json"); ""
	// when nothing states it and Heroku's rule for an app without heroku.yml build.docker
	// made it. Only such a choice gives way: when Slipway detects no language it builds, the
	// repository's Dockerfile is used instead, as Dokku would.
	Source string
	// Args are build args.
	Args map[string]string
}

// Environment is one deploy target (staging, production, …).
type Environment struct {
	Name      string
	Namespace string
	// Context is the kubeconfig context; empty for the current one.
	Context string
	// Domain is the host the routed process is served on.
	Domain string
	TLS    TLS
	// IngressClass is the Ingress class name.
	IngressClass string
	// Websocket asks the Ingress for long timeouts.
	Websocket bool
	// EnvFile is the env file for this environment, relative to Dir.
	EnvFile string
	// Branch is the git branch whose pushes deploy here, as slipway.yaml sets it (see
	// BranchEnvironments for the default).
	Branch string
	// Image overrides the app's registry and pull secrets in this environment (zero: the
	// app's).
	Image Image
	// Processes override per-type settings for this environment.
	Processes map[string]ProcessSettings
}

// TLS configures the Ingress certificate.
type TLS struct {
	Enabled bool
	// SecretName is the certificate Secret (default "<app>-tls").
	SecretName string
	// ClusterIssuer adds cert-manager's annotation.
	ClusterIssuer string
}

// Warning is something tolerated but worth telling the user.
type Warning struct {
	File    string
	Line    int
	Message string
}

// String renders the warning as "file:line: message".
func (w Warning) String() string {
	switch {
	case w.File == "":
		return w.Message
	case w.Line > 0:
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message)
	default:
		return fmt.Sprintf("%s: %s", w.File, w.Message)
	}
}

// Process returns the process type with the given Procfile or Kubernetes name.
func (a *App) Process(name string) (*Process, bool) {
	for i := range a.Processes {
		if a.Processes[i].Name == name || a.Processes[i].KubeName == name {
			return &a.Processes[i], true
		}
	}
	return nil, false
}

// ProcessNames returns the Procfile names of the process types, in order.
func (a *App) ProcessNames() []string {
	names := make([]string, len(a.Processes))
	for i, p := range a.Processes {
		names[i] = p.Name
	}
	return names
}

// EnvironmentNames returns the environment names, sorted.
func (a *App) EnvironmentNames() []string {
	names := make([]string, 0, len(a.Environments))
	for n := range a.Environments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (a *App) warn(file string, line int, format string, args ...any) {
	a.Warnings = append(a.Warnings, Warning{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}
