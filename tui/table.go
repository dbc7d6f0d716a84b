package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// column is one column of a table: a header, a minimum width, and whether it takes the
// width left over (the last flexible column gets the rest).
type column struct {
	title string
	min   int
	flex  bool
}

// row is one table row: its cells, and whether it is in trouble (drawn to stand out).
type row struct {
	cells   []string
	trouble bool
}

// table is a list with a cursor that scrolls to keep the cursor in view.
type table struct {
	cols          []column
	rows          []row
	cursor, top   int
	width, height int
}

func (t *table) SetSize(w, h int) { t.width, t.height = w, h; t.clamp() }

func (t *table) setRows(rows []row) { t.rows = rows; t.clamp() }

func (t *table) move(d int) { t.cursor += d; t.clamp() }

func (t *table) home() { t.cursor = 0; t.clamp() }

func (t *table) end() { t.cursor = len(t.rows) - 1; t.clamp() }

func (t *table) clamp() {
	t.cursor = max(0, min(t.cursor, len(t.rows)-1))
	visible := max(1, t.height-1)
	if t.cursor < t.top {
		t.top = t.cursor
	}
	if t.cursor >= t.top+visible {
		t.top = t.cursor - visible + 1
	}
	t.top = max(0, min(t.top, len(t.rows)-visible))
}

// widths fits the columns into the table's width: each gets the widest of its header and
// cells, flexible ones shrink first (to their minimum) when the line is too long.
func (t *table) widths() []int {
	w := make([]int, len(t.cols))
	for i, c := range t.cols {
		w[i] = max(c.min, ansi.StringWidth(c.title))
		for _, r := range t.rows {
			if i < len(r.cells) {
				w[i] = max(w[i], ansi.StringWidth(r.cells[i]))
			}
		}
	}
	total := func() int {
		n := 2 // the trouble marker
		for _, x := range w {
			n += x + 2
		}
		return n
	}
	for i := len(w) - 1; i >= 0 && total() > t.width; i-- {
		if t.cols[i].flex {
			w[i] = max(t.cols[i].min, w[i]-(total()-t.width))
		}
	}
	for i := len(w) - 1; i >= 0 && total() > t.width; i-- {
		w[i] = max(3, w[i]-(total()-t.width))
	}
	return w
}

func (t *table) View() string {
	w := t.widths()
	line := func(cells []string) string {
		var b strings.Builder
		for i := range t.cols {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			c = ansi.Truncate(c, w[i], "…")
			b.WriteString(c)
			if i < len(t.cols)-1 {
				b.WriteString(strings.Repeat(" ", w[i]-ansi.StringWidth(c)+2))
			}
		}
		return b.String()
	}
	titles := make([]string, len(t.cols))
	for i, c := range t.cols {
		titles[i] = c.title
	}
	out := []string{"  " + styleHeader.Render(line(titles))}
	visible := max(1, t.height-1)
	for i := t.top; i < len(t.rows) && i < t.top+visible; i++ {
		r := t.rows[i]
		mark := "  "
		text := line(r.cells)
		if r.trouble {
			mark = "! "
		}
		text = ansi.Truncate(mark+text, t.width, "…")
		switch {
		case i == t.cursor:
			text = styleSelected.Render(padRight(text, t.width))
		case r.trouble:
			text = styleTrouble.Render(text)
		}
		out = append(out, text)
	}
	return strings.Join(out, "\n")
}

func padRight(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}
