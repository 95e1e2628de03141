#!/usr/bin/env bash
# Measures Crossgate's gateway throughput against nginx, Caddy and Go's
# httputil.ReverseProxy wrapped in rs/cors, each in front of the same Go
# upstream with the same CORS policy (origin https://app.example.com,
# methods GET/POST/PUT/DELETE, headers Content-Type/Authorization,
# credentials, max age 7200, Vary: Origin), and two Go floors on preflights
# (see below). Everything listens on 127.0.0.1.
#
#   ./gateway.sh               compare the four gateways and the floors
#                              (about 6 minutes)
#   ./gateway.sh profile [DIR] CPU profiles of Crossgate answering preflights
#                              and proxying GETs, written to DIR
#
# The comparison checks every peer's CORS answers with curl, measures the
# upstream alone, then measures with wrk the preflights answered per second
# and the proxied GET /users/1 per second (with an Origin header), in ROUNDS
# interleaved rounds, and prints the median of each with its range and
# Crossgate's ratio to each peer.
#
# wrk, the upstream and the gateway under test share the machine's cores:
# the figures compare the gateways on the same footing, they are not what
# any of them does on a machine of its own. Other processes using the CPU
# make them meaningless; the script prints the load it saw.
#
# Environment: DURATION (per wrk run, default 8s), ROUNDS (default 3),
# THREADS and CONNECTIONS (wrk -t and -c, default 2 and 64), PORT_BASE
# (seven consecutive ports from it, default 18080), OUT (raw wrk output,
# default gateway/results.txt beside this script), QUIET_WAIT (seconds to
# wait for the machine to be at least 90% idle before measuring, default
# 120), NICE (see below).
set -euo pipefail
cd "$(dirname "$0")"
bench=$PWD
root=$(cd .. && pwd)

mode=${1:-compare}
case "$mode" in
compare) ;;
profile) profdir=${2:-} ;;
*)
	echo "usage: $0 [profile [DIR]]" >&2
	exit 2
	;;
esac

duration=${DURATION:-8s}
rounds=${ROUNDS:-3}
threads=${THREADS:-2}
conns=${CONNECTIONS:-64}
base=${PORT_BASE:-18080}
out=${OUT:-$bench/gateway/results.txt}
origin=https://app.example.com
# shellcheck source=lib.sh
. "$bench/lib.sh"
# With NICE (say -10, as root) every process of the benchmark runs at that
# priority, so that other work on a shared machine disturbs it less.
run=()
[ -z "${NICE:-}" ] || run=(nice -n "$NICE")

# nginx lives in /usr/sbin, which is not on every user's PATH.
PATH=$PATH:/usr/sbin:/sbin
if ! command -v nginx >/dev/null || ! command -v caddy >/dev/null || ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
	"$root/scripts/install-test-deps.sh" --bench
fi
for c in nginx caddy wrk curl; do
	command -v "$c" >/dev/null || die "$c is not installed"
done

up_port=$base
declare -A port=([crossgate]=$((base + 1)) [nginx]=$((base + 2)) [caddy]=$((base + 3)) [rsproxy]=$((base + 4)) [floor]=$((base + 5)) [epoll]=$((base + 6)))
declare -A label=([crossgate]=Crossgate [nginx]=nginx [caddy]=Caddy [rsproxy]="ReverseProxy+rs/cors" [floor]="Go floor" [epoll]="Go floor, epoll")
peers=(crossgate nginx caddy rsproxy floor epoll)
# The Go floors (gateway/floor) answer every request with fixed preflight
# bytes and read nothing but line ends, one on a goroutine per connection,
# one (-epoll) from event loops as nginx does: they are measured on
# preflights only, as the least any Go server costs here.
kinds() { case "$1" in floor | epoll) echo preflight ;; *) echo preflight get ;; esac; }

for p in "$up_port" "${port[@]}"; do
	if listening "$p"; then
		die "127.0.0.1:$p is already in use; set PORT_BASE to a free range of seven ports"
	fi
done

# fill FILE PORT: a config template of gateway/ with this run's ports.
fill() {
	sed -e "s/@PORT@/$2/g" -e "s/@UPSTREAM_PORT@/$up_port/g" -e "s/@WORKERS@/$(nproc)/g" "$1"
}

# cputicks PID: the CPU time, in clock ticks, that process PID and its
# children (nginx's workers) have used so far.
cputicks() {
	local t=0 p f
	for p in "$1" $(ps -o pid= --ppid "$1"); do
		f=($(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null)) || continue
		# Fields 14 and 15 of stat, utime and stime, counted after the
		# command name, which may contain spaces.
		t=$((t + f[11] + f[12]))
	done
	echo "$t"
}

# measure NAME KIND PORT DURATION [PID]: runs wrk once and prints requests
# per second and, with PID, the microseconds of CPU time that process (and
# its children) spent per request. The raw output goes to $out, errors and
# non-2xx answers to stderr.
measure() {
	local args=() res t0 t1 n
	if [ "$2" = preflight ]; then
		args=(-s gateway/preflight.lua)
	else
		args=(-H "Origin: $origin")
	fi
	[ -z "${5:-}" ] || t0=$(cputicks "$5")
	res=$("${run[@]}" wrk -t"$threads" -c"$conns" -d"$4" "${args[@]}" "http://127.0.0.1:$3/users/1")
	[ -z "${5:-}" ] || t1=$(cputicks "$5")
	printf '### %s %s\n%s\n\n' "$1" "$2" "$res" >>"$out"
	if grep -qE 'Non-2xx|Socket errors' <<<"$res"; then
		echo "  $1 $2: $(grep -E 'Non-2xx|Socket errors' <<<"$res" | paste -sd';')" >&2
	fi
	n=$(awk '/ requests in / { print $1 }' <<<"$res")
	awk -v rps="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$res")" -v pid="${5:-}" \
		-v ticks="$((${t1:-0} - ${t0:-0}))" -v hz="$(getconf CLK_TCK)" -v n="$n" \
		'BEGIN { printf "%s", rps; if (pid != "") printf " %.1f", ticks * 1e6 / hz / n; print "" }'
	[ -z "${5:-}" ] || printf 'cpu ticks %s (%s Hz)\n\n' "$((t1 - t0))" "$(getconf CLK_TCK)" >>"$out"
}

# profile: runs Crossgate in process under wrk, once answering preflights
# and once proxying GETs, and writes a CPU profile of each.
profile() {
	profdir=${profdir:-$(mktemp -d)}
	mkdir -p "$profdir"
	# The profiling variant imports the gateway from the bench module,
	# whose go.sum covers only the benchmarks' own dependencies: a
	# workspace of both modules lends it the root module's.
	printf 'go %s\n\nuse (\n\t%s\n\t%s\n)\n' "$(go env GOVERSION | sed 's/^go//')" "$root" "$bench" >"$tmp/go.work"
	GOWORK="$tmp/go.work" go build -o "$tmp/profile" ./gateway/_profile
	fill gateway/crossgate.yaml "${port[crossgate]}" >"$tmp/crossgate.yaml"
	: >"$out"
	for k in preflight get; do
		"${run[@]}" "$tmp/profile" -c "$tmp/crossgate.yaml" -cpuprofile "$profdir/$k.pprof" >/dev/null 2>"$tmp/profile.log" &
		local pid=$!
		waitfor "${port[crossgate]}" "crossgate (profiling)" "$tmp/profile.log"
		printf '%s: %.0f req/s while profiling\n' "$k" "$(measure crossgate "$k" "${port[crossgate]}" "$duration")"
		kill -INT "$pid"
		wait "$pid"
		go tool pprof -top -cum -nodecount=40 "$tmp/profile" "$profdir/$k.pprof" 2>/dev/null | sed -n '5,$p'
		echo
	done
	cp "$tmp/profile" "$profdir/profile"
	echo "profiles: go tool pprof -http=127.0.0.1:0 $profdir/profile $profdir/{preflight,get}.pprof" >&2
}

echo "building crossgate, the upstream, ReverseProxy+rs/cors and the Go floors" >&2
(cd "$root" && go build -o "$tmp/crossgate" ./cmd/crossgate)
go build -o "$tmp/" ./gateway/upstream ./gateway/rsproxy ./gateway/floor

"${run[@]}" "$tmp/upstream" -listen "127.0.0.1:$up_port" >"$tmp/upstream.log" 2>&1 &
pids+=($!)
up_pid=$!
waitfor "$up_port" upstream "$tmp/upstream.log"

if [ "$mode" = profile ]; then
	profile
	exit 0
fi

fill gateway/crossgate.yaml "${port[crossgate]}" >"$tmp/crossgate.yaml"
# Crossgate writes its JSON access log to stdout, one line per request.
"${run[@]}" "$tmp/crossgate" serve -c "$tmp/crossgate.yaml" >/dev/null 2>"$tmp/crossgate.log" &
pids+=($!)
declare -A pid=([crossgate]=$!)

mkdir -p "$tmp/nginx"
fill gateway/nginx.conf "${port[nginx]}" >"$tmp/nginx/nginx.conf"
"${run[@]}" nginx -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" -g 'daemon off;' >"$tmp/nginx.log" 2>&1 &
pids+=($!)
pid[nginx]=$!

mkdir -p "$tmp/caddy"
fill gateway/Caddyfile "${port[caddy]}" >"$tmp/caddy/Caddyfile"
HOME="$tmp/caddy" XDG_DATA_HOME="$tmp/caddy/data" XDG_CONFIG_HOME="$tmp/caddy/config" \
	"${run[@]}" caddy run --config "$tmp/caddy/Caddyfile" --adapter caddyfile >"$tmp/caddy.log" 2>&1 &
pids+=($!)
pid[caddy]=$!

"${run[@]}" "$tmp/rsproxy" -listen "127.0.0.1:${port[rsproxy]}" -upstream "http://127.0.0.1:$up_port" >"$tmp/rsproxy.log" 2>&1 &
pids+=($!)
pid[rsproxy]=$!

"${run[@]}" "$tmp/floor" -listen "127.0.0.1:${port[floor]}" >"$tmp/floor.log" 2>&1 &
pids+=($!)
pid[floor]=$!

"${run[@]}" "$tmp/floor" -epoll -listen "127.0.0.1:${port[epoll]}" >"$tmp/epoll.log" 2>&1 &
pids+=($!)
pid[epoll]=$!

waitfor "${port[crossgate]}" crossgate "$tmp/crossgate.log"
waitfor "${port[nginx]}" nginx "$tmp/nginx/error.log"
waitfor "${port[caddy]}" caddy "$tmp/caddy.log"
waitfor "${port[rsproxy]}" rsproxy "$tmp/rsproxy.log"
waitfor "${port[floor]}" floor "$tmp/floor.log"
waitfor "${port[epoll]}" "floor -epoll" "$tmp/epoll.log"

# header NAME FILE: the values of header NAME in a curl -D dump, one a line.
header() {
	tr -d '\r' <"$2" | awk -v name="$1" 'BEGIN { name = tolower(name) ":" }
		tolower(substr($0, 1, length(name))) == name { v = substr($0, length(name) + 1); sub(/^ +/, "", v); print v }'
}

# verify PEER: checks the peer's answers to a preflight, an allowed GET and
# a GET from another origin, and aborts on the first wrong one.
verify() {
	local name=$1 url="http://127.0.0.1:${port[$1]}/users/1" h="$tmp/$1.h" b="$tmp/$1.b" status
	bad() { die "${label[$name]} is misconfigured: $*"; }

	status=$(curl -sS -o "$b" -D "$h" -w '%{http_code}' -X OPTIONS -H "Origin: $origin" \
		-H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: authorization,content-type' "$url")
	[ "$status" = 204 ] || bad "a preflight got $status, want 204"
	[ "$(header Access-Control-Allow-Origin "$h")" = "$origin" ] || bad "a preflight got Access-Control-Allow-Origin '$(header Access-Control-Allow-Origin "$h" | paste -sd'|')', want exactly one, $origin"
	[ "$(header Access-Control-Allow-Credentials "$h")" = true ] || bad "a preflight got no Access-Control-Allow-Credentials: true"
	[ "$(header Access-Control-Max-Age "$h")" = 7200 ] || bad "a preflight got no Access-Control-Max-Age: 7200"
	header Access-Control-Allow-Methods "$h" | grep -q PUT || bad "a preflight's Access-Control-Allow-Methods does not list PUT"
	header Access-Control-Allow-Headers "$h" | grep -qi authorization || bad "a preflight's Access-Control-Allow-Headers does not list Authorization"
	case "$name" in floor | epoll) return 0 ;; esac

	status=$(curl -sS -o "$b" -D "$h" -w '%{http_code}' -H "Origin: $origin" "$url")
	[ "$status" = 200 ] || bad "a GET got $status, want 200"
	[ "$(header Access-Control-Allow-Origin "$h")" = "$origin" ] || bad "a GET got Access-Control-Allow-Origin '$(header Access-Control-Allow-Origin "$h" | paste -sd'|')', want exactly one, $origin"
	[ "$(header Access-Control-Allow-Credentials "$h")" = true ] || bad "a GET got no Access-Control-Allow-Credentials: true"
	header Vary "$h" | grep -qi origin || bad "a GET got no Vary: Origin"
	cmp -s "$b" "$tmp/body" || bad "a GET got a body other than the upstream's"

	curl -sS -o "$b" -D "$h" -H 'Origin: https://evil.example' "$url"
	[ -z "$(header Access-Control-Allow-Origin "$h")" ] || bad "a GET from another origin got Access-Control-Allow-Origin"
}

curl -sS -o "$tmp/body" "http://127.0.0.1:$up_port/users/1"
for p in "${peers[@]}"; do
	verify "$p"
done
echo "every peer answers preflights and GETs with the same CORS policy" >&2

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "machine: $cpu, $(nproc) cores, Linux $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "versions: $(go version | awk '{ print $3 }'), nginx $(nginx -v 2>&1 | sed 's|.*/||'), caddy $(caddy version | awk '{ print $1 }'), wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
echo "wrk -t$threads -c$conns -d$duration, $rounds rounds; wrk, the upstream and the peer share the cores"
# Other processes on the machine skew every figure: wait up to QUIET_WAIT
# seconds for it to be mostly idle, and say so when it never was.
waited=0
while :; do
	seen=$(load)
	idle=${seen##*, }
	[ "${idle%%%*}" -lt 90 ] || break
	if [ "$waited" -ge "${QUIET_WAIT:-120}" ]; then
		echo "WARNING: other processes are using the CPU; unless NICE gives this benchmark priority, the figures below are unreliable"
		break
	fi
	waited=$((waited + 1))
done
echo "before: $seen${NICE:+; benchmark processes run at nice $NICE}"
echo

: >"$out"
echo "warming up" >&2
for p in "${peers[@]}"; do
	for k in $(kinds "$p"); do
		measure "$p" "$k" "${port[$p]}" 1s >/dev/null
	done
done
: >"$out"

read -r rps us < <(measure upstream get "$up_port" "$duration" "$up_pid")
printf 'upstream alone (GET /users/1, no proxy): %.0f req/s, %s us of CPU per request\n' "$rps" "$us"

declare -A runs cpu
for r in $(seq "$rounds"); do
	# Rotate the order each round, so that no peer always runs first.
	order=("${peers[@]:$(((r - 1) % ${#peers[@]}))}" "${peers[@]:0:$(((r - 1) % ${#peers[@]}))}")
	echo "round $r/$rounds: ${order[*]}" >&2
	for p in "${order[@]}"; do
		for k in $(kinds "$p"); do
			read -r rps us < <(measure "$p" "$k" "${port[$p]}" "$duration" "${pid[$p]}")
			runs[$p.$k]+="$rps "
			cpu[$p.$k]+="$us "
		done
	done
done
echo "after: $(load)"
echo

declare -A med us rng
for p in "${peers[@]}"; do
	for k in preflight get; do
		if [ -z "${runs[$p.$k]:-}" ]; then
			med[$p.$k]=- us[$p.$k]=- rng[$p.$k]=
			continue
		fi
		med[$p.$k]=$(median "${runs[$p.$k]}")
		us[$p.$k]=$(median "${cpu[$p.$k]}" %.1f)
		rng[$p.$k]=" ($(range "${runs[$p.$k]}"))"
	done
done

echo "Throughput (median of $rounds runs, range in brackets), and Crossgate's throughput divided by the peer's:"
printf '%-21s %24s %22s %10s %10s\n' peer "preflights/s" "GET/s" "CG/peer" "CG/peer"
printf '%-21s %24s %22s %10s %10s\n' "" "" "" preflight GET
for p in "${peers[@]}"; do
	printf '%-21s %24s %22s %10s %10s\n' "${label[$p]}" \
		"${med[$p.preflight]}${rng[$p.preflight]}" \
		"${med[$p.get]}${rng[$p.get]}" \
		"$(ratio "${med[crossgate.preflight]}" "${med[$p.preflight]}")" \
		"$(ratio "${med[crossgate.get]}" "${med[$p.get]}")"
done
echo
echo "CPU time the gateway process (nginx: master and workers) spent per request, in microseconds"
echo "(median), and the peer's divided by Crossgate's (above 1: Crossgate spends less):"
printf '%-21s %12s %10s %10s %10s\n' peer preflight GET preflight GET
for p in "${peers[@]}"; do
	printf '%-21s %12s %10s %10s %10s\n' "${label[$p]}" "${us[$p.preflight]}" "${us[$p.get]}" \
		"$(ratio "${us[$p.preflight]}" "${us[crossgate.preflight]}")" \
		"$(ratio "${us[$p.get]}" "${us[crossgate.get]}")"
done
echo

target "Crossgate preflights/s >= nginx's" "${med[crossgate.preflight]}" "${med[nginx.preflight]}" 1
target "Crossgate GET/s >= 2x ReverseProxy+rs/cors's" "${med[crossgate.get]}" "${med[rsproxy.get]}" 2
target "Crossgate GET/s >= 0.5x nginx's" "${med[crossgate.get]}" "${med[nginx.get]}" 0.5
echo "the Go floors answer $(ratio "${med[floor.preflight]}" "${med[nginx.preflight]}")x (goroutines) and $(ratio "${med[epoll.preflight]}" "${med[nginx.preflight]}")x (epoll) nginx's preflights/s; Crossgate $(ratio "${med[crossgate.preflight]}" "${med[floor.preflight]}")x the first's"
echo "raw wrk output: $out" >&2
