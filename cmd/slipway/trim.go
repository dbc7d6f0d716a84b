package main

import "runtime/debug"

// trimMemory returns to the system the heap that start-up (the initialisation of the
// Kubernetes, Helm and Docker packages) used and freed, before a long-running supervisor
// starts: its private memory is then what it uses.
func trimMemory() { debug.FreeOSMemory() }
