package release

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
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
	// One list brings the deployed records, which are most apps' current ones; the few
	// apps with none deployed have their latest record read one by one.
	deployed, err := c.Clientset.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,status=deployed," + LabelApp})
	if err != nil {
		return nil, c.Explain(fmt.Errorf("list releases: %w", err))
	}
	decoded := map[string]*release.Release{}
	for i := range deployed.Items {
		s := &deployed.Items[i]
		rel, err := decodeRecord(s)
		if err != nil {
			return nil, fmt.Errorf("read release %s in %s: %w", s.Name, s.Namespace, err)
		}
		decoded[s.Namespace+"/"+s.Name] = rel
	}
	out := make([]AppRelease, 0, len(picks))
	for _, p := range picks {
		rel, ok := decoded[p.app.Namespace+"/"+p.secret]
		if !ok {
			rel, err = driver.NewSecrets(c.Clientset.CoreV1().Secrets(p.app.Namespace)).Get(p.secret)
			if err != nil {
				return nil, c.Explain(fmt.Errorf("read release %s in %s: %w", p.secret, p.app.Namespace, err))
			}
		}
		p.app.Release = summary(rel)
		p.app.Releases = p.revisions
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

// decodeRecord decodes a Helm release record (a Secret of Helm's secret driver): base64 of
// gzipped JSON, in the "release" key. Helm's own decoder is unexported, and its driver's
// List would fetch and decode every record, which is what Apps avoids.
func decodeRecord(s *corev1.Secret) (*release.Release, error) {
	data, ok := s.Data["release"]
	if !ok {
		return nil, errors.New("no release data")
	}
	b, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		return nil, err
	}
	if len(b) > 3 && bytes.Equal(b[:3], []byte{0x1f, 0x8b, 0x08}) {
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer r.Close()
		if b, err = io.ReadAll(r); err != nil {
			return nil, err
		}
	}
	var rel release.Release
	if err := json.Unmarshal(b, &rel); err != nil {
		return nil, err
	}
	return &rel, nil
}
