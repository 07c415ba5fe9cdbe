#!/usr/bin/env bash
# Configures (once) and builds CMake presets: scripts/build.sh default fuzz ...
# The build log goes to build/<preset>.log and is shown only on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
for preset in "$@"; do
  log="build/$preset.log"
  echo "qdiff: building preset '$preset' (log: $log)" >&2
  if [ ! -f "build/$preset/build.ninja" ]; then
    cmake --preset "$preset" >"$log" 2>&1 || { cat "$log"; exit 1; }
  fi
  cmake --build --preset "$preset" -j "$(nproc)" >>"$log" 2>&1 || { tail -n 60 "$log"; exit 1; }
done
