package tui

import (
	"sync"

	tea "charm.land/bubbletea/v2"
)

// queue carries items from a goroutine (a log stream, an action's progress) to the model
// in batches: the producer never blocks, and the model gets everything that arrived since
// its last read as one message, so a burst costs one Update and one View.
type queue[T any] struct {
	id     int
	mu     sync.Mutex
	items  []T
	max    int // older items are dropped beyond this many unread (0: no bound)
	closed bool
	wake   chan struct{}
}

func newQueue[T any](id, max int) *queue[T] {
	return &queue[T]{id: id, max: max, wake: make(chan struct{}, 1)}
}

func (q *queue[T]) push(items ...T) {
	q.mu.Lock()
	q.items = append(q.items, items...)
	if q.max > 0 && len(q.items) > q.max {
		q.items = append(q.items[:0], q.items[len(q.items)-q.max:]...)
	}
	q.mu.Unlock()
	q.signal()
}

func (q *queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *queue[T]) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// batchMsg is what arrived on queue id since the last batch; done says the queue closed
// and nothing more will come.
type batchMsg[T any] struct {
	id    int
	items []T
	done  bool
}

// next is the command that waits for the next batch. The model issues it again after
// each batch until done.
func (q *queue[T]) next() tea.Cmd {
	return func() tea.Msg {
		for {
			<-q.wake
			q.mu.Lock()
			items, closed := q.items, q.closed
			q.items = nil
			q.mu.Unlock()
			if len(items) > 0 || closed {
				return batchMsg[T]{id: q.id, items: items, done: closed}
			}
		}
	}
}
