package e2e

import (
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FreezeVersion is the freeze (github.com/charmbracelet/freeze) that renders screenshots.
const FreezeVersion = "v0.2.2"

// Freeze returns the freeze binary, built from its Go module outside go.mod (about 3
// minutes cold). It renders ANSI text to PNG with the JetBrains Mono font it embeds and a
// WebAssembly build of resvg: no network, no system fonts, no cgo.
func Freeze(t testing.TB) string {
	t.Helper()
	return GoTool{Name: "freeze", Module: "github.com/charmbracelet/freeze", Version: FreezeVersion,
		Package: "github.com/charmbracelet/freeze", LDFlags: "-X main.Version=" + FreezeVersion}.Build(t)
}

// Rendering of a screenshot. freeze draws PNGs at 4 times the font size: 7 px gives a
// 14 px font at twice the pixels, about 2,600 by 1,600 for a 140 by 40 terminal.
const (
	screenshotFontSize   = 7
	screenshotLineHeight = 1.2
	screenshotScale      = 4
	// freeze's character width is the font size over this.
	freezeFontRatio = 1.68
	// freeze's base configuration pads 20 px above and below, 20 left, 40 right.
	freezePadX, freezePadY = 60, 40
	// What freeze's height has beyond the rows and padding, in pixels.
	freezeExtraY = 52
)

// Screenshot renders ansi, a terminal screen with SGR colour sequences (Tmux.ScreenANSI),
// to the PNG file pngPath with freeze, and checks that the file decodes as a PNG of the
// size the screen's columns and rows give. The colours are normalised first for freeze,
// which understands fewer sequences than a terminal (see freezeANSI). A machine that
// cannot build freeze calls Missing.
func Screenshot(t testing.TB, ansi string, pngPath string) {
	t.Helper()
	screenshot(t, ansi, 0, pngPath)
}

// screenshot is Screenshot of a screen at least minCols wide.
func screenshot(t testing.TB, ansi string, minCols int, pngPath string) {
	t.Helper()
	bin := Freeze(t)
	text, cols, rows := freezeANSI(ansi, minCols)
	dir := t.TempDir()
	in := filepath.Join(dir, "screen.ansi")
	if err := os.WriteFile(in, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	pngPath, err := filepath.Abs(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(pngPath), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command(bin, "--config", "base", "--language", "ansi",
		"--font.size", strconv.Itoa(screenshotFontSize), "--line-height", fmt.Sprint(screenshotLineHeight),
		"--output", pngPath, in)
	cmd.Dir = dir
	// No rsvg-convert from PATH (freeze prefers it, with the system's fonts): the same
	// picture on every machine. No user configuration either.
	cmd.Env = []string{"PATH=" + dir, "HOME=" + dir, "XDG_CONFIG_HOME=" + dir}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("freeze %s: %v\n%s", pngPath, err, out)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatalf("freeze wrote no %s: %v", pngPath, err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("freeze's %s is not a PNG: %v", pngPath, err)
	}
	wantW, wantH := screenshotSize(cols, rows)
	if !near(cfg.Width, wantW) || !near(cfg.Height, wantH) {
		t.Errorf("screenshot %s is %dx%d pixels, want about %dx%d for %d columns by %d rows", pngPath, cfg.Width, cfg.Height, wantW, wantH, cols, rows)
	}
	t.Logf("screenshot %s: %dx%d pixels, %s", pngPath, cfg.Width, cfg.Height, time.Since(start).Round(10*time.Millisecond))
}

// screenshotSize is the size in pixels freeze gives a screen of cols by rows.
func screenshotSize(cols, rows int) (w, h int) {
	cell := float64(screenshotFontSize) / freezeFontRatio * screenshotScale
	line := float64(screenshotFontSize) * screenshotLineHeight * screenshotScale
	return int(float64(cols+1)*cell) + freezePadX*screenshotScale, int(float64(rows)*line) + freezePadY*screenshotScale + freezeExtraY
}

// near reports whether got is within 10% of want.
func near(got, want int) bool { return math.Abs(float64(got-want)) <= 0.1*float64(want) }

// Screenshot renders the terminal's screen, all its columns, to the PNG file pngPath
// (see the package function Screenshot).
func (m *Tmux) Screenshot(pngPath string) {
	m.t.Helper()
	// -N keeps the blanks a program wrote at a row's end (a background reaching the
	// edge); the rest is padded to the terminal's width.
	ansi := m.must("capture-pane", "-p", "-e", "-N", "-t", tmuxTarget)
	width, err := strconv.Atoi(strings.TrimSpace(m.must("display-message", "-p", "-t", tmuxTarget, "#{pane_width}")))
	if err != nil {
		m.t.Fatalf("tmux: the pane's width: %v", err)
	}
	screenshot(m.t, ansi, width, pngPath)
}

// sgr is the look of a cell: the colours as RGB (def when the terminal's default) and
// the attributes freeze can show.
type sgr struct {
	fg, bg  rgb
	dim     bool
	reverse bool
}

type rgb struct {
	r, g, b uint8
	set     bool // false: the default colour
}

// The default colours of freeze's charm theme, which a reversed cell swaps.
var (
	defaultFG = rgb{0xc4, 0xc4, 0xc4, true}
	defaultBG = rgb{0x17, 0x17, 0x17, true}
)

// freezeANSI rewrites a screen's SGR sequences into the few freeze renders, and returns
// it with its width in columns (at least minCols) and its rows. freeze forgets the colours at each line's
// end, knows no reverse video, no 40–47 backgrounds, no 39/49 defaults, and keeps only
// the last of several attributes; so each run of equal cells gets a reset and then its
// background and foreground as 24-bit colours, reverse and dim already applied. Bold,
// italic and underline are dropped. Every line is padded to the widest, other escape
// sequences are dropped and tabs expanded.
func freezeANSI(s string, minCols int) (text string, cols, rows int) {
	type run struct {
		look sgr
		text strings.Builder
	}
	var lines [][]*run
	var width []int
	var cur sgr
	line := []*run{}
	w := 0
	add := func(r rune) {
		if n := len(line); n == 0 || line[n-1].look != cur {
			line = append(line, &run{look: cur})
		}
		line[len(line)-1].text.WriteRune(r)
		w += cellWidth(r)
	}
	endLine := func() {
		lines = append(lines, line)
		width = append(width, w)
		line, w = []*run{}, 0
	}
	s = strings.TrimSuffix(s, "\n")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b:
			n, params, final := escape(s[i:])
			if final == 'm' {
				cur = cur.apply(params)
			}
			i += n
			continue
		case r == '\n':
			endLine()
		case r == '\t':
			add(' ')
			for w%8 != 0 {
				add(' ')
			}
		case r >= 0x20 && r != 0x7f:
			add(r)
		}
		i += size
	}
	endLine()
	cols = minCols
	for _, n := range width {
		cols = max(cols, n)
	}
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		for _, r := range l {
			b.WriteString(r.look.codes())
			b.WriteString(r.text.String())
		}
		if width[i] < cols {
			b.WriteString(sgr{}.codes())
			b.WriteString(strings.Repeat(" ", cols-width[i]))
		}
		b.WriteString("\x1b[0m")
	}
	return b.String(), cols, len(lines)
}

// cellWidth is the columns r takes: none for a combining mark, two for the wide ranges a
// terminal UI meets (CJK, fullwidth forms, emoji), else one.
func cellWidth(r rune) int {
	switch {
	case unicode.Is(unicode.Mn, r) || r == 0x200d || (r >= 0xfe00 && r <= 0xfe0f):
		return 0
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0xa4cf, r >= 0xac00 && r <= 0xd7a3,
		r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f, r >= 0xff00 && r <= 0xff60,
		r >= 0xffe0 && r <= 0xffe6, r >= 0x1f300 && r <= 0x1f64f, r >= 0x1f900 && r <= 0x1f9ff,
		r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

// escape measures the escape sequence at the start of s: its length and, for a CSI
// sequence, its parameters and final byte (0 for any other sequence).
func escape(s string) (n int, params string, final byte) {
	if len(s) < 2 {
		return len(s), "", 0
	}
	switch s[1] {
	case '[':
		for i := 2; i < len(s); i++ {
			if c := s[i]; c >= 0x40 && c <= 0x7e {
				return i + 1, s[2:i], c
			}
		}
		return len(s), "", 0
	case ']', 'P', '_', '^': // OSC, DCS, APC, PM: up to BEL or ST
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1, "", 0
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2, "", 0
			}
		}
		return len(s), "", 0
	}
	return 2, "", 0
}

// apply returns the look after the SGR parameters params ("1;38;5;208").
func (l sgr) apply(params string) sgr {
	p := strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' })
	if len(p) == 0 {
		return sgr{}
	}
	num := func(i int) int {
		if i >= len(p) {
			return -1
		}
		n, err := strconv.Atoi(p[i])
		if err != nil {
			return -1
		}
		return n
	}
	for i := 0; i < len(p); i++ {
		switch v := num(i); {
		case v == 0:
			l = sgr{}
		case v == 2:
			l.dim = true
		case v == 22:
			l.dim = false
		case v == 7:
			l.reverse = true
		case v == 27:
			l.reverse = false
		case v >= 30 && v <= 37:
			l.fg = palette(v - 30)
		case v >= 90 && v <= 97:
			l.fg = palette(v - 90 + 8)
		case v >= 40 && v <= 47:
			l.bg = palette(v - 40)
		case v >= 100 && v <= 107:
			l.bg = palette(v - 100 + 8)
		case v == 39:
			l.fg = rgb{}
		case v == 49:
			l.bg = rgb{}
		case v == 38 || v == 48:
			var c rgb
			switch num(i + 1) {
			case 5:
				if n := num(i + 2); n >= 0 && n <= 255 {
					c = palette(n)
				}
				i += 2
			case 2:
				c = rgb{uint8(num(i + 2)), uint8(num(i + 3)), uint8(num(i + 4)), true}
				i += 4
			}
			if v == 38 {
				l.fg = c
			} else {
				l.bg = c
			}
		}
	}
	return l
}

// codes returns the sequences that draw the look in freeze: a reset, then the background
// and foreground when they are not the defaults.
func (l sgr) codes() string {
	fg, bg := l.fg, l.bg
	if !fg.set {
		fg = defaultFG
	}
	if !bg.set {
		bg = defaultBG
	}
	if l.reverse {
		fg, bg = bg, fg
	}
	if l.dim {
		mid := func(a, b uint8) uint8 { return uint8((int(a) + int(b)) / 2) }
		fg = rgb{mid(fg.r, bg.r), mid(fg.g, bg.g), mid(fg.b, bg.b), true}
	}
	s := "\x1b[0m"
	if bg != defaultBG {
		s += fmt.Sprintf("\x1b[48;2;%d;%d;%dm", bg.r, bg.g, bg.b)
	}
	if fg != defaultFG {
		s += fmt.Sprintf("\x1b[38;2;%d;%d;%dm", fg.r, fg.g, fg.b)
	}
	return s
}

// palette returns colour n of the 256-colour palette; the first 16 are freeze's own, so
// that 31 and 38;5;1 look alike.
func palette(n int) rgb {
	ansi16 := [16]uint32{
		0x282a2e, 0xd74e6f, 0x31bb71, 0xd3e561, 0x8056ff, 0xed61d7, 0x04d7d7, 0xc5c8c6,
		0x4b4b4b, 0xfe5f86, 0x00d787, 0xebff71, 0x8f69ff, 0xff7aea, 0x00fefe, 0xffffff,
	}
	switch {
	case n < 16:
		c := ansi16[n]
		return rgb{uint8(c >> 16), uint8(c >> 8), uint8(c), true}
	case n < 232:
		n -= 16
		level := func(i int) uint8 {
			if i == 0 {
				return 0
			}
			return uint8(55 + 40*i)
		}
		return rgb{level(n / 36), level(n / 6 % 6), level(n % 6), true}
	default:
		g := uint8(8 + 10*(n-232))
		return rgb{g, g, g, true}
	}
}
