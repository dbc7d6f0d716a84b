package app

import (
	"fmt"
	"strings"
)

// MaxVarNameLen is the longest config var name: a Secret key's limit.
const MaxVarNameLen = 253

// VarNameError says a config var name is not one Slipway delivers to every process.
type VarNameError struct {
	Name string
	// Why says what is wrong with it, in parentheses after the name.
	Why string
}

func (e *VarNameError) Error() string {
	if e.Name == "" {
		return "empty variable name"
	}
	return fmt.Sprintf("%q is not a valid config var name (%s)", e.Name, e.Why)
}

// CheckVarName accepts the config var names that reach a process's environment on every
// Kubernetes version: letters, digits, '_', '.' and '-', not starting with a digit, at most
// 253 characters, and not ".", ".." or starting with "..".
//
// Config vars are keys of a Secret that the pods take with envFrom. A Secret key is
// [-._a-zA-Z0-9]+ (at most 253 characters, not "." or "..", no ".." prefix); kubelets
// before RelaxedEnvironmentVariableValidation (GA in 1.34) silently skip keys that are
// not also environment variable names ([-._a-zA-Z][-._a-zA-Z0-9]*), so a name starting
// with a digit is refused rather than lost. Heroku's own advice (letters, digits and '_')
// is a subset; its API takes '.' too.
func CheckVarName(name string) error {
	if name == "" {
		return &VarNameError{}
	}
	for i, r := range name {
		ok := r == '_' || r == '.' || r == '-' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return &VarNameError{Name: name, Why: "letters, digits, _, . and - only, not starting with a digit"}
		}
	}
	switch {
	case len(name) > MaxVarNameLen:
		return &VarNameError{Name: name, Why: fmt.Sprintf("at most %d characters", MaxVarNameLen)}
	case name == "." || strings.HasPrefix(name, ".."):
		return &VarNameError{Name: name, Why: `not ".", ".." or starting with ".."`}
	}
	return nil
}
