package release

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"

	"github.com/slipwayhq/slipway/charts"
)

func rel(v int, status release.Status, desc string) *release.Release {
	return &release.Release{Version: v, Info: &release.Info{Status: status, Description: desc}}
}

func TestRollbackTarget(t *testing.T) {
	rels := []*release.Release{
		rel(1, release.StatusSuperseded, "Deploy a"),
		rel(2, release.StatusSuperseded, "Deploy b"),
		rel(3, release.StatusFailed, "Deploy c"),
		rel(4, release.StatusSuperseded, "Rollback to v2 (v3 failed)"),
		rel(5, release.StatusDeployed, "Deploy d"),
	}
	cases := []struct {
		name string
		to   int
		want int
		err  string
	}{
		{"previous skips nothing deployed", 0, 4, ""},
		{"explicit", 1, 1, ""},
		{"the current one", 5, 5, ""},
		{"a failed one", 3, 0, "v3 failed (Deploy c); roll back to a release that went out"},
		{"unknown", 9, 0, "no release v9 (releases: v1 to v5)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rollbackTarget(rels, rels[4], tc.to)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got.Version != tc.want {
				t.Fatalf("got %v, %v; want v%d", got, err, tc.want)
			}
		})
	}
	if _, err := rollbackTarget(rels[:1], rels[0], 0); err == nil || !strings.Contains(err.Error(), "nothing to roll back to") {
		t.Errorf("first release: %v", err)
	}
	// The release before the current one is found past failed ones.
	withFailed := []*release.Release{rel(1, release.StatusSuperseded, ""), rel(2, release.StatusFailed, ""), rel(3, release.StatusDeployed, "")}
	if got, err := rollbackTarget(withFailed, withFailed[2], 0); err != nil || got.Version != 1 {
		t.Errorf("past a failed release: %v, %v", got, err)
	}
}

func TestHelmError(t *testing.T) {
	err := errors.New("pre-upgrade hooks failed: 1 error occurred:\n\t* job fail-release failed: BackoffLimitExceeded\n\n")
	if got := helmError(err).Error(); got != "pre-upgrade hooks failed: job fail-release failed: BackoffLimitExceeded" {
		t.Errorf("got %q", got)
	}
	err = errors.New("2 errors occurred:\n\t* a\n\t* b\n\n")
	if got := helmError(err).Error(); got != "a; b" {
		t.Errorf("got %q", got)
	}
	plain := errors.New("plain")
	if helmError(plain) != plain {
		t.Errorf("a plain error should be returned as is")
	}
}

func TestDeadHere(t *testing.T) {
	host, _ := os.Hostname()
	cases := []struct {
		holder string
		dead   bool
	}{
		{fmt.Sprintf("me@%s pid %d", host, os.Getpid()), false},
		{fmt.Sprintf("me@%s pid %d", host, 1<<22+7), true}, // above pid_max's default
		{fmt.Sprintf("me@other-%s pid %d", host, 1<<22+7), false},
		{"no pid here", false},
		{fmt.Sprintf("me@%s pid x", host), false},
	}
	for _, tc := range cases {
		if got := deadHere(tc.holder); got != tc.dead {
			t.Errorf("deadHere(%q) = %v, want %v", tc.holder, got, tc.dead)
		}
	}
}

func TestTakeCode(t *testing.T) {
	from := &charts.Values{
		App: charts.AppValues{Version: "abc"},
		Processes: map[string]charts.ProcessValues{
			"web":    {Name: "web", Command: "exec ./web --v2", Replicas: 1},
			"worker": {Name: "worker", Command: "exec ./worker", Replicas: 1},
		},
		Release: charts.ReleaseValues{Enabled: true, Command: "exec ./migrate"},
		Cron:    []charts.CronValues{{Name: "report", Command: "exec ./report"}},
	}
	v := &charts.Values{
		Processes: map[string]charts.ProcessValues{
			"web":   {Name: "web", Command: "exec ./web --v3", Replicas: 3, Port: 5000},
			"extra": {Name: "extra", Command: "exec ./new-in-the-working-tree"},
		},
	}
	if err := takeCode(v, from); err != nil {
		t.Fatal(err)
	}
	if len(v.Processes) != 2 || v.Processes["web"].Command != "exec ./web --v2" || v.Processes["web"].Replicas != 3 || v.Processes["web"].Port != 5000 {
		t.Errorf("web: the promoted command with this environment's settings, got %+v", v.Processes["web"])
	}
	if _, ok := v.Processes["extra"]; ok {
		t.Errorf("a type the promoted image does not have was kept")
	}
	if v.Processes["worker"].Command != "exec ./worker" || !v.Release.Enabled || v.Release.Command != "exec ./migrate" || len(v.Cron) != 1 || v.App.Version != "abc" {
		t.Errorf("promoted code not taken: %+v", v)
	}
}

func TestAutoscaleClamp(t *testing.T) {
	a := charts.AutoscaleValues{Enabled: true, MinReplicas: 2, MaxReplicas: 5}
	for n, want := range map[int]int{0: 2, 3: 3, 9: 5} {
		if got := a.Clamp(n); got != want {
			t.Errorf("Clamp(%d) = %d, want %d", n, got, want)
		}
	}
	if got := (charts.AutoscaleValues{}).Clamp(9); got != 9 {
		t.Errorf("disabled Clamp changed the count: %d", got)
	}
}

func TestUnchanged(t *testing.T) {
	v := &charts.Values{Image: charts.ImageValues{Repository: "r", Digest: "sha256:" + strings.Repeat("a", 64)}, Processes: map[string]charts.ProcessValues{"web": {Name: "web", Replicas: 2}}}
	vals, err := valuesMap(v)
	if err != nil {
		t.Fatal(err)
	}
	mk := func() *chart.Chart {
		return &chart.Chart{Metadata: &chart.Metadata{Name: "app", Version: "0.1.0", AppVersion: "abc"}, Templates: []*chart.File{{Name: "templates/d.yaml", Data: []byte("kind: Deployment")}}}
	}
	cur := &release.Release{Version: 3, Info: &release.Info{Status: release.StatusDeployed}, Chart: mk(), Config: vals}
	same := func(edit func(*change)) bool {
		cv := *v
		cv.Processes = map[string]charts.ProcessValues{"web": v.Processes["web"]}
		ch := &change{chart: mk(), values: &cv}
		if edit != nil {
			edit(ch)
		}
		return unchanged(ch, cur)
	}
	if !same(nil) {
		t.Errorf("the same values and chart should be unchanged")
	}
	for name, edit := range map[string]func(*change){
		"image":    func(c *change) { c.values.Image.Digest = "sha256:" + strings.Repeat("b", 64) },
		"replicas": func(c *change) { c.values.Processes["web"] = charts.ProcessValues{Name: "web", Replicas: 3} },
		"config":   func(c *change) { c.values.Config.Data = map[string]string{"A": "1"} },
		"template": func(c *change) { c.chart.Templates[0].Data = []byte("kind: Deployment\n# changed") },
		"version":  func(c *change) { c.chart.Metadata.AppVersion = "def" },
	} {
		if same(edit) {
			t.Errorf("a changed %s should not count as unchanged", name)
		}
	}
	cur.Info.Status = release.StatusFailed
	if same(nil) {
		t.Errorf("a failed current release is never unchanged")
	}
}
