package watch

import (
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAppsOf(t *testing.T) {
	at := func(sec int64) time.Time { return time.Unix(sec, 0) }
	rolling := deployment("life-staging", "life", "web", 3, "reg/life@sha256:2")
	rolling.Status.UpdatedReplicas = 1
	unobserved := deployment("life-staging", "life", "web", 3, "reg/life@sha256:2")
	unobserved.Generation = 2
	oldPods := deployment("life-staging", "life", "web", 3, "reg/life@sha256:2")
	oldPods.Status.Replicas = 4
	created := record("shop-prod", "shop", "production", 1, "deployed", "")
	created.Labels["createdAt"] = "1700000000"
	for _, tc := range []struct {
		name    string
		records []*metav1.PartialObjectMetadata
		deps    []*appsv1.Deployment
		want    []AppEnv
	}{
		{"nothing", nil, nil, []AppEnv{}},
		{"the deployed record wins over a newer failed one",
			[]*metav1.PartialObjectMetadata{
				record("life-staging", "life", "staging", 1, "superseded", "1700000001"),
				record("life-staging", "life", "staging", 2, "deployed", "1700000002"),
				record("life-staging", "life", "staging", 3, "failed", "1700000003"),
			},
			[]*appsv1.Deployment{
				deployment("life-staging", "life", "worker", 1, "reg/life@sha256:9"), // not the first by type
				deployment("life-staging", "life", "web", 2, "reg/life@sha256:2"),
			},
			[]AppEnv{{App: "life", Environment: "staging", Namespace: "life-staging", Revision: 2, Status: "deployed", State: "deployed",
				Releases: 3, Modified: at(1700000002), Image: "reg/life@sha256:2", Source: "abc1234", Ready: 3, Desired: 3}}},
		{"none deployed: the newest, pending",
			[]*metav1.PartialObjectMetadata{
				record("life-staging", "life", "staging", 2, "pending-upgrade", "1700000002"),
				record("life-staging", "life", "staging", 1, "failed", "1700000001"),
			}, nil,
			[]AppEnv{{App: "life", Environment: "staging", Namespace: "life-staging", Revision: 2, Status: "pending-upgrade", State: "pending",
				Releases: 2, Modified: at(1700000002)}}},
		{"failed", []*metav1.PartialObjectMetadata{record("life-staging", "life", "staging", 1, "failed", "")}, nil,
			[]AppEnv{{App: "life", Environment: "staging", Namespace: "life-staging", Revision: 1, Status: "failed", State: "failed", Releases: 1}}},
		{"rolling: pods not yet updated", []*metav1.PartialObjectMetadata{record("life-staging", "life", "staging", 1, "deployed", "")},
			[]*appsv1.Deployment{rolling},
			[]AppEnv{{App: "life", Environment: "staging", Namespace: "life-staging", Revision: 1, Status: "deployed", State: "rolling", Releases: 1,
				Image: "reg/life@sha256:2", Source: "abc1234", Ready: 3, Desired: 3}}},
		{"rolling: a spec its controller has not seen", []*metav1.PartialObjectMetadata{record("life-staging", "life", "staging", 1, "deployed", "")},
			[]*appsv1.Deployment{unobserved},
			[]AppEnv{{App: "life", Environment: "staging", Namespace: "life-staging", Revision: 1, Status: "deployed", State: "rolling", Releases: 1,
				Image: "reg/life@sha256:2", Source: "abc1234", Ready: 3, Desired: 3}}},
		{"rolling: old pods left", []*metav1.PartialObjectMetadata{record("life-staging", "life", "staging", 1, "deployed", "")},
			[]*appsv1.Deployment{oldPods},
			[]AppEnv{{App: "life", Environment: "staging", Namespace: "life-staging", Revision: 1, Status: "deployed", State: "rolling", Releases: 1,
				Image: "reg/life@sha256:2", Source: "abc1234", Ready: 3, Desired: 3}}},
		{"a record never modified has its creation time", []*metav1.PartialObjectMetadata{created}, nil,
			[]AppEnv{{App: "shop", Environment: "production", Namespace: "shop-prod", Revision: 1, Status: "deployed", State: "deployed", Releases: 1, Modified: at(1700000000)}}},
		{"apps and environments apart, sorted; other apps' Deployments and unversioned records left out",
			[]*metav1.PartialObjectMetadata{
				record("shop-prod", "shop", "production", 4, "deployed", ""),
				record("life-prod", "life", "production", 1, "deployed", ""),
				record("life-staging", "life", "staging", 1, "deployed", ""),
				func() *metav1.PartialObjectMetadata {
					r := record("life-staging", "stray", "staging", 1, "deployed", "")
					delete(r.Labels, "version")
					return r
				}(),
			},
			[]*appsv1.Deployment{
				deployment("life-prod", "life", "web", 5, "reg/life@sha256:1"),
				deployment("life-prod", "other", "web", 7, "reg/other@sha256:1"),
				deployment("shop-staging", "shop", "web", 9, "reg/shop@sha256:1"),
			},
			[]AppEnv{
				{App: "life", Environment: "production", Namespace: "life-prod", Revision: 1, Status: "deployed", State: "deployed", Releases: 1,
					Image: "reg/life@sha256:1", Source: "abc1234", Ready: 5, Desired: 5},
				{App: "life", Environment: "staging", Namespace: "life-staging", Revision: 1, Status: "deployed", State: "deployed", Releases: 1},
				{App: "shop", Environment: "production", Namespace: "shop-prod", Revision: 4, Status: "deployed", State: "deployed", Releases: 1},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := appsOf(tc.records, tc.deps)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("appsOf =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}
