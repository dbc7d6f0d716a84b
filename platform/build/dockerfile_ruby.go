package build

import "strings"

// rubyImage is the official image for a Ruby line.
func rubyImage(v string) string { return "ruby:" + v + "-slim-bookworm" }

// rubyBuildApt are always needed to compile gems on the slim image (puma, bootsnap, psych …).
var rubyBuildApt = []string{"build-essential", "git", "libyaml-dev", "pkg-config"}

// writeRuby writes a Ruby app's Dockerfile. The official images keep gems in /usr/local/bundle
// (GEM_HOME, and BUNDLE_APP_CONFIG for bundle config), so that directory carries both.
func writeRuby(r *repo, p *Plan, s *rubySetup, opts genOptions) {
	var d dockerfile
	d.header(p, opts, [][2]string{{"RUBY_IMAGE", rubyImage(s.version)}})
	withAssets(&d, opts)

	d.comment("build: the gems without development and test, and the app's assets.")
	d.printf("FROM ${RUBY_IMAGE} AS build")
	d.printf("WORKDIR /app")
	d.printf("%s", aptInstall(unique(append(append([]string{}, rubyBuildApt...), s.buildApt...))))
	if s.bundler != "" {
		d.printf("RUN gem install bundler -v %s --no-document", s.bundler)
	}
	if s.manifest != nil {
		d.printf("COPY %s ./", strings.Join(s.manifest, " "))
	} else {
		d.copySource(opts, false)
	}
	d.printf("RUN bundle config set without development:test \\\n && bundle install --jobs 4 \\\n && rm -rf /usr/local/bundle/cache")
	if s.manifest != nil {
		d.copySource(opts, false)
	}
	if s.rails {
		env := "RAILS_ENV=production RACK_ENV=production SECRET_KEY_BASE_DUMMY=1"
		if opts.assets != nil {
			env += " SKIP_JS_BUILD=1 SKIP_CSS_BUILD=1" // the assets stage built them
		}
		d.comment("Heroku runs assets:precompile when the app defines it; so does this step.")
		d.printf("RUN if bundle exec rake -P 2>/dev/null | grep -q '^rake assets:precompile'; then \\\n      %s bundle exec rake assets:precompile; \\\n    fi", env)
	}
	d.blank()

	d.printf("FROM ${RUBY_IMAGE}")
	d.printf("WORKDIR /app")
	if apt := aptInstall(unique(s.runApt)); apt != "" {
		d.printf("%s", apt)
	}
	d.printf("COPY --from=build /usr/local/bundle /usr/local/bundle")
	d.printf("COPY --from=build --chown=%s:%s /app ./", appUser, appUser)
	env := []string{"RACK_ENV=production"}
	if s.rails {
		env = append(env, "RAILS_ENV=production", "RAILS_LOG_TO_STDOUT=enabled", "RAILS_SERVE_STATIC_FILES=enabled")
	}
	d.runtimeTail(r, tail{env: env})
	d.finish(p)
}
