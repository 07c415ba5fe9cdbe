#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build script: builds every libFuzzer target
# with the environment's compiler and flags and fills $OUT with, per target
# T (binary T_fuzz):
#   T_fuzz                   the target, linked with $LIB_FUZZING_ENGINE
#   T_fuzz_seed_corpus.zip   corpus/T/ (+ corpus/regressions/ case files
#                            for the case-file targets)
#   T_fuzz.dict              fuzz/dictionaries/T.dict, when there is one
#   T_fuzz.options           fuzz/options/T.options (else default.options)
#                            plus `dict = T_fuzz.dict`
#   lib/                     shared libraries the runner image lacks (libfmt)
# Inputs (set by the OSS-Fuzz `compile` step, or by
# scripts/test-clusterfuzzlite locally): CC CXX CFLAGS CXXFLAGS
# LIB_FUZZING_ENGINE SRC WORK OUT, optionally SANITIZER.
# Local proof: scripts/test-clusterfuzzlite (docs/fuzzing.md).
set -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$here/../CMakeLists.txt" ] && [ -d "$here/../fuzz" ]; then
  root="$(cd "$here/.." && pwd)"   # run from a checkout (local test)
else
  root="$SRC/qdiff"                # the image copies build.sh to $SRC
fi

# OSS-Fuzz adds -stdlib=libc++; the Debian/Ubuntu libfmt qdiff links is
# built against libstdc++, so use that (libFuzzer keeps its own private
# libc++ and works with either).
CXXFLAGS="${CXXFLAGS//-stdlib=libc++/}"
# OSS-Fuzz's UBSan set lacks float-cast-overflow, the UB SPEC section 4
# forbids (an out-of-range float cast to an integer); add it to that build
# only (an ASan build with UBSan checks fails the bad-build check).
if [[ "${SANITIZER:-}" == *undefined* ]]; then
  CFLAGS="$CFLAGS -fsanitize=float-cast-overflow -fno-sanitize-recover=float-cast-overflow"
  CXXFLAGS="$CXXFLAGS -fsanitize=float-cast-overflow -fno-sanitize-recover=float-cast-overflow"
fi
export CFLAGS CXXFLAGS

build="$WORK/qdiff-build"
generator="Unix Makefiles"
command -v ninja >/dev/null && generator="Ninja"
# shellcheck disable=SC2016  # CMAKE_BUILD_RPATH is a literal $ORIGIN/lib
# CMAKE_BUILD_TYPE=None: the optimization and debug flags are the
# environment's (OSS-Fuzz: -O1 -gline-tables-only), not CMake's. The flags
# are passed explicitly: CMake reads $CFLAGS only when it creates the cache,
# and a kept $WORK (scripts/test-clusterfuzzlite) must follow a new sanitizer.
cmake -S "$root" -B "$build" -G "$generator" \
  -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DQDIFF_FUZZ=ON -DQDIFF_FUZZ_FLAGS_FROM_ENV=ON \
  -DQDIFF_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DQDIFF_BUILD_TESTS=OFF -DQDIFF_BUILD_BENCH=OFF -DQDIFF_BUILD_TOOLS=OFF \
  -DCMAKE_BUILD_RPATH='$ORIGIN/lib'
cmake --build "$build" -j "${QDIFF_BUILD_JOBS:-$(nproc)}"

# Copies a seed file into a flat staging directory under a name unique
# within it (the relative path with / turned into __).
stage_seed() {
  local base="$1" file="$2" dest="$3"
  local rel="${file#"$base"/}"
  cp "$file" "$dest/${rel//\//__}"
}

mkdir -p "$OUT/lib"
shopt -s nullglob
targets=0
for bin in "$build"/fuzz/*_fuzz; do
  [ -x "$bin" ] || continue
  name="$(basename "$bin")"
  t="${name%_fuzz}"
  cp "$bin" "$OUT/"
  targets=$((targets + 1))

  seeds="$(mktemp -d)"
  if [ -d "$root/corpus/$t" ]; then
    while IFS= read -r -d '' f; do stage_seed "$root/corpus" "$f" "$seeds"; done \
      < <(find "$root/corpus/$t" -type f -print0)
  fi
  if [[ "$t" == *case_file ]]; then
    # The case-file targets parse JSON: every regression is a seed.
    while IFS= read -r -d '' f; do stage_seed "$root/corpus" "$f" "$seeds"; done \
      < <(find "$root/corpus/regressions" -type f -name '*.json' -print0)
  fi
  rm -f "$OUT/${name}_seed_corpus.zip"
  if [ -n "$(ls -A "$seeds")" ]; then
    (cd "$seeds" && zip -q -X "$OUT/${name}_seed_corpus.zip" ./*)
  fi
  rm -rf "$seeds"

  options="$root/fuzz/options/$t.options"
  [ -f "$options" ] || options="$root/fuzz/options/default.options"
  grep -v '^#' "$options" > "$OUT/$name.options"
  if [ -f "$root/fuzz/dictionaries/$t.dict" ]; then
    cp "$root/fuzz/dictionaries/$t.dict" "$OUT/$name.dict"
    echo "dict = $name.dict" >> "$OUT/$name.options"
  fi

  # Shared libraries outside the C/C++ runtime (libfmt) are not in the
  # runner image: ship them next to the targets (RUNPATH $ORIGIN/lib).
  ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r soname path; do
    case "$soname" in
      linux-vdso*|ld-linux*|libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|libstdc++.so*|libgcc_s.so*) ;;
      *) cp -L "$path" "$OUT/lib/$soname" ;;
    esac
  done
done

if [ "$targets" -eq 0 ]; then
  echo "build.sh: no *_fuzz targets were built in $build/fuzz" >&2
  exit 1
fi
echo "build.sh: $targets targets in $OUT"
