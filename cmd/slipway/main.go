// Command slipway is a Heroku-style developer platform on Kubernetes: it reads a repository
// kept the Heroku way (Procfile, .env, app.json, heroku.yml) and runs, builds, charts and
// deploys it. This package only parses flags, calls the platform packages and prints.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], defaultStreams()))
}
