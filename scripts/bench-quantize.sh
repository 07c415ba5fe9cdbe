#!/usr/bin/env bash
# One command for the impl/quantize tables of docs/benchmarks.md: builds
# quantize_bench (preset default), runs every case once with the
# repetitions of all benchmarks randomly interleaved, and prints the
# commit, the load before and after, the run time and the summary tables
# (Markdown, pasteable). The full console output goes to a log file.
# Extra arguments go to the benchmark (e.g. --benchmark_filter=64K).
# Exit status: the benchmark's (3 when its self-check fails: a run beat a
# roofline).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/default
[ -f "$build/build.ninja" ] || cmake --preset default >/dev/null
nice cmake --build "$build" -j2 --target quantize_bench >/dev/null
log="$build/quantize_bench.log"
dirty=$(git diff --quiet HEAD -- . 2>/dev/null || echo " (uncommitted changes)")
echo "commit $(git rev-parse --short HEAD)$dirty, $(date -u '+%Y-%m-%d %H:%M') UTC"
cpu_field() { grep -m1 "^$1" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'; }
echo "cpu: $(cpu_field 'model name') family $(cpu_field 'cpu family') model $(cpu_field 'model'), $(nproc) cores, gcc $(gcc -dumpversion)"
echo "before: $(uptime)"
start=$SECONDS
status=0
"$build/bench/quantize_bench" --benchmark_repetitions=7 --benchmark_enable_random_interleaving=true \
    --benchmark_min_time=0.1 --benchmark_report_aggregates_only=true --benchmark_color=false "$@" \
    >"$log" 2>&1 || status=$?
echo "after: $(uptime)"
echo "run time: $((SECONDS - start)) s; full output: $log"
sed -n '/^| roofline strategy/,$p' "$log"
exit "$status"
