package app

import "testing"

// TestImageConfigured: Image.Configured tells a repository slipway.yaml sets from the
// default (the app's name), at the top and per environment.
func TestImageConfigured(t *testing.T) {
	cases := []struct {
		name, manifest, env string
		want                bool
	}{
		{"default", "name: shop\n", "staging", false},
		{"top level", "name: shop\nimage:\n  repository: reg.test/shop\n", "staging", true},
		{"another environment's", "name: shop\nenvironments:\n  staging: {}\n  production:\n    image:\n      repository: reg.prod/shop\n", "staging", false},
		{"this environment's", "name: shop\nenvironments:\n  production:\n    image:\n      repository: reg.prod/shop\n", "production", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeApp(t, map[string]string{"Procfile": "web: ./web\n", "slipway.yaml": tc.manifest})
			a, err := Load(dir, Options{Environment: tc.env})
			if err != nil {
				t.Fatal(err)
			}
			if a.Image.Configured != tc.want {
				t.Errorf("Image %+v: Configured = %v, want %v", a.Image, a.Image.Configured, tc.want)
			}
		})
	}
}
