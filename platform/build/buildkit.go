package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types"
	buildtypes "github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/versions"

	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/progress"
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
		return 0, &BackendError{Msg: fmt.Sprintf("DOCKER_BUILDKIT asks for BuildKit, but the engine (API %s, %s) has none", ping.APIVersion, ping.OSType),
			Fix: "unset DOCKER_BUILDKIT to build with the classic builder"}
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
	b.update(progress.Build, &progress.BuildUpdate{Begin: true, BuildKit: true})
	id, err := b.readBuildKit(stream)
	switch {
	case errors.As(err, new(*StepError)):
	case err != nil && ctx.Err() != nil:
		err = fmt.Errorf("build %s: %w", ref, ctx.Err())
	case err != nil:
		err = fmt.Errorf("build %s: %w", ref, err)
	}
	b.end(progress.Build, true, err)
	if err != nil {
		return "", err
	}
	return id, nil
}

// readBuildKit passes the progress of a BuildKit build in the engine's output r on to
// Progress, decoded, and returns the image ID, or a *StepError naming the step that failed.
func (b *Builder) readBuildKit(r io.Reader) (string, error) {
	steps := newStepTracker(b.Progress)
	var id, failure string
	var readErr error
	dec := json.NewDecoder(r)
	for readErr == nil {
		var m engineMessage
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
			b.update(progress.Build, &progress.BuildUpdate{BuildKit: true, Solve: s})
			steps.apply(s)
		case m.ID == auxImageID && m.Aux != nil:
			var res buildtypes.Result
			if err := json.Unmarshal(*m.Aux, &res); err == nil {
				id = res.ID
			}
		case m.Stream != "":
			b.update(progress.Build, &progress.BuildUpdate{BuildKit: true, Text: m.Stream})
		}
	}
	var err error
	switch {
	case failure != "":
		se := &StepError{Message: failure}
		if st := steps.failed(); st != nil {
			se.Step = st.name
		}
		err = se
	case readErr != nil:
		err = readErr
	case id == "":
		err = errors.New("the engine reported no image ID")
	}
	if err != nil {
		return "", err
	}
	return id, nil
}

// stepTracker follows a BuildKit build's steps to name the one that failed, and sends a
// Message event when a step starts, ends or fails.
type stepTracker struct {
	send     progress.Func
	byDigest map[string]*step
	list     []*step // in the order first reported
	seen     int
}

// step is what the tracker knows of one of BuildKit's vertexes.
type step struct {
	name, err          string
	started, completed bool
	// seen orders the steps as they first started (or completed from the cache).
	seen int
}

func newStepTracker(send progress.Func) *stepTracker {
	return &stepTracker{send: send, byDigest: map[string]*step{}}
}

func (t *stepTracker) apply(s *progress.SolveStatus) {
	for _, u := range s.Vertexes {
		st, ok := t.byDigest[u.Digest]
		if !ok {
			st = &step{}
			t.byDigest[u.Digest] = st
			t.list = append(t.list, st)
		}
		if u.Started == nil && st.started {
			continue // the step announced again, as BuildKit does: not news
		}
		st.name, st.err = u.Name, u.Error
		if st.seen == 0 && (u.Started != nil || u.Completed != nil) {
			t.seen++
			st.seen = t.seen
		}
		name := strings.ReplaceAll(u.Name, "\n", " ")
		if u.Started != nil && u.Completed == nil && (!st.started || st.completed) {
			st.completed = false // started (again)
			t.send.Send(progress.Event{Phase: progress.Build, Status: progress.Running, Message: name})
		}
		st.started = u.Started != nil
		if u.Completed == nil || st.completed {
			continue
		}
		st.completed = true
		switch {
		case st.canceled():
		case u.Error != "":
			t.send.Send(progress.Event{Phase: progress.Build, Status: progress.Failed, Message: name + ": " + oneLine(u.Error),
				Err: &StepError{Step: u.Name, Message: u.Error}})
		case u.Cached:
			t.send.Send(progress.Event{Phase: progress.Build, Status: progress.Done, Message: name + " (cached)"})
		default:
			t.send.Send(progress.Event{Phase: progress.Build, Status: progress.Done, Message: name})
		}
	}
}

func (st *step) canceled() bool {
	return st.err != "" && strings.HasSuffix(st.err, "context canceled")
}

// failed returns the step that failed (not one canceled because another failed), or nil.
func (t *stepTracker) failed() *step {
	var found *step
	for _, st := range t.list {
		if st.err != "" && !st.canceled() && (found == nil || st.seen < found.seen) {
			found = st
		}
	}
	return found
}
