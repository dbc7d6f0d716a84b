package app

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// manifestHeader heads every slipway.yaml Slipway writes.
const manifestHeader = "# slipway.yaml: what only a platform knows about this app. Every field is optional;\n" +
	"# the README lists them all (healthcheck, size, resources, autoscale, domain, tls, …).\n"

// EncodeManifest writes m as slipway.yaml, the same bytes for the same settings.
func EncodeManifest(m *Manifest) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(manifestHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
