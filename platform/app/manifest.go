package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ManifestFile is the name of Slipway's own settings file.
const ManifestFile = "slipway.yaml"

// Manifest is slipway.yaml: what only a platform knows. Every field is optional.
type Manifest struct {
	// Name is the app name (a DNS label).
	Name string `yaml:"name,omitempty"`
	// Image is where the image is pushed and pulled.
	Image ManifestImage `yaml:"image,omitempty"`
	// Build holds build settings.
	Build ManifestBuild `yaml:"build,omitempty"`
	// Release holds release-phase settings.
	Release ManifestRelease `yaml:"release,omitempty"`
	// Processes are per-type settings, keyed by Procfile name.
	Processes map[string]ProcessSettings `yaml:"processes,omitempty"`
	// Environments are the deploy targets, keyed by name.
	Environments map[string]ManifestEnvironment `yaml:"environments,omitempty"`
}

// ManifestImage is slipway.yaml's image section.
type ManifestImage struct {
	// Repository is "registry/name"; defaults to the app name.
	Repository string `yaml:"repository,omitempty"`
	// PullSecret is one docker-registry Secret; PullSecrets several.
	PullSecret  string   `yaml:"pullSecret,omitempty"`
	PullSecrets []string `yaml:"pullSecrets,omitempty"`
}

// ManifestBuild is slipway.yaml's build section.
type ManifestBuild struct {
	// Generate, when set, chooses how the image is built: true, always with Slipway's own
	// Dockerfile, generated for the detected language (as Heroku builds with buildpacks);
	// false, with the repository's Dockerfile (Dockerfile, or ./Dockerfile). Unset, Heroku's
	// rule decides (see Build).
	Generate *bool `yaml:"generate,omitempty"`
	// Dockerfile is the repository's Dockerfile to build with, relative to the app.
	Dockerfile string `yaml:"dockerfile,omitempty"`
	// Args are build args.
	Args map[string]string `yaml:"args,omitempty"`
}

// ManifestRelease is slipway.yaml's release section.
type ManifestRelease struct {
	// Timeout is the release Job's deadline in seconds.
	Timeout int `yaml:"timeout,omitempty"`
}

// ProcessSettings are the platform settings of one process type.
type ProcessSettings struct {
	Replicas *int  `yaml:"replicas,omitempty"`
	Port     *int  `yaml:"port,omitempty"`
	Routed   *bool `yaml:"routed,omitempty"`
	// Singleton: at most one pod, Recreate strategy.
	Singleton *bool `yaml:"singleton,omitempty"`
	// Size is a Heroku dyno size (standard-1x, performance-m, …).
	Size      string               `yaml:"size,omitempty"`
	Resources *ManifestResources   `yaml:"resources,omitempty"`
	Health    *ManifestHealthcheck `yaml:"healthcheck,omitempty"`
	Autoscale *ManifestAutoscale   `yaml:"autoscale,omitempty"`
	// SessionAffinity keeps clients on one pod (websockets).
	SessionAffinity *bool `yaml:"sessionAffinity,omitempty"`
	// GracePeriod is seconds from SIGTERM to SIGKILL.
	GracePeriod *int `yaml:"gracePeriod,omitempty"`
}

// ManifestResources are explicit requests and limits.
type ManifestResources struct {
	CPU    string `yaml:"cpu,omitempty"`
	Memory string `yaml:"memory,omitempty"`
	// CPULimit and MemoryLimit default to none and to Memory.
	CPULimit    string `yaml:"cpuLimit,omitempty"`
	MemoryLimit string `yaml:"memoryLimit,omitempty"`
}

// ManifestHealthcheck declares how to tell a process is healthy: an HTTP path (on Port, or
// the process's port), a TCP port, or a command.
type ManifestHealthcheck struct {
	Path    string      `yaml:"path,omitempty"`
	Port    int         `yaml:"port,omitempty"`
	Command StringOrSeq `yaml:"command,omitempty"`
	// InitialDelay, Period and Timeout are seconds; Attempts is the failure threshold.
	InitialDelay int `yaml:"initialDelay,omitempty"`
	Period       int `yaml:"period,omitempty"`
	Timeout      int `yaml:"timeout,omitempty"`
	Attempts     int `yaml:"attempts,omitempty"`
}

// ManifestAutoscale is a process's HPA.
type ManifestAutoscale struct {
	Min int `yaml:"min"`
	Max int `yaml:"max"`
	CPU int `yaml:"cpu,omitempty"`
}

// ManifestEnvironment is one deploy target.
type ManifestEnvironment struct {
	Namespace    string       `yaml:"namespace,omitempty"`
	Context      string       `yaml:"context,omitempty"`
	Domain       string       `yaml:"domain,omitempty"`
	TLS          *ManifestTLS `yaml:"tls,omitempty"`
	IngressClass string       `yaml:"ingressClass,omitempty"`
	Websocket    bool         `yaml:"websocket,omitempty"`
	EnvFile      string       `yaml:"envFile,omitempty"`
	// Branch is the git branch whose pushes deploy to this environment.
	Branch    string                     `yaml:"branch,omitempty"`
	Processes map[string]ProcessSettings `yaml:"processes,omitempty"`
	// Image overrides the registry (and pull secrets) for this environment: promotion copies
	// the image there by digest.
	Image *ManifestImage `yaml:"image,omitempty"`
}

// ManifestTLS is an environment's certificate settings.
type ManifestTLS struct {
	Enabled       bool   `yaml:"enabled"`
	SecretName    string `yaml:"secretName,omitempty"`
	ClusterIssuer string `yaml:"clusterIssuer,omitempty"`
}

// StringOrSeq is a command given as one shell string or as an argv list.
type StringOrSeq []string

// UnmarshalYAML accepts a string (run through /bin/sh -c) or a sequence of strings.
func (s *StringOrSeq) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = StringOrSeq{"/bin/sh", "-c", n.Value}
		return nil
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		*s = list
		return nil
	}
	return fmt.Errorf("line %d: command must be a string or a list of strings", n.Line)
}

var (
	yamlLineRE    = regexp.MustCompile(`^line (\d+): `)
	yamlUnknownRE = regexp.MustCompile(`(?s)field (.*) not found in type \S+$`) // the key may hold spaces
	// yaml quotes the value of a scalar (`abc`, which may itself hold a backtick) but gives
	// none for a sequence or mapping; the tag is !!str, !!seq, … or the file's own (!foo);
	// the Go type may have spaces (struct { … }).
	yamlTypeRE = regexp.MustCompile(`(?s)cannot unmarshal (\S+)(?: ` + "`" + `(.*)` + "`" + `)? into (.+)$`)
)

// ParseManifest decodes slipway.yaml strictly: an unknown field is an error, so a typo
// never silently does nothing. Errors carry file:line.
func ParseManifest(data []byte, file string) (*Manifest, error) {
	var m Manifest
	if len(bytes.TrimSpace(data)) == 0 {
		return &m, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return &m, nil // only comments: an empty document
		}
		return nil, manifestError(file, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &FileError{File: file, Line: extra.Line, Msg: "a second YAML document (after ---); slipway.yaml holds one"}
	}
	return &m, nil
}

// manifestError turns yaml's messages ("yaml: unmarshal errors:\n  line 3: field x not
// found in type app.ProcessSettings") into located ones a user reads without Go types.
// Each message names the field it is about (processes.web.replicas) when the line shows it.
func manifestError(file string, data []byte, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var root yaml.Node
		_ = yaml.Unmarshal(data, &root)
		msgs := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			msgs = append(msgs, file+":"+withField(&root, humanYAML(e)))
		}
		return &FileError{File: file, Msg: strings.Join(msgs, "\n"), prelocated: true}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		return &FileError{File: file, Msg: file + ":" + m[1] + ": " + msg[len(m[0]):], prelocated: true}
	}
	return &FileError{File: file, Msg: msg}
}

// withField puts the dotted path of the field on the message's line after the line number:
// "3: processes.web.replicas: \"many\" should be a whole number", or for an unknown
// field the mapping it is in: "4: processes.web: unknown field \"prot\"".
func withField(root *yaml.Node, msg string) string {
	num, rest, ok := strings.Cut(msg, ": ")
	line, err := strconv.Atoi(num)
	if !ok || err != nil {
		return msg
	}
	var path []string
	if m := yamlUnknownHumanRE.FindStringSubmatch(rest); m != nil {
		// The unknown key is on the line; name the mapping that holds it.
		if p := deepest(root, line, nil, keyAt); len(p) > 0 {
			path = p[:len(p)-1]
		}
	} else {
		kind := yaml.ScalarNode
		switch {
		case strings.HasPrefix(rest, "a list "):
			kind = yaml.SequenceNode
		case strings.HasPrefix(rest, "a mapping "):
			kind = yaml.MappingNode
		}
		match := func(_, v *yaml.Node, line int) bool { return v.Kind == kind && v.Line == line }
		if tagged, ok := strings.CutPrefix(rest, "a value tagged "); ok {
			tag, _, _ := strings.Cut(tagged, " ")
			match = func(_, v *yaml.Node, line int) bool { return v.Tag == tag && v.Line == line }
		}
		path = deepest(root, line, nil, match)
	}
	if len(path) == 0 {
		return msg
	}
	return num + ": " + strings.Join(path, ".") + ": " + rest
}

var yamlUnknownHumanRE = regexp.MustCompile(`^unknown field "(.*)"$`)

func keyAt(k, _ *yaml.Node, line int) bool { return k != nil && k.Line == line }

// deepest returns the path of the deepest entry (mapping key k and value v, or list item v
// with k nil) on line that match accepts.
func deepest(n *yaml.Node, line int, path []string, match func(k, v *yaml.Node, line int) bool) []string {
	var best []string
	consider := func(k, v *yaml.Node, p []string) {
		if match(k, v, line) && len(p) > len(best) {
			best = p
		}
		if q := deepest(v, line, p, match); len(q) > len(best) {
			best = q
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if q := deepest(c, line, path, match); len(q) > len(best) {
				best = q
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			consider(n.Content[i], n.Content[i+1], append(append([]string{}, path...), n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			consider(nil, c, append(append([]string{}, path...), strconv.Itoa(i)))
		}
	}
	return best
}

func humanYAML(s string) string {
	s = strings.TrimPrefix(s, "line ")
	if m := yamlUnknownRE.FindStringSubmatch(s); m != nil {
		s = strings.Replace(s, m[0], fmt.Sprintf("unknown field %q", m[1]), 1)
	}
	if m := yamlTypeRE.FindStringSubmatch(s); m != nil {
		want := strings.TrimPrefix(m[3], "*")
		switch {
		case strings.HasPrefix(want, "int"):
			want = "a whole number"
		case want == "bool":
			want = "true or false"
		case want == "string":
			want = "a string"
		case strings.HasPrefix(want, "map"), strings.HasPrefix(want, "app."), strings.HasPrefix(want, "struct"):
			want = "a mapping"
		case strings.HasPrefix(want, "[]"):
			want = "a list"
		}
		got := fmt.Sprintf("%q", m[2])
		switch {
		case m[1] == "!!seq":
			got = "a list"
		case m[1] == "!!map":
			got = "a mapping"
		case !strings.HasPrefix(m[1], "!!") || !strings.Contains(m[0], "`"):
			got = "a value tagged " + m[1]
		}
		s = strings.Replace(s, m[0], fmt.Sprintf("%s should be %s", got, want), 1)
	}
	return s
}

// FileError is an error in one input file. Msg is already located (file:line) when the
// parser knew the line.
type FileError struct {
	File string
	Line int
	Msg  string
	// Fix says how to fix it, where that is plain; see Hint.
	Fix        string
	prelocated bool
}

// Hint says how to fix the file (front ends print it under the error).
func (e *FileError) Hint() string { return e.Fix }

func (e *FileError) Error() string {
	var b strings.Builder
	switch {
	case e.prelocated:
		b.WriteString(e.Msg)
	case e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		fmt.Fprintf(&b, "%s: %s", e.File, e.Msg)
	}
	return b.String()
}
