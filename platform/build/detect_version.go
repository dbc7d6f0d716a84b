package build

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the small version-constraint checker behind version resolution.
// It answers one question: does any release of a given line (Node 22, PHP 8.3, Ruby 3.4)
// satisfy a constraint? Every comparator becomes a half-open interval [lo, hi) of
// release numbers, so a constraint set is satisfiable on a line when the line's interval
// intersects all of its comparators. Pre-release tags are ignored.

// version is a release number; missing parts are zero.
type version [3]int

// less reports whether v sorts before w.
func (v version) less(w version) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

// next returns the smallest version after v when only its first n parts count:
// next(1) of 1.2.3 is 2.0.0, next(2) is 1.3.0, next(3) is 1.2.4.
func (v version) next(n int) version {
	var w version
	copy(w[:n], v[:n])
	w[n-1]++
	return w
}

// interval is the half-open range [lo, hi) of versions.
type interval struct{ lo, hi version }

// unbounded contains every version.
var unbounded = interval{hi: version{1 << 30}}

func (a interval) intersect(b interval) interval {
	if a.lo.less(b.lo) {
		a.lo = b.lo
	}
	if b.hi.less(a.hi) {
		a.hi = b.hi
	}
	return a
}

func (a interval) empty() bool { return !a.lo.less(a.hi) }

// dialect is a constraint syntax: they differ in what `~` means and how terms are joined.
type dialect int

const (
	npmRange      dialect = iota // node-semver: ~1.2 is >=1.2.0 <1.3.0; terms joined by spaces
	composerRange                // Composer: ~1.2 is >=1.2 <2.0; terms joined by spaces or commas; | and || are "or"
	rubyRange                    // RubyGems: ~> 1.2 is >=1.2 <2.0; terms are separate arguments
)

// constraint is a disjunction of conjunctions of intervals.
type constraint [][]interval

// allows reports whether some version of the line (major when n is 1, major.minor when n is 2)
// satisfies c.
func (c constraint) allows(line version, n int) bool {
	span := interval{lo: line, hi: line.next(n)}
	for _, set := range c {
		iv := span
		for _, t := range set {
			iv = iv.intersect(t)
		}
		if !iv.empty() {
			return true
		}
	}
	return false
}

// highest returns the highest of lines (each with n significant parts) that c allows.
func (c constraint) highest(lines []version, n int) (version, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		if c.allows(lines[i], n) {
			return lines[i], true
		}
	}
	return version{}, false
}

// parseConstraint parses s in the given dialect. The common forms are understood:
// exact and partial versions (20, 20.x, 20.1.*), comparisons (>=18 <23, > 8.1),
// caret and tilde (^20, ~20.1, ~> 3.2), hyphen ranges (18 - 20), * and "or" (||).
func parseConstraint(s string, d dialect) (constraint, error) {
	s = strings.TrimSpace(s)
	if d == composerRange {
		// Composer: "|" is "or" like "||", "," is "and" like a space; "@stable" flags are not versions.
		s = strings.ReplaceAll(s, "||", "|")
		s = strings.ReplaceAll(s, "|", "||")
		s = strings.ReplaceAll(s, ",", " ")
	}
	if d == rubyRange {
		s = strings.ReplaceAll(s, ",", " ")
	}
	var c constraint
	for _, alt := range strings.Split(s, "||") {
		set, err := parseSet(alt, d)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", strings.TrimSpace(s), err)
		}
		c = append(c, set)
	}
	return c, nil
}

// parseSet parses one conjunction: comparators separated by blanks, or a hyphen range.
func parseSet(s string, d dialect) ([]interval, error) {
	fields := strings.Fields(s)
	// Glue an operator written apart from its version ("> = 1" is not a thing, ">= 18" is).
	var toks []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Trim(f, "<>=~^!") == "" && f != "-" && i+1 < len(fields) {
			f += fields[i+1]
			i++
		}
		toks = append(toks, f)
	}
	if len(toks) == 3 && toks[1] == "-" {
		lo, _, err := parsePartial(toks[0])
		if err != nil {
			return nil, err
		}
		hi, n, err := parsePartial(toks[2])
		if err != nil {
			return nil, err
		}
		return []interval{{lo: lo, hi: hi.next(n)}}, nil
	}
	if len(toks) == 0 {
		return []interval{unbounded}, nil // "" means any version, like "*"
	}
	var set []interval
	for _, t := range toks {
		iv, err := parseComparator(t, d)
		if err != nil {
			return nil, err
		}
		set = append(set, iv)
	}
	return set, nil
}

// parseComparator parses one term such as ">=18", "^20", "~20.1", "20.x" or "*".
func parseComparator(t string, d dialect) (interval, error) {
	op := ""
	for _, o := range []string{"~>", ">=", "<=", "==", "!=", ">", "<", "=", "^", "~"} {
		if strings.HasPrefix(t, o) {
			op, t = o, strings.TrimSpace(t[len(o):])
			break
		}
	}
	if op == "!=" {
		return unbounded, nil // excludes a single release: irrelevant when choosing a release line
	}
	if i := strings.IndexByte(t, '@'); i > 0 && d == composerRange {
		t = t[:i] // 8.1@dev: the stability flag does not change the version
	}
	v, n, err := parsePartial(t)
	if err != nil {
		return interval{}, err
	}
	if n == 0 { // *, x, X
		if op != "" && op != "=" && op != "==" && op != ">=" {
			return interval{}, fmt.Errorf("%q: a wildcard only stands alone", op+t)
		}
		return unbounded, nil
	}
	top := unbounded.hi
	switch op {
	case "", "=", "==":
		return interval{lo: v, hi: v.next(n)}, nil
	case ">=":
		return interval{lo: v, hi: top}, nil
	case ">":
		return interval{lo: v.next(n), hi: top}, nil
	case "<":
		return interval{hi: v}, nil
	case "<=":
		return interval{hi: v.next(n)}, nil
	case "^":
		// The leftmost non-zero part is kept: ^20.1 is <21, ^0.2.3 is <0.3.0.
		k := 1
		for k < n && v[k-1] == 0 {
			k++
		}
		return interval{lo: v, hi: v.next(k)}, nil
	case "~>":
		if n == 1 {
			return interval{lo: v, hi: v.next(1)}, nil
		}
		return interval{lo: v, hi: v.next(n - 1)}, nil
	case "~":
		if d == composerRange && n > 1 {
			return interval{lo: v, hi: v.next(n - 1)}, nil // Composer's ~ is RubyGems' ~>
		}
		if n == 1 {
			return interval{lo: v, hi: v.next(1)}, nil
		}
		return interval{lo: v, hi: v.next(2)}, nil
	}
	return interval{}, fmt.Errorf("unknown operator %q", op)
}

// parsePartial parses "22", "v22.1", "3.11.7", "20.x", "8.1.*" or "*". It returns the
// version and how many parts were given before any wildcard (0 for "*").
func parsePartial(s string) (version, int, error) {
	orig := s
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	if i := strings.IndexAny(s, "-+"); i > 0 {
		s = s[:i] // 1.2.3-beta.1, 1.2.3+build: pre-release and build tags are ignored
	}
	var v version
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return v, 0, fmt.Errorf("%q is not a version", orig)
	}
	n := 0
	for _, p := range parts {
		if p == "x" || p == "X" || p == "*" {
			break
		}
		i, err := strconv.Atoi(p)
		if err != nil || i < 0 {
			return v, 0, fmt.Errorf("%q is not a version", orig)
		}
		v[n] = i
		n++
	}
	return v, n, nil
}

// majorMinor returns "X.Y" from a version string such as "3.11.7", "python-3.11.7",
// "ruby-3.3.0" or "go1.26.1"; ok is false when s does not start with two numbers.
func majorMinor(s string) (string, bool) {
	s = strings.TrimLeft(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-")
	v, n, err := parsePartial(s)
	if err != nil || n < 2 {
		return "", false
	}
	return fmt.Sprintf("%d.%d", v[0], v[1]), true
}

// lineString renders the first n parts of v ("22", "8.3").
func lineString(v version, n int) string {
	if n == 1 {
		return strconv.Itoa(v[0])
	}
	return fmt.Sprintf("%d.%d", v[0], v[1])
}

// lineStrings renders lines for messages: "18, 20, 22, 24".
func lineStrings(lines []version, n int) string {
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = lineString(l, n)
	}
	return strings.Join(s, ", ")
}
