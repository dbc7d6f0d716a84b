package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/slipwayhq/slipway/platform/app"
)

// AppBuild is how an app's image is made: the build options, the source they name, and the
// generated Dockerfile's plan when Slipway writes the Dockerfile.
type AppBuild struct {
	Options Options
	Source  *Source
	// Plan is the detected language and generated Dockerfile; nil when the image is built
	// with the repository's own Dockerfile.
	Plan *Plan
	// Unused is the repository's Dockerfile that a generated one is built instead of
	// ("Dockerfile"); "" when there is none or it is used.
	Unused string
	// Notes say, one line each, where the choice of Dockerfile may surprise: a repository's
	// Dockerfile that is not used, or one used because Slipway detected no language it
	// generates a Dockerfile for. Front ends show them before the build (the pipeline sends
	// them as progress.Prepare notes).
	Notes []string
}

// DockerfileError says the Dockerfile an app's inputs chose cannot be built: it does not
// exist, or Slipway cannot generate one for the app. Source is where the choice is stated
// (slipway.yaml:7), Reason what it says.
type DockerfileError struct {
	Source, Reason string
	// Msg is what is wrong; Err, if any, the error underneath (Detect's).
	Msg string
	Err error
	// Fix says how to fix it (see Hint).
	Fix string
}

func (e *DockerfileError) Error() string {
	msg := e.Msg
	if e.Source != "" {
		msg = e.Source + ": " + msg
	}
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the error underneath.
func (e *DockerfileError) Unwrap() error { return e.Err }

// Hint says how to fix it.
func (e *DockerfileError) Hint() string { return e.Fix }

// ownDockerfile is the name of the Dockerfile a repository has by default.
const ownDockerfile = "Dockerfile"

// ForApp prepares the build of a, with the Dockerfile a.Build chose (see app.Build): when it
// says Generate, one generated for the detected language (relying on what o says), even if
// the repository has a Dockerfile — unless only Heroku's rule chose it and no language is
// detected, when ./Dockerfile is used instead; otherwise the Dockerfile slipway.yaml or
// heroku.yml names, else ./Dockerfile. An App not made by app.Load (a zero Build) is built
// with ./Dockerfile, else a generated one. Then the build args; the repository; the tag from
// the source.
func ForApp(a *app.App, o GenerateOptions) (*AppBuild, error) {
	b, err := Choose(a, o)
	if err != nil {
		return nil, err
	}
	var extra [][]byte
	if b.Plan != nil {
		extra = append(extra, b.Plan.Dockerfile)
	}
	if len(a.Build.Args) > 0 {
		keys := make([]string, 0, len(a.Build.Args))
		for k := range a.Build.Args {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var args []byte
		for _, k := range keys {
			args = fmt.Appendf(args, "%s=%s\n", k, a.Build.Args[k])
		}
		extra = append(extra, args)
	}
	dockerfile := b.Options.Dockerfile
	if b.Options.Generated != nil {
		dockerfile = GeneratedDockerfile
	}
	bc, err := ReadContext(a.Dir, dockerfile)
	if err != nil {
		return nil, err
	}
	b.Options.Context = bc
	src, err := ReadSource(bc, extra...)
	if err != nil {
		return nil, err
	}
	b.Source, b.Options.Tag = src, src.Tag
	b.Options.Labels = map[string]string{"org.opencontainers.image.title": a.Name}
	if src.Commit != "" {
		b.Options.Labels["org.opencontainers.image.revision"] = src.Commit
	}
	return b, nil
}

// Choose is the first half of ForApp: which Dockerfile builds a, without reading the build
// context. The result has Options.Dockerfile (the repository's) or Plan (a generated one), and
// the Notes to show; its Source and tag are unset.
func Choose(a *app.App, o GenerateOptions) (*AppBuild, error) {
	b := &AppBuild{Options: Options{Dir: a.Dir, Args: a.Build.Args, Repository: a.Image.Repository}}
	df, err := b.choose(a, o)
	if err != nil {
		return nil, err
	}
	b.Options.Dockerfile = df
	return b, nil
}

// choose returns the repository's Dockerfile to build with, or "" with b.Plan set to the
// generated one; it records in b what a front end should say about the choice.
func (b *AppBuild) choose(a *app.App, o GenerateOptions) (string, error) {
	c := a.Build
	own := exists(a.Dir, ownDockerfile)
	generate := func() error {
		plan, err := DetectFor(a.Dir, o)
		if err != nil {
			return err
		}
		b.Plan, b.Options.Generated, b.Options.NeedsBuildKit = plan, plan.Dockerfile, plan.BuildKit
		return nil
	}
	if !c.Generate {
		df := c.Dockerfile
		if df == "" {
			df = ownDockerfile
		}
		if exists(a.Dir, df) {
			return df, nil
		}
		switch {
		case c.Dockerfile != "":
			return "", &DockerfileError{Source: c.Source, Reason: c.Reason, Msg: fmt.Sprintf("Dockerfile %s does not exist in %s", df, a.Dir)}
		case c.Source != "":
			return "", &DockerfileError{Source: c.Source, Reason: c.Reason, Msg: "the app has no Dockerfile to build with",
				Fix: "add a Dockerfile, or let Slipway generate one: build.generate: true in " + app.ManifestFile}
		}
		// Not chosen by app.Load: a repository without a Dockerfile gets a generated one.
		return "", generate()
	}
	err := generate()
	switch {
	case err == nil:
		if own {
			b.Unused = ownDockerfile
			note := fmt.Sprintf("%s not used: %s; Slipway generates one", ownDockerfile, c.Reason)
			if !strings.HasPrefix(c.Source, app.ManifestFile) {
				note += " (build.generate: false in " + app.ManifestFile + " builds yours)"
			}
			b.Notes = append(b.Notes, note)
		}
		return "", nil
	case !errors.Is(err, ErrUndetected) || !own:
		return "", err
	case c.Source == "":
		// Only Heroku's rule chose to generate: Heroku would look for a buildpack, Dokku
		// would build the Dockerfile; Slipway does as Dokku.
		b.Notes = append(b.Notes, fmt.Sprintf("%s used: Slipway generates Dockerfiles for %s and detects none of them here, so it builds yours, as Dokku would (Heroku, without heroku.yml build.docker, would look for a buildpack)",
			ownDockerfile, languageNames()))
		return ownDockerfile, nil
	}
	return "", &DockerfileError{Source: c.Source, Reason: c.Reason, Msg: "cannot generate a Dockerfile", Err: err,
		Fix: "build.generate: false in " + app.ManifestFile + " builds the repository's Dockerfile"}
}

// exists reports whether name, relative to dir, exists.
func exists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
	return !errors.Is(err, fs.ErrNotExist)
}

// languageNames lists the languages Slipway generates Dockerfiles for: "Go, Ruby, Python,
// PHP and Node.js".
func languageNames() string {
	names := make([]string, len(languages))
	for i, l := range languages {
		names[i] = l.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
