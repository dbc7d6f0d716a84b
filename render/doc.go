// Package render shows the engine's progress events (platform/progress) on a terminal or in
// plain text, as the CLI shows them: the front end's half of what platform/build decodes.
//
// Build shows a build's and a push's own output as docker does: BuildKit's steps as docker
// build --progress=plain lines, or on a terminal as a compact view redrawn in place (with
// the cursor moved by ANSI sequences, sized to the terminal); the classic builder's and a
// push's messages as docker's layer display; and after a failed BuildKit build, the failed
// step's last output lines and the Dockerfile's warnings.
//
//	b := &build.Builder{Docker: docker, Host: host, Progress: render.Build(os.Stderr, render.BuildOptions{
//		Terminal: term.IsTerminal(fd),
//		Size:     func() (int, int, error) { return term.GetSize(fd) },
//	})}
package render
