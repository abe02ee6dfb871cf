# Plinth build and test entry points. Both targets set up a fresh Debian or
# Ubuntu machine first (as root): Debian packages from the archive, and Go
# from the Go module proxy when the machine has none or an older one.
#
#   make iso    build out/plinth-installer.iso
#   make test   unit tests, then end-to-end boots under QEMU + OVMF
#   make bench  benchmarks, including the boot benchmark (VMs)

GO_VERSION   := 1.26.8
GOPROXY_URL  := $(firstword $(subst $(comma), ,$(or $(GOPROXY),https://proxy.golang.org)))
comma        := ,
GO_ROOT      := /usr/local/go
TOOLCHAIN    := /usr/local/lib/plinth-go$(GO_VERSION)
export PATH  := $(GO_ROOT)/bin:$(TOOLCHAIN)/bin:$(PATH)
export GOFLAGS ?= -mod=mod

# Debian packages the build and the tests need: one list, with the commands
# each provides, that the tests read too (they find their tools through it).
# Package lines are those that start with a package name.
HOSTDEPS     := internal/hostdeps/packages.txt
APT_PACKAGES  = $(shell awk -F: '/^[a-z0-9]/ { print $$1 }' $(HOSTDEPS))

.PHONY: all deps packages go iso test unit e2e bench vet clean
all: iso

# The package names, one a line: internal/hostdeps checks them against its list.
packages:
	@printf '%s\n' $(APT_PACKAGES)

deps: go
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "==> installing Debian packages:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

# Go $(GO_VERSION) from the module proxy's toolchain module when no new enough go is installed.
go:
	@if go version 2>/dev/null | grep -Eq 'go1\.(2[6-9]|[3-9][0-9])'; then exit 0; fi; \
	command -v curl >/dev/null && command -v unzip >/dev/null || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends curl unzip ca-certificates; }; \
	echo "==> fetching Go $(GO_VERSION) from $(GOPROXY_URL)"; \
	tmp=$$(mktemp -d) && \
	curl -fsSL -o $$tmp/go.zip "$(GOPROXY_URL)/golang.org/toolchain/@v/v0.0.1-go$(GO_VERSION).linux-amd64.zip" && \
	unzip -q $$tmp/go.zip -d $$tmp && rm -rf $(TOOLCHAIN) && \
	mv "$$tmp/golang.org/toolchain@v0.0.1-go$(GO_VERSION).linux-amd64" $(TOOLCHAIN) && \
	chmod +x $(TOOLCHAIN)/bin/* $(TOOLCHAIN)/pkg/tool/*/* && rm -rf $$tmp && $(TOOLCHAIN)/bin/go version

iso: deps
	go run ./cmds/mkiso -disk out/plinth-disk.img

vet: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	go vet ./...
	go vet -tags e2e ./e2e/
	go tool actionlint

unit: deps vet
	go test -count=1 ./...

e2e: iso
	go test -count=1 -tags e2e -timeout 60m -v ./e2e/

test: unit e2e

# The packages' benchmarks, then BenchmarkBoot (e2e/bench_test.go): the
# installer and the runtime against UKIs of the same kernels with a trivial
# init, booted in turn under QEMU; it needs the images of make iso.
bench: iso
	go test -run '^$$' -bench . -benchtime 3x ./...
	go test -tags e2e -run '^$$' -bench Boot -benchtime 1x -timeout 60m ./e2e/

clean:
	rm -rf out e2e/artifacts
