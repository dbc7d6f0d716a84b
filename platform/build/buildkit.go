package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types"
	buildtypes "github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/pkg/jsonmessage"
	"golang.org/x/term"

	"github.com/slipwayhq/slipway/platform/image"
)

// Backend is the engine's builder that builds an image.
type Backend int

const (
	// BackendAuto is BuildKit when the engine has it (a Linux engine with API 1.39 or
	// later), as `docker build` chooses; else the classic builder.
	BackendAuto Backend = iota
	// BackendBuildKit is BuildKit; an engine without it is an error.
	BackendBuildKit
	// BackendClassic is the engine's classic (legacy) builder.
	BackendClassic
)

func (k Backend) String() string {
	switch k {
	case BackendBuildKit:
		return "BuildKit"
	case BackendClassic:
		return "the classic builder"
	}
	return "the engine's default builder"
}

// BackendFromEnv reads DOCKER_BUILDKIT as docker does: unset or empty is BackendAuto, a
// true value (1, true) BackendBuildKit, a false one (0, false) BackendClassic.
func BackendFromEnv(getenv func(string) string) (Backend, error) {
	v := getenv("DOCKER_BUILDKIT")
	if v == "" {
		return BackendAuto, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return BackendAuto, fmt.Errorf("DOCKER_BUILDKIT=%s: want a boolean: 1 for BuildKit, 0 for the classic builder", v)
	}
	if on {
		return BackendBuildKit, nil
	}
	return BackendClassic, nil
}

// minBuildKitAPI is the first API version whose engines build with BuildKit (Docker 18.09).
const minBuildKitAPI = "1.39"

// choose picks the backend for an engine that answered ping.
func (k Backend) choose(ping types.Ping) (Backend, error) {
	has := ping.BuilderVersion == buildtypes.BuilderBuildKit ||
		(ping.OSType != "windows" && ping.APIVersion != "" && versions.GreaterThanOrEqualTo(ping.APIVersion, minBuildKitAPI))
	switch {
	case k == BackendClassic:
		return BackendClassic, nil
	case has:
		return BackendBuildKit, nil
	case k == BackendBuildKit:
		return 0, fmt.Errorf("DOCKER_BUILDKIT asks for BuildKit, but the engine (API %s, %s) has none\n  hint: unset DOCKER_BUILDKIT to build with the classic builder", ping.APIVersion, ping.OSType)
	}
	return BackendClassic, nil
}

// Aux message ids of a BuildKit build's output.
const (
	auxTrace   = "moby.buildkit.trace"
	auxImageID = "moby.image.id"
)

// buildKit runs a build with BuildKit: the context goes in the request's body, as for the
// classic builder (the engine serves it to BuildKit; no session is needed), and BuildKit's
// progress comes back as aux messages.
func (b *Builder) buildKit(ctx context.Context, body io.Reader, opts buildtypes.ImageBuildOptions, ref image.Ref) (string, error) {
	opts.Version = buildtypes.BuilderBuildKit
	stream, err := b.startBuild(ctx, body, opts, ref)
	if err != nil {
		return "", err
	}
	defer stream.Close()
	id, err := b.readBuildKit(stream)
	var se *StepError
	switch {
	case errors.As(err, &se):
		return "", se
	case err != nil && ctx.Err() != nil:
		return "", fmt.Errorf("build %s: %w", ref, ctx.Err())
	case err != nil:
		return "", fmt.Errorf("build %s: %w", ref, err)
	}
	return id, nil
}

// readBuildKit shows the progress of a BuildKit build from the engine's output r and returns
// the image ID, or a *StepError naming the step that failed.
func (b *Builder) readBuildKit(r io.Reader) (string, error) {
	view := b.view()
	var id, failure string
	var readErr error
	dec := json.NewDecoder(r)
	for readErr == nil {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = fmt.Errorf("read the engine's output: %w", err)
			}
			break
		}
		switch {
		case m.Error != nil:
			failure = strings.TrimSpace(m.Error.Message)
		case m.ID == auxTrace && m.Aux != nil:
			var dt []byte
			if err := json.Unmarshal(*m.Aux, &dt); err != nil {
				readErr = fmt.Errorf("read BuildKit's status: %w", err)
				continue
			}
			s, err := decodeStatus(dt)
			if err != nil {
				readErr = err
				continue
			}
			view.update(s)
		case m.ID == auxImageID && m.Aux != nil:
			var res buildtypes.Result
			if err := json.Unmarshal(*m.Aux, &res); err == nil {
				id = res.ID
			}
		case m.Stream != "":
			view.text(m.Stream)
		}
	}
	view.finish()
	summary(b.progress(), view.steps())
	switch {
	case failure != "":
		se := &StepError{Message: failure}
		if v := view.steps().failed(); v != nil {
			se.Step = v.name
		}
		return "", se
	case readErr != nil:
		return "", readErr
	case id == "":
		return "", errors.New("the engine reported no image ID")
	}
	return id, nil
}

// view is the progress view for this builder's output.
func (b *Builder) view() progressView {
	if !b.Terminal {
		return newPlainView(b.progress())
	}
	fd := int(b.TerminalFd)
	size := func() (int, int) {
		w, h, err := term.GetSize(fd)
		if err != nil {
			return 80, 24
		}
		return w, h
	}
	return newLiveView(b.progress(), size, time.Now, 100*time.Millisecond)
}
