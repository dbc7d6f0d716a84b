package local

import (
	"errors"
	"fmt"
	"strings"

	"github.com/slipwayhq/slipway/platform/app"
)

// Entry is one long-running process type as the Procfile declares it, in file order.
type Entry struct {
	Name    string
	Command string
}

// Others is the formation key for every type not named: `*=N`. `all=N` means the same
// unless the Procfile has a type named all (see Select).
const Others = "*"

// ErrReleaseCount is the error for a count given to the release command, which runs once.
var ErrReleaseCount = errors.New("the release command runs once, before the other types, and takes no count")

// MaxCount is the most instances of one type `-m` starts.
const MaxCount = 100

// ParseFormation reads `-m` values: comma-separated TYPE=N (see app.ParseCounts), where
// `*=N` (or `all=N`) sets every type not named. Later settings of a type win.
func ParseFormation(specs []string) (map[string]int, error) {
	f, err := app.ParseCounts(specs, app.CountRules{Max: MaxCount, Repeat: true})
	if err != nil {
		return nil, fmt.Errorf("formation %w", err)
	}
	return f, nil
}

// Select decides what runs: the types named in only (every type when only is empty), each
// with the count formation gives it, in Procfile order. A type formation leaves out gets
// *=N if given (or all=N, when no type is named all: then all=N is that type's count),
// else 0 when formation names types and only is empty (foreman's rule: `-m web=2` runs
// web alone), else 1. It reports whether the release phase was named; naming only
// "release" runs it alone. An unknown type, in only or in formation, is an error listing
// the known ones; a count for the release command is ErrReleaseCount.
func Select(entries []Entry, hasRelease bool, only []string, formation map[string]int) (types []Type, releaseNamed bool, err error) {
	known := map[string]int{}
	var names []string
	for i, e := range entries {
		known[e.Name] = i
		names = append(names, e.Name)
	}
	unknown := func(what, name string) error {
		list := strings.Join(names, ", ")
		if hasRelease {
			list += ", release"
		}
		return fmt.Errorf("%s %q: the Procfile has no such process type (it has %s)", what, name, list)
	}
	_, allIsType := known["all"]
	for name, n := range formation {
		_, ok := known[name]
		switch {
		case ok || name == Others || (name == "all" && !allIsType):
		case name == "release" && hasRelease:
			return nil, false, fmt.Errorf("formation %q: %w", fmt.Sprintf("release=%d", n), ErrReleaseCount)
		default:
			return nil, false, unknown("formation", name)
		}
	}
	others, hasOthers := formation[Others]
	if n, ok := formation["all"]; ok && !allIsType {
		if hasOthers && n != others {
			return nil, false, fmt.Errorf("formation: all=%d and *=%d both count the types not named", n, others)
		}
		others, hasOthers = n, true
	}
	want := map[string]bool{}
	for _, name := range only {
		if name == "release" && hasRelease {
			releaseNamed = true
			continue
		}
		if _, ok := known[name]; !ok {
			return nil, false, unknown("process type", name)
		}
		want[name] = true
	}
	// As foreman: `-m web=2` alone runs web only, `-m *=1,web=2` everything. Types named as
	// arguments run once unless -m says otherwise.
	def := 1
	if hasOthers {
		def = others
	} else if len(formation) > 0 && len(only) == 0 {
		def = 0
	}
	for i, e := range entries {
		if len(only) > 0 && !want[e.Name] {
			continue
		}
		n, ok := formation[e.Name]
		if !ok {
			n = def
		}
		if n > 0 {
			types = append(types, Type{Name: e.Name, Command: e.Command, Position: i, Count: n})
		}
	}
	return types, releaseNamed, nil
}
