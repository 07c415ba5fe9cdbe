#!/usr/bin/env bash
# Configures (once) and builds CMake presets: scripts/build.sh default fuzz ...
# The build log goes to build/<preset>.log; the terminal gets a progress
# line every few percent (a cold build is minutes on 2 cores), and the log's
# tail on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build

# Reads ninja's "[done/total] ..." lines; prints one line per 5 % step.
# (A shell loop, not awk: mawk reads a pipe in blocks, so its lines would
# come in bursts.)
progress() {  # preset
  local line done total pct next=0 last_total=0
  while IFS= read -r line; do
    [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]] || continue
    done=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
    # ninja counts afresh after regenerating build.ninja.
    (( total != last_total )) && next=0 last_total=$total
    pct=$(( 100 * done / total ))
    if (( pct >= next || done == total )); then
      printf 'qdiff: %s %3d%% (%d/%d)\n' "$1" "$pct" "$done" "$total" >&2
      next=$(( pct - pct % 5 + 5 ))
    fi
  done
}

# ccache, where installed, makes a second configuration of the same
# sources (CI's nopeers preset) nearly free; the build never needs it.
# Paths relative to the checkout let build trees share cache entries.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR=1
fi

for preset in "$@"; do
  log="build/$preset.log"
  echo "qdiff: building preset '$preset' (log: $log)" >&2
  if [ ! -f "build/$preset/build.ninja" ]; then
    cmake --preset "$preset" "${launcher[@]}" >"$log" 2>&1 || { cat "$log"; exit 1; }
    grep -h "qdiff optional peers" "$log" | sed 's/^-- /qdiff: /' >&2 || true
  fi
  cmake --build --preset "$preset" -j "$(nproc)" 2>&1 | tee -a "$log" | progress "$preset" ||
    { tail -n 60 "$log"; exit 1; }
done
