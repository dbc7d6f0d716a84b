package release

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/release"

	"github.com/slipwayhq/slipway/charts"
	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/image"
	"github.com/slipwayhq/slipway/platform/progress"
)

// Promote deploys the image of src's deployed release into this environment, without a
// build: same digest and process commands, this environment's own config, domain and
// formation. The image is copied only when this environment configures a repository
// other than the source environment's (and the image is not there already); otherwise
// the release runs the same reference (repository, tag and digest).
func (m *Manager) Promote(ctx context.Context, src *Manager, po PromoteOptions) (*Result, error) {
	p, err := m.promotion(src, po)
	if err != nil {
		return nil, err
	}
	o := p.opts
	var copied string
	if p.copyTo != "" {
		cp := m.Copy
		if cp == nil {
			cp = image.Copy
		}
		m.send(progress.Copy, progress.Running, "Copying %s to %s", o.Image, p.copyTo)
		to, err := cp(ctx, o.Image, p.copyTo)
		if err != nil {
			return nil, err
		}
		copied = fmt.Sprintf("copied %s to %s", o.Image, to)
		o.Image = to
	}
	res, err := m.deploy(ctx, o, p.desc, p.values)
	if res != nil {
		res.Copied = copied
	}
	return res, err
}

// promotion is the deploy a promotion makes.
type promotion struct {
	// from is the source environment's deployed release, and values its values.
	from   *release.Release
	values *charts.Values
	// opts deploy from's image (as it is in the source environment) and version.
	opts DeployOptions
	desc string
	// copyTo is the repository the image is copied into first ("" when it runs as it is).
	copyTo string
}

// promotion reads what promoting src's deployed release into this environment deploys. It
// reads src's release records and nothing else. A promotion pinned to a release of src
// that is no longer deployed there is refused here, before anything is copied or released;
// the deploy runs the values read here, so a release of src made later is not promoted.
func (m *Manager) promotion(src *Manager, po PromoteOptions) (*promotion, error) {
	if po.FromRevision < 0 {
		return nil, fmt.Errorf("promote from %s: revision %d: revisions start at 1", src.Environment, po.FromRevision)
	}
	from, err := src.current()
	if err != nil {
		return nil, err
	}
	if from == nil {
		return nil, fmt.Errorf("nothing to promote: %w", src.notDeployed())
	}
	if po.FromRevision != 0 && from.Version != po.FromRevision {
		return nil, &SourceMovedError{Environment: src.Environment, Pinned: po.FromRevision, Current: from.Version}
	}
	fv, err := valuesOf(from)
	if err != nil {
		return nil, err
	}
	p := &promotion{from: from, values: fv, desc: fmt.Sprintf("Promote v%d from %s", from.Version, src.Environment)}
	p.opts = DeployOptions{App: po.App, Timeout: po.Timeout, Force: po.Force, Version: fv.App.Version,
		Image: Image{Repository: fv.Image.Repository, Tag: fv.Image.Tag, Digest: fv.Image.Digest}}
	if dst := copyTarget(po.App, po.From, p.opts.Image); dst != "" {
		// This environment pulls from another registry: the image goes there first, by digest.
		if p.opts.Image.Digest == "" {
			return nil, fmt.Errorf("promote v%d from %s: its image %s has no digest, so it cannot be copied to %s; deploy it by digest first", from.Version, src.Environment, p.opts.Image, dst)
		}
		p.copyTo = dst
	}
	return p, nil
}

// copyTarget is the repository a promotion copies img into, or "" when it runs img as it
// is: a copy is made only when the target environment (to) configures a repository that
// differs from the source environment's (from) configured one and img is not in it. A
// repository that is only the default (the app's name) is never copied to.
func copyTarget(to, from *app.App, img Image) string {
	if to == nil || !to.Image.Configured || to.Image.Repository == "" {
		return ""
	}
	if from != nil && from.Image.Configured && from.Image.Repository == to.Image.Repository {
		return ""
	}
	if img.Repository == to.Image.Repository {
		return ""
	}
	return to.Image.Repository
}

// takeCode makes v run what the promoted release ran: its process types, commands, release
// command and cron jobs, which belong to its image, keeping v's settings for each type.
func takeCode(v, from *charts.Values) error {
	procs := map[string]charts.ProcessValues{}
	for k, fp := range from.Processes {
		p, ok := v.Processes[k]
		if !ok {
			p = fp
		}
		p.Name, p.Command = fp.Name, fp.Command
		procs[k] = p
	}
	v.Processes = procs
	v.Release.Enabled, v.Release.Command = from.Release.Enabled, from.Release.Command
	v.Cron = from.Cron
	v.App.Version = from.App.Version
	return nil
}
