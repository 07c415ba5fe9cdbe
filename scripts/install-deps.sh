#!/usr/bin/env bash
# Installs the Debian 12 packages qdiff needs, only those missing.
# Runs apt-get as root (or through sudo when not root).
#
#   scripts/install-deps.sh             required + optional packages
#   scripts/install-deps.sh --required  only what the main job and the tests need
#
# Required packages build the qdiff command, the libraries and every test.
# Optional packages each enable one peer, and configure skips a peer whose
# packages are missing (the summary line at the end of configure says which):
#   oneDNN     libdnnl-dev + ocl-icd-opencl-dev (its CMake config requires the
#              OpenCL headers, which libdnnl-dev only Recommends)
#   XNNPACK    libxnnpack-dev + libpthreadpool-dev (examples/xnnpack_backend)
#   benchmark  libbenchmark-dev (bench/)
#   Python     python3 (process backends in examples/, from Debian's own
#              interpreter)
#   torch      python3-torch (examples/torch_backend: PyTorch's quantized engines)
#   venv       python3-venv: scripts/setup-onnx-venv.sh creates a venv from
#              Debian's python3 and pip-installs onnxruntime and onnx into it
#              (examples/onnxruntime_backend)
#   mimalloc   libmimalloc-dev: the fast fuzz build's allocator (fuzzfast
#              preset; 1.3-1.5x on the graph and lowering targets)
#   ccache     not a peer: makes CI's second configuration (no peers) cheap
set -euo pipefail

required=(
  cmake ninja-build g++ clang-14 libclang-rt-14-dev llvm-14
  libgtest-dev libgmock-dev librapidcheck-dev
  libfmt-dev nlohmann-json3-dev libcli11-dev libeigen3-dev zip
)
optional=(
  libdnnl-dev ocl-icd-opencl-dev
  libxnnpack-dev libpthreadpool-dev
  libbenchmark-dev
  python3 python3-torch python3-venv
  libmimalloc-dev
  ccache
)

packages=("${required[@]}")
[ "${1:-}" = "--required" ] || packages+=("${optional[@]}")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "qdiff: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
