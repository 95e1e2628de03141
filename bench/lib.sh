# Shell functions the gateway benchmarks share; sourced by gateway.sh and
# routes.sh.

# $tmp is the script's scratch directory, and pids the processes it
# starts: on exit they are stopped and the directory removed.
tmp=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# die MESSAGE: stops the script with MESSAGE.
die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# listening PORT: whether something accepts connections on 127.0.0.1:PORT.
listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# waitfor PORT NAME LOG: waits up to 10 s for a listener on PORT, and shows
# LOG if none comes.
waitfor() {
	for _ in $(seq 100); do
		listening "$1" && return 0
		sleep 0.1
	done
	echo "--- $3" >&2
	cat "$3" >&2 || true
	die "$2 did not start listening on 127.0.0.1:$1"
}

# load: the 1-minute load average and the share of CPU time the machine
# spent idle over the last second.
load() {
	local a b
	a=($(head -1 /proc/stat))
	sleep 1
	b=($(head -1 /proc/stat))
	awk -v l="$(cut -d' ' -f1 /proc/loadavg)" \
		-v t="$((b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + b[7] + b[8] - a[1] - a[2] - a[3] - a[4] - a[5] - a[6] - a[7] - a[8]))" \
		-v i="$((b[4] - a[4]))" 'BEGIN { printf "load average %s, %.0f%% idle", l, t ? 100 * i / t : 0 }'
}

# median LIST [FORMAT] and range LIST: of a list of numbers.
median() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk -v f="${2:-%.0f}" '{ v[NR] = $1 } END { printf f, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { printf "%.0f-%.0f", v[1], v[NR] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.2f", a / b }'; }

# target TEXT A B FACTOR: whether A >= FACTOR * B.
target() {
	if awk -v a="$2" -v b="$3" -v f="$4" 'BEGIN { exit !(a >= f * b) }'; then
		echo "met:    $1"
	else
		echo "missed: $1"
	fi
}
