package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker/cli/cli/config"
	buildtypes "github.com/docker/docker/api/types/build"
	imagetypes "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"

	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/progress"
)

// GeneratedDockerfile is the name a generated Dockerfile has in the build context.
const GeneratedDockerfile = ".slipway.Dockerfile"

// Builder builds and pushes images through a Docker Engine.
type Builder struct {
	// Docker is the engine's client (see Connect).
	Docker client.APIClient
	// Host names the engine in errors (DOCKER_HOST or the default socket).
	Host string
	// Progress receives the build's progress (phase Build) and the push's (phase Push): the
	// engine's output decoded, in events whose Build is set (BuildKit's status, the engine's
	// JSON messages), for a renderer that shows it as docker does; and a plain Message per
	// step that starts, ends or fails, and for the push, for a front end with no such view.
	// Nil drops them.
	Progress progress.Func
	// Backend chooses the engine's builder: BuildKit when the engine has it (BackendAuto,
	// the default), or as DOCKER_BUILDKIT says (see BackendFromEnv).
	Backend Backend
	// Resolve asks a registry for a tag's digest (default image.Resolve).
	Resolve func(context.Context, image.Ref) (image.Ref, error)
}

// Connect makes a client for the engine named by the environment, as docker does
// (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), negotiating the API version (the engine
// may be older than the client).
func Connect() (client.APIClient, string, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = client.DefaultDockerHost
	}
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, host, fmt.Errorf("docker client for %s (DOCKER_HOST): %w", host, err)
	}
	return c, host, nil
}

// Options is one build.
type Options struct {
	// Dir is the app directory.
	Dir string
	// Context is the build context (see ReadContext); nil reads Dir's.
	Context *Context
	// Dockerfile is the Dockerfile's path in Dir; Generated, when set, is used instead.
	Dockerfile string
	Generated  []byte
	// NeedsBuildKit says the Dockerfile builds only with BuildKit (a generated one that
	// keeps a compiler's cache in a cache mount): the classic builder is then an error
	// before anything is sent.
	NeedsBuildKit bool
	// Args are build args.
	Args map[string]string
	// Repository is where the image goes (registry/name); Tag its tag.
	Repository, Tag string
	// Labels are added to the image.
	Labels map[string]string
	// Push pushes the image and returns its digest.
	Push bool
}

// Result is what a build did.
type Result struct {
	// Image is the image: repository, tag and, when pushed or already in the registry, digest.
	Image image.Ref
	// ID is the local image ID, when built here.
	ID string
	// Built and Pushed say what happened; Reused says the registry (or the engine, without
	// Push) already had the tag, so nothing was built.
	Built, Pushed, Reused bool
	// Backend is the builder that built it (BackendBuildKit or BackendClassic), when Built.
	Backend Backend
}

// EngineError says the Docker Engine could not be reached.
type EngineError struct {
	Host string
	Err  error
}

func (e *EngineError) Error() string {
	return fmt.Sprintf("cannot reach the Docker Engine at %s (DOCKER_HOST): %v", e.Host, e.Err)
}

func (e *EngineError) Unwrap() error { return e.Err }

// Hint says where to look.
func (e *EngineError) Hint() string { return "is dockerd running? set DOCKER_HOST to its socket" }

// BackendError says the engine cannot build the way it is asked to; Fix says how to.
type BackendError struct{ Msg, Fix string }

func (e *BackendError) Error() string { return e.Msg }

// Hint says how to build anyway.
func (e *BackendError) Hint() string { return e.Fix }

// StepError is a build step that failed, with the engine's own message.
type StepError struct {
	Step, Message string
}

func (e *StepError) Error() string {
	if e.Step == "" {
		return "build failed: " + e.Message
	}
	return fmt.Sprintf("build failed at %s: %s", e.Step, e.Message)
}

// PushError is a push the registry refused or could not take.
type PushError struct {
	Ref     string
	Message string
}

func (e *PushError) Error() string {
	host, _, _ := strings.Cut(e.Ref, "/")
	return fmt.Sprintf("push %s to the registry %s: %s", e.Ref, host, e.Message)
}

// Build builds o's image unless it exists already (in the registry when pushing, in the
// engine otherwise), and pushes it when asked.
func (b *Builder) Build(ctx context.Context, o Options) (*Result, error) {
	ref := image.Ref{Repository: o.Repository, Tag: o.Tag}
	res := &Result{Image: ref}
	ping, err := b.Docker.Ping(ctx)
	if err != nil {
		return nil, &EngineError{Host: b.Host, Err: err}
	}
	backend, err := b.Backend.choose(ping)
	if err != nil {
		return nil, err
	}
	if o.NeedsBuildKit && backend != BackendBuildKit {
		return nil, &BackendError{Msg: fmt.Sprintf("the generated Dockerfile keeps a compiler's cache in a BuildKit cache mount, but %s builds here (engine API %s, %s)", backend, ping.APIVersion, ping.OSType),
			Fix: "DOCKER_BUILDKIT=0 generates one for the classic builder"}
	}
	if o.Push {
		resolve := b.Resolve
		if resolve == nil {
			resolve = image.Resolve
		}
		if got, err := resolve(ctx, ref); err == nil {
			res.Image, res.Reused = got, true
			return res, nil
		}
	} else if insp, err := b.Docker.ImageInspect(ctx, ref.String()); err == nil {
		res.ID, res.Reused = insp.ID, true
		return res, nil
	}
	id, err := b.build(ctx, o, ref, backend)
	if err != nil {
		return nil, err
	}
	res.ID, res.Built, res.Backend = id, true, backend
	if !o.Push {
		return res, nil
	}
	digest, err := b.push(ctx, ref)
	if err != nil {
		return nil, err
	}
	res.Image.Digest, res.Pushed = digest, true
	return res, nil
}

func (b *Builder) build(ctx context.Context, o Options, ref image.Ref, backend Backend) (string, error) {
	dockerfile := o.Dockerfile
	if o.Generated != nil {
		dockerfile = GeneratedDockerfile
	}
	bc := o.Context
	if bc == nil {
		var err error
		if bc, err = ReadContext(o.Dir, dockerfile); err != nil {
			return "", err
		}
	}
	tarball := bc.Tar(o.Generated)
	defer tarball.Close()
	var body io.Reader = tarball
	args := map[string]*string{}
	for k, v := range o.Args {
		args[k] = &v
	}
	opts := buildtypes.ImageBuildOptions{
		Tags:        []string{ref.String()},
		Dockerfile:  dockerfile,
		BuildArgs:   args,
		Labels:      o.Labels,
		Remove:      true,
		ForceRemove: true,
		Version:     buildtypes.BuilderV1,
	}
	if backend == BackendBuildKit {
		return b.buildKit(ctx, body, opts, ref)
	}
	return b.buildClassic(ctx, body, opts, ref)
}

// startBuild sends the build request and returns the engine's message stream; an engine
// that cannot be reached is an EngineError.
func (b *Builder) startBuild(ctx context.Context, body io.Reader, opts buildtypes.ImageBuildOptions, ref image.Ref) (io.ReadCloser, error) {
	resp, err := b.Docker.ImageBuild(ctx, body, opts)
	if err != nil {
		if client.IsErrConnectionFailed(err) {
			return nil, &EngineError{Host: b.Host, Err: err}
		}
		return nil, fmt.Errorf("build %s: %w", ref, err)
	}
	return resp.Body, nil
}

// buildClassic runs a build with the engine's classic builder; its output (Step N/M lines,
// the steps' output, layer progress) goes to Progress as the engine's JSON messages.
func (b *Builder) buildClassic(ctx context.Context, body io.Reader, opts buildtypes.ImageBuildOptions, ref image.Ref) (string, error) {
	stream, err := b.startBuild(ctx, body, opts, ref)
	if err != nil {
		return "", err
	}
	defer stream.Close()
	b.update(progress.Build, &progress.BuildUpdate{Begin: true})
	id, err := b.readClassic(stream)
	if err != nil && !errors.As(err, new(*StepError)) {
		err = fmt.Errorf("build %s: %w", ref, err)
	}
	b.end(progress.Build, false, err)
	if err != nil {
		return "", err
	}
	return id, nil
}

// readClassic passes the classic builder's messages in r on to Progress and returns the
// image ID, or a *StepError naming the step that failed.
func (b *Builder) readClassic(r io.Reader) (string, error) {
	var id string
	var steps stepLines
	err := b.readMessages(r, progress.Build, func(raw json.RawMessage) {
		var aux struct{ ID string }
		if json.Unmarshal(raw, &aux) == nil && aux.ID != "" {
			id = aux.ID
		}
	}, func(m *engineMessage) error {
		for _, step := range steps.add(m.Stream) {
			b.Progress.Send(progress.Event{Phase: progress.Build, Status: progress.Running, Message: step})
		}
		if m.Error != nil {
			se := &StepError{Step: steps.last, Message: strings.TrimSpace(m.Error.Message)}
			b.Progress.Send(progress.Event{Phase: progress.Build, Status: progress.Failed, Message: oneLine(se.Error()), Err: se})
			return se
		}
		return nil
	})
	return id, err
}

func (b *Builder) push(ctx context.Context, ref image.Ref) (string, error) {
	auth, err := registryAuth(ref.Repository)
	if err != nil {
		return "", err
	}
	b.Progress.Send(progress.Event{Phase: progress.Push, Status: progress.Running, Message: "push " + ref.String()})
	rc, err := b.Docker.ImagePush(ctx, ref.String(), imagetypes.PushOptions{RegistryAuth: auth})
	if err != nil {
		if client.IsErrConnectionFailed(err) {
			err = &EngineError{Host: b.Host, Err: err}
		} else {
			err = &PushError{Ref: ref.String(), Message: err.Error()}
		}
		b.Progress.Send(progress.Event{Phase: progress.Push, Status: progress.Failed, Message: oneLine(err.Error()), Err: err})
		return "", err
	}
	defer rc.Close()
	b.update(progress.Push, &progress.BuildUpdate{Begin: true})
	digest, err := b.readPush(rc)
	if err != nil {
		err = &PushError{Ref: ref.String(), Message: err.Error()}
	}
	b.end(progress.Push, false, err)
	if err != nil {
		b.Progress.Send(progress.Event{Phase: progress.Push, Status: progress.Failed, Message: oneLine(err.Error()), Err: err})
		return "", err
	}
	b.Progress.Send(progress.Event{Phase: progress.Push, Status: progress.Done, Message: "pushed " + ref.String() + "@" + digest})
	return digest, nil
}

// readPush passes a push's messages in r on to Progress and returns the pushed digest.
func (b *Builder) readPush(r io.Reader) (string, error) {
	var digest string
	err := b.readMessages(r, progress.Push, func(raw json.RawMessage) {
		var aux struct{ Digest string }
		if json.Unmarshal(raw, &aux) == nil && aux.Digest != "" {
			digest = aux.Digest
		}
	}, func(m *engineMessage) error {
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
		return nil
	})
	if err == nil && digest == "" {
		err = errors.New("the engine reported no digest")
	}
	return digest, err
}

// registryAuth is the docker config's credentials for the repository's registry (credential
// helpers included), encoded for the API; none is an empty string.
func registryAuth(repo string) (string, error) {
	host, _, _ := strings.Cut(repo, "/")
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		host = "https://index.docker.io/v1/"
	}
	cf := config.LoadDefaultConfigFile(io.Discard)
	ac, err := cf.GetAuthConfig(host)
	if err != nil {
		return "", fmt.Errorf("credentials for %s (~/.docker/config.json): %w", host, err)
	}
	return registry.EncodeAuthConfig(registry.AuthConfig{
		Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
		ServerAddress: ac.ServerAddress, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken,
	})
}

// stepLines reads the classic builder's output for its "Step N/M : …" lines, to name the
// step that failed.
type stepLines struct {
	partial string
	last    string
}

// add adds output and returns the step lines it completes.
func (s *stepLines) add(text string) []string {
	var steps []string
	s.partial += text
	for {
		line, rest, ok := strings.Cut(s.partial, "\n")
		if !ok {
			break
		}
		s.partial = rest
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "Step ") {
			s.last = t
			steps = append(steps, t)
		}
	}
	return steps
}
