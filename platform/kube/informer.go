package kube

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// Informer lists and watches the objects list and watchFn return, with the options narrowed
// by narrow (a label or field selector), and keeps them in a cache; obj is an empty object
// of the kind watched. It never resyncs: after its first list it only watches. list and
// watchFn are any client's functions (typed, metadata-only), or wrappers around them.
func Informer[L runtime.Object](list func(context.Context, metav1.ListOptions) (L, error), watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error),
	narrow func(*metav1.ListOptions), obj runtime.Object) cache.SharedIndexInformer {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
			narrow(&lo)
			return list(ctx, lo)
		},
		WatchFuncWithContext: func(ctx context.Context, lo metav1.ListOptions) (watch.Interface, error) {
			narrow(&lo)
			return watchFn(ctx, lo)
		},
	}
	return cache.NewSharedIndexInformer(listThenWatch{lw}, obj, 0, cache.Indexers{})
}

// listThenWatch lists and then watches: the streaming "watch list" needs a feature the
// API server may not have (older servers, client-go's fake), and ends in a wait without one.
type listThenWatch struct{ *cache.ListWatch }

func (listThenWatch) IsWatchListSemanticsUnSupported() bool { return true }
