#!/usr/bin/env bash
# Installs what the tests need (Debian packages only) and runs every test:
# the quality gates, the race-enabled test suite (including the real-browser
# tests in headless Chromium), and a one-iteration pass over the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

echo "== gofmt"
unformatted=$(gofmt -l . | grep -v '^bench/results/' || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...
(cd bench && go vet ./...)

echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
(cd bench && go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...)

echo "== go test -race"
go test -race -count=1 $(go list ./... | grep -v /e2e/conformance)

echo "== benchmarks (one iteration each, to prove they run)"
(cd bench && go test -run '^$' -bench . -benchtime 1x ./... >/dev/null)
echo "benchmarks ran"

echo "== browser conformance suite (headless Chromium)"
# Run from its directory so that go test prints the suite's summary line.
(cd e2e/conformance && go test -race -count=1)
