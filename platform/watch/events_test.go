package watch

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func event(kind, name, typ, reason, msg string, at time.Time, count int32) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name + "." + reason, Namespace: "life-staging"},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name},
		Type:           typ, Reason: reason, Message: msg, Count: count, LastTimestamp: metav1.NewTime(at),
	}
}

func TestEventsOf(t *testing.T) {
	t0 := created
	series := event("Pod", "life-web-b", "Warning", "BackOff", "Back-off restarting failed container", time.Time{}, 0)
	series.Series = &corev1.EventSeries{Count: 7, LastObservedTime: metav1.NewMicroTime(t0.Add(3 * time.Second))}
	evs := []*corev1.Event{
		event("Pod", "life-web-a", "Normal", "Started", "Started container web", t0.Add(2*time.Second), 1),
		event("Deployment", "life-web", "Normal", "ScalingReplicaSet", "Scaled up\n  replica set life-web-5d to 2", t0, 1),
		series,
		event("Pod", "lifeline-web-a", "Warning", "Failed", "another app's", t0, 1),
		event("Pod", "other-web-a", "Warning", "Failed", "another app's", t0, 1),
		event("Secret", "life", "Normal", "Created", "the app itself", t0.Add(time.Second), 0),
	}
	for _, tc := range []struct {
		app  string
		want []Event
	}{
		{"life", []Event{
			{Time: t0, Type: "Normal", Reason: "ScalingReplicaSet", Object: "Deployment/life-web", Message: "Scaled up replica set life-web-5d to 2", Count: 1},
			{Time: t0.Add(time.Second), Type: "Normal", Reason: "Created", Object: "Secret/life", Message: "the app itself", Count: 1},
			{Time: t0.Add(2 * time.Second), Type: "Normal", Reason: "Started", Object: "Pod/life-web-a", Message: "Started container web", Count: 1},
			{Time: t0.Add(3 * time.Second), Type: "Warning", Reason: "BackOff", Object: "Pod/life-web-b", Message: "Back-off restarting failed container", Count: 7},
		}},
		{"nothing", nil},
	} {
		t.Run(tc.app, func(t *testing.T) {
			if got := eventsOf(evs, tc.app); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("eventsOf(%s) =\n%+v\nwant\n%+v", tc.app, got, tc.want)
			}
		})
	}
}
