#!/usr/bin/env bash
# Measures the CORS library comparison in CPU time rather than wall time, for
# machines where other work makes wall-clock ns/op unreliable. Each figure is
# the task-clock difference between a run of 2N and a run of N iterations
# (perf stat), divided by N, so that start-up costs cancel out; N is chosen
# per benchmark so that N iterations take about WORK_MS of CPU. Each
# benchmark runs ROUNDS times on one CPU (-cpu 1). The output is in
# benchstat's format, and is printed as the same table as run.sh.
#
# Environment: ROUNDS (default 3), WORK_MS (default 200), BENCH (a regexp of
# scenarios, default all), OUT (default results-cputime.txt).
set -euo pipefail
cd "$(dirname "$0")"
command -v perf >/dev/null || { echo "cputime.sh needs perf: ../scripts/install-test-deps.sh --bench" >&2; exit 2; }

rounds=${ROUNDS:-3}
work=${WORK_MS:-200}
bench=${BENCH:-.}
out=${OUT:-results-cputime.txt}
bin=$(mktemp -d)/bench.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" .

libs='crossgate rs-cors go-chi gorilla gin-contrib jub0bs'
floorLibs='none shared-slice new-slice slab-slot'
names=$("$bin" -test.list "^Benchmark" | grep -Ev 'Baseline|VaryFloor' | grep -E "$bench")
floor=$("$bin" -test.list "^Benchmark" | grep VaryFloor | grep -E "$bench" || true)
taskclock() { # msec of CPU for one benchmark at $2 iterations
	perf stat -x, -e task-clock "$bin" -test.run '^$' -test.bench "^$1\$" -test.benchtime "$2x" -test.cpu 1 2>&1 >/dev/null |
		awk -F, '/task-clock/ {print $1}'
}
{
	echo "goos: $(go env GOOS)"
	echo "goarch: $(go env GOARCH)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	for pair in $(for n in $names; do for l in $libs; do echo "$n/lib=$l"; done; done) \
		$(for n in $floor; do for l in $floorLibs; do echo "$n/lib=$l"; done; done); do
		est=$("$bin" -test.run '^$' -test.bench "^$pair\$" -test.benchtime 2000x -test.cpu 1 |
			awk '/ns\/op/ {print int($3) + 1}')
		n=$((work * 1000000 / est + 1000))
		for _ in $(seq "$rounds"); do
			a=$(taskclock "$pair" "$n")
			b=$(taskclock "$pair" $((2 * n)))
			awk -v a="$a" -v b="$b" -v n="$n" -v name="$pair" \
				'BEGIN { printf "%s %d %.1f ns/op\n", name, n, (b - a) * 1e6 / n }'
		done
	done
} >"$out"
echo "CPU time per request (raw results in $out):"
go tool benchstat -row .name -col "/lib@($libs)" "$out"
if [ -n "$floor" ]; then
	echo
	echo "The least a request without Origin costs with Vary: Origin written each way:"
	go tool benchstat -filter '.name:VaryFloor' -row .name -col "/lib@($floorLibs)" "$out"
fi
