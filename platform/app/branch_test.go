package app

import (
	"errors"
	"strings"
	"testing"
)

func TestBranchEnvironments(t *testing.T) {
	for _, c := range []struct {
		name     string
		manifest string
		want     map[string]string // branch → environment; "" = refused
		err      string
	}{
		{"defaults", "", map[string]string{"main": "staging", "master": "staging", "production": ""}, ""},
		{"production by branch", "environments:\n  staging: {}\n  production:\n    branch: production\n",
			map[string]string{"main": "staging", "master": "staging", "production": "production", "dev": ""}, ""},
		{"staging's own branch replaces the default", "environments:\n  staging:\n    branch: develop\n  production:\n    branch: main\n",
			map[string]string{"develop": "staging", "main": "production", "master": ""}, ""},
		{"no staging", "environments:\n  prod:\n    branch: release/v1\n",
			map[string]string{"release/v1": "prod", "main": ""}, ""},
		{"two environments, one branch", "environments:\n  staging:\n    branch: main\n  production:\n    branch: main\n", nil,
			"slipway.yaml:3: environments.staging.branch: \"main\" is the branch of environment production already"},
		{"not a branch name", "environments:\n  staging:\n    branch: 'a..b'\n", nil, "environments.staging.branch: \"a..b\" is not a git branch name"},
		{"a space", "environments:\n  staging:\n    branch: 'a b'\n", nil, "is not a git branch name: it contains ' '"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeApp(t, map[string]string{"Procfile": "web: x\n", ManifestFile: c.manifest})
			a, err := Load(dir, Options{})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("Load = %v, want an error containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for branch, want := range c.want {
				got, err := a.EnvironmentOfBranch(branch)
				var ub *UnmappedBranchError
				switch {
				case want == "" && !errors.As(err, &ub):
					t.Errorf("branch %s: got %q, %v; want it refused", branch, got, err)
				case want == "" && !strings.Contains(err.Error(), "the branches that deploy: "):
					t.Errorf("branch %s: the refusal lists no branches: %v", branch, err)
				case want != "" && (err != nil || got != want):
					t.Errorf("branch %s: got %q, %v; want %s", branch, got, err, want)
				}
			}
		})
	}
}
