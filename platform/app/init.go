package app

import (
	"os"
	"path/filepath"
)

// InitManifest returns the slipway.yaml `slipway init` writes for a: the detected name,
// image repository, the ports of serving processes and the environments.
func InitManifest(a *App) ([]byte, error) {
	m := Manifest{Name: a.Name, Image: ManifestImage{Repository: a.Image.Repository, PullSecrets: a.Image.PullSecrets}, Processes: map[string]ProcessSettings{}, Environments: map[string]ManifestEnvironment{}}
	for _, p := range a.Processes {
		s := ProcessSettings{}
		if p.Port != 0 {
			port := p.Port
			s.Port = &port
		}
		if p.Singleton {
			t := true
			s.Singleton = &t
		}
		if s != (ProcessSettings{}) {
			m.Processes[p.Name] = s
		}
	}
	for _, n := range a.EnvironmentNames() {
		e := a.Environments[n]
		m.Environments[n] = ManifestEnvironment{Namespace: e.Namespace, EnvFile: e.EnvFile, Context: e.Context, Domain: e.Domain}
	}
	return EncodeManifest(&m)
}

// DetectLanguages names the app's languages the way buildpacks detect them, the main one
// first: Node.js comes last because so many apps carry a package.json for their assets.
func DetectLanguages(dir string) []string {
	var langs []string
	for _, c := range []struct {
		lang  string
		files []string
	}{
		{"Go", []string{"go.mod"}},
		{"Ruby", []string{"Gemfile"}},
		{"Python", []string{"requirements.txt", "pyproject.toml", "Pipfile", "setup.py"}},
		{"PHP", []string{"composer.json"}},
		{"Java", []string{"pom.xml", "build.gradle", "build.gradle.kts"}},
		{"Node.js", []string{"package.json"}},
	} {
		for _, f := range c.files {
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				langs = append(langs, c.lang)
				break
			}
		}
	}
	return langs
}
