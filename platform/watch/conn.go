package watch

import (
	"context"
	"errors"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/slipwayhq/slipway/platform/kube"
)

// Conn is the state of a Source's connection to the API server.
type Conn struct {
	// Synced says every informer of the app list and the processes has listed once (the
	// events informers, started on demand, are not waited for).
	Synced bool
	// Connected says the last list or watch call of every informer succeeded.
	Connected bool
	// Err is the API server's (or the network's) reason when not connected, in words;
	// "" while connected or before the first call returns.
	Err string
	// Since is when the state last changed.
	Since time.Time
}

// connState keeps the outcome of each informer's last call to the API server.
type connState struct {
	mu    sync.Mutex
	calls map[string]string // informer → "" after a call that succeeded, else the reason it failed
	conn  Conn
}

func newConnState() *connState {
	return &connState{calls: map[string]string{}, conn: Conn{Since: time.Now()}}
}

func (c *connState) get() Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn
}

// note records the outcome of informer's call (why is "" for a success) and reports
// whether Conn changed.
func (c *connState) note(informer, why string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[informer] = why
	return c.update(c.conn.Synced)
}

// synced records that every informer has listed once and reports whether Conn changed.
func (c *connState) synced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.update(true)
}

func (c *connState) update(synced bool) bool {
	next := Conn{Synced: synced, Connected: len(c.calls) > 0}
	for _, name := range slices.Sorted(maps.Keys(c.calls)) {
		if why := c.calls[name]; why != "" {
			next.Connected, next.Err = false, why
			break
		}
	}
	if next.Synced == c.conn.Synced && next.Connected == c.conn.Connected && next.Err == c.conn.Err {
		return false
	}
	next.Since = time.Now()
	c.conn = next
	return true
}

// observed wraps an informer's list or watch function so that each call's outcome is
// noted as informer's; a call ended because the Source stops is not an outcome.
func observed[T any](s *Source, informer string, call func(context.Context, metav1.ListOptions) (T, error)) func(context.Context, metav1.ListOptions) (T, error) {
	return func(ctx context.Context, lo metav1.ListOptions) (T, error) {
		v, err := call(ctx, lo)
		if ctx.Err() == nil {
			s.noteCall(informer, s.why(err))
		}
		return v, err
	}
}

func (s *Source) noteCall(informer, why string) {
	if s.conn.note(informer, why) {
		s.changed.poke()
	}
}

// why puts a failed call's reason in words: the network's for an API server that cannot be
// reached, else the API server's own.
func (s *Source) why(err error) string {
	if err == nil {
		return ""
	}
	var ue *kube.UnreachableError
	if errors.As(s.Kube.Explain(err), &ue) {
		return ue.Error()
	}
	return err.Error()
}

// watchError is an informer's watch error handler: a watch cut by the network marks the
// connection down until the next call succeeds; other errors go to the log.
func (s *Source) watchError(informer string) cache.WatchErrorHandlerWithContext {
	return func(ctx context.Context, _ *cache.Reflector, err error) {
		if ctx.Err() != nil {
			return
		}
		var ue *kube.UnreachableError
		switch {
		case errors.Is(err, io.EOF), apierrors.IsResourceExpired(err), apierrors.IsGone(err):
			// A watch the server ended, or one to resume from a newer version: normal.
		case errors.Is(err, io.ErrUnexpectedEOF):
			s.noteCall(informer, "the connection to the API server was cut (unexpected EOF)")
		case errors.As(s.Kube.Explain(err), &ue):
			s.noteCall(informer, ue.Error())
		default:
			s.logf("watch %s: %v", informer, err)
		}
	}
}
