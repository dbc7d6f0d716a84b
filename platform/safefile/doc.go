// Package safefile writes the files Slipway produces (a chart, slipway.yaml) the one way
// Slipway writes files: never through a symlink it did not create (a symlink where a file
// would go is refused, and nothing is changed), and atomically (a temporary file in the same
// directory, renamed over the old one), so that a crash leaves the old file or the new one,
// never half of either. It does not print and knows nothing of commands or flags.
package safefile
