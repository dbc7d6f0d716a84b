package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/slipwayhq/slipway/internal/e2e"
)

// corpusExpect is what Detect says about each app of the corpus: a language and version,
// or "-" for an app it must refuse (ErrUndetected). The corpus holds only the apps' root
// configuration files, so this is detection as Heroku's buildpacks would do it on those files.
var corpusExpect = map[string]string{
	"PostHog__posthog":                                             "Python 3.9",
	"RisingStack__kubernetes-nodejs-example":                       "Node.js 22",
	"Ruby-Starter-Kits__Docker-Rails-Template":                     "Ruby 3.0",
	"codeforamerica__il-gcc-form-flow":                             "-", // Java (build.gradle) with a package.json for assets
	"codetriage__CodeTriage":                                       "Ruby 4.0",
	"getfider__fider":                                              "Go 1.25",
	"heroku-reference-apps__heroku-applink-pattern-org-job-nodejs": "Node.js 22",
	"heroku__go-getting-started":                                   "Go 1.25",
	"heroku__java-getting-started":                                 "-",
	"heroku__node-js-getting-started":                              "Node.js 22",
	"heroku__php-getting-started":                                  "PHP 8.4",
	"heroku__python-getting-started":                               "Python 3.14",
	"heroku__ruby-getting-started":                                 "Ruby 3.4",
	"huginn__huginn":                                               "Ruby 3.4",
	"jessamynsmith__django-celery-example":                         "Python 3.7",
	"mastodon__mastodon":                                           "-", // only Procfile and app.json copied
	"metabase__metabase":                                           "-",
	"monicahq__monica":                                             "PHP 8.4",
	"outline__outline":                                             "Node.js 24",
	"parse-community__parse-server-example":                        "Node.js 22",
	"pypa__warehouse":                                              "Python 3.8",
	"saleor__saleor":                                               "Python 3.6",
	"tvo25__graditude":                                             "Python 3.12",
}

// TestDetectCorpus runs Detect over every app of the corpus and the samples. With -v it
// prints a table of what was detected and why.
func TestDetectCorpus(t *testing.T) {
	corpus := e2e.Corpus(t)
	entries, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	type app struct{ name, dir, want string }
	var apps []app
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		want, ok := corpusExpect[e.Name()]
		if !ok {
			t.Errorf("corpus app %s has no expectation in corpusExpect: add one", e.Name())
			continue
		}
		apps = append(apps, app{e.Name(), filepath.Join(corpus, e.Name()), want})
	}
	root := e2e.ModuleRoot(t)
	for _, s := range []struct{ name, want string }{{"node", "Node.js 22"}, {"python", "Python 3.11"}, {"go", "Go 1.26"}} {
		apps = append(apps, app{"samples/" + s.name, filepath.Join(root, "samples", s.name), s.want})
	}
	sort.Slice(apps, func(i, j int) bool { return apps[i].name < apps[j].name })

	var table strings.Builder
	table.WriteString("| app | language/version | reasons | warnings |\n|---|---|---|---|\n")
	for _, a := range apps {
		p, err := Detect(a.dir)
		got := "-"
		if err == nil {
			got = p.Language + " " + p.Version
			if err := checkDockerfile(p.Dockerfile); err != nil {
				t.Errorf("%s: generated Dockerfile: %v\n%s", a.name, err, p.Dockerfile)
			}
			fmt.Fprintf(&table, "| %s | %s | %s | %s |\n", a.name, got, strings.Join(p.Reasons, "; "), strings.Join(p.Warnings, "; "))
		} else {
			if !errors.Is(err, ErrUndetected) {
				t.Errorf("%s: Detect: %v (want a language or ErrUndetected)", a.name, err)
			}
			fmt.Fprintf(&table, "| %s | - | %v | |\n", a.name, err)
		}
		if got != a.want {
			t.Errorf("%s: detected %q, want %q (err: %v)", a.name, got, a.want, err)
		}
	}
	t.Logf("\n%s", table.String())
}
