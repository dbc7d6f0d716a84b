package main

import (
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
)

// keyTrace wraps the dashboard's model to time each key press, for BenchmarkTUI: from the
// start of the Update that handles the key to the end of the View after it (bubbletea
// renders after every Update), one line per key, "KEY NANOSECONDS", written to w; and
// the first View's end, "first-view UNIX-NANOSECONDS". What the terminal shows comes later
// by up to one frame of the renderer (60 per second). It is off unless SLIPWAY_TUI_TRACE
// names a file.
type keyTrace struct {
	tea.Model
	w     io.Writer
	key   string
	at    time.Time
	drawn bool
}

func (k *keyTrace) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if key, ok := msg.(tea.KeyPressMsg); ok && k.at.IsZero() {
		k.key, k.at = key.String(), time.Now()
	}
	var cmd tea.Cmd
	k.Model, cmd = k.Model.Update(msg)
	return k, cmd
}

func (k *keyTrace) View() tea.View {
	v := k.Model.View()
	if !k.drawn {
		k.drawn = true
		fmt.Fprintf(k.w, "first-view %d\n", time.Now().UnixNano())
	}
	if !k.at.IsZero() {
		fmt.Fprintf(k.w, "%s %d\n", k.key, time.Since(k.at).Nanoseconds())
		k.at = time.Time{}
	}
	return v
}
