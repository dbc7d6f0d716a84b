package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/release"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipwayhq/slipway/platform/image"
)

// The tests below run Manager's operations without a cluster (see fake_test.go); the
// end-to-end tests in cmd/slipway run the same operations on a real control plane.

func img(c byte) Image { return Image{Repository: "reg.example/shop", Digest: digest(c)} }

// deploy deploys image c of the app in m's environment and fails the test on an error.
func deploy(t *testing.T, m *Manager, c byte) *Result {
	t.Helper()
	res, err := m.Deploy(context.Background(), DeployOptions{App: testApp(t, m.Environment, ""), Image: img(c), Version: fmt.Sprintf("%c%c%c%c%c%c%c%c", c, c, c, c, c, c, c, c)})
	if err != nil {
		t.Fatalf("deploy %c: %v", c, err)
	}
	return res
}

// statuses lists "v1 superseded" etc., oldest first.
func statuses(t *testing.T, m *Manager) []string {
	t.Helper()
	rels, err := m.History(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range slices.Backward(rels) {
		out = append(out, fmt.Sprintf("v%d %s", r.Revision, r.Status))
	}
	return out
}

func wantStatuses(t *testing.T, m *Manager, want ...string) {
	t.Helper()
	if got := statuses(t, m); !slices.Equal(got, want) {
		t.Errorf("releases %v, want %v", got, want)
	}
}

func contains(msgs []string, part string) bool {
	return slices.ContainsFunc(msgs, func(s string) bool { return strings.Contains(s, part) })
}

func wantMessages(t *testing.T, msgs []string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !contains(msgs, p) {
			t.Errorf("no progress message with %q in:\n  %s", p, strings.Join(msgs, "\n  "))
		}
	}
}

func TestDeployInstallUpgradeUnchanged(t *testing.T) {
	c := newFakeCluster(t)
	m := c.env("shop-staging").manager("shop", "staging")

	res := deploy(t, m, 'a')
	if res.Release.Revision != 1 || res.Release.Status != "deployed" || res.Release.Image != "reg.example/shop@"+digest('a') || !res.NamespaceCreated {
		t.Errorf("first deploy: %+v", res)
	}
	if res.Release.Description != "Deploy aaaaaaa" {
		t.Errorf("description %q", res.Release.Description)
	}
	if !slices.Equal(res.Generated, []string{"SECRET_KEY"}) {
		t.Errorf("generated %v, want SECRET_KEY", res.Generated)
	}
	msgs := c.messages()
	wantMessages(t, msgs, "Created namespace shop-staging", "Releasing v1: Deploy aaaaaaa (image reg.example/shop@sha256:aaa", "Released v1: Deploy aaaaaaa",
		"Release command: done", "web: 1/1 updated, 1/1 ready")
	if _, err := c.cs.CoreV1().Namespaces().Get(context.Background(), "shop-staging", metav1.GetOptions{}); err != nil {
		t.Errorf("namespace: %v", err)
	}
	cfg, err := m.Config(context.Background())
	if err != nil || cfg["GREETING"] != "hello staging" || len(cfg["SECRET_KEY"]) != 64 {
		t.Errorf("config %v, %v", cfg, err)
	}
	secret := cfg["SECRET_KEY"]

	res = deploy(t, m, 'b')
	if res.Release.Revision != 2 || res.Unchanged || res.NamespaceCreated || len(res.Generated) != 0 {
		t.Errorf("second deploy: %+v", res)
	}
	wantStatuses(t, m, "v1 superseded", "v2 deployed")
	if cfg, _ := m.Config(context.Background()); cfg["SECRET_KEY"] != secret {
		t.Errorf("the generated secret changed")
	}
	c.messages()

	res = deploy(t, m, 'b')
	if !res.Unchanged || res.Release.Revision != 2 {
		t.Errorf("same image again: %+v", res)
	}
	wantStatuses(t, m, "v1 superseded", "v2 deployed")
	wantMessages(t, c.messages(), "Nothing changed: v2 already runs reg.example/shop@sha256:bbb")

	// Force releases anyway.
	res, err = m.Deploy(context.Background(), DeployOptions{App: testApp(t, "staging", ""), Image: img('b'), Force: true, Description: "again"})
	if err != nil || res.Release.Revision != 3 || res.Release.Description != "again" {
		t.Errorf("forced: %+v, %v", res, err)
	}
}

func TestFailedDeployRestoresThePrevious(t *testing.T) {
	c := newFakeCluster(t)
	e := c.env("shop-staging")
	m := e.manager("shop", "staging")
	deploy(t, m, 'a')
	c.messages()

	e.helm.failWaits(errWaitTimeout)
	_, err := m.Deploy(context.Background(), DeployOptions{App: testApp(t, "staging", ""), Image: img('b'), Timeout: time.Minute})
	var fe *FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("want a *FailedError, got %v", err)
	}
	var te *TimeoutError
	if fe.Revision != 2 || !errors.As(fe.Reason, &te) || te.Timeout != time.Minute || fe.RolledBack == nil || fe.RolledBack.Revision != 3 {
		t.Fatalf("failed deploy: %+v", fe)
	}
	if !strings.Contains(err.Error(), "release v2 failed: not done within 1m0s") || !strings.Contains(err.Error(), "rolled back: v3 (Rollback to v1 (v2 failed))") {
		t.Errorf("error:\n%v", err)
	}
	wantStatuses(t, m, "v1 superseded", "v2 failed", "v3 deployed")
	cur, err := m.Current(context.Background())
	if err != nil || cur.Image != "reg.example/shop@"+digest('a') {
		t.Errorf("v3 should run v1's image: %+v, %v", cur, err)
	}
	wantMessages(t, c.messages(), "Releasing v2: Deploy reg.example/shop@sha256:bbb", "v2 failed; restoring v1", "Releasing v3: Rollback to v1 (v2 failed)")
}

func TestFailedReleaseCommand(t *testing.T) {
	c := newFakeCluster(t)
	e := c.env("shop-staging")
	m := e.manager("shop", "staging")
	deploy(t, m, 'a')
	c.messages()

	e.helm.jobFails = true
	_, err := m.Deploy(context.Background(), DeployOptions{App: testApp(t, "staging", ""), Image: img('b')})
	var fe *FailedError
	if !errors.As(err, &fe) || fe.RolledBack == nil {
		t.Fatalf("want a restored *FailedError, got %v", err)
	}
	if !strings.Contains(fe.Reason.Error(), "the release command did not succeed") || !strings.Contains(fe.Output, "job shop-release failed: BackoffLimitExceeded") {
		t.Errorf("reason %v, output %q", fe.Reason, fe.Output)
	}
	wantStatuses(t, m, "v1 superseded", "v2 failed", "v3 deployed")
	wantMessages(t, c.messages(), "Release command: failed: BackoffLimitExceeded: Job has reached the specified backoff limit", "v2 failed; restoring v1")
}

func TestFirstDeployFails(t *testing.T) {
	c := newFakeCluster(t)
	e := c.env("shop-staging")
	m := e.manager("shop", "staging")
	e.helm.failWaits(errWaitTimeout)
	_, err := m.Deploy(context.Background(), DeployOptions{App: testApp(t, "staging", ""), Image: img('a')})
	var fe *FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("want a *FailedError, got %v", err)
	}
	if fe.Revision != 1 || fe.RolledBack != nil || fe.RollbackErr != nil || !strings.HasSuffix(err.Error(), "nothing to roll back to: this was the first release") {
		t.Errorf("first deploy failing: %+v\n%v", fe, err)
	}
	wantStatuses(t, m, "v1 failed")
	msgs := c.messages()
	if contains(msgs, "restoring") {
		t.Errorf("nothing to restore, yet:\n%s", strings.Join(msgs, "\n"))
	}
	var nd *NotDeployedError
	if _, err := m.Current(context.Background()); !errors.As(err, &nd) {
		t.Errorf("current after a failed first deploy: %v", err)
	}

	// The next deploy installs over the failed one.
	res := deploy(t, m, 'b')
	if res.Release.Revision != 2 {
		t.Errorf("after a failed install: %+v", res)
	}
	// As Helm does, the upgrade supersedes the failed v1.
	wantStatuses(t, m, "v1 superseded", "v2 deployed")
}

func TestRollbackKeepsTheLiveFormation(t *testing.T) {
	c := newFakeCluster(t)
	e := c.env("shop-staging")
	m := e.manager("shop", "staging")
	deploy(t, m, 'a')
	deploy(t, m, 'b')

	// Someone scales web on the cluster (slipway scale: no release).
	ctx := context.Background()
	deps := c.cs.AppsV1().Deployments("shop-staging")
	d, err := deps.Get(ctx, "shop-web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	three := int32(3)
	d.Spec.Replicas = &three
	if _, err := deps.Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.messages()

	res, err := m.Rollback(ctx, 0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if res.Release.Revision != 3 || res.Release.Description != "Rollback to v1" || res.Release.Image != "reg.example/shop@"+digest('a') {
		t.Errorf("rollback: %+v", res.Release)
	}
	wantStatuses(t, m, "v1 superseded", "v2 superseded", "v3 deployed")
	rel, err := m.current()
	if err != nil {
		t.Fatal(err)
	}
	v, err := valuesOf(rel)
	if err != nil {
		t.Fatal(err)
	}
	if v.Processes["web"].Replicas != 3 || v.Release.Enabled {
		t.Errorf("rolled back values: web %+v, release command %v", v.Processes["web"], v.Release.Enabled)
	}
	if d, _ := deps.Get(ctx, "shop-web", metav1.GetOptions{}); *d.Spec.Replicas != 3 {
		t.Errorf("web has %d replicas after the rollback, want the 3 it was scaled to", *d.Spec.Replicas)
	}
	msgs := c.messages()
	wantMessages(t, msgs, "Releasing v3: Rollback to v1", "Released v3: Rollback to v1", "web: 3/3 updated, 3/3 ready")
	if contains(msgs, "Release command") {
		t.Errorf("a rollback runs no release command:\n%s", strings.Join(msgs, "\n"))
	}

	if _, err := m.Rollback(ctx, 9, time.Minute); err == nil || err.Error() != "no release v9 (releases: v1 to v3)" {
		t.Errorf("rollback to v9: %v", err)
	}
	wantStatuses(t, m, "v1 superseded", "v2 superseded", "v3 deployed")
}

func TestPromote(t *testing.T) {
	c := newFakeCluster(t)
	stg := c.env("shop-staging").manager("shop", "staging")
	prod := c.env("shop-production").manager("shop", "production")
	deploy(t, stg, 'a')

	var copied []string
	prod.Copy = func(_ context.Context, from image.Ref, to string) (image.Ref, error) {
		copied = append(copied, from.String()+" -> "+to)
		return image.Ref{Repository: to, Digest: from.Digest}, nil
	}
	manifest := "environments:\n  staging: {}\n  production:\n    image:\n      repository: reg.prod/shop\n"
	res, err := prod.Promote(context.Background(), stg, PromoteOptions{App: testApp(t, "production", manifest), From: testApp(t, "staging", manifest)})
	if err != nil {
		t.Fatal(err)
	}
	if len(copied) != 1 || copied[0] != "reg.example/shop@"+digest('a')+" -> reg.prod/shop" || !strings.HasPrefix(res.Copied, "copied ") {
		t.Errorf("copies %v, result %q", copied, res.Copied)
	}
	if res.Release.Revision != 1 || res.Release.Image != "reg.prod/shop@"+digest('a') || res.Release.Description != "Promote v1 from staging" || res.Release.Version != "aaaaaaaa" {
		t.Errorf("promoted: %+v", res.Release)
	}
	wantMessages(t, c.messages(), "Copying reg.example/shop@sha256:aaa", "Released v1: Promote v1 from staging")
	cfg, err := prod.Config(context.Background())
	if err != nil || cfg["GREETING"] != "hello production" {
		t.Errorf("production's config %v, %v", cfg, err)
	}
	stgCfg, _ := stg.Config(context.Background())
	if cfg["SECRET_KEY"] == "" || cfg["SECRET_KEY"] == stgCfg["SECRET_KEY"] {
		t.Errorf("production should have its own generated secret")
	}

	// Nothing in the source environment: nothing to promote.
	empty := c.env("shop-review").manager("shop", "review")
	_, err = prod.Promote(context.Background(), empty, PromoteOptions{App: testApp(t, "production", "")})
	var nd *NotDeployedError
	if !errors.As(err, &nd) || !strings.HasPrefix(err.Error(), "nothing to promote: shop has no deployed release in review") {
		t.Errorf("promote from nothing: %v", err)
	}
}

func TestConfigSetUnset(t *testing.T) {
	c := newFakeCluster(t)
	m := c.env("shop-staging").manager("shop", "staging")
	ctx := context.Background()
	if _, err := m.SetConfig(ctx, map[string]string{"API_KEY": "s3cret"}, time.Minute); !errors.As(err, new(*NotDeployedError)) {
		t.Errorf("set before any deploy: %v", err)
	}
	deploy(t, m, 'a')

	res, err := m.SetConfig(ctx, map[string]string{"API_KEY": "s3cret", "GREETING": "hi"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if res.Release.Revision != 2 || res.Release.Description != "Set config API_KEY, GREETING" {
		t.Errorf("set: %+v", res.Release)
	}
	cfg, _ := m.Config(ctx)
	if cfg["API_KEY"] != "s3cret" || cfg["GREETING"] != "hi" {
		t.Errorf("config after set: %v", cfg)
	}

	// Names are checked before any release.
	for _, bad := range []string{"1ABC", "A B", "A=B", ""} {
		if _, err := m.SetConfig(ctx, map[string]string{bad: "x"}, time.Minute); err == nil {
			t.Errorf("set %q: no error", bad)
		}
		if _, err := m.UnsetConfig(ctx, []string{bad}, time.Minute); err == nil {
			t.Errorf("unset %q: no error", bad)
		}
	}
	if _, err := m.UnsetConfig(ctx, []string{"NOPE"}, time.Minute); err == nil || err.Error() != "config var NOPE not set in staging" {
		t.Errorf("unset a var that is not set: %v", err)
	}
	wantStatuses(t, m, "v1 superseded", "v2 deployed")

	// A deploy keeps what was set over the env file.
	deploy(t, m, 'b')
	if cfg, _ := m.Config(ctx); cfg["GREETING"] != "hi" {
		t.Errorf("a deploy should keep the set GREETING, got %q", cfg["GREETING"])
	}

	res, err = m.UnsetConfig(ctx, []string{"API_KEY"}, time.Minute)
	if err != nil || res.Release.Description != "Unset config API_KEY" {
		t.Fatalf("unset: %+v, %v", res, err)
	}
	if cfg, _ := m.Config(ctx); cfg["API_KEY"] != "" {
		t.Errorf("API_KEY still set: %v", cfg)
	}
	rels, _ := m.History(ctx)
	for _, r := range rels {
		if strings.Contains(r.Description, "s3cret") {
			t.Errorf("v%d's description holds a value: %q", r.Revision, r.Description)
		}
	}
}

func TestPendingReleaseRecovered(t *testing.T) {
	c := newFakeCluster(t)
	e := c.env("shop-staging")
	m := e.manager("shop", "staging")
	deploy(t, m, 'a')

	// A client stopped mid-upgrade: v2 is left pending.
	last, err := e.store.Last("shop")
	if err != nil {
		t.Fatal(err)
	}
	pending := *last
	info := *last.Info
	pending.Version, pending.Info = 2, &info
	info.Status, info.Description = release.StatusPendingUpgrade, "Deploy bbbbbbb"
	if err := e.store.Create(&pending); err != nil {
		t.Fatal(err)
	}
	c.messages()

	res := deploy(t, m, 'c')
	if !strings.Contains(res.Recovered, "v2 (Deploy bbbbbbb) was left pending-upgrade by a client that stopped; marked it failed") {
		t.Errorf("recovered %q", res.Recovered)
	}
	wantStatuses(t, m, "v1 superseded", "v2 failed", "v3 deployed")
	rels, _ := m.History(context.Background())
	if d := rels[1].Description; !strings.HasPrefix(d, "Interrupted: Deploy bbbbbbb (left pending-upgrade; recovered by test@here pid 1)") {
		t.Errorf("v2's description %q", d)
	}
	if msgs := c.messages(); contains(msgs, "ecovered") {
		t.Errorf("the recovery is the result's to report, not progress's:\n%s", strings.Join(msgs, "\n"))
	}
}

func TestAutoscaleErrors(t *testing.T) {
	c := newFakeCluster(t)
	m := c.env("shop-staging").manager("shop", "staging")
	for _, tc := range []struct {
		o     AutoscaleOptions
		field string
		msg   string
	}{
		{AutoscaleOptions{Type: "web", Min: 0, Max: 2, CPU: 80}, "min", "minimum replicas must be at least 1, got 0"},
		{AutoscaleOptions{Type: "web", Min: 3, Max: 2, CPU: 80}, "max", "maximum replicas (2) must be at least the minimum (3)"},
		{AutoscaleOptions{Type: "web", Min: 1, Max: 2, CPU: 150}, "cpu", "target CPU utilisation must be 1 to 100 percent, got 150"},
	} {
		_, err := m.Autoscale(context.Background(), tc.o)
		var ae *AutoscaleError
		if !errors.As(err, &ae) || ae.Field != tc.field || err.Error() != tc.msg {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.msg)
		}
	}
	_, err := m.Autoscale(context.Background(), AutoscaleOptions{Type: "web", Min: 1, Max: 2, CPU: 50})
	var nd *NotDeployedError
	if !errors.As(err, &nd) || err.Error() != "shop has no deployed release in staging (namespace shop-staging)" || nd.Hint() != "deploy it first: slipway deploy -e staging" {
		t.Errorf("not deployed: %v", err)
	}
}
