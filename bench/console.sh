#!/usr/bin/env bash
# Measures what the web console costs the gateway. A console is "open" when
# a client reads the console's event stream (/ui/api/events), as the
# Decisions view does (curl here, so that no browser competes for the CPU).
#
#   1. Throughput: three Crossgate processes run in front of the
#      benchmark's upstream: A and B with an admin listener, so that they
#      record every CORS decision for the console, and C without one, so
#      that it records none. Three wrk processes load them at the same time
#      with GET /users/1 from a refused origin (every request is a CORS
#      decision). In each of ROUNDS rounds a console is open on A (odd
#      rounds) or B (even ones). The gateways share whatever else the
#      machine does during a round, so their ratios are measured side by
#      side: with a console open / without one (A and B), and recording /
#      not recording (the one of A and B without a console, and C). The
#      script prints each round's ratios of throughput and of CPU time per
#      request, and their medians.
#   2. Memory: with a console open on A, load sends it 2,000 refused
#      requests a second for 30 s, each from one of 5,000 origins (ten
#      times the group cap), and samples A's RSS and Go heap every second.
#
# Everything listens on 127.0.0.1. Environment: DURATION (per round,
# default 8s), ROUNDS (default 6), CONNECTIONS (per wrk, default 32),
# PORT_BASE (six consecutive ports, default 18090), RATE and LOAD_DURATION
# (default 2000 and 30s), NICE (as root, say -10: the priority of every
# process of the benchmark, so that other work on a shared machine
# disturbs it less).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
duration=${DURATION:-8s}
rounds=${ROUNDS:-6}
conns=${CONNECTIONS:-32}
base=${PORT_BASE:-18090}
rate=${RATE:-2000}
load_duration=${LOAD_DURATION:-30s}
up=$base
declare -A gw=([a]=$((base + 1)) [b]=$((base + 3)) [c]=$((base + 5))) adm=([a]=$((base + 2)) [b]=$((base + 4))) pid=()
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

"${run[@]}" "$tmp/upstream" -listen "127.0.0.1:$up" &
pids+=($!)
for g in a b c; do
	sed -e "s/@PORT@/${gw[$g]}/" -e "s/@UPSTREAM_PORT@/$up/" gateway/crossgate.yaml >"$tmp/$g.yaml"
	[ "$g" = c ] || printf 'admin:\n  listen: 127.0.0.1:%s\n' "${adm[$g]}" >>"$tmp/$g.yaml"
	"${run[@]}" "$tmp/crossgate" serve -c "$tmp/$g.yaml" >/dev/null 2>"$tmp/$g.err" &
	pid[$g]=$!
	pids+=($!)
done
for g in a b; do
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:${adm[$g]}/healthz" && curl -s -o /dev/null "http://127.0.0.1:$up/users/1" && break
		sleep 0.2
	done
	curl -sf -o /dev/null "http://127.0.0.1:${adm[$g]}/ui/" || { cat "$tmp/$g.err" >&2; exit 1; }
done
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:${gw[c]}/users/1" && break
	sleep 0.2
done

# cpu prints a gateway's CPU time so far, user and system, in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/${pid[$1]}/stat"; }
# wrk_on loads gateway $1 for a round and prints wrk's output.
wrk_on() {
	"${run[@]}" wrk -t1 -c"$conns" -d"$duration" -H "Origin: https://evil.example.net" "http://127.0.0.1:${gw[$1]}/users/1"
}
# result prints the requests per second and the CPU time per request (us)
# of wrk output $1 and CPU ticks $2.
result() {
	awk -v c="$2" -v hz="$(getconf CLK_TCK)" '
		/requests in/ {n = $1}
		/Requests\/sec/ {r = $2}
		END {printf "%s %.2f\n", r, c / hz * 1e6 / n}' "$1"
}
open_console() {
	"${run[@]}" curl -sN "http://127.0.0.1:${adm[$1]}/ui/api/events" >"$tmp/events" &
	console=$!
	sleep 1
}
close_console() {
	kill "$console" 2>/dev/null || true
	wait "$console" 2>/dev/null || true
}

echo "load before: $(uptime)"
tput=() cpus=() rec_tput=() rec_cpus=()
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.3f", x / y}'; }
for r in $(seq "$rounds"); do
	if ((r % 2)); then on=a off=b; else on=b off=a; fi
	open_console "$on"
	declare -A c0=([a]=$(cpu a) [b]=$(cpu b) [c]=$(cpu c))
	wrk_on a >"$tmp/wrk.a" &
	wa=$!
	wrk_on c >"$tmp/wrk.c" &
	wc=$!
	wrk_on b >"$tmp/wrk.b"
	wait "$wa" "$wc"
	declare -A rps=() us=()
	for g in a b c; do
		read -r "rps[$g]" "us[$g]" < <(result "$tmp/wrk.$g" "$(($(cpu "$g") - c0[$g]))")
	done
	close_console
	tput+=("$(ratio "${rps[$on]}" "${rps[$off]}")") cpus+=("$(ratio "${us[$on]}" "${us[$off]}")")
	rec_tput+=("$(ratio "${rps[$off]}" "${rps[c]}")") rec_cpus+=("$(ratio "${us[$off]}" "${us[c]}")")
	echo "round $r: console on $on ${rps[$on]} req/s (${us[$on]} us CPU/req); recording, no console, $off ${rps[$off]} req/s (${us[$off]} us); not recording, c ${rps[c]} req/s (${us[c]} us)"
	echo "  console/none: throughput ${tput[-1]}, CPU ${cpus[-1]};  recording/not: throughput ${rec_tput[-1]}, CPU ${rec_cpus[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median ratios, a console open / none: throughput $(median "${tput[@]}"), CPU per request $(median "${cpus[@]}")"
echo "median ratios, recording / not recording: throughput $(median "${rec_tput[@]}"), CPU per request $(median "${rec_cpus[@]}")"
echo "load after: $(uptime)"

echo "memory: a console open, $rate refused requests/s for $load_duration"
open_console a
"${run[@]}" "$tmp/load" -url "http://127.0.0.1:${gw[a]}/users/1" -metrics "http://127.0.0.1:${adm[a]}/metrics" -rate "$rate" -duration "$load_duration"
close_console
echo "the console received $(wc -c <"$tmp/events") bytes of events"
echo "load at the end: $(uptime)"
