package build

import (
	"fmt"
	"regexp"
	"strings"
)

// defaultRuby is used when no file names a Ruby version.
const defaultRuby = "3.3"

// rubyLines are the Ruby lines a Gemfile constraint (ruby ">= 3.2") is resolved against, oldest first.
var rubyLines = []version{{3, 2}, {3, 3}, {3, 4}}

// rubySetup is what the Ruby stages need.
type rubySetup struct {
	version  string
	bundler  string   // Gemfile.lock's BUNDLED WITH, installed when set
	manifest []string // nil: the Gemfile needs the whole repository (gemspec, path:)
	rails    bool
	buildApt []string
	runApt   []string
}

var (
	// gemfileRuby matches the ruby directive: ruby "3.3.0", ruby '>= 3.2', '< 4.0', ruby file: ".ruby-version".
	gemfileRuby = regexp.MustCompile(`(?m)^[ \t]*ruby(?:[ \t]+|[ \t]*\()[ \t]*(.+?)[ \t]*\)?[ \t]*(?:#.*)?$`)
	quoted      = regexp.MustCompile(`["']([^"']*)["']`)
	lockRuby    = regexp.MustCompile(`(?m)^RUBY VERSION\s*\n\s+ruby (\d+\.\d+)`)
	lockBundler = regexp.MustCompile(`(?m)^BUNDLED WITH\s*\n\s+(\d+\.\d+\.\d+)`)
	gemName     = func(name string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\s*gem\s+["']` + regexp.QuoteMeta(name) + `["']|^    ` + regexp.QuoteMeta(name) + ` \(`)
	}
)

// rubyNative are the common gems that compile against a system library.
var rubyNative = []struct {
	gem        string
	build, run []string
}{
	{"pg", []string{"libpq-dev"}, []string{"libpq5"}},
	{"mysql2", []string{"default-libmysqlclient-dev"}, []string{"libmariadb3"}},
}

// planRuby is the Ruby plan: bundle install in one stage, the gems and the app copied into the final one.
func planRuby(r *repo, p *Plan, opts genOptions) error {
	gemfile, err := r.read("Gemfile")
	if err != nil {
		return err
	}
	lock, err := r.read("Gemfile.lock")
	if err != nil {
		return err
	}
	s := &rubySetup{}
	if err := resolveRubyVersion(r, p, s, string(gemfile), string(lock)); err != nil {
		return err
	}
	p.Version = s.version

	s.manifest = []string{"Gemfile"}
	if lock != nil {
		s.manifest = append(s.manifest, "Gemfile.lock")
		if m := lockBundler.FindStringSubmatch(string(lock)); m != nil {
			s.bundler = m[1]
			p.Reasons = append(p.Reasons, fmt.Sprintf("Gemfile.lock BUNDLED WITH %s → that bundler", s.bundler))
		}
	} else {
		p.Warnings = append(p.Warnings, "no Gemfile.lock: gems are resolved afresh on every build (commit Gemfile.lock; Heroku requires it)")
	}
	if regexp.MustCompile(`(?m)^\s*ruby\s+file:`).Match(gemfile) && r.exists(".ruby-version") {
		s.manifest = append(s.manifest, ".ruby-version")
	}
	if regexp.MustCompile(`(?m)^\s*(gemspec\b|eval_gemfile\b|.*\bpath:)`).Match(gemfile) {
		s.manifest = nil
		p.Reasons = append(p.Reasons, "the Gemfile refers to local files (gemspec, path:, eval_gemfile): the whole repository is copied before bundle install")
	}
	deps := string(gemfile) + "\n" + string(lock)
	for _, n := range rubyNative {
		if gemName(n.gem).MatchString(deps) {
			s.buildApt = append(s.buildApt, n.build...)
			s.runApt = append(s.runApt, n.run...)
			p.Reasons = append(p.Reasons, fmt.Sprintf("gem %s → %s to build, %s to run", n.gem, strings.Join(n.build, " "), strings.Join(n.run, " ")))
		}
	}
	s.rails = gemName("rails").MatchString(deps) || gemName("railties").MatchString(deps)
	if s.rails {
		p.Reasons = append(p.Reasons, "gem rails → rake assets:precompile when the app defines it (as Heroku does), RAILS_ENV=production")
	}
	writeRuby(r, p, s, opts)
	return nil
}

// resolveRubyVersion reads Gemfile.lock's RUBY VERSION (what Heroku uses), then the Gemfile's
// ruby directive, then .ruby-version.
func resolveRubyVersion(r *repo, p *Plan, s *rubySetup, gemfile, lock string) error {
	if m := lockRuby.FindStringSubmatch(lock); m != nil {
		s.version = m[1]
		p.Reasons = append(p.Reasons, fmt.Sprintf("Gemfile.lock RUBY VERSION ruby %s → %s", m[1], s.version))
		return nil
	}
	fromFile := func(why string) (bool, error) {
		b, err := r.read(".ruby-version")
		if err != nil || b == nil {
			return false, err
		}
		raw := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		v, ok := majorMinor(strings.TrimPrefix(raw, "ruby-"))
		if !ok {
			p.Warnings = append(p.Warnings, fmt.Sprintf(".ruby-version: %q is not a Ruby version like 3.3.0: ignored", raw))
			return false, nil
		}
		s.version = v
		p.Reasons = append(p.Reasons, fmt.Sprintf(".ruby-version %q → %s%s", raw, v, why))
		return true, nil
	}
	if m := gemfileRuby.FindStringSubmatch(gemfile); m != nil {
		args := m[1]
		if strings.HasPrefix(args, "file:") {
			ok, err := fromFile(" (the Gemfile's ruby file:)")
			if ok || err != nil {
				return err
			}
		} else {
			var terms []string
			for _, q := range quoted.FindAllStringSubmatch(args, -1) {
				terms = append(terms, q[1])
			}
			if len(terms) > 0 {
				if ok := rubyFromConstraint(p, s, strings.Join(terms, ", ")); ok {
					return nil
				}
			} else if strings.Contains(args, "RUBY_VERSION") || strings.Contains(args, "File.read") {
				p.Warnings = append(p.Warnings, fmt.Sprintf("Gemfile: ruby %s is computed, not written: ignored", args))
			}
		}
	}
	ok, err := fromFile("")
	if ok || err != nil {
		return err
	}
	s.version = defaultRuby
	p.Warnings = append(p.Warnings, fmt.Sprintf("no Ruby version in Gemfile.lock, Gemfile or .ruby-version: using Ruby %s", s.version))
	return nil
}

// rubyFromConstraint sets the version from a Gemfile ruby directive: an exact version as
// written, a constraint as the newest line in rubyLines that satisfies it.
func rubyFromConstraint(p *Plan, s *rubySetup, expr string) bool {
	if v, ok := majorMinor(expr); ok && !strings.ContainsAny(expr, "<>~=,") {
		s.version = v
		p.Reasons = append(p.Reasons, fmt.Sprintf("Gemfile ruby %q → %s", expr, v))
		return true
	}
	c, err := parseConstraint(expr, rubyRange)
	if err != nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("Gemfile ruby directive: cannot read %v", err))
		return false
	}
	v, ok := c.highest(rubyLines, 2)
	if !ok {
		p.Warnings = append(p.Warnings, fmt.Sprintf("Gemfile ruby %q matches none of Ruby %s", expr, lineStrings(rubyLines, 2)))
		return false
	}
	s.version = lineString(v, 2)
	p.Reasons = append(p.Reasons, fmt.Sprintf("Gemfile ruby %q → %s (the newest of %s that satisfies it)", expr, s.version, lineStrings(rubyLines, 2)))
	return true
}
