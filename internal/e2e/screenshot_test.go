package e2e

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func TestFreezeANSI(t *testing.T) {
	const (
		reset = "\x1b[0m"
		red   = "\x1b[38;2;215;78;111m" // freeze's red, for 31 and 38;5;1
		blue  = "\x1b[48;2;128;86;255m" // freeze's blue, as a background
	)
	for _, c := range []struct {
		name, in string
		minCols  int
		want     string
		cols     int
		rows     int
	}{
		{"plain lines padded to the widest", "ab\nabc\n", 0,
			reset + "ab" + reset + " " + reset + "\n" + reset + "abc" + reset, 3, 2},
		{"colour carried to the next line", "\x1b[31mred\nstill\x1b[39m plain", 0,
			reset + red + "red" + reset + "        " + reset + "\n" + reset + red + "still" + reset + " plain" + reset, 11, 2},
		{"256-colour index of the first 16 is freeze's own", "\x1b[38;5;1mred", 0,
			reset + red + "red" + reset, 3, 1},
		{"background 40-47 and 49", "\x1b[44m bg \x1b[49mno", 0,
			reset + blue + " bg " + reset + "no" + reset, 6, 1},
		{"reverse of the defaults", "\x1b[7mX\x1b[27mY", 0,
			reset + "\x1b[48;2;196;196;196m\x1b[38;2;23;23;23mX" + reset + "Y" + reset, 2, 1},
		{"reverse of colours", "\x1b[31;44;7mX", 0,
			reset + "\x1b[48;2;215;78;111m\x1b[38;2;128;86;255mX" + reset, 1, 1},
		{"256-colour cube and grey ramp, truecolour", "\x1b[38;5;208ma\x1b[48;5;240mb\x1b[0;38;2;1;2;3mc", 0,
			reset + "\x1b[38;2;255;135;0ma" + reset + "\x1b[48;2;88;88;88m\x1b[38;2;255;135;0mb" + reset + "\x1b[38;2;1;2;3mc" + reset, 3, 1},
		{"colon sub-parameters", "\x1b[38:2::1:2:3mc", 0,
			reset + "\x1b[38;2;1;2;3mc" + reset, 1, 1},
		{"dim is half way to the background, bold dropped", "\x1b[1;2mx\x1b[22my", 0,
			reset + "\x1b[38;2;109;109;109mx" + reset + "y" + reset, 2, 1},
		{"other sequences dropped", "\x1b]8;;http://example.invalid\x1b\\link\x1b]8;;\x07\x1b[2J\x1b=!", 0,
			reset + "link!" + reset, 5, 1},
		{"padded to the terminal's width", "ab\n", 4,
			reset + "ab" + reset + "  " + reset, 4, 1},
		{"tabs expanded, wide runes count twice", "a\tb\n日本", 0,
			reset + "a       b" + reset + "\n" + reset + "日本" + reset + "     " + reset, 9, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, cols, rows := freezeANSI(c.in, c.minCols)
			if got != c.want || cols != c.cols || rows != c.rows {
				t.Errorf("freezeANSI(%q) =\n  %q, %d cols, %d rows\nwant\n  %q, %d cols, %d rows", c.in, got, cols, rows, c.want, c.cols, c.rows)
			}
		})
	}
}

// TestScreenshot renders a tmux pane with colours to a PNG and finds the colours in it.
func TestScreenshot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds freeze: not with -short")
	}
	m := StartTmux(t, 60, 8, nil, "", "sh", "-c", `printf '\033[31mred\033[0m plain \033[44m blue \033[0m \033[7m reversed \033[0m\n'; sleep 100`)
	m.WaitFor(regexp.MustCompile(`red plain  blue   reversed`), 5*time.Second)
	Freeze(t) // built before the clock starts
	path := filepath.Join(t.TempDir(), "screen.png")
	start := time.Now()
	m.Screenshot(path)
	t.Logf("one 60x8 screenshot took %s", time.Since(start).Round(10*time.Millisecond))

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := screenshotSize(60, 8); !near(img.Bounds().Dx(), w) || !near(img.Bounds().Dy(), h) {
		t.Errorf("screenshot of 60x8 is %v, want about %dx%d", img.Bounds().Size(), w, h)
	}
	for _, c := range []struct {
		name    string
		r, g, b uint32
		min     int // pixels
	}{
		{"the background", 0x17, 0x17, 0x17, 100000},
		{"red text", 0xd7, 0x4e, 0x6f, 50},
		{"blue background", 0x80, 0x56, 0xff, 2000},
		{"reversed background", 0xc4, 0xc4, 0xc4, 2000},
	} {
		if n := countColour(img, c.r, c.g, c.b); n < c.min {
			t.Errorf("%s (#%02x%02x%02x): %d pixels, want at least %d", c.name, c.r, c.g, c.b, n, c.min)
		}
	}
}

// countColour counts the pixels of one colour, give or take a little.
func countColour(img image.Image, r, g, b uint32) int {
	n := 0
	close := func(a, b uint32) bool { return a>>8 >= b-min(b, 3) && a>>8 <= b+3 }
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if close(pr, r) && close(pg, g) && close(pb, b) {
				n++
			}
		}
	}
	return n
}
