#!/usr/bin/env bash
# Installs the Debian packages the tests need: chromium for the real-browser
# tests, curl for the README's commands that readme_test.go runs, and
# etcd-server and etcd-client for the cluster tests. With --bench (or
# CROSSGATE_BENCH_PEERS=1) it also installs the benchmark peers nginx, caddy
# and wrk, and linux-perf for CPU-time measurements.
#
# Idempotent: when every package is installed it changes nothing and touches
# no network. It installs Debian packages only, with apt-get, and needs root
# (or password-less sudo) only when something is missing.
set -euo pipefail

usage() {
  echo "usage: $0 [--bench]" >&2
  echo "  --bench  also install the benchmark peers (nginx, caddy, wrk) and linux-perf" >&2
}

packages=(chromium curl etcd-server etcd-client)
bench=${CROSSGATE_BENCH_PEERS:-0}
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-test-deps: unknown argument $arg" >&2; usage; exit 2 ;;
  esac
done
if [ "$bench" = 1 ]; then
  packages+=(nginx caddy wrk linux-perf)
fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "install-test-deps: missing ${missing[*]}, and apt-get is not available; install them with your package manager" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "install-test-deps: missing ${missing[*]}; run this script as root to install them" >&2
    exit 1
  fi
fi

# Package scripts must not start services (nginx would take port 80): a
# policy-rc.d that refuses every start, present only for this install.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  "${as_root[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
  trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi

echo "install-test-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
