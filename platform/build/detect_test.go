package build

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden Dockerfiles under testdata/detect/golden")

// detectCases are the fixture repositories under testdata/detect. Each detected case's
// Dockerfile is compared with testdata/detect/golden/<name>.Dockerfile (go test -update
// rewrites them); contains lists lines it must hold whatever the golden file says.
var detectCases = []struct {
	name     string
	language string
	version  string
	images   []string
	contains []string // substrings of the Dockerfile
	reasons  []string // substrings of some Reason
	warnings []string // substrings of some Warning
	err      []string // for undetected cases: substrings of the error, which wraps ErrUndetected
}{
	{
		name: "node-npm", language: "Node.js", version: "22",
		images:   []string{"node:22-bookworm-slim"},
		contains: []string{"RUN npm ci\n", "RUN npm run build\n", "RUN npm prune --omit=dev\n", `CMD ["/bin/sh", "-c", "exec node dist/web.js"]`},
		reasons:  []string{`package.json engines.node ">=18 <23" → 22`, "package-lock.json → npm"},
	},
	{
		name: "node-yarn", language: "Node.js", version: "18",
		images:   []string{"node:18-bookworm-slim"},
		contains: []string{"corepack install --global yarn@1", "RUN yarn install --frozen-lockfile\n", "--production"},
		reasons:  []string{`engines.node "18.x" → 18`, "yarn.lock → yarn"},
	},
	{
		name: "node-yarn-berry", language: "Node.js", version: "20",
		images:   []string{"node:20-bookworm-slim"},
		contains: []string{"corepack install &&", "COPY package.json yarn.lock .yarnrc.yml ./", "RUN yarn install --immutable\n", "RUN yarn run build\n", "RUN yarn workspaces focus --all --production\n", `CMD ["npm", "start"]`},
		reasons:  []string{`engines.node "^20" → 20`, `packageManager "yarn@4.5.0"`},
	},
	{
		name: "node-pnpm", language: "Node.js", version: "20",
		images:   []string{"node:20-bookworm-slim"},
		contains: []string{"corepack install --global pnpm@9", "RUN pnpm install --frozen-lockfile\n", "RUN pnpm run heroku-postbuild\n", "RUN pnpm prune --prod\n"},
		reasons:  []string{`engines.node "~20.1" → 20`, "heroku-postbuild"},
	},
	{
		name: "node-no-engines", language: "Node.js", version: "22",
		images:   []string{"node:22-bookworm-slim"},
		contains: []string{"RUN npm install\n", `CMD ["npm", "start"]`},
		warnings: []string{"no engines.node", "no lockfile"},
	},
	{
		name: "python-runtime-txt", language: "Python", version: "3.11",
		images:   []string{"python:3.11-slim-bookworm"},
		contains: []string{"RUN pip install --no-cache-dir -r requirements.txt\n", "COPY --from=build /opt/venv /opt/venv", "libpq-dev", "libpq5", `"exec gunicorn app:app --bind 0.0.0.0:$PORT"`},
		reasons:  []string{`runtime.txt "python-3.11.7" → 3.11`, "psycopg2"},
	},
	{
		name: "python-version-file", language: "Python", version: "3.13",
		images:  []string{"python:3.13-slim-bookworm"},
		reasons: []string{`.python-version "3.13" → 3.13`, "pip install is skipped"},
	},
	{
		name: "python-pyproject", language: "Python", version: "3.12",
		images:   []string{"python:3.12-slim-bookworm"},
		contains: []string{"RUN pip install --no-cache-dir .\n"},
		warnings: []string{"using Python 3.12"},
	},
	{
		name: "python-poetry", language: "Python", version: "3.12",
		images:   []string{"python:3.12-slim-bookworm"},
		contains: []string{"pip install --no-cache-dir poetry", "COPY pyproject.toml poetry.lock ./", "RUN poetry install --only main --no-root --no-interaction\n"},
		warnings: []string{"collectstatic"},
	},
	{
		name: "python-pipfile", language: "Python", version: "3.10",
		images:   []string{"python:3.10-slim-bookworm"},
		contains: []string{"COPY Pipfile Pipfile.lock ./", "pipenv requirements"},
		reasons:  []string{"Pipfile.lock _meta.requires"},
	},
	{
		name: "ruby-rails", language: "Ruby", version: "3.3",
		images:   []string{"ruby:3.3-slim-bookworm"},
		contains: []string{"gem install bundler -v 2.5.16", "bundle config set without development:test", "bundle install", "assets:precompile", "libpq5", "RAILS_ENV=production"},
		reasons:  []string{"Gemfile.lock RUBY VERSION ruby 3.3 → 3.3", "gem pg"},
	},
	{
		name: "ruby-version-file", language: "Ruby", version: "3.2",
		images:   []string{"ruby:3.2-slim-bookworm"},
		reasons:  []string{`.ruby-version "ruby-3.2.4" → 3.2`},
		warnings: []string{"no Gemfile.lock"},
	},
	{
		name: "go-cmd", language: "Go", version: "1.26",
		images:   []string{"golang:1.26-bookworm", "busybox:1.36"},
		contains: []string{"COPY go.mod go.sum ./", `RUN go build -trimpath -ldflags="-s -w" -o /app/bin/shop ./cmd/shop`, "ENV PORT=5000 HOME=/app PATH=/app/bin:$PATH"},
		reasons:  []string{"toolchain go1.26.1", "./cmd/shop"},
	},
	{
		name: "go-root", language: "Go", version: "1.25",
		images:   []string{"golang:1.25-bookworm", "busybox:1.36"},
		contains: []string{"-o /app/bin/server .\n"},
		reasons:  []string{"go.mod go 1.25.3 → 1.25", "the Procfile runs bin/server"},
	},
	{
		name: "go-multi-cmd", language: "Go", version: "1.26",
		images:   []string{"golang:1.26-bookworm", "busybox:1.36"},
		contains: []string{"-o /app/bin/ ./cmd/...\n"},
		reasons:  []string{"commands under cmd/ (web, worker)"},
	},
	{
		name: "php", language: "PHP", version: "8.4",
		images:   []string{"php:8.4-cli-bookworm", "composer:2"},
		contains: []string{"FROM ${COMPOSER_IMAGE} AS composer", "COPY --from=composer /usr/bin/composer /usr/bin/composer", "composer install --no-dev --optimize-autoloader", "docker-php-ext-install -j$(nproc) intl pdo_pgsql", "libicu-dev", `"exec php -S 0.0.0.0:${PORT} -t public/"`},
		reasons:  []string{`require.php "^8.2" → 8.4`},
		warnings: []string{"heroku-php-apache2"},
	},
	{
		name: "php-no-constraint", language: "PHP", version: "8.3",
		images:   []string{"php:8.3-cli-bookworm", "composer:2"},
		warnings: []string{"does not require php", "no composer.lock"},
	},
	{
		name: "mixed-python-node", language: "Python", version: "3.12",
		images:   []string{"python:3.12-slim-bookworm", "node:20-bookworm-slim"},
		contains: []string{"FROM ${NODE_IMAGE} AS assets", "RUN npm run build && rm -rf node_modules", "COPY --from=assets --chown=10001:10001 /app ./"},
		reasons:  []string{"a Node.js stage builds the assets", `assets: package.json engines.node "20.x" → 20`},
		warnings: []string{"Python is the primary one (the Procfile's web command"},
	},
	{
		name: "mixed-ruby-node", language: "Ruby", version: "3.3",
		images:   []string{"ruby:3.3-slim-bookworm"},
		warnings: []string{"no Procfile command decides", "using Ruby 3.3"},
	},
	{name: "undetectable", err: []string{"package.json", "requirements.txt", "Gemfile", "go.mod", "composer.json"}},
	{name: "java", err: []string{"pom.xml", "Java"}},
	{name: "procfile-only", err: []string{"web command looks like Ruby but there is no Gemfile"}},
}

func TestDetect(t *testing.T) {
	for _, tc := range detectCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "detect", tc.name)
			p, err := Detect(dir)
			if tc.err != nil {
				if !errors.Is(err, ErrUndetected) {
					t.Fatalf("Detect(%s) = %v, want an error wrapping ErrUndetected", dir, err)
				}
				for _, s := range tc.err {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Detect(%s): %v", dir, err)
			}
			if p.Language != tc.language || p.Version != tc.version {
				t.Errorf("detected %s %s, want %s %s\nreasons: %q", p.Language, p.Version, tc.language, tc.version, p.Reasons)
			}
			if !reflect.DeepEqual(p.BaseImages, tc.images) {
				t.Errorf("BaseImages = %q, want %q", p.BaseImages, tc.images)
			}
			df := string(p.Dockerfile)
			for _, s := range tc.contains {
				if !strings.Contains(df, s) {
					t.Errorf("Dockerfile lacks %q:\n%s", s, df)
				}
			}
			for _, s := range tc.reasons {
				if !anyContains(p.Reasons, s) {
					t.Errorf("no reason says %q; reasons: %q", s, p.Reasons)
				}
			}
			for _, s := range tc.warnings {
				if !anyContains(p.Warnings, s) {
					t.Errorf("no warning says %q; warnings: %q", s, p.Warnings)
				}
			}
			if err := checkDockerfile(p.Dockerfile); err != nil {
				t.Errorf("generated Dockerfile: %v\n%s", err, df)
			}
			again, err := Detect(dir)
			if err != nil || !bytes.Equal(again.Dockerfile, p.Dockerfile) || !reflect.DeepEqual(again, p) {
				t.Errorf("a second Detect gave a different plan (err %v)", err)
			}
			golden(t, filepath.Join("testdata", "detect", "golden", tc.name+".Dockerfile"), p.Dockerfile)
			if p.BuildKit {
				t.Errorf("Detect's Dockerfile should suit the classic builder")
			}

			// For BuildKit, Go's build keeps its cache in a cache mount; nothing else changes.
			bk, err := DetectFor(dir, GenerateOptions{BuildKit: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := checkDockerfile(bk.Dockerfile); err != nil {
				t.Errorf("generated Dockerfile for BuildKit: %v\n%s", err, bk.Dockerfile)
			}
			portable := withoutCacheMount(bk.Dockerfile)
			if wantMount := p.Language == "Go"; bk.BuildKit != wantMount || bytes.Equal(portable, bk.Dockerfile) == wantMount {
				t.Errorf("BuildKit's Dockerfile should keep a cache mount only for Go (BuildKit %v):\n%s", bk.BuildKit, bk.Dockerfile)
			}
			if !bytes.Equal(portable, p.Dockerfile) {
				t.Errorf("BuildKit's Dockerfile, without its cache mount, should be Detect's:\n%s", bk.Dockerfile)
			}
			bk.Dockerfile, bk.BuildKit = p.Dockerfile, false
			if !reflect.DeepEqual(bk, p) {
				t.Errorf("BuildKit's plan should differ only in its Dockerfile:\n%+v\n%+v", bk, p)
			}
		})
	}
}

// withoutCacheMount removes the Go build's cache mount and the comment on it.
func withoutCacheMount(df []byte) []byte {
	s := strings.Replace(string(df), "RUN --mount=type=cache,target=/root/.cache/go-build go build", "RUN go build", 1)
	s = strings.Replace(s, "# Go's build cache is a BuildKit cache mount: it outlives the build, so a change\n"+
		"# recompiles what it touches, not the standard library and every dependency.\n", "", 1)
	return []byte(s)
}

func anyContains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// golden compares got with the file at path, or rewrites the file with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./platform/build -run '%s' -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./platform/build -run '%s' -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, t.Name(), got, want)
	}
}

// TestDetectErrors checks that broken files are errors that name the file, and that
// Detect refuses what is not a directory.
func TestDetectErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"broken package.json", map[string]string{"package.json": "{\n  \"name\": \"x\",\n  oops\n}\n"}, "parse package.json: line 3"},
		{"broken composer.json", map[string]string{"composer.json": "{"}, "parse composer.json"},
		{"go.mod without module", map[string]string{"go.mod": "go 1.26\n"}, "parse go.mod: no module directive"},
		{"broken Pipfile.lock", map[string]string{"Pipfile": "", "Pipfile.lock": "{"}, "parse Pipfile.lock"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Detect(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Detect = %v, want an error containing %q", err, tc.want)
			}
			if errors.Is(err, ErrUndetected) {
				t.Errorf("a broken file is not ErrUndetected: %v", err)
			}
		})
	}
	if _, err := Detect(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Detect of a missing directory succeeded")
	}
}

// TestNodeMajor checks the engines.node forms Heroku users write.
func TestNodeMajor(t *testing.T) {
	cases := []struct {
		rng  string
		want string // "" when no supported major matches
	}{
		{">=18 <23", "22"},
		{"18.x", "18"},
		{"^20", "20"},
		{"^20.11.1", "20"},
		{"~20.1", "20"},
		{"~20.1.3", "20"},
		{"20", "20"},
		{"20.9.0", "20"},
		{"v20.9.0", "20"},
		{">=18", "24"},
		{">= 18", "24"},
		{">18", "24"},
		{"*", "24"},
		{"x", "24"},
		{"", "24"},
		{"18 || 20", "20"},
		{"18.x || 20.x || 22.x", "22"},
		{"21.x || 22.x || 24.x", "24"},
		{">=20.12 <21 || 22 || 24 <24.17.0 || 26 <26.3.1", "24"},
		{">=18.20.4 <19.0.0 || >=20.18.0 <21.0.0 || >=22.12.0 <23.0.0", "22"},
		{"18 - 20", "20"},
		{"<=20", "20"},
		{"<20", "18"},
		{">=16 <18", ""},
		{"6.10.2", ""},
		{"26", ""},
	}
	for _, tc := range cases {
		c, err := parseConstraint(tc.rng, npmRange)
		if err != nil {
			t.Errorf("%q: %v", tc.rng, err)
			continue
		}
		got := ""
		if v, ok := c.highest(nodeMajors, 1); ok {
			got = lineString(v, 1)
		}
		if got != tc.want {
			t.Errorf("%q → %q, want %q", tc.rng, got, tc.want)
		}
	}
	for _, bad := range []string{">=abc", "1.2.3.4", "^x.y"} {
		if _, err := parseConstraint(bad, npmRange); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestConstraintDialects checks Composer's and RubyGems' readings, where ~ differs from npm's.
func TestConstraintDialects(t *testing.T) {
	cases := []struct {
		rng   string
		d     dialect
		lines []version
		want  string
	}{
		{"^8.1", composerRange, phpLines, "8.4"},
		{"~8.1", composerRange, phpLines, "8.4"}, // Composer: >=8.1 <9.0
		{"~8.1.0", composerRange, phpLines, "8.1"},
		{">=8.1 <8.3", composerRange, phpLines, "8.2"},
		{">=8.1,<8.3", composerRange, phpLines, "8.2"},
		{"^7.4|^8.0", composerRange, phpLines, "8.4"},
		{"^7.4 || ^8.2", composerRange, phpLines, "8.4"},
		{"8.2.*", composerRange, phpLines, "8.2"},
		{"^7.4", composerRange, phpLines, ""},
		{">= 3.2, < 4.0", rubyRange, rubyLines, "3.4"},
		{"~> 3.2", rubyRange, rubyLines, "3.4"},
		{"~> 3.2.0", rubyRange, rubyLines, "3.2"},
		{">=3.4.0", rubyRange, rubyLines, "3.4"},
		{"~1.2", npmRange, []version{{1, 2}, {1, 3}}, "1.2"}, // npm: >=1.2.0 <1.3.0
	}
	for _, tc := range cases {
		c, err := parseConstraint(tc.rng, tc.d)
		if err != nil {
			t.Errorf("%q: %v", tc.rng, err)
			continue
		}
		got := ""
		if v, ok := c.highest(tc.lines, 2); ok {
			got = lineString(v, 2)
		}
		if got != tc.want {
			t.Errorf("%q (dialect %d) → %q, want %q", tc.rng, tc.d, got, tc.want)
		}
	}
}

// TestDetectReadsInsideTheApp: detection reads the app's files as its other inputs are
// read: a package.json that links out of the app is refused, not read.
func TestDetectReadsInsideTheApp(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, map[string]string{"package.json": `{"engines":{"node":"20"}}`})
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(outside, "package.json"), filepath.Join(dir, "package.json")); err != nil {
		t.Fatal(err)
	}
	if p, err := Detect(dir); err == nil {
		t.Errorf("a package.json linking out of the app was used: %s %s", p.Language, p.Version)
	}
	// A link inside the app is read.
	write(t, dir, map[string]string{"real.json": `{"engines":{"node":"20"}}`})
	os.Remove(filepath.Join(dir, "package.json"))
	if err := os.Symlink("real.json", filepath.Join(dir, "package.json")); err != nil {
		t.Fatal(err)
	}
	if p, err := Detect(dir); err != nil || p.Version != "20" {
		t.Errorf("a package.json linking inside the app: %v %v", p, err)
	}
}
