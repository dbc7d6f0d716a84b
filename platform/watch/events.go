package watch

import (
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/slipwayhq/slipway/platform/kube"
)

// Event is a Kubernetes event about one of an app's objects.
type Event struct {
	// Time is when it last happened.
	Time time.Time
	// Type is Normal or Warning.
	Type   string
	Reason string
	// Object is the object it is about, as kind/name: Pod/life-web-abc.
	Object string
	// Message is the cluster's message, on one line.
	Message string
	// Count is how many times it happened.
	Count int
}

// Events returns the events about app's objects in namespace (those named app or
// "app-…"), newest last. The first call for a namespace starts its events informer, so it
// returns none until that has listed; Changed signals when it has.
func (s *Source) Events(namespace, app string) []Event {
	inf := s.eventsInformer(namespace)
	return eventsOf(cached[corev1.Event](inf), app)
}

// WatchEvents starts namespace's events informer ahead of the first call to Events; a
// second call does nothing.
func (s *Source) WatchEvents(namespace string) { s.eventsInformer(namespace) }

// eventsInformer returns namespace's events informer, made (and started, once the Source
// is) on first use.
func (s *Source) eventsInformer(namespace string) cache.SharedIndexInformer {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if inf, ok := s.events[namespace]; ok {
		return inf
	}
	name := "events in " + namespace
	events := s.Kube.Clientset.CoreV1().Events(namespace)
	inf := s.informer(name, kube.Informer(observed(s, name, events.List), observed(s, name, events.Watch), func(*metav1.ListOptions) {}, &corev1.Event{}))
	s.events[namespace] = inf
	if s.started {
		go inf.RunWithContext(s.ctx)
	}
	return inf
}

// eventsOf returns the events about app's objects, oldest first.
func eventsOf(evs []*corev1.Event, app string) []Event {
	var out []Event
	for _, e := range evs {
		o := e.InvolvedObject
		if o.Name != app && !strings.HasPrefix(o.Name, app+"-") {
			continue
		}
		n := int(e.Count)
		if e.Series != nil {
			n = max(n, int(e.Series.Count))
		}
		out = append(out, Event{Time: kube.EventTime(*e), Type: e.Type, Reason: e.Reason, Object: o.Kind + "/" + o.Name,
			Message: strings.Join(strings.Fields(e.Message), " "), Count: max(n, 1)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		if out[i].Object != out[j].Object {
			return out[i].Object < out[j].Object
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}
