package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// BuildxVersion is the docker buildx plugin Buildx builds: a release of the same time as
// the docker CLI on this machine (28.2), as Docker's packages would pair them.
const BuildxVersion = "v0.24.0"

// buildx is the docker buildx plugin as a GoTool. Buildx's own go.mod has exclude
// directives, which `go install …@version` refuses and a requiring module ignores: they
// are repeated here.
var buildx = GoTool{
	Name: "docker-buildx", Module: "github.com/docker/buildx", Version: BuildxVersion, Package: "github.com/docker/buildx/cmd/buildx",
	GoMod: `
exclude (
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc
	github.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2
)
`,
	LDFlags: "-X github.com/docker/buildx/version.Version=" + BuildxVersion,
}

// Buildx returns a docker CLI configuration directory (for DOCKER_CONFIG) whose
// cli-plugins hold the docker buildx plugin, built from its Go module (BuildxVersion) into
// CacheDir once per machine: a few minutes cold. With it, `docker build` builds with
// BuildKit, as it does on a machine with Docker's packages; the machine's docker CLI has no
// buildx, so `docker build` without it needs DOCKER_BUILDKIT=0 and the classic builder.
func Buildx(t testing.TB) (dockerConfig string) {
	t.Helper()
	bin := buildx.Build(t)
	dir := filepath.Join(t.TempDir(), "docker-config")
	if err := os.MkdirAll(filepath.Join(dir, "cli-plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(dir, "cli-plugins", "docker-buildx")); err != nil {
		t.Fatal(err)
	}
	return dir
}
