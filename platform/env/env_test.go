package env

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/platform/kube"
)

// connected records the config Open connects with, without a cluster.
func connected(got *kube.Config) func(kube.Config) (*kube.Client, error) {
	return func(c kube.Config) (*kube.Client, error) {
		*got = c
		return &kube.Client{Namespace: c.Namespace, Context: c.Context}, nil
	}
}

func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shop")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOpenFromDirectory(t *testing.T) {
	dir := writeApp(t, map[string]string{
		"Procfile":     "web: ./server\n",
		"slipway.yaml": "environments:\n  staging: {}\n  production:\n    namespace: shop-live\n    context: prod-cluster\n",
	})
	var cfg kube.Config
	e, err := Open(Options{Dir: dir, Connect: connected(&cfg)})
	if err != nil {
		t.Fatal(err)
	}
	if e.App == nil || e.Name != "shop" || e.Environment != "staging" || e.Namespace != "shop-staging" || cfg.Namespace != "shop-staging" || cfg.Context != "" {
		t.Errorf("staging: app %v name %q env %q namespace %q, connected to %+v", e.App != nil, e.Name, e.Environment, e.Namespace, cfg)
	}
	e, err = Open(Options{Dir: dir, Environment: "production", Connect: connected(&cfg)})
	if err != nil {
		t.Fatal(err)
	}
	if e.Namespace != "shop-live" || cfg.Context != "prod-cluster" {
		t.Errorf("production: namespace %q, context %q", e.Namespace, cfg.Context)
	}
	// A context given by the user wins over slipway.yaml's.
	if _, err = Open(Options{Dir: dir, Environment: "production", Context: "other", Kubeconfig: "/k", Connect: connected(&cfg)}); err != nil {
		t.Fatal(err)
	}
	if cfg.Context != "other" || cfg.Kubeconfig != "/k" {
		t.Errorf("context %q kubeconfig %q, want other and /k", cfg.Context, cfg.Kubeconfig)
	}
	if _, err = Open(Options{Dir: dir, Environment: "qa", Connect: connected(&cfg)}); err == nil || !strings.Contains(err.Error(), `"qa"`) {
		t.Errorf("unknown environment: err = %v", err)
	}
}

// TestOpenByName: with no app files, --app alone names the app and the namespace follows
// the same rule as for a loaded app, shortened names included.
func TestOpenByName(t *testing.T) {
	empty := t.TempDir()
	var cfg kube.Config
	e, err := Open(Options{Dir: empty, App: "shop", Environment: "production", Connect: connected(&cfg)})
	if err != nil {
		t.Fatal(err)
	}
	if e.App != nil || e.Name != "shop" || e.Namespace != "shop-production" || cfg.Namespace != "shop-production" {
		t.Errorf("got app %v name %q namespace %q", e.App != nil, e.Name, e.Namespace)
	}
	long := strings.Repeat("a", 53)
	e, err = Open(Options{Dir: empty, App: long, Environment: "production", Connect: connected(&cfg)})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Namespace) > 63 {
		t.Errorf("namespace %q is longer than 63", e.Namespace)
	}
	if _, err := Open(Options{Dir: empty, App: "Shop_1", Connect: connected(&cfg)}); err == nil {
		t.Error("an app name Kubernetes cannot use was accepted")
	}
	// An operation that needs the app's files does not settle for a name.
	if _, err := Open(Options{Dir: empty, App: "shop", NeedApp: true, Connect: connected(&cfg)}); err == nil {
		t.Error("NeedApp opened an app without files")
	}
}
