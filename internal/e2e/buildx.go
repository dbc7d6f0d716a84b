package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BuildxVersion is the docker buildx plugin Buildx builds: a release of the same time as
// the docker CLI on this machine (28.2), as Docker's packages would pair them.
const BuildxVersion = "v0.24.0"

// buildxGoMod is the throwaway module that builds buildx, so that buildx's dependencies
// never enter the product's go.mod. Buildx's own go.mod has exclude directives, which `go
// install …@version` refuses and a requiring module ignores: they are repeated here.
const buildxGoMod = `// Made by slipway's test harness (internal/e2e/buildx.go) to build the docker buildx plugin.
module slipway.local/buildx

go 1.23.0

require github.com/docker/buildx ` + BuildxVersion + `

exclude (
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc
	github.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2
)
`

// Buildx returns a docker CLI configuration directory (for DOCKER_CONFIG) whose
// cli-plugins hold the docker buildx plugin, built from its Go module (BuildxVersion) into
// CacheDir once per machine: a few minutes cold. With it, `docker build` builds with
// BuildKit, as it does on a machine with Docker's packages; the machine's docker CLI has no
// buildx, so `docker build` without it needs DOCKER_BUILDKIT=0 and the classic builder.
func Buildx(t testing.TB) (dockerConfig string) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		Missing(t, "no go toolchain on PATH to build docker buildx")
	}
	cache := CacheDir(t)
	bin := filepath.Join(cache, "bin", "docker-buildx-"+BuildxVersion)
	if _, err := os.Stat(bin); err != nil {
		lock, err := flock(filepath.Join(cache, "buildx.lock"), syscall.LOCK_EX)
		if err != nil {
			t.Fatalf("build docker buildx: %v", err)
		}
		defer lock.Close()
		if _, err := os.Stat(bin); err != nil {
			start := time.Now()
			if err := buildBuildx(filepath.Join(cache, "buildx-module"), bin); err != nil {
				Missing(t, "docker buildx %s could not be built: %v", BuildxVersion, err)
			}
			t.Logf("built docker buildx %s in %s", BuildxVersion, time.Since(start).Round(time.Second))
		}
	}
	dir := filepath.Join(t.TempDir(), "docker-config")
	if err := os.MkdirAll(filepath.Join(dir, "cli-plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, filepath.Join(dir, "cli-plugins", "docker-buildx")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildBuildx builds buildx's command in the throwaway module dir into bin.
func buildBuildx(dir, bin string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(buildxGoMod), 0o644); err != nil {
		return err
	}
	tmp := bin + ".tmp"
	cmd := exec.Command("go", "build", "-mod=mod", "-trimpath",
		"-ldflags", "-X github.com/docker/buildx/version.Version="+BuildxVersion,
		"-o", tmp, "github.com/docker/buildx/cmd/buildx")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-buildvcs=false", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build github.com/docker/buildx/cmd/buildx: %v\n%s", err, tail(strings.TrimSpace(string(out)), 30))
	}
	return os.Rename(tmp, bin)
}
