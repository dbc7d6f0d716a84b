package app

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// HerokuYMLFile is Heroku's container build manifest.
const HerokuYMLFile = "heroku.yml"

// HerokuYML is what Slipway takes from heroku.yml.
type HerokuYML struct {
	// Dockerfile is the Dockerfile of the web process (or the only one); DockerfileLine is
	// where heroku.yml names it, and is 0 when heroku.yml has no build.docker: then Heroku
	// builds the app with buildpacks.
	Dockerfile     string
	DockerfileLine int
	// Buildpacks is the buildpack setting that says so ("build.languages" or
	// "build.buildpacks"), and BuildpacksLine its line; "" when there is none.
	Buildpacks     string
	BuildpacksLine int
	// BuildArgs are build.config.
	BuildArgs map[string]string
	// Config are setup.config: config var defaults.
	Config map[string]string
	// Run are run.<type> commands, with the line each was declared on.
	Run map[string]herokuRun
	// Release is release.command, or "".
	Release     string
	ReleaseLine int
	Warnings    []Warning
}

type herokuRun struct {
	Command string
	Line    int
}

type herokuYMLDoc struct {
	Setup struct {
		Addons yaml.Node         `yaml:"addons"`
		Config map[string]string `yaml:"config"`
	} `yaml:"setup"`
	Build struct {
		Docker     map[string]yaml.Node `yaml:"docker"`
		Config     map[string]string    `yaml:"config"`
		Languages  yaml.Node            `yaml:"languages"`
		Buildpacks yaml.Node            `yaml:"buildpacks"`
		Packages   yaml.Node            `yaml:"packages"`
	} `yaml:"build"`
	Release yaml.Node            `yaml:"release"`
	Run     map[string]yaml.Node `yaml:"run"`
}

// ParseHerokuYML decodes heroku.yml. Slipway builds one image per repository: when
// build.docker names several Dockerfiles, web's is used and the others are reported.
func ParseHerokuYML(data []byte, file string) (*HerokuYML, error) {
	h := &HerokuYML{BuildArgs: map[string]string{}, Config: map[string]string{}, Run: map[string]herokuRun{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return h, nil
	}
	var doc herokuYMLDoc
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, manifestError(file, data, err)
	}
	warn := func(line int, format string, args ...any) {
		h.Warnings = append(h.Warnings, Warning{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	pick := "web" // the process type whose image Slipway builds
	if len(doc.Build.Docker) > 0 {
		types := sortedKeys(doc.Build.Docker)
		pick = types[0]
		if _, ok := doc.Build.Docker["web"]; ok {
			pick = "web"
		}
		for _, t := range types {
			n := doc.Build.Docker[t]
			path, err := dockerfileOf(&n)
			if err != nil {
				return nil, &FileError{File: file, Line: n.Line, Msg: fmt.Sprintf("build.docker.%s: %v", t, err)}
			}
			if t == pick {
				h.Dockerfile, h.DockerfileLine = path, n.Line
			} else if path != "" {
				warn(n.Line, "build.docker.%s: Slipway builds one image per repository (from %s's Dockerfile); %s is not built", t, pick, path)
			}
		}
	}
	for _, n := range []struct {
		node *yaml.Node
		what string
	}{{&doc.Build.Languages, "build.languages"}, {&doc.Build.Buildpacks, "build.buildpacks"}, {&doc.Build.Packages, "build.packages"}} {
		switch {
		case n.node.Kind == 0:
		case h.DockerfileLine > 0:
			warn(n.node.Line, "%s is a buildpack setting, and build.docker names a Dockerfile: Slipway builds with the Dockerfile", n.what)
		case n.what == "build.packages":
			warn(n.node.Line, "build.packages is a buildpack setting: Slipway builds this app with its own generated Dockerfile, as Heroku would with buildpacks, and installs no extra packages")
		default:
			warn(n.node.Line, "%s is a buildpack setting: Slipway builds this app with its own Dockerfile, generated for the language it detects, as Heroku would with buildpacks", n.what)
			if h.Buildpacks == "" {
				h.Buildpacks, h.BuildpacksLine = n.what, n.node.Line
			}
		}
	}
	if doc.Setup.Addons.Kind != 0 {
		warn(doc.Setup.Addons.Line, "setup.addons are Heroku add-ons; provision them yourself and set their URLs as config vars")
	}
	for k, v := range doc.Build.Config {
		h.BuildArgs[k] = v
	}
	for _, k := range sortedKeys(doc.Setup.Config) {
		if err := CheckVarName(k); err != nil {
			return nil, &FileError{File: file, Msg: "setup.config: " + err.Error()}
		}
		h.Config[k] = doc.Setup.Config[k]
	}
	for _, t := range sortedKeys(doc.Run) {
		n := doc.Run[t]
		cmd, image, err := runCommandOf(&n)
		if err != nil {
			return nil, &FileError{File: file, Line: n.Line, Msg: fmt.Sprintf("run.%s: %v", t, err)}
		}
		if image != "" && image != pick {
			warn(n.Line, "run.%s: image %q: Slipway builds one image per repository (%s's) and runs every process from it", t, image, pick)
		}
		h.Run[t] = herokuRun{Command: cmd, Line: n.Line}
	}
	if doc.Release.Kind != 0 {
		cmd, image, err := runCommandOf(&doc.Release)
		if err != nil {
			return nil, &FileError{File: file, Line: doc.Release.Line, Msg: fmt.Sprintf("release: %v", err)}
		}
		if image != "" && image != pick {
			warn(doc.Release.Line, "release: image %q: Slipway builds one image per repository (%s's) and runs the release command from it", image, pick)
		}
		h.Release, h.ReleaseLine = cmd, doc.Release.Line
	}
	return h, nil
}

func dockerfileOf(n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, nil
	case yaml.MappingNode:
		var v struct {
			Dockerfile string `yaml:"dockerfile"`
			Target     string `yaml:"target"`
		}
		if err := n.Decode(&v); err != nil {
			return "", err
		}
		return v.Dockerfile, nil
	}
	return "", fmt.Errorf("expected a Dockerfile path")
}

// runCommandOf reads "cmd", ["argv", …] or {command: …, image: …}. A list of one item is
// a command line; a longer list is argv, each item quoted to stay one word.
func runCommandOf(n *yaml.Node) (cmd, image string, err error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.TrimSpace(n.Value) == "" {
			return "", "", fmt.Errorf("empty command")
		}
		return strings.TrimSpace(n.Value), "", nil
	case yaml.SequenceNode:
		var argv []string
		if err := n.Decode(&argv); err != nil {
			return "", "", fmt.Errorf("expected a list of strings")
		}
		if len(argv) == 0 {
			return "", "", fmt.Errorf("empty command")
		}
		if len(argv) == 1 {
			// Heroku's own examples write `command: [rake db:migrate]`: one item that is
			// a whole command line, run by the shell as written (quoting it as a single
			// word would look for a program called "rake db:migrate").
			if strings.TrimSpace(argv[0]) == "" {
				return "", "", fmt.Errorf("empty command")
			}
			return strings.TrimSpace(argv[0]), "", nil
		}
		return shellJoin(argv), "", nil
	case yaml.MappingNode:
		var v struct {
			Command yaml.Node `yaml:"command"`
			Image   string    `yaml:"image"`
		}
		if err := n.Decode(&v); err != nil {
			return "", "", err
		}
		if v.Command.Kind == 0 {
			return "", "", fmt.Errorf("missing command")
		}
		cmd, _, err := runCommandOf(&v.Command)
		return cmd, v.Image, err
	}
	return "", "", fmt.Errorf("expected a command")
}

// shellJoin quotes argv for /bin/sh -c so that each element stays one word.
func shellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// runTypes returns heroku.yml's run types sorted by line.
func (h *HerokuYML) runTypes() []string {
	types := sortedKeys(h.Run)
	sort.SliceStable(types, func(i, j int) bool { return h.Run[types[i]].Line < h.Run[types[j]].Line })
	return types
}
