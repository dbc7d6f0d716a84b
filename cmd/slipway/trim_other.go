//go:build !linux

package main

import "runtime/debug"

// trimMemory gives back the heap start-up freed.
func trimMemory() { debug.FreeOSMemory() }
