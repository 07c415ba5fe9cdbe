#!/usr/bin/env bash
# Creates the Python environment of the ONNX backends
# (examples/onnxruntime_backend): a venv from Debian's own interpreter with
# onnxruntime and onnx from the Python package index. Optional: the quick
# start (scripts/qdiff check, scripts/test) never needs it; configure finds
# it (cmake/optional_peers.cmake, QDIFF_ONNX_PYTHON) and registers the ctest
# label `onnx` only when it imports both packages.
#
#   scripts/setup-onnx-venv.sh [VENV_DIR]      default: build/onnx-venv
#
# Exit status: 0 when the venv imports onnxruntime and onnx; 3 when the
# index cannot be reached or a package cannot be installed (CI prints a
# skip on 3; any other failure is a real one).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-build/onnx-venv}"

# Pinned: docs/real-backends.md's ONNX tables were measured on these
# versions, and its upstream reports name them.
packages=(onnxruntime==1.32.0 onnx==1.23.2)

# Debian splits venv (and ensurepip) out of python3 into python3-venv, an
# optional package of scripts/install-deps.sh.
if ! /usr/bin/python3 -c "import ensurepip, venv" 2>/dev/null; then
  scripts/install-deps.sh
fi

if ! "$venv/bin/python" -c "import onnxruntime, onnx" 2>/dev/null; then
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
  echo "qdiff: installing ${packages[*]} into $venv" >&2
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check --timeout 15 --retries 1 "${packages[@]}"; then
    echo "qdiff: could not install ${packages[*]} (is the Python package index reachable?)" >&2
    exit 3
  fi
fi
"$venv/bin/python" -c "import onnx, onnxruntime; print('qdiff: onnx', onnx.__version__, 'onnxruntime', onnxruntime.__version__, 'in $venv')" >&2

# A configured build/default learns of the venv at its next configure: run
# it now, so that its ctest label `onnx` exists (scripts/build.sh configures
# a build tree only once).
if [ -f build/default/CMakeCache.txt ] && [ "$venv" = build/onnx-venv ]; then
  cmake build/default >/dev/null && echo "qdiff: build/default reconfigured: ctest -L onnx" >&2
fi
