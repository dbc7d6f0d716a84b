package logs

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/slipwayhq/slipway/platform/kube"
)

// instances names pods as Heroku names dynos: "web.1", "web.2" — per process type, the
// lowest number no live pod of the type has, kept while the pod lives.
type instances struct {
	byPod map[string]string         // pod name → instance
	taken map[string]map[int]string // type → number → pod
}

func newInstances() *instances {
	return &instances{byPod: map[string]string{}, taken: map[string]map[int]string{}}
}

// name returns p's instance, giving it one if it has none yet.
func (in *instances) name(p *corev1.Pod) string {
	if n, ok := in.byPod[p.Name]; ok {
		return n
	}
	typ := p.Labels[kube.LabelComponent]
	if typ == "" {
		typ = "pod"
	}
	nums := in.taken[typ]
	if nums == nil {
		nums = map[int]string{}
		in.taken[typ] = nums
	}
	n := 1
	for nums[n] != "" {
		n++
	}
	nums[n] = p.Name
	inst := fmt.Sprintf("%s.%d", typ, n)
	in.byPod[p.Name] = inst
	return inst
}

// free gives p's number back, returning the instance it had.
func (in *instances) free(p *corev1.Pod) string {
	inst, ok := in.byPod[p.Name]
	if !ok {
		return p.Name
	}
	delete(in.byPod, p.Name)
	for _, nums := range in.taken {
		for n, pod := range nums {
			if pod == p.Name {
				delete(nums, n)
			}
		}
	}
	return inst
}

func (r *Reader) instanceOf(p *corev1.Pod) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.instances.name(p)
}

func (r *Reader) release(p *corev1.Pod) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.instances.free(p)
}
