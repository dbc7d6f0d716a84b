package local

import (
	"reflect"
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	entries := []Entry{{"web", "w"}, {"worker", "k"}, {"clock", "c"}}
	counts := func(types []Type) string {
		var b strings.Builder
		for _, ty := range types {
			b.WriteString(ty.Name + "@" + string(rune('0'+ty.Position)) + "=" + string(rune('0'+ty.Count)) + " ")
		}
		return strings.TrimSpace(b.String())
	}
	for _, tc := range []struct {
		only      []string
		formation []string
		want      string
		release   bool
	}{
		{nil, nil, "web@0=1 worker@1=1 clock@2=1", false},
		{nil, []string{"web=2"}, "web@0=2", false}, // foreman: -m alone names what runs
		{nil, []string{"all=1,web=2"}, "web@0=2 worker@1=1 clock@2=1", false},
		{nil, []string{"all=2", "clock=0"}, "web@0=2 worker@1=2", false},
		{[]string{"clock"}, nil, "clock@2=1", false}, // position kept: same PORT as in a full run
		{[]string{"clock", "web"}, []string{"web=3"}, "web@0=3 clock@2=1", false},
		{[]string{"release"}, nil, "", true},
		{[]string{"release", "worker"}, nil, "worker@1=1", true},
		{nil, []string{"*=2,web=1"}, "web@0=1 worker@1=2 clock@2=2", false},
		{nil, []string{"all=1", "*=1"}, "web@0=1 worker@1=1 clock@2=1", false},
	} {
		f, err := ParseFormation(tc.formation)
		if err != nil {
			t.Fatal(err)
		}
		types, rel, err := Select(entries, true, tc.only, f)
		if err != nil {
			t.Fatalf("%v %v: %v", tc.only, tc.formation, err)
		}
		if got := counts(types); got != tc.want || rel != tc.release {
			t.Errorf("%v %v: got %q release=%v, want %q release=%v", tc.only, tc.formation, got, rel, tc.want, tc.release)
		}
	}
}

// TestSelectTypesNamedAllAndRun: a type named all is counted by all=N, *=N counts the
// others; run is a type like any other.
func TestSelectTypesNamedAllAndRun(t *testing.T) {
	entries := []Entry{{"web", "w"}, {"all", "a"}, {"run", "r"}}
	for _, tc := range []struct {
		only      []string
		formation string
		want      []string
	}{
		{nil, "all=2", []string{"all=2"}},
		{nil, "all=1,*=3", []string{"web=3", "all=1", "run=3"}},
		{nil, "*=1,web=0", []string{"all=1", "run=1"}},
		{[]string{"run"}, "", []string{"run=1"}},
	} {
		f, err := ParseFormation([]string{tc.formation})
		if err != nil {
			t.Fatal(err)
		}
		types, _, err := Select(entries, false, tc.only, f)
		if err != nil {
			t.Fatalf("%v -m %s: %v", tc.only, tc.formation, err)
		}
		var got []string
		for _, ty := range types {
			got = append(got, ty.Name+"="+string(rune('0'+ty.Count)))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v -m %s: got %v, want %v", tc.only, tc.formation, got, tc.want)
		}
	}
}

func TestSelectErrors(t *testing.T) {
	entries := []Entry{{"web", "w"}}
	for _, tc := range []struct {
		only       []string
		formation  []string
		hasRelease bool
		want       string
	}{
		{[]string{"wrk"}, nil, false, `process type "wrk": the Procfile has no such process type (it has web)`},
		{[]string{"release"}, nil, false, `process type "release": the Procfile has no such process type (it has web)`},
		{nil, []string{"api=1"}, true, `formation "api": the Procfile has no such process type (it has web, release)`},
		{nil, []string{"release=2"}, true, `formation "release=2": the release command runs once, before the other types, and takes no count`},
		{nil, []string{"all=1,*=2"}, false, `formation: all=1 and *=2 both count the types not named`},
	} {
		f, err := ParseFormation(tc.formation)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := Select(entries, tc.hasRelease, tc.only, f); err == nil || err.Error() != tc.want {
			t.Errorf("%v %v: err = %v, want %q", tc.only, tc.formation, err, tc.want)
		}
	}
	for _, spec := range []string{"web", "=2", "web=-1", "web=x", "web=101"} {
		if _, err := ParseFormation([]string{spec}); err == nil {
			t.Errorf("ParseFormation(%q) accepted it", spec)
		}
	}
	f, err := ParseFormation([]string{" web=1 , worker=2,", "web=3"})
	if err != nil || !reflect.DeepEqual(f, map[string]int{"web": 3, "worker": 2}) {
		t.Errorf("ParseFormation = %v, %v", f, err)
	}
}

// TestParseFormationMessages: -m's errors name the part that is wrong.
func TestParseFormationMessages(t *testing.T) {
	for spec, want := range map[string]string{
		"web=two":    `formation "web=two": the count must be a whole number from 0 to 100`,
		"web=1,wrkr": `formation "wrkr": want TYPE=N, e.g. web=2,worker=1`,
	} {
		if _, err := ParseFormation([]string{spec}); err == nil || err.Error() != want {
			t.Errorf("ParseFormation(%q) = %v, want %q", spec, err, want)
		}
	}
}
