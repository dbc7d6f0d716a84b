// Package charts generates the Helm chart of an app. The chart itself is real files under
// app/ (Chart.yaml, values.yaml, templates/), embedded with go:embed so that a person can
// read them and `helm lint` them; this package only fills values.yaml and Chart.yaml for
// one App, renders the chart with Helm's engine and lints it with Helm's linter, in process.
//
// Config values are never written into a chart unless Options.IncludeSecrets says so: by
// default the chart refers to a Secret by name, which the deployer creates.
package charts
