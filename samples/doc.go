// Package samples holds the sample apps used by the README, the tests and the benchmarks:
// go/ (its own Go module), node/ and python/. This file only anchors the package for
// samples_test.go, which runs the Node.js and Python samples as real processes.
package samples
