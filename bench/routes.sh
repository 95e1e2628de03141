#!/usr/bin/env bash
# Measures what the number of routes costs Crossgate: one `crossgate serve`
# per config of 1, 100, 1,000, 10,000 and 100,000 routes, all running at
# once in front of the same upstream, and wrk sending the same request to
# each in turn, for the config's last route, so that the 1-route config is
# measured in the same run and under the same load as the others.
#
#   ./routes.sh                (about 5 minutes)
#
# Config of N routes: route i (0 <= i < N) has path_prefix /r<i>/,
# strip_prefix, the upstream, and policy p<i mod P>, where P = N/10
# policies (at least 1, at most 1,000), policy k allowing the ten origins
# https://o<j>.p<k>.example.com, methods GET/POST/PUT/DELETE, headers
# Content-Type/Authorization, max age 7200 (gateway/scale_test.go's
# scaleConfig writes the same configs for the Go benchmarks). The request
# is for /r<N-1>/users/1 from an origin of the last route's policy: a
# preflight for PUT, and a GET. For each config it reports the time from
# starting the process to its listener accepting connections, the median
# preflights/s and GET/s of ROUNDS interleaved rounds with their ratio to
# the 1-route config's, the RSS after the load, and the size of a scrape of
# its /metrics (series and bytes).
#
# Environment: SIZES (default "1 100 1000 10000 100000"), DURATION (per wrk
# run, default 5s), ROUNDS (default 3), THREADS and CONNECTIONS (wrk -t and
# -c, default 1 and 64), PORT_BASE (1 + 2 per size consecutive ports from
# it, default 19080), OUT (raw wrk output, default
# gateway/results-routes.txt beside this script), NICE.
set -euo pipefail
cd "$(dirname "$0")"
bench=$PWD
root=$(cd .. && pwd)
# shellcheck source=lib.sh
. "$bench/lib.sh"

read -r -a sizes <<<"${SIZES:-1 100 1000 10000 100000}"
duration=${DURATION:-5s}
rounds=${ROUNDS:-3}
threads=${THREADS:-1}
conns=${CONNECTIONS:-64}
base=${PORT_BASE:-19080}
out=${OUT:-$bench/gateway/results-routes.txt}
run=()
[ -z "${NICE:-}" ] || run=(nice -n "$NICE")

for c in wrk curl; do
	command -v "$c" >/dev/null || "$root/scripts/install-test-deps.sh" --bench
	command -v "$c" >/dev/null || die "$c is not installed"
done

up_port=$base
declare -A port admin
for i in "${!sizes[@]}"; do
	port[${sizes[$i]}]=$((base + 1 + 2 * i))
	admin[${sizes[$i]}]=$((base + 2 + 2 * i))
done
for p in "$up_port" "${port[@]}" "${admin[@]}"; do
	! listening "$p" || die "127.0.0.1:$p is already in use; set PORT_BASE to a free range"
done

# policies N: how many policies the config of N routes has.
policies() {
	local p=$(($1 / 10))
	((p >= 1)) || p=1
	((p <= 1000)) || p=1000
	echo "$p"
}

# config N: the config of N routes, on this run's ports.
config() {
	awk -v n="$1" -v p="$(policies "$1")" -v port="${port[$1]}" -v admin="${admin[$1]}" -v up="$up_port" 'BEGIN {
		printf "listen: 127.0.0.1:%d\nadmin: {listen: 127.0.0.1:%d}\npolicies:\n", port, admin
		for (k = 0; k < p; k++) {
			printf "  p%d:\n    allow_origins: [", k
			for (j = 0; j < 10; j++) printf "%shttps://o%d.p%d.example.com", (j ? ", " : ""), j, k
			printf "]\n    allow_methods: [GET, POST, PUT, DELETE]\n    allow_headers: [Content-Type, Authorization]\n    max_age: 7200\n"
		}
		printf "upstreams:\n  u: {targets: [http://127.0.0.1:%d]}\nroutes:\n", up
		for (i = 0; i < n; i++) printf "  - {id: r%d, path_prefix: /r%d/, strip_prefix: true, upstream: u, cors: p%d}\n", i, i, i % p
	}'
}

# origin N and path N: the request for the last route of the config of N.
origin() { echo "https://o0.p$((($1 - 1) % $(policies "$1"))).example.com"; }
path() { echo "/r$(($1 - 1))/users/1"; }

# millis: the time now, in milliseconds.
millis() { echo $(($(date +%s%N) / 1000000)); }

echo "building crossgate and the upstream" >&2
(cd "$root" && go build -o "$tmp/crossgate" ./cmd/crossgate)
go build -o "$tmp/" ./gateway/upstream
"${run[@]}" "$tmp/upstream" -listen "127.0.0.1:$up_port" >"$tmp/upstream.log" 2>&1 &
pids+=($!)
waitfor "$up_port" upstream "$tmp/upstream.log"

declare -A pid ready
for n in "${sizes[@]}"; do
	config "$n" >"$tmp/$n.yaml"
	printf 'wrk.method = "OPTIONS"\nwrk.headers["Origin"] = "%s"\nwrk.headers["Access-Control-Request-Method"] = "PUT"\nwrk.headers["Access-Control-Request-Headers"] = "authorization,content-type"\n' \
		"$(origin "$n")" >"$tmp/$n.lua"
	t0=$(millis)
	"${run[@]}" "$tmp/crossgate" serve -c "$tmp/$n.yaml" >/dev/null 2>"$tmp/$n.log" &
	pids+=($!)
	pid[$n]=$!
	for _ in $(seq 6000); do
		listening "${port[$n]}" && break
		sleep 0.01
	done
	waitfor "${port[$n]}" "crossgate with $n routes" "$tmp/$n.log"
	ready[$n]=$(($(millis) - t0))
	url="http://127.0.0.1:${port[$n]}$(path "$n")"
	status=$(curl -sS -o /dev/null -w '%{http_code}' -X OPTIONS -H "Origin: $(origin "$n")" -H 'Access-Control-Request-Method: PUT' "$url")
	[ "$status" = 204 ] || die "$n routes: the preflight got $status, want 204"
	status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Origin: $(origin "$n")" "$url")
	[ "$status" = 200 ] || die "$n routes: the GET got $status, want 200"
	echo "$n routes: listening after ${ready[$n]} ms" >&2
done

# measure N KIND DURATION: requests per second of one wrk run.
measure() {
	local args=(-H "Origin: $(origin "$1")") res
	[ "$2" = get ] || args=(-s "$tmp/$1.lua")
	res=$("${run[@]}" wrk -t"$threads" -c"$conns" -d"$3" "${args[@]}" "http://127.0.0.1:${port[$1]}$(path "$1")")
	printf '### %s routes %s\n%s\n\n' "$1" "$2" "$res" >>"$out"
	if grep -qE 'Non-2xx|Socket errors' <<<"$res"; then
		echo "  $1 routes $2: $(grep -E 'Non-2xx|Socket errors' <<<"$res" | paste -sd';')" >&2
	fi
	awk '/^Requests\/sec:/ { print $2 }' <<<"$res"
}

echo "machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores, $(go version | awk '{ print $3 }'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "wrk -t$threads -c$conns -d$duration, $rounds rounds; wrk, the upstream and the gateway share the cores"
echo "before: $(load)"
: >"$out"
for n in "${sizes[@]}"; do
	measure "$n" preflight 1s >/dev/null
	measure "$n" get 1s >/dev/null
done
: >"$out"
declare -A runs
for r in $(seq "$rounds"); do
	order=("${sizes[@]:$(((r - 1) % ${#sizes[@]}))}" "${sizes[@]:0:$(((r - 1) % ${#sizes[@]}))}")
	echo "round $r/$rounds: ${order[*]}" >&2
	for n in "${order[@]}"; do
		for k in preflight get; do
			runs[$n.$k]+="$(measure "$n" "$k" "$duration") "
		done
	done
done
echo "after: $(load)"
echo

one=${sizes[0]}
printf '%8s %9s %9s %24s %6s %22s %6s %9s %8s\n' routes "ready ms" "RSS MB" "preflights/s (range)" "ratio" "GET/s (range)" "ratio" series "scrape KB"
declare -A med
for n in "${sizes[@]}"; do
	for k in preflight get; do
		med[$n.$k]=$(median "${runs[$n.$k]}")
	done
	rss=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/${pid[$n]}/status")
	curl -sS -o "$tmp/$n.metrics" "http://127.0.0.1:${admin[$n]}/metrics"
	printf '%8s %9s %9s %24s %6s %22s %6s %9s %8s\n' "$n" "${ready[$n]}" "$rss" \
		"${med[$n.preflight]} ($(range "${runs[$n.preflight]}"))" "$(ratio "${med[$n.preflight]}" "${med[$one.preflight]}")" \
		"${med[$n.get]} ($(range "${runs[$n.get]}"))" "$(ratio "${med[$n.get]}" "${med[$one.get]}")" \
		"$(grep -cv '^#' "$tmp/$n.metrics")" "$(($(wc -c <"$tmp/$n.metrics") / 1024))"
done
echo
for n in "${sizes[@]}"; do
	case "$n" in
	10000) f=0.9 ;;
	100000) f=0.8 ;;
	*) continue ;;
	esac
	target "$n routes: preflights/s >= ${f}x the 1-route config's" "${med[$n.preflight]}" "${med[$one.preflight]}" "$f"
	target "$n routes: GET/s >= ${f}x the 1-route config's" "${med[$n.get]}" "${med[$one.get]}" "$f"
done
echo "raw wrk output: $out" >&2
