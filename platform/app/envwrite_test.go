package app

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFormatEnvRoundTrip(t *testing.T) {
	for name, v := range map[string]string{
		"empty":            "",
		"plain":            "postgres://u:p@h:5432/db?sslmode=require",
		"single quote":     "it's",
		"both quotes":      `say "it's"`,
		"newlines":         "-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----\n",
		"literal escape":   `a\nb`,
		"trailing slash":   `C:\dir\`,
		"quote at the end": `say "it's"`,
		"dollar":           "$HOME and ${PATH} and $(id)",
		"dollar and quote": "it's $HOME",
		"equals":           "a=b==c",
		"hash":             "a #b # c",
		"unicode":          "café ☕ 🚀 \u00a0nbsp \u2028ls",
		"spaces":           "  lead and trail  ",
		"tab":              "a\tb",
		"carriage return":  "a\rb\r\n",
		"backticks":        "`id` !x",
		"backslash quote":  `\'`,
	} {
		t.Run(name, func(t *testing.T) {
			data, err := FormatEnv("imported", []string{"K", "L"}, map[string]string{"K": v, "L": "x"})
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseEnv(data, "f")
			if err != nil {
				t.Fatalf("%s: %v", data, err)
			}
			if back["K"] != v || back["L"] != "x" || len(back) != 2 {
				t.Errorf("wrote %q, read back %q", data, back)
			}
			if !strings.HasPrefix(string(data), "# imported\n") {
				t.Errorf("no header: %q", data)
			}
		})
	}
}

func TestFormatEnvRefusesWithoutValue(t *testing.T) {
	_, err := FormatEnv("", []string{"bad-name"}, map[string]string{"bad-name": "secret-value"})
	if err == nil || strings.Contains(err.Error(), "secret-value") {
		t.Fatalf("got %v", err)
	}
}

func FuzzFormatEnv(f *testing.F) {
	for _, s := range []string{"", "it's", `a\`, "a\nb", "$X", "\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return
		}
		data, err := FormatEnv("", []string{"K"}, map[string]string{"K": v})
		if err != nil {
			if strings.Contains(err.Error(), v) && v != "" && len(v) > 3 {
				t.Fatalf("error quotes the value: %v", err)
			}
			return // refused, never written wrong
		}
		back, err := ParseEnv(data, "f")
		if err != nil || back["K"] != v {
			t.Fatalf("%q read back as %q (%v)", v, back["K"], err)
		}
	})
}

func TestFirSizes(t *testing.T) {
	for size, want := range map[string]Resources{
		"dyno-1c-0.5gb":  {CPURequest: "1", MemoryRequest: "512Mi", MemoryLimit: "512Mi"},
		"Dyno-2C-4GB":    {CPURequest: "2", MemoryRequest: "4096Mi", MemoryLimit: "4096Mi"},
		"dyno-16c-128gb": {CPURequest: "16", MemoryRequest: "131072Mi", MemoryLimit: "131072Mi"},
	} {
		got, err := SizeResources(size)
		if err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", size, got, err, want)
		}
	}
	if _, err := SizeResources("dyno-0c-1gb"); err == nil {
		t.Error("dyno-0c-1gb accepted")
	}
}
