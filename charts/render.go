package charts

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint/support"
)

// KubeVersion is the Kubernetes version charts are rendered and linted for when no cluster
// is asked (Helm's own default, without build flags, is v1.20, older than the chart allows).
const KubeVersion = "v1.36.0"

// Load turns the generated files into a Helm chart.
func (c *Chart) Load() (*chart.Chart, error) {
	files := make([]*loader.BufferedFile, 0, len(c.Files))
	for _, p := range c.Paths() {
		files = append(files, &loader.BufferedFile{Name: p, Data: c.Files[p]})
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("load generated chart: %w", err)
	}
	return ch, nil
}

// Render renders the chart as `helm template` does, for a release name and namespace:
// one YAML stream, hooks included, ordered by template file.
func (c *Chart) Render(releaseName, namespace string) (string, error) {
	ch, err := c.Load()
	if err != nil {
		return "", err
	}
	caps, err := capabilities()
	if err != nil {
		return "", err
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, map[string]any{}); err != nil {
		return "", fmt.Errorf("render chart: %w", err)
	}
	vals, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{Name: releaseName, Namespace: namespace, IsInstall: true, Revision: 1}, caps)
	if err != nil {
		return "", fmt.Errorf("render chart: %w", err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return "", fmt.Errorf("render chart: %w", err)
	}
	names := make([]string, 0, len(out))
	for n := range out {
		if strings.HasSuffix(n, ".yaml") && path.Base(path.Dir(n)) == "templates" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		body := strings.TrimSpace(out[n])
		for _, doc := range strings.Split(body, "\n---") {
			doc = strings.TrimSpace(strings.TrimPrefix(doc, "---"))
			if doc == "" {
				continue
			}
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", strings.TrimPrefix(n, ch.Name()+"/"), doc)
		}
	}
	return b.String(), nil
}

func capabilities() (*chartutil.Capabilities, error) {
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	return caps, nil
}

// Lint runs Helm's linter in strict mode on the chart written to dir and returns its
// findings of warning severity or worse ("[WARNING] templates/x.yaml: …"); none means clean.
func Lint(dir string) ([]string, error) {
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, err
	}
	l := action.NewLint()
	l.Strict = true
	l.Namespace = "default"
	l.KubeVersion = kv
	res := l.Run([]string{dir}, map[string]any{})
	var out []string
	for _, m := range res.Messages {
		if m.Severity >= support.WarningSev {
			out = append(out, m.Error())
		}
	}
	if len(out) == 0 && len(res.Errors) > 0 {
		for _, e := range res.Errors {
			out = append(out, e.Error())
		}
	}
	return out, nil
}

// LintFiles writes the chart to a temporary directory and lints it there.
func (c *Chart) Lint() ([]string, error) {
	dir, err := os.MkdirTemp("", "slipway-lint-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	root := dir + "/" + c.Name
	if _, err := c.Write(root); err != nil {
		return nil, err
	}
	return Lint(root)
}
