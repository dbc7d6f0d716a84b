package app

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseCounts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		r    CountRules
		want map[string]int
	}{
		{[]string{"web=3", "worker=0"}, CountRules{}, map[string]int{"web": 3, "worker": 0}},
		{[]string{"web=2,worker=1"}, CountRules{}, map[string]int{"web": 2, "worker": 1}},
		{[]string{" web=1 , worker=2,", "web=3"}, CountRules{Max: 100, Repeat: true}, map[string]int{"web": 3, "worker": 2}},
		{[]string{"*=1,all=2"}, CountRules{Max: 100}, map[string]int{"*": 1, "all": 2}},
		{[]string{"web=2147483647"}, CountRules{}, map[string]int{"web": 2147483647}},
		{nil, CountRules{}, map[string]int{}},
	} {
		got, err := ParseCounts(tc.args, tc.r)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseCounts(%q, %+v) = %v, %v; want %v", tc.args, tc.r, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		r    CountRules
		want string
	}{
		{[]string{"web"}, CountRules{}, `"web": want TYPE=N, e.g. web=2,worker=1`},
		{[]string{"=2"}, CountRules{}, `"=2": want TYPE=N, e.g. web=2,worker=1`},
		{[]string{"web=x"}, CountRules{}, `"web=x": the count must be a whole number from 0 to 2147483647`},
		{[]string{"web=-1"}, CountRules{}, `"web=-1": the count must be a whole number from 0 to 2147483647`},
		{[]string{"web=2147483648"}, CountRules{}, `"web=2147483648": the count must be a whole number from 0 to 2147483647`},
		{[]string{"web=101"}, CountRules{Max: 100}, `"web=101": the count must be a whole number from 0 to 100`},
		{[]string{"web=1", "web=2"}, CountRules{}, `"web=2": web is given twice`},
	} {
		_, err := ParseCounts(tc.args, tc.r)
		var ce *CountError
		if !errors.As(err, &ce) || err.Error() != tc.want {
			t.Errorf("ParseCounts(%q, %+v) = %v, want %q", tc.args, tc.r, err, tc.want)
		}
	}
}
