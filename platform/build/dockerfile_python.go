package build

import "strings"

// pythonImage is the official image for a Python line.
func pythonImage(v string) string { return "python:" + v + "-slim-bookworm" }

// writePython writes a Python app's Dockerfile.
func writePython(r *repo, p *Plan, s *pythonSetup, opts genOptions) {
	var d dockerfile
	d.header(p, opts, [][2]string{{"PYTHON_IMAGE", pythonImage(s.version)}})
	withAssets(&d, opts)

	d.comment("build: the dependencies, in a virtualenv that the final stage copies.")
	d.printf("FROM ${PYTHON_IMAGE} AS build")
	d.printf("WORKDIR /app")
	if apt := aptInstall(unique(s.buildApt)); apt != "" {
		d.printf("%s", apt)
	}
	d.printf("ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1")
	if s.tools != "" {
		d.printf("RUN python -m venv /opt/tools && /opt/tools/bin/pip install --no-cache-dir %s", s.tools)
	}
	d.printf("RUN python -m venv /opt/venv")
	path := "PATH=/opt/venv/bin:$PATH"
	if s.tools != "" {
		path = "PATH=/opt/venv/bin:$PATH:/opt/tools/bin"
	}
	d.printf("ENV VIRTUAL_ENV=/opt/venv %s", path)
	if s.tools == "poetry" {
		d.printf("ENV POETRY_VIRTUALENVS_CREATE=false")
	}
	if len(s.install) > 0 {
		if s.manifest != nil {
			d.printf("COPY %s ./", strings.Join(s.manifest, " "))
		} else {
			d.copySource(opts, false)
		}
		for _, c := range s.install {
			d.printf("RUN %s", c)
		}
	}
	d.blank()

	d.printf("FROM ${PYTHON_IMAGE}")
	d.printf("WORKDIR /app")
	if apt := aptInstall(unique(s.runApt)); apt != "" {
		d.printf("%s", apt)
	}
	d.printf("COPY --from=build /opt/venv /opt/venv")
	d.copySource(opts, true)
	d.runtimeTail(r, tail{env: []string{"VIRTUAL_ENV=/opt/venv", "PATH=/opt/venv/bin:$PATH", "PYTHONUNBUFFERED=1"}})
	d.finish(p)
}

// unique drops repeated entries, keeping the first of each.
func unique(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
