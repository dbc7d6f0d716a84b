// Package build makes the one image of a repository through the Docker Engine API and pushes
// it: the build context (honouring .dockerignore), the Dockerfile (the repository's, or one
// generated for its language, chosen as Heroku would build the app: see app.Build), build
// args, a tag derived from the source (git sha, plus a content hash for a dirty tree), and
// the pushed digest. An image whose tag the registry already holds is neither rebuilt nor
// pushed.
//
// The engine builds with BuildKit when it has it, as docker build does (DOCKER_BUILDKIT=0
// selects its classic builder): the build context goes in the request's body for either
// builder. BuildKit's progress (protobuf status messages) and the engine's JSON messages (the
// classic builder's output, a push's layers) are decoded and sent as progress events
// (Builder.Progress): Build updates carrying the decoded data, for a renderer that shows them
// as docker does (package render), and a plain Message for each step that starts, ends or
// fails and for the push, for a front end without such a view.
//
// It never prints, draws or exits: progress goes to a progress.Func, results and errors are
// returned.
package build
