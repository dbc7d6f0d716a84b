package e2e

import (
	"archive/tar"
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestDebianMirrors(t *testing.T) {
	tests := []struct {
		name             string
		sources          map[string]string
		mirror, security string
	}{
		{
			name: "deb822, as on these machines",
			sources: map[string]string{"/etc/apt/sources.list.d/debian.sources": `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`},
			mirror: "http://deb.debian.org/debian", security: "http://deb.debian.org/debian-security",
		},
		{
			name: "one-line format with options, a source line and a disabled stanza elsewhere",
			sources: map[string]string{
				"/etc/apt/sources.list": `# a comment
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main contrib
deb http://security.example/debian-security bookworm-security main
`,
				"/etc/apt/sources.list.d/other.sources": "Types: deb\nURIs: http://other.example/debian\nSuites: bookworm\nEnabled: no\n",
			},
			mirror: "http://mirror.example/debian", security: "http://security.example/debian-security",
		},
		{
			name:    "no bookworm source: deb.debian.org",
			sources: map[string]string{"/etc/apt/sources.list.d/nodesource.sources": "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n"},
			mirror:  "http://deb.debian.org/debian", security: "http://deb.debian.org/debian-security",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mirror, security := debianMirrors(tt.sources)
			if mirror != tt.mirror || security != tt.security {
				t.Errorf("debianMirrors = %q, %q; want %q, %q", mirror, security, tt.mirror, tt.security)
			}
		})
	}
}

// dockerSave is iptables-save on this machine with the harness's engine up, a sandbox
// real node's rule and a rule of someone else's.
const dockerSave = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o e2edocker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o e2edocker0 -j DOCKER
-A FORWARD -i e2edocker0 ! -o e2edocker0 -j ACCEPT
-A FORWARD -i e2edocker0 -o e2edocker0 -j ACCEPT
-A FORWARD -s 10.85.0.0/24 -m comment --comment "slipway-sandbox" -j ACCEPT
-A DOCKER -d 10.86.0.2/32 ! -i e2edocker0 -o e2edocker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i e2edocker0 ! -o e2edocker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o e2edocker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 10.86.0.0/24 ! -o e2edocker0 -j MASQUERADE
-A POSTROUTING -s 10.87.3.0/24 ! -o br-0123 -j MASQUERADE
-A POSTROUTING -s 10.85.0.0/24 -j MASQUERADE
-A DOCKER -i e2edocker0 -j RETURN
-A DOCKER ! -i e2edocker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.86.0.2:80
COMMIT
`

func TestDockerSweep(t *testing.T) {
	tests := []struct {
		name      string
		allChains bool
		want      string
	}{
		{
			name:      "no dockerd left: its rules and Docker's chains go",
			allChains: true,
			want: `*filter
-D FORWARD -j DOCKER-USER
-D FORWARD -j DOCKER-ISOLATION-STAGE-1
-D FORWARD -o e2edocker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-D FORWARD -o e2edocker0 -j DOCKER
-D FORWARD -i e2edocker0 ! -o e2edocker0 -j ACCEPT
-D FORWARD -i e2edocker0 -o e2edocker0 -j ACCEPT
-F DOCKER
-F DOCKER-ISOLATION-STAGE-1
-F DOCKER-ISOLATION-STAGE-2
-F DOCKER-USER
-X DOCKER
-X DOCKER-ISOLATION-STAGE-1
-X DOCKER-ISOLATION-STAGE-2
-X DOCKER-USER
COMMIT
*nat
-D PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-D OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-D POSTROUTING -s 10.86.0.0/24 ! -o e2edocker0 -j MASQUERADE
-D POSTROUTING -s 10.87.3.0/24 ! -o br-0123 -j MASQUERADE
-F DOCKER
-X DOCKER
COMMIT
`,
		},
		{
			name:      "another dockerd runs: only the engine's rules go",
			allChains: false,
			want: `*filter
-D FORWARD -o e2edocker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-D FORWARD -o e2edocker0 -j DOCKER
-D FORWARD -i e2edocker0 ! -o e2edocker0 -j ACCEPT
-D FORWARD -i e2edocker0 -o e2edocker0 -j ACCEPT
-D DOCKER -d 10.86.0.2/32 ! -i e2edocker0 -o e2edocker0 -p tcp -m tcp --dport 80 -j ACCEPT
-D DOCKER-ISOLATION-STAGE-1 -i e2edocker0 ! -o e2edocker0 -j DOCKER-ISOLATION-STAGE-2
-D DOCKER-ISOLATION-STAGE-2 -o e2edocker0 -j DROP
COMMIT
*nat
-D POSTROUTING -s 10.86.0.0/24 ! -o e2edocker0 -j MASQUERADE
-D POSTROUTING -s 10.87.3.0/24 ! -o br-0123 -j MASQUERADE
-D DOCKER -i e2edocker0 -j RETURN
-D DOCKER ! -i e2edocker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.86.0.2:80
COMMIT
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dockerSweep(dockerSave, tt.allChains); got != tt.want {
				t.Errorf("dockerSweep:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
	if got := dockerSweep("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n", true); got != "" {
		t.Errorf("dockerSweep of rules with nothing of Docker's = %q, want nothing", got)
	}
}

// TestDockerEngineRunsBaseImages starts the harness's engine, makes busybox and Debian and
// runs each.
func TestDockerEngineRunsBaseImages(t *testing.T) {
	host := DockerEngine(t)
	start := time.Now()
	BaseImages(t, host, "busybox:1.36", "debian:bookworm-slim")
	t.Logf("busybox:1.36 and debian:bookworm-slim ready in %s", time.Since(start).Round(100*time.Millisecond))

	out := docker(t, host, nil, "run", "--rm", "busybox:1.36", "sh", "-c", "echo hello from $(busybox | head -n 1 | cut -d ' ' -f 1); id -un")
	if want := "hello from BusyBox\nroot\n"; out != want {
		t.Errorf("docker run busybox:1.36 printed %q, want %q", out, want)
	}
	out = docker(t, host, nil, "run", "--rm", "debian:bookworm-slim", "bash", "-c", `. /etc/os-release && echo "$ID $VERSION_CODENAME" && dpkg-query -W -f '${Status}\n' apt && ls /usr/share/man | wc -l`)
	if want := "debian bookworm\ninstall ok installed\n0\n"; out != want {
		t.Errorf("docker run debian:bookworm-slim printed %q, want %q", out, want)
	}
	cmd := docker(t, host, nil, "image", "inspect", "--format", "{{json .Config.Cmd}} {{index .Config.Labels \""+recipeLabel+"\"}}", "debian:bookworm-slim")
	if want := `["bash"] debian:bookworm-slim ` + recipeVersion; !strings.HasPrefix(cmd, want) {
		t.Errorf("debian:bookworm-slim's command and recipe are %q, want them to start %q", cmd, want)
	}
}

// TestDockerBuildsGo builds a Dockerfile FROM golang:1.26-bookworm with no network for Go
// (GOPROXY=off) and runs the program it built.
func TestDockerBuildsGo(t *testing.T) {
	host := DockerEngine(t)
	start := time.Now()
	BaseImages(t, host, "golang:1.26-bookworm")
	t.Logf("golang:1.26-bookworm ready in %s", time.Since(start).Round(100*time.Millisecond))

	files := map[string]string{
		"Dockerfile": `FROM golang:1.26-bookworm
WORKDIR /src
COPY . .
ENV GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0
RUN go build -o /usr/local/bin/hello .
CMD ["hello"]
`,
		"go.mod":  "module example.com/hello\n\ngo 1.26\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(\"hello from\", runtime.Version()) }\n",
	}
	var ctx bytes.Buffer
	tw := tar.NewWriter(&ctx)
	for _, name := range []string{"Dockerfile", "go.mod", "main.go"} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), ModTime: time.Now()}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[name]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	tag := "e2e-hello-go:test"
	docker(t, host, &ctx, "build", "--quiet", "--tag", tag, "-")
	t.Cleanup(func() { docker(t, host, nil, "image", "rm", tag) })
	out := docker(t, host, nil, "run", "--rm", tag)
	if want := "hello from " + runtime.Version() + "\n"; out != want {
		t.Errorf("the program built FROM golang:1.26-bookworm printed %q, want %q", out, want)
	}
	env := docker(t, host, nil, "run", "--rm", "golang:1.26-bookworm", "sh", "-c", "go env GOTOOLCHAIN GOPATH && git --version | cut -d ' ' -f 1-2")
	if want := "local\n/go\ngit version\n"; env != want {
		t.Errorf("golang:1.26-bookworm's go env and git printed %q, want %q", env, want)
	}
}

// TestBaseImagesNodeAndPython makes the Node and Python images and checks what they hold:
// Debian's versions, whatever the tags say.
func TestBaseImagesNodeAndPython(t *testing.T) {
	host := DockerEngine(t)
	start := time.Now()
	BaseImages(t, host, "node:22-bookworm-slim", "node:18-bookworm-slim", "python:3.11-slim-bookworm")
	t.Logf("node and python images ready in %s", time.Since(start).Round(100*time.Millisecond))

	id22 := docker(t, host, nil, "image", "inspect", "--format", "{{.Id}}", "node:22-bookworm-slim")
	id18 := docker(t, host, nil, "image", "inspect", "--format", "{{.Id}}", "node:18-bookworm-slim")
	if id22 != id18 {
		t.Errorf("node:22-bookworm-slim is %s and node:18-bookworm-slim %s, want the same image", id22, id18)
	}
	out := docker(t, host, nil, "run", "--rm", "node:22-bookworm-slim", "sh", "-c", `node -e 'console.log(process.version.split(".")[0])' && npm --version | cut -d . -f 1 && id -u node`)
	if want := "v18\n9\n1000\n"; out != want {
		t.Errorf("node:22-bookworm-slim's node, npm and node user printed %q, want %q (Debian bookworm's Node 18 and npm 9)", out, want)
	}
	out = docker(t, host, nil, "run", "--rm", "python:3.11-slim-bookworm", "sh", "-c", `python -c 'import sys, venv; print("%d.%d" % sys.version_info[:2])' && pip --version | cut -d ' ' -f 1`)
	if want := "3.11\npip\n"; out != want {
		t.Errorf("python:3.11-slim-bookworm's python and pip printed %q, want %q", out, want)
	}
}
