package watch

import (
	"sync"
	"testing"
	"time"
)

// TestCoalescer: pokes give at most one signal per gap, the first at once and the last
// after the last poke.
func TestCoalescer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pokes int
		every time.Duration
		gap   time.Duration
		least int // signals at least
	}{
		{"one", 1, 0, 100 * time.Millisecond, 1},
		{"a burst at once", 1000, 0, 100 * time.Millisecond, 2},
		{"a thousand over a second", 1000, time.Millisecond, 100 * time.Millisecond, 5},
		{"spaced wider than the gap", 5, 30 * time.Millisecond, 10 * time.Millisecond, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCoalescer(tc.gap)
			defer c.stop()
			var mu sync.Mutex
			var signals []time.Time
			done := make(chan struct{})
			go func() {
				for {
					select {
					case <-c.ch:
						mu.Lock()
						signals = append(signals, time.Now())
						mu.Unlock()
					case <-done:
						return
					}
				}
			}()
			start := time.Now()
			var lastPoke time.Time
			for range tc.pokes {
				// Taken before the poke: its signal may be received before poke returns.
				lastPoke = time.Now()
				c.poke()
				time.Sleep(tc.every)
			}
			time.Sleep(2*tc.gap + 50*time.Millisecond)
			close(done)
			mu.Lock()
			defer mu.Unlock()
			took := lastPoke.Sub(start)
			t.Logf("%d pokes in %s: %d signals", tc.pokes, took.Round(time.Millisecond), len(signals))
			if most := int(took/tc.gap) + 2; len(signals) > most || len(signals) < tc.least {
				t.Errorf("%d signals, want %d to %d", len(signals), tc.least, most)
			}
			for i := 1; i < len(signals); i++ {
				// Receiving adds jitter of its own.
				if d := signals[i].Sub(signals[i-1]); d < tc.gap-20*time.Millisecond {
					t.Errorf("signals %d and %d came %s apart, less than the gap %s", i-1, i, d, tc.gap)
				}
			}
			if len(signals) > 0 && signals[len(signals)-1].Before(lastPoke) {
				t.Errorf("the last signal came before the last poke: a change would be lost")
			}
		})
	}
}

// TestCoalescerNow: now signals at once, even within a gap, and takes the place of the
// signal due; a poke after it waits out the gap.
func TestCoalescerNow(t *testing.T) {
	const gap = 200 * time.Millisecond
	for _, tc := range []struct {
		name   string
		before int // pokes before now, at once
		after  int // pokes right after now
		want   []time.Duration
	}{
		{"alone", 0, 0, []time.Duration{0}},
		{"after a signal, one due", 2, 0, []time.Duration{0, gap / 4}},
		{"then a poke", 1, 1, []time.Duration{0, gap / 4, gap/4 + gap}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCoalescer(gap)
			defer c.stop()
			start := time.Now()
			var got []time.Duration
			receive := func(until time.Duration) {
				timeout := time.After(until - time.Since(start))
				for {
					select {
					case <-c.ch:
						got = append(got, time.Since(start))
					case <-timeout:
						return
					}
				}
			}
			for range tc.before {
				c.poke()
			}
			if tc.before > 0 {
				receive(gap / 4) // the first poke's signal
			}
			c.now()
			receive(gap / 2)
			for range tc.after {
				c.poke()
			}
			receive(3 * gap)
			if len(got) != len(tc.want) {
				t.Fatalf("signals at %v, want %d (at %v)", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if d := got[i] - w; d < 0 || d > gap/2 {
					t.Errorf("signal %d at %s, want about %s (all: %v)", i, got[i], w, got)
				}
			}
		})
	}
}
