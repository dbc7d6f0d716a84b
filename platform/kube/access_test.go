package kube

import (
	"errors"
	"testing"

	authv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

func TestCanWatchEverywhere(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed map[string]bool // by verb
		fail    bool
		want    bool
	}{
		{name: "cluster-wide", allowed: map[string]bool{"list": true, "watch": true}, want: true},
		{name: "list only", allowed: map[string]bool{"list": true}},
		{name: "nothing", allowed: map[string]bool{}},
		{name: "cannot ask", fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, cs := fakeClient("app-staging")
			var asked []string
			cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
				r := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
				ra := r.Spec.ResourceAttributes
				asked = append(asked, ra.Verb+" "+ra.Resource+" in '"+ra.Namespace+"'")
				if tc.fail {
					return true, nil, errors.New("connection refused")
				}
				r.Status.Allowed = tc.allowed[ra.Verb]
				return true, r, nil
			})
			got, err := c.CanWatchEverywhere(t.Context())
			if got != tc.want || (err != nil) != tc.fail {
				t.Errorf("CanWatchEverywhere = %v, %v; want %v (error: %v)", got, err, tc.want, tc.fail)
			}
			if len(asked) == 0 || asked[0] != "list pods in ''" {
				t.Errorf("asked %v, want list pods in every namespace first", asked)
			}
		})
	}
}
