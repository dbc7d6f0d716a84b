package release

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"golang.org/x/sync/errgroup"
	"helm.sh/helm/v3/pkg/storage/driver"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/slipwayhq/slipway/platform/kube"
)

// AppRelease is one app in one environment with its current release.
type AppRelease struct {
	App, Environment, Namespace string
	// Releases counts the app's revisions in the namespace.
	Releases int
	Release  Release
}

// Apps lists every app Slipway deployed that the client can see, in every namespace (ns ""),
// or in one, each with its current release: the deployed one, else the latest. It reads the
// release records' labels and decodes only each app's current release, not its history.
func Apps(ctx context.Context, c *kube.Client, ns string) ([]AppRelease, error) {
	secrets := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	list, err := c.Metadata.Resource(secrets).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm," + LabelApp})
	if err != nil {
		return nil, c.Explain(fmt.Errorf("list releases: %w", err))
	}
	type key struct{ ns, name string }
	type pick struct {
		app       AppRelease
		secret    string
		version   int
		deployed  bool
		revisions int
	}
	picks := map[key]*pick{}
	for _, item := range list.Items {
		l := item.Labels
		v, err := strconv.Atoi(l["version"])
		if err != nil {
			continue
		}
		k := key{item.Namespace, l["name"]}
		p := picks[k]
		if p == nil {
			p = &pick{app: AppRelease{App: l[LabelApp], Environment: l[LabelEnvironment], Namespace: item.Namespace}}
			picks[k] = p
		}
		p.revisions++
		deployed := l["status"] == "deployed"
		// The deployed revision wins; among the others, the newest.
		if p.secret == "" || (deployed && !p.deployed) || (deployed == p.deployed && v > p.version) {
			p.secret, p.version, p.deployed = item.Name, v, deployed
		}
	}
	out := make([]AppRelease, 0, len(picks))
	ptrs := make([]*pick, 0, len(picks))
	for _, p := range picks {
		ptrs = append(ptrs, p)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, p := range ptrs {
		g.Go(func() error {
			store := driver.NewSecrets(c.Clientset.CoreV1().Secrets(p.app.Namespace))
			rel, err := store.Get(p.secret)
			if err != nil {
				return c.Explain(fmt.Errorf("read release %s in %s: %w", p.secret, p.app.Namespace, err))
			}
			_ = gctx
			p.app.Release = summary(rel)
			p.app.Releases = p.revisions
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, p := range ptrs {
		out = append(out, p.app)
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
	return out, nil
}
