// Package release deploys an app into one environment and operates its releases with Helm's
// SDK, in process: deploy (upgrade or install, wait, roll back on failure), history,
// rollback, promotion, config vars, autoscaling, and the apps listing.
//
// A release is a Helm revision of the app's chart in the environment's namespace. The
// formation (replica counts, autoscaling bounds) is not part of a release: every operation
// keeps the live one. Config vars travel in the release's values, so a rollback restores
// them. One operation per app and environment runs at a time, under a lease.
//
// PreviewPromote and PreviewRollback say what a promotion or rollback would change, worked
// out by the operations' own planning over the release records, without a lock, a write or
// an image copy; Compare says how far one environment's history is behind another's.
//
// It never prints or exits: progress goes to a progress.Func as events, results and errors
// are returned.
package release
