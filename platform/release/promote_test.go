package release

import (
	"testing"

	"github.com/slipwayhq/slipway/platform/app"
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
