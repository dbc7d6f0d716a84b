# Slipway's build and checks. `make test` is what CI runs (with SLIPWAY_E2E=require).
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build test check prebuild unit samples screenshots fuzz golden

build:
	$(GO) build -o bin/slipway ./cmd/slipway

# Static checks, every test of the module (end-to-end ones included: they build the real
# helm CLI from its Go module once and cache it), and the Go sample's own tests.
test: check prebuild unit samples screenshots

check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# A fresh machine builds the sandbox's control plane, the real node's binaries and helm once,
# alone, before the suites (so that no suite's timeout holds a cold build of Kubernetes); on
# a machine that has them this only checks the cache.
prebuild:
	SLIPWAY_PREBUILD=1 $(GO) test -count=1 -timeout 60m -run '^TestPrebuild$$' ./internal/e2e

unit:
	$(GO) test -count=1 -timeout 40m -skip '^TestTUIOnSandbox$$' ./...

# The dashboard's end-to-end test in tmux against the sandbox; it renders a screenshot of
# each main view into docs/ (the README shows them), so they are regenerated on every run.
screenshots:
	SLIPWAY_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -timeout 20m -run '^TestTUIOnSandbox$$' ./cmd/slipway

samples:
	cd samples/go && $(GO) vet ./... && $(GO) test -count=1 ./...

# Rewrite the charts' golden files after a reviewed change.
golden:
	$(GO) test ./charts -run Golden -update

# A short fuzz of every parser (go test runs one fuzz target at a time).
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./procfile -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./procfile -run XXX -fuzz FuzzExecCommand -fuzztime $(FUZZTIME)
	for p in ./platform/app ./platform/importer; do \
		for f in $$($(GO) test $$p -list 'Fuzz.*' | grep ^Fuzz); do \
			$(GO) test $$p -run XXX -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; done; done
