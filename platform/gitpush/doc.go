// Package gitpush is the git-push receiver: an HTTP server speaking git's smart protocol for
// one bare repository per app, which builds and deploys a pushed commit before its ref moves
// (a pre-receive step) and streams the progress back as the push's "remote:" lines.
//
// The protocol itself is git's own (git receive-pack and upload-pack with --stateless-rpc,
// behind the Git interface); this package authenticates every request (tokens), routes it
// to an app's repository, takes one push per app at a time, and runs the pipeline that
// slipway deploy runs. It never prints or exits: the server's own log goes to a function
// it is given, everything about a push goes to that push.
package gitpush
