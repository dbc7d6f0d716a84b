package build

import "strings"

// goImage is the official image for a Go line; goRuntimeImage runs the binaries.
// busybox has the /bin/sh that Procfile commands run under, and nothing else.
func goImage(v string) string { return "golang:" + v + "-bookworm" }

const goRuntimeImage = "busybox:1.36"

// writeGo writes a Go app's Dockerfile.
func writeGo(r *repo, p *Plan, s *goSetup, opts genOptions) {
	var d dockerfile
	d.header(p, opts, [][2]string{{"GO_IMAGE", goImage(s.version)}, {"RUNTIME_IMAGE", goRuntimeImage}})
	withAssets(&d, opts)

	d.comment("build: static binaries into /app/bin.")
	d.printf("FROM ${GO_IMAGE} AS build")
	d.printf("WORKDIR /src")
	d.printf("ENV CGO_ENABLED=0")
	if !s.vendor {
		d.printf("COPY %s ./", strings.Join(s.manifest, " "))
		d.printf("RUN go mod download")
	}
	d.copySource(opts, false)
	if opts.buildKit {
		d.comment("Go's build cache is a BuildKit cache mount: it outlives the build, so a change",
			"recompiles what it touches, not the standard library and every dependency.")
		d.printf(`RUN --mount=type=cache,target=/root/.cache/go-build go build -trimpath -ldflags="-s -w" -o %s %s`, s.out, strings.Join(s.pkgs, " "))
		p.BuildKit = true
	} else {
		d.printf(`RUN go build -trimpath -ldflags="-s -w" -o %s %s`, s.out, strings.Join(s.pkgs, " "))
	}
	d.blank()

	d.comment("The runtime needs /bin/sh: Procfile commands run under `/bin/sh -c`.")
	d.printf("FROM ${RUNTIME_IMAGE}")
	d.printf("WORKDIR /app")
	d.copySource(opts, true)
	d.printf("COPY --from=build /app/bin /app/bin")
	d.printf("COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt")
	d.runtimeTail(r, tail{env: []string{"PATH=/app/bin:$PATH"}})
	d.finish(p)
}
