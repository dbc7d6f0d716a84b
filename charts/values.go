package charts

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Values is the generated values.yaml. Field names match charts/app/values.yaml.
type Values struct {
	App              AppValues                `json:"app"`
	Image            ImageValues              `json:"image"`
	ImagePullSecrets []string                 `json:"imagePullSecrets"`
	Config           ConfigValues             `json:"config"`
	Processes        map[string]ProcessValues `json:"processes"`
	Release          ReleaseValues            `json:"release"`
	Cron             []CronValues             `json:"cron"`
	CronHistory      CronHistory              `json:"cronHistory"`
	Service          ServiceValues            `json:"service"`
	Ingress          IngressValues            `json:"ingress"`
	Tolerations      []corev1.Toleration      `json:"tolerations"`
	RevisionHistory  int                      `json:"revisionHistoryLimit"`
}

// AppValues names the app.
type AppValues struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ImageValues is the image every process runs.
type ImageValues struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest"`
	PullPolicy string `json:"pullPolicy"`
}

// ConfigValues points at the config vars Secret.
type ConfigValues struct {
	SecretName string            `json:"secretName"`
	Create     bool              `json:"create"`
	Data       map[string]string `json:"data"`
	Checksum   string            `json:"checksum"`
	// Set lists the vars set with `slipway config set`: they win over the env file on
	// later deploys. Unset lists the vars removed with `slipway config unset` that the
	// env file or app.json would otherwise bring back.
	Set   []string `json:"set,omitempty"`
	Unset []string `json:"unset,omitempty"`
}

// MaxSecretSize is the most the API server accepts in one Secret's data: the lengths of its
// keys and values together (1 MiB).
const MaxSecretSize = 1 << 20

// CheckSize refuses config the Secret could not hold, naming the largest vars and their
// sizes, never a value.
func (c ConfigValues) CheckSize() error {
	type v struct {
		name string
		size int
	}
	total := 0
	vars := make([]v, 0, len(c.Data))
	for k, val := range c.Data {
		total += len(k) + len(val)
		vars = append(vars, v{k, len(k) + len(val)})
	}
	if total <= MaxSecretSize {
		return nil
	}
	slices.SortFunc(vars, func(a, b v) int { return cmp.Or(b.size-a.size, strings.Compare(a.name, b.name)) })
	var largest []string
	for _, x := range vars[:min(3, len(vars))] {
		largest = append(largest, fmt.Sprintf("%s %s", x.name, byteSize(x.size)))
	}
	return fmt.Errorf("config vars total %s, above the %s a Kubernetes Secret holds (largest: %s)",
		byteSize(total), byteSize(MaxSecretSize), strings.Join(largest, ", "))
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// ProcessValues is one process type's Deployment.
type ProcessValues struct {
	Name                          string                       `json:"name"`
	Command                       string                       `json:"command"`
	Replicas                      int                          `json:"replicas"`
	Port                          int                          `json:"port,omitempty"`
	Routed                        bool                         `json:"routed"`
	Singleton                     bool                         `json:"singleton"`
	Strategy                      string                       `json:"strategy"`
	TerminationGracePeriodSeconds int                          `json:"terminationGracePeriodSeconds"`
	PreStopSleepSeconds           int                          `json:"preStopSleepSeconds,omitempty"`
	StartupProbe                  *corev1.Probe                `json:"startupProbe,omitempty"`
	ReadinessProbe                *corev1.Probe                `json:"readinessProbe,omitempty"`
	LivenessProbe                 *corev1.Probe                `json:"livenessProbe,omitempty"`
	Resources                     *corev1.ResourceRequirements `json:"resources,omitempty"`
	Autoscale                     AutoscaleValues              `json:"autoscale"`
	SessionAffinity               bool                         `json:"sessionAffinity"`
}

// AutoscaleValues is a process type's HPA.
type AutoscaleValues struct {
	Enabled                        bool `json:"enabled"`
	MinReplicas                    int  `json:"minReplicas,omitempty"`
	MaxReplicas                    int  `json:"maxReplicas,omitempty"`
	TargetCPUUtilizationPercentage int  `json:"targetCPUUtilizationPercentage,omitempty"`
}

// Clamp brings a replica count within the autoscaler's bounds, when it is enabled.
func (a AutoscaleValues) Clamp(n int) int {
	if !a.Enabled {
		return n
	}
	return max(a.MinReplicas, min(n, a.MaxReplicas))
}

// ReleaseValues is the release-phase Job.
type ReleaseValues struct {
	Enabled               bool                         `json:"enabled"`
	Command               string                       `json:"command"`
	ActiveDeadlineSeconds int                          `json:"activeDeadlineSeconds"`
	Resources             *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// CronValues is one CronJob.
type CronValues struct {
	Name              string                       `json:"name"`
	Schedule          string                       `json:"schedule"`
	Command           string                       `json:"command"`
	ConcurrencyPolicy string                       `json:"concurrencyPolicy"`
	Suspend           bool                         `json:"suspend"`
	Resources         *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// CronHistory are the CronJobs' history limits.
type CronHistory struct {
	Successful int `json:"successful"`
	Failed     int `json:"failed"`
}

// ServiceValues is the Services' port.
type ServiceValues struct {
	Port int `json:"port"`
}

// IngressValues is the Ingress for the routed process.
type IngressValues struct {
	Enabled     bool              `json:"enabled"`
	Process     string            `json:"process"`
	Host        string            `json:"host"`
	ClassName   string            `json:"className"`
	Annotations map[string]string `json:"annotations"`
	TLS         IngressTLS        `json:"tls"`
	Websocket   IngressWebsocket  `json:"websocket"`
}

// IngressTLS is the Ingress certificate.
type IngressTLS struct {
	Enabled       bool   `json:"enabled"`
	SecretName    string `json:"secretName"`
	ClusterIssuer string `json:"clusterIssuer"`
}

// IngressWebsocket asks for long proxy timeouts.
type IngressWebsocket struct {
	Enabled        bool `json:"enabled"`
	TimeoutSeconds int  `json:"timeoutSeconds"`
}
