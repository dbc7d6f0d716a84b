package app

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultBranches are the branches whose pushes deploy to staging when no environment of
// slipway.yaml names a branch of its own for staging.
var DefaultBranches = []string{"main", "master"}

// BranchEnvironments maps the git branches a push may deploy from to environments: each
// environment's branch from slipway.yaml, and main and master to staging when staging
// exists and names no branch (Heroku deploys a push of main or master).
func (a *App) BranchEnvironments() map[string]string {
	m := map[string]string{}
	for name, e := range a.Environments {
		if e.Branch != "" {
			m[e.Branch] = name
		}
	}
	if s, ok := a.Environments["staging"]; ok && s.Branch == "" {
		for _, b := range DefaultBranches {
			if _, taken := m[b]; !taken {
				m[b] = "staging"
			}
		}
	}
	return m
}

// UnmappedBranchError is a push to a branch that deploys nowhere.
type UnmappedBranchError struct {
	Branch string
	// Mapped are the branches that deploy, as "branch → environment", sorted.
	Mapped []string
}

func (e *UnmappedBranchError) Error() string {
	if len(e.Mapped) == 0 {
		return fmt.Sprintf("branch %s deploys to no environment, and no branch does", e.Branch)
	}
	return fmt.Sprintf("branch %s deploys to no environment; the branches that deploy: %s", e.Branch, strings.Join(e.Mapped, ", "))
}

// Hint says how to map one.
func (e *UnmappedBranchError) Hint() string {
	return fmt.Sprintf("push one of those, or set environments.ENV.branch: %s in %s", e.Branch, ManifestFile)
}

// EnvironmentOfBranch is the environment a push of branch deploys to.
func (a *App) EnvironmentOfBranch(branch string) (string, error) {
	m := a.BranchEnvironments()
	if env, ok := m[branch]; ok {
		return env, nil
	}
	mapped := make([]string, 0, len(m))
	for b, env := range m {
		mapped = append(mapped, b+" → "+env)
	}
	slices.Sort(mapped)
	return "", &UnmappedBranchError{Branch: branch, Mapped: mapped}
}

// CheckBranch checks that name is a branch name git accepts (git check-ref-format's rules
// for refs/heads/NAME).
func CheckBranch(name string) error {
	bad := func(why string) error { return fmt.Errorf("%q is not a git branch name: %s", name, why) }
	switch {
	case name == "" || name == "@":
		return bad("empty or @")
	case strings.HasPrefix(name, "-"):
		return bad("it starts with '-'")
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return bad("empty path component")
	case strings.HasSuffix(name, ".") || strings.Contains(name, "..") || strings.Contains(name, "@{"):
		return bad("'..', '@{' or a trailing '.'")
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return bad("a component starts with '.' or ends with .lock")
		}
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return bad(fmt.Sprintf("it contains %q", r))
		}
	}
	return nil
}
