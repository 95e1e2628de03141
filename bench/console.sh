#!/usr/bin/env bash
# Measures what the web console costs the gateway. Crossgate runs in front
# of the benchmark's upstream with its admin listener; a console is "open"
# when a client reads the console's event stream (/ui/api/events), as the
# Decisions view does (curl here, so that no browser competes for the CPU).
#
#   1. Throughput: wrk sends GET /users/1 from a refused origin (every
#      request is a CORS decision the console records and streams), in
#      ROUNDS rounds, each measuring without and with a console open, in
#      alternating order; the medians and their ratio are printed.
#   2. Memory: with a console open, load sends 2,000 refused requests a
#      second for 30 s, each from one of 5,000 origins (ten times the
#      group cap), and samples the gateway's RSS and Go heap every second.
#
# Everything listens on 127.0.0.1. Environment: DURATION (per wrk run,
# default 8s), ROUNDS (default 5), THREADS and CONNECTIONS (wrk, default 2
# and 64), PORT_BASE (three consecutive ports, default 18090), RATE and
# LOAD_DURATION (default 2000 and 30s), NICE (as root, say -10: the
# priority of every process of the benchmark, so that other work on a
# shared machine disturbs it less).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
duration=${DURATION:-8s}
rounds=${ROUNDS:-5}
threads=${THREADS:-2}
conns=${CONNECTIONS:-64}
base=${PORT_BASE:-18090}
rate=${RATE:-2000}
load_duration=${LOAD_DURATION:-30s}
up=$base gw=$((base + 1)) adm=$((base + 2))
run=()
[ -z "${NICE:-}" ] || run=(nice -n "$NICE")

command -v wrk >/dev/null || "$root/scripts/install-test-deps.sh" --bench
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "building crossgate, the upstream and the load generator" >&2
(cd "$root" && go build -o "$tmp/" ./cmd/crossgate)
go build -o "$tmp/" ./gateway/upstream ./console/load
sed -e "s/@PORT@/$gw/" -e "s/@UPSTREAM_PORT@/$up/" gateway/crossgate.yaml >"$tmp/crossgate.yaml"
printf 'admin:\n  listen: 127.0.0.1:%s\n' "$adm" >>"$tmp/crossgate.yaml"

"${run[@]}" "$tmp/upstream" -listen "127.0.0.1:$up" &
pids+=($!)
"${run[@]}" "$tmp/crossgate" serve -c "$tmp/crossgate.yaml" >/dev/null 2>"$tmp/serve.err" &
gwpid=$!
pids+=($gwpid)
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$adm/healthz" && curl -s -o /dev/null "http://127.0.0.1:$up/users/1" && break
	sleep 0.2
done
curl -sf -o /dev/null "http://127.0.0.1:$adm/ui/" || { cat "$tmp/serve.err" >&2; exit 1; }

# cpu prints the gateway's CPU time so far, user and system, in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$gwpid/stat"; }
# measure runs wrk once and prints the requests per second and the
# gateway's CPU time per request in microseconds: the second is what other
# processes on a busy machine disturb least.
measure() {
	local c0 c1 out
	c0=$(cpu)
	out=$("${run[@]}" wrk -t"$threads" -c"$conns" -d"$duration" -H "Origin: https://evil.example.net" "http://127.0.0.1:$gw/users/1")
	c1=$(cpu)
	awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" '
		/requests in/ {n = $1}
		/Requests\/sec/ {r = $2}
		END {printf "%s %.2f\n", r, c / hz * 1e6 / n}' <<<"$out"
}
open_console() {
	"${run[@]}" curl -sN "http://127.0.0.1:$adm/ui/api/events" >"$tmp/events" &
	console=$!
	sleep 1
}
close_console() {
	kill "$console" 2>/dev/null || true
	wait "$console" 2>/dev/null || true
}

echo "load before: $(uptime)"
without=() with=() cpu_without=() cpu_with=()
for r in $(seq "$rounds"); do
	if ((r % 2)); then
		read -r a ca < <(measure)
		open_console
		read -r b cb < <(measure)
		close_console
	else
		open_console
		read -r b cb < <(measure)
		close_console
		read -r a ca < <(measure)
	fi
	without+=("$a") with+=("$b") cpu_without+=("$ca") cpu_with+=("$cb")
	echo "round $r: without a console $a req/s ($ca us CPU/req), with one $b req/s ($cb us CPU/req)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mw=$(median "${without[@]}") mc=$(median "${with[@]}")
cw=$(median "${cpu_without[@]}") cc=$(median "${cpu_with[@]}")
echo "median: without a console $mw req/s, with one $mc req/s: throughput ratio $(awk -v a="$mc" -v b="$mw" 'BEGIN {printf "%.3f", a/b}')"
echo "median: without a console $cw us CPU/req, with one $cc us CPU/req: CPU ratio $(awk -v a="$cc" -v b="$cw" 'BEGIN {printf "%.3f", a/b}')"
echo "load after: $(uptime)"

echo "memory: a console open, $rate refused requests/s for $load_duration"
open_console
"${run[@]}" "$tmp/load" -url "http://127.0.0.1:$gw/users/1" -metrics "http://127.0.0.1:$adm/metrics" -rate "$rate" -duration "$load_duration"
close_console
echo "the console received $(wc -c <"$tmp/events") bytes of events"
echo "load at the end: $(uptime)"
