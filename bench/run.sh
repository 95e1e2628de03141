#!/usr/bin/env bash
# Runs the CORS library comparison and prints it as benchstat tables:
# scenarios as rows, libraries as columns, Crossgate as the base column that
# the others are compared with.
#
# Environment: COUNT (runs of each benchmark, default 6), BENCHTIME (per run,
# default 300ms), BENCH (a -bench regexp, default all), OUT (the raw results
# file, default results.txt beside this script).
set -euo pipefail
cd "$(dirname "$0")"

count=${COUNT:-6}
benchtime=${BENCHTIME:-300ms}
bench=${BENCH:-.}
out=${OUT:-results.txt}

echo "running benchmarks (-count $count -benchtime $benchtime); raw results in $out" >&2
go test -run '^$' -bench "$bench" -count "$count" -benchtime "$benchtime" . >"$out"

libs='crossgate rs-cors go-chi gorilla gin-contrib jub0bs'
go tool benchstat -row .name -col "/lib@($libs)" "$out"
if grep -q '^BenchmarkBaseline' "$out"; then
	echo
	echo "What is not CORS (gin-contrib's figures include the gin engine):"
	go tool benchstat -filter '.name:Baseline' -row .name -col /lib "$out"
fi
if grep -q '^BenchmarkVaryFloor' "$out"; then
	echo
	echo "The least a request without Origin costs with Vary: Origin written each way:"
	go tool benchstat -filter '.name:VaryFloor' -row .name -col /lib "$out"
fi
