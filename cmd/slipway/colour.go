package main

import (
	"time"

	"github.com/slipwayhq/slipway/platform/lines"
)

// colours are the prefix colours of log lines, one per source in turn (foreman's palette).
var colours = []string{"36", "33", "32", "35", "34", "31", "96", "93", "92", "95", "94", "91"}

// colourPrefix is lines.TimeName coloured per source, bold for Slipway's own messages
// (index -1), as foreman does on a terminal.
func colourPrefix(b []byte, name string, index, width int, now time.Time) []byte {
	c := "1"
	if index >= 0 {
		c = colours[index%len(colours)]
	}
	b = append(b, "\x1b["...)
	b = append(b, c...)
	b = append(b, 'm')
	b = lines.TimeName(b, name, index, width, now)
	// The reset goes before the space that ends the prefix, as foreman's.
	b = append(b[:len(b)-1], "\x1b[0m "...)
	return b
}
