package app

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CountRules are what a front end allows in a list of process counts.
type CountRules struct {
	// Max is the largest count; 0 means math.MaxInt32, the most a Deployment holds.
	Max int
	// Repeat lets a type be given more than once, the last count winning; without it a
	// type given twice is an error.
	Repeat bool
}

// CountError is a TYPE=N that ParseCounts refuses. Its message starts with the quoted
// argument, so a caller can say what it is: `formation "web=x": …`.
type CountError struct {
	// Arg is the TYPE=N as given.
	Arg string
	// Why says what is wrong.
	Why string
}

func (e *CountError) Error() string { return fmt.Sprintf("%q: %s", e.Arg, e.Why) }

// ParseCounts reads process counts written TYPE=N (web=2), as `scale` arguments and
// `local -m` values give them: each argument holds one or more, comma-separated, with
// blanks around them ignored. N is a whole number from 0 to r.Max. The type is not
// checked against any app: callers know which types exist.
func ParseCounts(args []string, r CountRules) (map[string]int, error) {
	limit := r.Max
	if limit <= 0 {
		limit = math.MaxInt32
	}
	counts := map[string]int{}
	for _, arg := range args {
		for part := range strings.SplitSeq(arg, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			typ, num, ok := strings.Cut(part, "=")
			if !ok || typ == "" {
				return nil, &CountError{Arg: part, Why: "want TYPE=N, e.g. web=2,worker=1"}
			}
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 || n > limit {
				return nil, &CountError{Arg: part, Why: fmt.Sprintf("the count must be a whole number from 0 to %d", limit)}
			}
			if _, dup := counts[typ]; dup && !r.Repeat {
				return nil, &CountError{Arg: part, Why: typ + " is given twice"}
			}
			counts[typ] = n
		}
	}
	return counts, nil
}
