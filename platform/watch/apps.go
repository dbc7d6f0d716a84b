package watch

import (
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipwayhq/slipway/platform/kube"
)

// AppEnv is one app in one environment (a Helm release) with its current release: the
// deployed record, else the newest.
type AppEnv struct {
	App, Environment, Namespace string
	// Revision is the current release's revision.
	Revision int
	// Status is the Helm status of that record: deployed, failed, pending-upgrade, ...
	Status string
	// State says it in words for lists: "deployed", "failed", "pending" (pending-*),
	// "rolling" (deployed, but some Deployment is not fully updated and ready), or
	// another Helm status as it is (superseded, uninstalling, unknown).
	State string
	// Releases counts the app's release records.
	Releases int
	// Modified is when the record last changed: its modifiedAt label (unix seconds), else
	// its createdAt label (Helm sets one or the other), else zero.
	Modified time.Time
	// Image is the image of the app's Deployments (the first by type), e.g. repo@sha256:...
	Image string
	// Source is the source version: the Deployments' app.kubernetes.io/version label.
	Source string
	// Ready and Desired are summed over the app's Deployments.
	Ready, Desired int
}

// States of an AppEnv besides the Helm statuses passed as they are.
const (
	StateDeployed = "deployed"
	StateFailed   = "failed"
	StatePending  = "pending"
	StateRolling  = "rolling"
)

const labelVersion = "app.kubernetes.io/version"

// Apps returns the apps in the caches, sorted by app, environment and namespace.
func (s *Source) Apps() []AppEnv {
	s.init()
	return appsOf(cached[metav1.PartialObjectMetadata](s.records), cached[appsv1.Deployment](s.deps))
}

// appsOf puts together the apps of Helm release records (their metadata) and the
// Deployments beside them.
func appsOf(records []*metav1.PartialObjectMetadata, deps []*appsv1.Deployment) []AppEnv {
	type pick struct {
		app      AppEnv
		deployed bool
	}
	picks := map[string]*pick{}
	for _, r := range records {
		l := r.Labels
		v, err := strconv.Atoi(l["version"])
		if err != nil || l["name"] == "" {
			continue
		}
		k := appKey(r.Namespace, l["name"])
		p := picks[k]
		if p == nil {
			p = &pick{}
			picks[k] = p
		}
		p.app.Releases++
		deployed := l["status"] == "deployed"
		// The deployed record wins; among the others, the newest.
		if p.app.Revision == 0 || (deployed && !p.deployed) || (deployed == p.deployed && v > p.app.Revision) {
			p.deployed = deployed
			p.app.App, p.app.Environment, p.app.Namespace = l[labelApp], l[labelEnv], r.Namespace
			p.app.Revision, p.app.Status, p.app.Modified = v, l["status"], unixLabel(l["modifiedAt"], l["createdAt"])
		}
	}
	ofApp := map[string][]*appsv1.Deployment{}
	for _, d := range deps {
		k := appKey(d.Namespace, d.Labels[kube.LabelInstance])
		ofApp[k] = append(ofApp[k], d)
	}
	out := make([]AppEnv, 0, len(picks))
	for k, p := range picks {
		a := p.app
		if a.App == "" {
			a.App = k[strings.Index(k, "/")+1:]
		}
		ds := ofApp[k]
		sort.Slice(ds, func(i, j int) bool { return ds[i].Labels[kube.LabelComponent] < ds[j].Labels[kube.LabelComponent] })
		rolling := false
		for _, d := range ds {
			desired := 1
			if d.Spec.Replicas != nil {
				desired = int(*d.Spec.Replicas)
			}
			a.Desired += desired
			a.Ready += int(d.Status.ReadyReplicas)
			rolling = rolling || !rolledOut(d, desired)
			if cs := d.Spec.Template.Spec.Containers; a.Image == "" && len(cs) > 0 {
				a.Image = cs[0].Image
			}
			if a.Source == "" {
				a.Source = d.Labels[labelVersion]
			}
		}
		a.State = state(a.Status, rolling)
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].App != out[j].App {
			return out[i].App < out[j].App
		}
		if out[i].Environment != out[j].Environment {
			return out[i].Environment < out[j].Environment
		}
		return out[i].Namespace < out[j].Namespace
	})
	return out
}

// rolledOut reports whether d's controller has seen its spec and every pod is updated and
// ready, with no old pod left.
func rolledOut(d *appsv1.Deployment, desired int) bool {
	st := d.Status
	return st.ObservedGeneration >= d.Generation && int(st.UpdatedReplicas) == desired && int(st.ReadyReplicas) == desired && int(st.Replicas) == desired
}

func state(status string, rolling bool) string {
	switch {
	case status == "deployed" && rolling:
		return StateRolling
	case status == "deployed":
		return StateDeployed
	case status == "failed":
		return StateFailed
	case strings.HasPrefix(status, "pending"):
		return StatePending
	}
	return status
}

// unixLabel is the time of the first label value that is unix seconds, else zero.
func unixLabel(values ...string) time.Time {
	for _, v := range values {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			return time.Unix(n, 0)
		}
	}
	return time.Time{}
}
