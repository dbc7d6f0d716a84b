// Package build makes the one image of a repository through the Docker Engine API and pushes
// it: the build context (honouring .dockerignore), the Dockerfile (the repository's, or one
// generated for its language), build args, a tag derived from the source (git sha, plus a
// content hash for a dirty tree), and the pushed digest. An image whose tag the registry
// already holds is neither rebuilt nor pushed.
//
// The engine builds with BuildKit when it has it, as docker build does (DOCKER_BUILDKIT=0
// selects its classic builder): the build context goes in the request's body for either
// builder, and BuildKit's progress (protobuf status messages) is decoded and shown as docker
// shows it.
//
// It never prints or exits: the engine's progress goes to an io.Writer, results and errors
// are returned.
package build
