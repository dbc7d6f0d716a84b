package charts_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/slipwayhq/slipway/charts"
)

// TestRenderedObjectsDecodeStrictly decodes every rendered object into its Kubernetes API
// type with unknown and duplicate fields as errors: a misspelt field in a template (which
// the API server would drop or reject) fails here.
func TestRenderedObjectsDecodeStrictly(t *testing.T) {
	dec := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme, json.SerializerOptions{Yaml: true, Strict: true})
	for _, tc := range sampleCases {
		t.Run(tc.name, func(t *testing.T) {
			ch := generate(t, sampleDir(t, tc.sample), tc.env, charts.Options{})
			out, err := ch.Render(ch.Name, "ns")
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, doc := range strings.Split(out, "\n---\n") {
				doc = strings.TrimPrefix(doc, "---\n")
				if strings.TrimSpace(doc) == "" {
					continue
				}
				obj, gvk, err := dec.Decode([]byte(doc), nil, nil)
				if err != nil {
					t.Errorf("strict decode: %v\n%s", err, doc)
					continue
				}
				if obj == nil || gvk.Kind == "" {
					t.Errorf("decoded nothing from:\n%s", doc)
				}
				n++
			}
			if n < 3 {
				t.Errorf("only %d objects rendered", n)
			}
		})
	}
}
