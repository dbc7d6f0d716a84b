package watch

import (
	"sync"
	"time"
)

// coalescer turns bursts of pokes into signals on a channel buffered 1, at most one per gap:
// a poke after a quiet gap signals at once; pokes within the gap are folded into one signal
// at its end, so the last change is never lost. now signals at once, gap or not. It never
// blocks the poker.
type coalescer struct {
	ch  chan struct{}
	gap time.Duration

	mu      sync.Mutex
	last    time.Time   // when the last signal was sent
	pending *time.Timer // the signal due at the end of the gap
	stopped bool
}

func newCoalescer(gap time.Duration) *coalescer {
	return &coalescer{ch: make(chan struct{}, 1), gap: gap}
}

func (c *coalescer) poke() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending != nil || c.stopped {
		return // the signal due will show this change too
	}
	wait := c.gap - time.Since(c.last)
	if wait <= 0 {
		c.send()
		return
	}
	var t *time.Timer
	t = time.AfterFunc(wait, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.pending != t {
			return // dropped by now or stop while it fired
		}
		c.pending = nil
		c.send()
	})
	c.pending = t
}

// now signals at once, even within a gap; the signal due, if any, is dropped, since this
// one shows its changes too.
func (c *coalescer) now() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	if c.pending != nil {
		c.pending.Stop()
		c.pending = nil
	}
	c.send()
}

// send signals without blocking: a signal not yet received stands for this one too.
func (c *coalescer) send() {
	c.last = time.Now()
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

// stop drops the signal due, if any, and any later poke.
func (c *coalescer) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	if c.pending != nil {
		c.pending.Stop()
		c.pending = nil
	}
}
