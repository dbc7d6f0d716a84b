package build

import "strings"

// nodeImage is the official image for a Node.js major.
func nodeImage(major string) string { return "node:" + major + "-bookworm-slim" }

// corepackEnv keeps corepack's downloads in the image and off the user's home directory,
// and stops it from asking before a download.
const corepackEnv = "ENV COREPACK_HOME=/usr/local/share/corepack COREPACK_ENABLE_DOWNLOAD_PROMPT=0"

// writeNode writes a Node.js app's Dockerfile.
func writeNode(r *repo, p *Plan, s *nodeSetup) {
	var d dockerfile
	d.header(p, genOptions{}, [][2]string{{"NODE_IMAGE", nodeImage(s.major)}})

	d.comment("base: Node.js, plus the package manager when it is not npm (the Procfile may run it).")
	d.printf("FROM ${NODE_IMAGE} AS base")
	d.printf("WORKDIR /app")
	if s.corepack != "" {
		d.printf("%s", corepackEnv)
		d.printf("COPY package.json ./")
		d.printf("RUN corepack enable && %s && chown -R %s:%s /usr/local/share/corepack", s.corepack, appUser, appUser)
	}
	d.blank()

	d.comment("build: all dependencies (devDependencies too, as Heroku installs them), the build, then the prune.")
	d.printf("FROM base AS build")
	d.printf("COPY %s ./", strings.Join(s.manifest, " "))
	d.printf("RUN %s", s.install)
	d.printf("COPY . ./")
	d.printf("ENV NODE_ENV=production")
	if s.build != "" {
		d.printf("RUN %s %s", s.run, s.build)
	}
	if s.prune != "" {
		d.printf("RUN %s", s.prune)
	}
	d.blank()

	d.printf("FROM base")
	d.printf("COPY --from=build --chown=%s:%s /app ./", appUser, appUser)
	var cmd []string
	if s.start {
		cmd = []string{"npm", "start"}
	}
	d.runtimeTail(r, tail{env: []string{"NODE_ENV=production", "PATH=/app/node_modules/.bin:$PATH"}, fallback: cmd})
	d.finish(p)
}

// writeAssets writes the stage that builds front-end assets for an app in another language.
// It leaves the repository with the built files and without node_modules in /app.
func writeAssets(d *dockerfile, s *nodeSetup) {
	d.comment("assets: package.json's build script, run by Node.js; the app's stages copy /app from here.")
	d.printf("FROM ${NODE_IMAGE} AS assets")
	d.printf("WORKDIR /app")
	if s.corepack != "" {
		d.printf("%s", corepackEnv)
	}
	d.printf("COPY %s ./", strings.Join(s.manifest, " "))
	install := s.install
	if s.corepack != "" {
		install = "corepack enable && " + s.corepack + " && " + install
	}
	d.printf("RUN %s", install)
	d.printf("COPY . ./")
	d.printf("ENV NODE_ENV=production")
	d.printf("RUN %s %s && rm -rf node_modules", s.run, s.build)
	d.blank()
}

// withAssets writes the assets stage when there is one.
func withAssets(d *dockerfile, opts genOptions) {
	if opts.assets != nil {
		writeAssets(d, opts.assets)
	}
}
