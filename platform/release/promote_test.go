package release

import (
	"context"
	"errors"
	"testing"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/image"
)

func TestCopyTarget(t *testing.T) {
	defaulted := func(repo string) *app.App { return &app.App{Image: app.Image{Repository: repo}} }
	configured := func(repo string) *app.App {
		return &app.App{Image: app.Image{Repository: repo, Configured: true}}
	}
	ci := Image{Repository: "ghcr.example/ci-built/app"}
	cases := []struct {
		name     string
		to, from *app.App
		img      Image
		want     string
	}{
		{"no environment configures a registry", defaulted("shop"), defaulted("shop"), ci, ""},
		{"the source does, the target does not", defaulted("shop"), configured("reg.stg/shop"), ci, ""},
		{"both configure the same repository", configured("reg/shop"), configured("reg/shop"), ci, ""},
		{"the target configures another repository", configured("reg.prod/shop"), configured("reg.stg/shop"), ci, "reg.prod/shop"},
		{"only the target configures one", configured("reg.prod/shop"), defaulted("shop"), ci, "reg.prod/shop"},
		{"source unknown, target configures one", configured("reg.prod/shop"), nil, ci, "reg.prod/shop"},
		{"the image is in the target's repository already", configured("reg.prod/shop"), configured("reg.stg/shop"), Image{Repository: "reg.prod/shop"}, ""},
		{"no app", nil, nil, ci, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := copyTarget(tc.to, tc.from, tc.img); got != tc.want {
				t.Errorf("copyTarget = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPromotePinned checks that a promotion pinned to the source's release it previewed
// is refused, before anything changes, once another release is deployed there; and goes
// ahead while that release is the deployed one.
func TestPromotePinned(t *testing.T) {
	cases := []struct {
		name string
		pin  int
		// wantErr is the refusal ("": the promotion of staging's v2 goes ahead).
		wantErr, wantHint string
	}{
		{name: "previewed an older release", pin: 1, wantErr: "staging is at v2 now, not v1 as previewed", wantHint: "preview again, to see what promoting v2 would change"},
		{name: "previewed a release not made yet", pin: 3, wantErr: "staging is at v2 now, not v3 as previewed", wantHint: "preview again, to see what promoting v2 would change"},
		{name: "a revision that cannot be", pin: -1, wantErr: "promote from staging: revision -1: revisions start at 1"},
		{name: "previewed the deployed release", pin: 2},
		{name: "not pinned", pin: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newFakeCluster(t)
			stg := c.env("shop-staging").manager("shop", "staging")
			prod := c.env("shop-production").manager("shop", "production")
			deploy(t, stg, 'a')
			deploy(t, stg, 'b') // staging's v2, deployed after the preview of v1
			var copies []string
			prod.Copy = func(_ context.Context, from image.Ref, to string) (image.Ref, error) {
				copies = append(copies, from.String())
				return image.Ref{Repository: to, Digest: from.Digest}, nil
			}
			// Production has a registry of its own: a promotion would copy first.
			manifest := "environments:\n  staging: {}\n  production:\n    image:\n      repository: reg.prod/shop\n"
			po := PromoteOptions{App: testApp(t, "production", manifest), From: testApp(t, "staging", manifest), FromRevision: tc.pin}
			c.cs.ClearActions()
			c.messages()

			_, perr := prod.PreviewPromote(ctx, stg, po)
			res, err := prod.Promote(ctx, stg, po)
			if tc.wantErr == "" {
				if perr != nil || err != nil {
					t.Fatalf("preview: %v; promotion: %v", perr, err)
				}
				if res.Release.Description != "Promote v2 from staging" || res.Release.Image != "reg.prod/shop@"+digest('b') {
					t.Errorf("promoted %+v, want staging's v2 (image b)", res.Release)
				}
				return
			}
			for what, err := range map[string]error{"preview": perr, "promotion": err} {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("%s: error %v, want %q", what, err, tc.wantErr)
				}
				var moved *SourceMovedError
				if tc.wantHint != "" && (!errors.As(err, &moved) || moved.Hint() != tc.wantHint) {
					t.Errorf("%s: %#v, want a *SourceMovedError with the hint %q", what, err, tc.wantHint)
				}
			}
			// Refused before anything changed: no copy, no namespace, no release, no event.
			if len(copies) != 0 {
				t.Errorf("copied %v before refusing", copies)
			}
			for _, a := range c.cs.Actions() {
				t.Errorf("a refused promotion made a cluster request: %s %s", a.GetVerb(), a.GetResource().Resource)
			}
			if msgs := c.messages(); len(msgs) != 0 {
				t.Errorf("a refused promotion reported %q", msgs)
			}
			wantStatuses(t, prod)
		})
	}
}
