// Package importer is the Heroku migration: it reads what the Heroku CLI exports about an
// app (config vars, add-ons, formation, domains) and the app's repository, and plans a
// slipway.yaml and a migration report from them.
//
// exports.go parses the Heroku CLI's exports. Each parser is strict where the CLI's own
// output could not have looked the way the file does, and lenient about fields it does not
// read; its errors are *app.FileError located at file:line. Config values are secrets:
// no error ever quotes one (names are fine).
//
// The package reads and plans only: it never prints, exits, talks to Heroku or to a
// cluster; front ends show its results and errors.
package importer
