// Package watch is the live state of Slipway's apps, fed by informers: the app list (from
// the Helm release records' labels), each app's process types and pods (through the same
// pure function as `slipway ps`), its Kubernetes events, and the state of the connection to
// the API server. A front end (the terminal UI, a CLI that follows) reads it whenever
// Changed signals, instead of listing again.
//
// After its first list of each kind it only watches: it never polls the API server, never
// decodes a release record's payload (the records are cached as metadata only), and it
// writes nothing: no terminal output, no changes to the cluster. Diagnostics go to
// Source.Log.
package watch
