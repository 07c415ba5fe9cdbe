#!/usr/bin/env bash
# Installs the Debian 12 packages qdiff needs, only those missing.
# Runs apt-get as root (or through sudo when not root).
set -euo pipefail

packages=(
  cmake ninja-build g++ clang-14 libclang-rt-14-dev llvm-14
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  libfmt-dev nlohmann-json3-dev libcli11-dev libeigen3-dev
  libdnnl-dev libxnnpack-dev libpthreadpool-dev zip
)

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
