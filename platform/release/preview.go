package release

import (
	"context"
	"slices"

	"helm.sh/helm/v3/pkg/release"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/image"
)

// Change is what an operation would change in an environment's current release. It names
// config vars and never holds their values.
type Change struct {
	// From is the environment's current release (nil: nothing deployed there yet).
	From *Release
	// Source is, for a promotion, the source environment's release being promoted; for a
	// rollback, the revision rolled back to.
	Source *Release
	// ImageFrom and ImageTo are the image references before and after ("" before: none).
	ImageFrom, ImageTo string
	// VersionFrom and VersionTo are the source versions (git sha) before and after, if known.
	VersionFrom, VersionTo string
	// TypesAdded and TypesRemoved are process types (Procfile spelling), sorted.
	TypesAdded, TypesRemoved []string
	// ConfigAdded, ConfigRemoved and ConfigChanged are config var names, sorted; a var is
	// changed when its value differs.
	ConfigAdded, ConfigRemoved, ConfigChanged []string
	// Unchanged is true when nothing above would change: the same image and source version,
	// the same process types and the same config.
	Unchanged bool
	// CopyTo is the repository a promotion would copy the image into first ("" when it runs
	// the image where it is); ImageTo is then the copy's reference.
	CopyTo string
	// NewRelease is true when the operation would make a release: a rollback always does; a
	// promotion does unless the chart, values and config are those of the current release
	// (Unchanged, and no other setting differs either), or when forced. The replica counts
	// compared are those recorded in the current release: a type scaled since it was made
	// can make a promotion release where the preview says it would not.
	NewRelease bool
}

// PreviewPromote says what Promote(ctx, src, po) would change in this environment, computed
// by the same code as the promotion, without doing it: it reads both environments' release
// records and the app's files, takes no lock, copies no image and writes nothing. A
// promotion that would copy the image is previewed with the copy's reference (the same
// digest in CopyTo).
func (m *Manager) PreviewPromote(ctx context.Context, src *Manager, po PromoteOptions) (*Change, error) {
	p, err := m.promotion(src, po)
	if err != nil {
		return nil, err
	}
	o := p.opts
	if p.copyTo != "" {
		// What image.Copy returns: the same digest (and tag) in the other repository.
		o.Image = image.Ref{Repository: p.copyTo, Tag: o.Image.Tag, Digest: o.Image.Digest}
	}
	if err := m.checkDeploy(o); err != nil {
		return nil, err
	}
	rels, err := m.history()
	if err != nil {
		return nil, err
	}
	cur := deployed(rels)
	var formation map[string]int
	if cur != nil {
		if formation, err = recordedFormation(cur); err != nil {
			return nil, err
		}
	}
	pl, err := m.planOver(o, p.desc, p.values, cur, formation)
	if err != nil {
		return nil, err
	}
	c, err := changeOver(cur, pl.change.values)
	if err != nil {
		return nil, err
	}
	s := summary(p.from)
	c.Source, c.CopyTo = &s, p.copyTo
	c.NewRelease = o.Force || cur == nil || !unchanged(pl.change, cur)
	return c, nil
}

// PreviewRollback says what Rollback(ctx, to, …) would change (to 0: the release before the
// deployed one), computed by the same code as the rollback, without doing it: it reads the
// release records, takes no lock and writes nothing. The errors are the rollback's (a
// *NotDeployedError, a revision that does not exist or did not go out).
func (m *Manager) PreviewRollback(ctx context.Context, to int) (*Change, error) {
	cur, target, err := m.rollbackTo(to)
	if err != nil {
		return nil, err
	}
	v, err := rollbackValues(target)
	if err != nil {
		return nil, err
	}
	c, err := changeOver(cur, v)
	if err != nil {
		return nil, err
	}
	s := summary(target)
	c.Source, c.NewRelease = &s, true
	return c, nil
}

// changeOver compares next, the values a release would run, with cur, the deployed release
// (nil: none).
func changeOver(cur *release.Release, next *charts.Values) (*Change, error) {
	c := &Change{ImageTo: imageRef(next.Image), VersionTo: next.App.Version}
	prev := &charts.Values{}
	if cur != nil {
		var err error
		if prev, err = valuesOf(cur); err != nil {
			return nil, err
		}
		s := summary(cur)
		c.From, c.ImageFrom, c.VersionFrom = &s, imageRef(prev.Image), prev.App.Version
	}
	c.TypesAdded, c.TypesRemoved = namesDiff(processNames(prev), processNames(next))
	c.ConfigAdded, c.ConfigRemoved, c.ConfigChanged = configDiff(prev.Config.Data, next.Config.Data)
	c.Unchanged = cur != nil && c.ImageFrom == c.ImageTo && c.VersionFrom == c.VersionTo &&
		len(c.TypesAdded)+len(c.TypesRemoved)+len(c.ConfigAdded)+len(c.ConfigRemoved)+len(c.ConfigChanged) == 0
	return c, nil
}

// namesDiff returns the names of to that from lacks and those of from that to lacks, both
// sorted lists.
func namesDiff(from, to []string) (added, removed []string) {
	for _, n := range to {
		if !slices.Contains(from, n) {
			added = append(added, n)
		}
	}
	for _, n := range from {
		if !slices.Contains(to, n) {
			removed = append(removed, n)
		}
	}
	return added, removed
}

// recordedFormation is the replica count of each process type as cur recorded it, by the
// Kubernetes name the live formation uses.
func recordedFormation(cur *release.Release) (map[string]int, error) {
	v, err := valuesOf(cur)
	if err != nil {
		return nil, err
	}
	f := map[string]int{}
	for k, p := range v.Processes {
		f[k] = p.Replicas
	}
	return f, nil
}

// BehindUnknown is Drift.Behind when it cannot be counted: either environment has nothing
// deployed, or the target's image is in none of the source's releases that went out (it
// was deployed there directly, or its release in the source is older than the history Helm
// keeps).
const BehindUnknown = -1

// Drift is how a target environment (production) stands against the source it is promoted
// from (staging).
type Drift struct {
	// Behind is how many of the source's releases that went out are newer than the newest
	// one that runs the target's current image: 0 when the source's current release runs it,
	// BehindUnknown when none does. Releases that failed or were left pending never ran and
	// are neither matched nor counted.
	Behind int
	// SameImage is true when both environments' current releases run the same image: the
	// same digest (whatever the repository: a promotion may have copied it), or the same
	// reference when either has no digest.
	SameImage bool
	// Source and Target are the environments' current (deployed) releases; nil: none.
	Source, Target *Release
}

// Compare compares two environments' histories, each newest first as History returns them.
// It reads nothing.
func Compare(source, target []Release) Drift {
	d := Drift{Behind: BehindUnknown, Source: currentOf(source), Target: currentOf(target)}
	if d.Source == nil || d.Target == nil {
		return d
	}
	d.SameImage = sameImage(d.Source.Image, d.Target.Image)
	n := 0
	for _, r := range source {
		if !wentOut(r.Status) {
			continue
		}
		if sameImage(r.Image, d.Target.Image) {
			d.Behind = n
			return d
		}
		n++
	}
	return d
}

// currentOf is the deployed release of a history, newest first; nil: none.
func currentOf(rels []Release) *Release {
	for _, r := range rels {
		if r.Status == release.StatusDeployed.String() {
			return &r
		}
	}
	return nil
}

// wentOut tells whether a release with this status ran: it is or was deployed.
func wentOut(status string) bool {
	return status == release.StatusDeployed.String() || status == release.StatusSuperseded.String()
}

// sameImage tells whether two image references name the same image: the same digest when
// both have one, otherwise the same reference. An empty reference is no image.
func sameImage(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ra, errA := image.Parse(a)
	rb, errB := image.Parse(b)
	if errA == nil && errB == nil && ra.Digest != "" && rb.Digest != "" {
		return ra.Digest == rb.Digest
	}
	return a == b
}
