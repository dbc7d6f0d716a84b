package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipwayhq/slipway/platform/app"
	"github.com/slipwayhq/slipway/platform/image"
)

// appWith writes testApp's files with some replaced (by name) and loads the app for env.
func appWith(t *testing.T, env string, files map[string]string) *app.App {
	t.Helper()
	all := map[string]string{
		"Procfile":        "web: ./web\nrelease: ./migrate\n",
		"app.json":        `{"env": {"GREETING": {"value": "hello"}, "SECRET_KEY": {"generator": "secret"}}}`,
		".env.staging":    "GREETING=hello staging\n",
		".env.production": "GREETING=hello production\n",
		"slipway.yaml":    "name: shop\n",
	}
	maps.Copy(all, files)
	dir := t.TempDir()
	for name, text := range all {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := app.Load(dir, app.Options{Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// noValues fails the test if any of values shows in the change, however it is printed.
func noValues(t *testing.T, c *Change, values ...string) {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	printed := fmt.Sprintf("%+v\n%#v\n%s", *c, *c, b)
	for _, r := range []*Release{c.From, c.Source} {
		if r != nil {
			printed += fmt.Sprintf("\n%+v", *r)
		}
	}
	for _, v := range values {
		if v != "" && strings.Contains(printed, v) {
			t.Errorf("the change holds the value %q:\n%s", v, printed)
		}
	}
}

// noClusterCalls fails the test if the fake cluster saw a request since ClearActions: a
// preview reads the release records (Helm's store) and nothing else.
func noClusterCalls(t *testing.T, c *fakeCluster) {
	t.Helper()
	for _, a := range c.cs.Actions() {
		t.Errorf("a preview made a cluster request: %s %s", a.GetVerb(), a.GetResource().Resource)
	}
}

func TestPreviewPromote(t *testing.T) {
	ctx := context.Background()
	c := newFakeCluster(t)
	stg := c.env("shop-staging").manager("shop", "staging")
	prod := c.env("shop-production").manager("shop", "production")

	// Production runs older code (a clock, no worker) with a var staging's files dropped and
	// a value set on the cluster.
	old := map[string]string{"Procfile": "web: ./web\nclock: ./clock\nrelease: ./migrate\n", ".env.production": "GREETING=hello production\nOLD=old-value\n"}
	if _, err := prod.Deploy(ctx, DeployOptions{App: appWith(t, "production", old), Image: img('a'), Version: "aaaaaaaa"}); err != nil {
		t.Fatal(err)
	}
	if _, err := prod.SetConfig(ctx, map[string]string{"API_KEY": "s3cret-value"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	prodCfg, _ := prod.Config(ctx)
	files := map[string]string{"Procfile": "web: ./web\nworker: ./worker\nrelease: ./migrate\n", ".env.production": "GREETING=hello again\nFOO=new-foo-value\n"}
	if _, err := stg.Deploy(ctx, DeployOptions{App: appWith(t, "staging", files), Image: img('b'), Version: "bbbbbbbb"}); err != nil {
		t.Fatal(err)
	}
	stgCfg, _ := stg.Config(ctx)
	secrets := []string{"s3cret-value", "old-value", "new-foo-value", "hello again", "hello production", "hello staging", prodCfg["SECRET_KEY"], stgCfg["SECRET_KEY"]}
	po := PromoteOptions{App: appWith(t, "production", files), From: appWith(t, "staging", files)}

	c.cs.ClearActions()
	ch, err := prod.PreviewPromote(ctx, stg, po)
	if err != nil {
		t.Fatal(err)
	}
	noClusterCalls(t, c)
	noValues(t, ch, secrets...)
	want := Change{
		ImageFrom: "reg.example/shop@" + digest('a'), ImageTo: "reg.example/shop@" + digest('b'),
		VersionFrom: "aaaaaaaa", VersionTo: "bbbbbbbb",
		TypesAdded: []string{"worker"}, TypesRemoved: []string{"clock"},
		ConfigAdded: []string{"FOO"}, ConfigRemoved: []string{"OLD"}, ConfigChanged: []string{"GREETING"},
		NewRelease: true,
	}
	if ch.From == nil || ch.From.Revision != 2 || ch.Source == nil || ch.Source.Revision != 1 || ch.Source.Description != "Deploy bbbbbbb" {
		t.Errorf("from %+v, source %+v: want production's v2 and staging's v1", ch.From, ch.Source)
	}
	got := *ch
	got.From, got.Source = nil, nil
	if gs, ws := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); gs != ws {
		t.Errorf("preview:\n got %s\nwant %s", gs, ws)
	}
	wantStatuses(t, prod, "v1 superseded", "v2 deployed")
	wantStatuses(t, stg, "v1 deployed")

	// The promotion does what the preview said.
	c.messages()
	res, err := prod.Promote(ctx, stg, po)
	if err != nil {
		t.Fatal(err)
	}
	if res.Release.Image != ch.ImageTo || res.Release.Version != ch.VersionTo {
		t.Errorf("promoted %+v, previewed %s (%s)", res.Release, ch.ImageTo, ch.VersionTo)
	}
	after, _ := prod.Config(ctx)
	if !slices.Equal(slices.Sorted(maps.Keys(after)), []string{"API_KEY", "FOO", "GREETING", "SECRET_KEY"}) || after["API_KEY"] != "s3cret-value" || after["SECRET_KEY"] != prodCfg["SECRET_KEY"] {
		t.Errorf("production's config after the promotion: %v", slices.Sorted(maps.Keys(after)))
	}

	// Again: nothing would change, and the promotion agrees.
	c.cs.ClearActions()
	ch, err = prod.PreviewPromote(ctx, stg, po)
	if err != nil {
		t.Fatal(err)
	}
	noClusterCalls(t, c)
	if !ch.Unchanged || ch.NewRelease || ch.From.Revision != 3 || len(ch.TypesAdded)+len(ch.ConfigChanged) != 0 {
		t.Errorf("a second preview: %+v", ch)
	}
	if res, err := prod.Promote(ctx, stg, po); err != nil || !res.Unchanged {
		t.Errorf("the preview said nothing would change, the promotion: %+v, %v", res, err)
	}
	// Forced, it would release.
	if ch, err := prod.PreviewPromote(ctx, stg, PromoteOptions{App: po.App, From: po.From, Force: true}); err != nil || !ch.Unchanged || !ch.NewRelease {
		t.Errorf("forced: %+v, %v", ch, err)
	}
}

func TestPreviewPromoteFirstAndCopy(t *testing.T) {
	ctx := context.Background()
	c := newFakeCluster(t)
	stg := c.env("shop-staging").manager("shop", "staging")
	prod := c.env("shop-production").manager("shop", "production")

	// Nothing in the source: the promotion's error.
	_, err := prod.PreviewPromote(ctx, stg, PromoteOptions{App: testApp(t, "production", "")})
	var nd *NotDeployedError
	if !errors.As(err, &nd) || !strings.HasPrefix(err.Error(), "nothing to promote: shop has no deployed release in staging") {
		t.Errorf("preview from nothing: %v", err)
	}

	deploy(t, stg, 'a')
	prod.Copy = func(context.Context, image.Ref, string) (image.Ref, error) {
		t.Error("a preview copied the image")
		return image.Ref{}, errors.New("no copy in a preview")
	}
	manifest := "environments:\n  staging: {}\n  production:\n    image:\n      repository: reg.prod/shop\n"
	c.cs.ClearActions()
	ch, err := prod.PreviewPromote(ctx, stg, PromoteOptions{App: testApp(t, "production", manifest), From: testApp(t, "staging", manifest)})
	if err != nil {
		t.Fatal(err)
	}
	noClusterCalls(t, c)
	if ch.From != nil || ch.ImageFrom != "" || ch.ImageTo != "reg.prod/shop@"+digest('a') || ch.CopyTo != "reg.prod/shop" || ch.Unchanged || !ch.NewRelease {
		t.Errorf("first promotion, copied: %+v", ch)
	}
	if !slices.Equal(ch.TypesAdded, []string{"web"}) || !slices.Equal(ch.ConfigAdded, []string{"GREETING", "SECRET_KEY"}) || ch.TypesRemoved != nil || ch.ConfigRemoved != nil {
		t.Errorf("into an empty environment everything is added: %+v", ch)
	}
	wantStatuses(t, prod)
}

func TestPreviewRollback(t *testing.T) {
	ctx := context.Background()
	c := newFakeCluster(t)
	m := c.env("shop-staging").manager("shop", "staging")

	if _, err := m.PreviewRollback(ctx, 0); !errors.As(err, new(*NotDeployedError)) {
		t.Errorf("preview with nothing deployed: %v", err)
	}
	deploy(t, m, 'a')
	if _, err := m.SetConfig(ctx, map[string]string{"API_KEY": "s3cret-value"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	worker := map[string]string{"Procfile": "web: ./web\nworker: ./worker\nrelease: ./migrate\n"}
	if _, err := m.Deploy(ctx, DeployOptions{App: appWith(t, "staging", worker), Image: img('b'), Version: "bbbbbbbb"}); err != nil {
		t.Fatal(err)
	}
	cfg, _ := m.Config(ctx)
	c.messages()

	cases := []struct {
		name   string
		to     int
		source int
		want   Change
		err    string
	}{
		{name: "the one before", to: 0, source: 2, want: Change{
			ImageFrom: "reg.example/shop@" + digest('b'), ImageTo: "reg.example/shop@" + digest('a'),
			VersionFrom: "bbbbbbbb", VersionTo: "aaaaaaaa", TypesRemoved: []string{"worker"}, NewRelease: true}},
		{name: "v1, before the config was set", to: 1, source: 1, want: Change{
			ImageFrom: "reg.example/shop@" + digest('b'), ImageTo: "reg.example/shop@" + digest('a'),
			VersionFrom: "bbbbbbbb", VersionTo: "aaaaaaaa", TypesRemoved: []string{"worker"}, ConfigRemoved: []string{"API_KEY"}, NewRelease: true}},
		{name: "the current one", to: 3, source: 3, want: Change{
			ImageFrom: "reg.example/shop@" + digest('b'), ImageTo: "reg.example/shop@" + digest('b'),
			VersionFrom: "bbbbbbbb", VersionTo: "bbbbbbbb", Unchanged: true, NewRelease: true}},
		{name: "no such release", to: 9, err: "no release v9 (releases: v1 to v3)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.cs.ClearActions()
			ch, err := m.PreviewRollback(ctx, tc.to)
			noClusterCalls(t, c)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			noValues(t, ch, "s3cret-value", "hello staging", cfg["SECRET_KEY"])
			if ch.From == nil || ch.From.Revision != 3 || ch.Source == nil || ch.Source.Revision != tc.source {
				t.Errorf("from %+v, source %+v: want v3 and v%d", ch.From, ch.Source, tc.source)
			}
			got := *ch
			got.From, got.Source = nil, nil
			if gs, ws := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", tc.want); gs != ws {
				t.Errorf("preview:\n got %s\nwant %s", gs, ws)
			}
		})
	}
	wantStatuses(t, m, "v1 superseded", "v2 superseded", "v3 deployed")
	if msgs := c.messages(); len(msgs) != 0 {
		t.Errorf("a preview reports no progress:\n%s", strings.Join(msgs, "\n"))
	}

	// The rollback does what the preview said.
	ch, err := m.PreviewRollback(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Rollback(ctx, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := m.Config(ctx)
	if res.Release.Image != ch.ImageTo || after["API_KEY"] != "" {
		t.Errorf("rolled back to %+v with config %v; previewed %+v", res.Release, slices.Sorted(maps.Keys(after)), ch)
	}
}

func TestCompare(t *testing.T) {
	rel := func(rev int, status string, c byte) Release {
		return Release{Revision: rev, Status: status, Image: "reg.example/shop@" + digest(c)}
	}
	staging := []Release{rel(6, "failed", 'd'), rel(5, "deployed", 'c'), rel(4, "superseded", 'b'), rel(3, "superseded", 'b'), rel(2, "superseded", 'a'), rel(1, "superseded", 'a')}
	cases := []struct {
		name           string
		source, target []Release
		behind         int
		same           bool
		src, tgt       int // current revisions, 0: none
	}{
		{"runs the source's image", staging, []Release{rel(2, "deployed", 'c'), rel(1, "superseded", 'a')}, 0, true, 5, 2},
		{"one behind", staging, []Release{rel(1, "deployed", 'b')}, 1, false, 5, 1},
		{"behind by the newest match", staging, []Release{rel(1, "deployed", 'a')}, 3, false, 5, 1},
		{"copied to another repository: the digest counts", staging, []Release{{Revision: 1, Status: "deployed", Image: "reg.prod/shop@" + digest('b')}}, 1, false, 5, 1},
		{"a failed release neither matches nor counts", staging, []Release{rel(1, "deployed", 'd')}, BehindUnknown, false, 5, 1},
		{"the target's current release counts, not its newest", staging, []Release{rel(3, "failed", 'c'), rel(2, "deployed", 'b'), rel(1, "superseded", 'c')}, 1, false, 5, 2},
		{"an image the source never ran", staging, []Release{rel(1, "deployed", 'z')}, BehindUnknown, false, 5, 1},
		{"nothing in the target", staging, nil, BehindUnknown, false, 5, 0},
		{"the target's only release failed", staging, []Release{rel(1, "failed", 'c')}, BehindUnknown, false, 5, 0},
		{"nothing in the source", nil, []Release{rel(1, "deployed", 'c')}, BehindUnknown, false, 0, 1},
		{"tags without digests compare whole", []Release{{Revision: 2, Status: "deployed", Image: "shop:v2"}, {Revision: 1, Status: "superseded", Image: "shop:v1"}},
			[]Release{{Revision: 1, Status: "deployed", Image: "shop:v1"}}, 1, false, 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Compare(tc.source, tc.target)
			rev := func(r *Release) int {
				if r == nil {
					return 0
				}
				return r.Revision
			}
			if d.Behind != tc.behind || d.SameImage != tc.same || rev(d.Source) != tc.src || rev(d.Target) != tc.tgt {
				t.Errorf("Compare: behind %d, same image %v, source v%d, target v%d; want %d, %v, v%d, v%d", d.Behind, d.SameImage, rev(d.Source), rev(d.Target), tc.behind, tc.same, tc.src, tc.tgt)
			}
		})
	}
}

func TestConfigDiff(t *testing.T) {
	cases := []struct {
		name                    string
		from, to                map[string]string
		added, removed, changed []string
	}{
		{"nothing", nil, nil, nil, nil, nil},
		{"all new", nil, map[string]string{"B": "1", "A": "2"}, []string{"A", "B"}, nil, nil},
		{"all gone", map[string]string{"B": "1", "A": "2"}, map[string]string{}, nil, []string{"A", "B"}, nil},
		{"same", map[string]string{"A": "1"}, map[string]string{"A": "1"}, nil, nil, nil},
		{"an empty value is a value", map[string]string{"A": ""}, map[string]string{"A": "x"}, nil, nil, []string{"A"}},
		{"mixed", map[string]string{"KEEP": "k", "OLD": "o", "GREETING": "hi"}, map[string]string{"KEEP": "k", "NEW": "n", "GREETING": "hello"}, []string{"NEW"}, []string{"OLD"}, []string{"GREETING"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, r, c := configDiff(tc.from, tc.to)
			if !slices.Equal(a, tc.added) || !slices.Equal(r, tc.removed) || !slices.Equal(c, tc.changed) {
				t.Errorf("configDiff = %v %v %v, want %v %v %v", a, r, c, tc.added, tc.removed, tc.changed)
			}
		})
	}
}
