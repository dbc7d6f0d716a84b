package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/slipwayhq/slipway/platform/app"
)

// AppBuild is how an app's image is made: the build options, the source they name, and the
// generated Dockerfile's plan when the repository has no Dockerfile.
type AppBuild struct {
	Options Options
	Source  *Source
	// Plan is the detected language and generated Dockerfile; nil when the repository has
	// its own Dockerfile.
	Plan *Plan
}

// ForApp prepares the build of a: the Dockerfile named by slipway.yaml or heroku.yml, else
// ./Dockerfile, else one generated for the detected language (relying on what o says); the
// build args; the repository; the tag from the source.
func ForApp(a *app.App, o GenerateOptions) (*AppBuild, error) {
	b := &AppBuild{Options: Options{Dir: a.Dir, Args: a.Build.Args, Repository: a.Image.Repository}}
	df := a.Build.Dockerfile
	if df == "" {
		if _, err := os.Stat(filepath.Join(a.Dir, "Dockerfile")); err == nil {
			df = "Dockerfile"
		}
	}
	var extra [][]byte
	if df != "" {
		if _, err := os.Stat(filepath.Join(a.Dir, df)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("build: Dockerfile %s does not exist in %s", df, a.Dir)
		}
		b.Options.Dockerfile = df
	} else {
		plan, err := DetectFor(a.Dir, o)
		if err != nil {
			return nil, err
		}
		b.Plan, b.Options.Generated, b.Options.NeedsBuildKit = plan, plan.Dockerfile, plan.BuildKit
		extra = append(extra, plan.Dockerfile)
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
