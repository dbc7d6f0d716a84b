package local

import (
	"fmt"
	"strconv"
	"strings"
)

// Entry is one long-running process type as the Procfile declares it, in file order.
type Entry struct {
	Name    string
	Command string
}

// ParseFormation reads `-m` values: comma-separated TYPE=N, where `all=N` sets every type
// not named. Later settings of a type win.
func ParseFormation(specs []string) (map[string]int, error) {
	f := map[string]int{}
	for _, spec := range specs {
		for _, part := range strings.Split(spec, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, num, ok := strings.Cut(part, "=")
			if !ok || name == "" {
				return nil, fmt.Errorf("formation %q: want TYPE=N, e.g. web=2,worker=1 or all=1", part)
			}
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 || n > 100 {
				return nil, fmt.Errorf("formation %q: the count must be a whole number from 0 to 100", part)
			}
			f[name] = n
		}
	}
	return f, nil
}

// Select decides what runs: the types named in only (every type when only is empty), each
// with the count formation gives it, in Procfile order. A type formation leaves out gets
// all=N if given, else 0 when formation names types and only is empty (foreman's rule:
// `-m web=2` runs web alone), else 1. It
// reports whether the release phase was named; naming only "release" runs it alone. An
// unknown type, in only or in formation, is an error listing the known ones.
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
	for name := range formation {
		if _, ok := known[name]; !ok && name != "all" {
			return nil, false, unknown("formation", name)
		}
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
	// As foreman: `-m web=2` alone runs web only, `-m all=1,web=2` everything. Types named as
	// arguments run once unless -m says otherwise.
	def := 1
	if n, ok := formation["all"]; ok {
		def = n
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
