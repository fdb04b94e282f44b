#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing and the demo need, if any is missing.
# Usage: tests/install-deps.sh [extra-package...]
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config patch git libasio-dev libfmt-dev catch2 iproute2
          rapidjson-dev libcpp-httplib-dev libprotozero-dev
          libflatbuffers-dev zlib1g-dev python3-pip python3-prometheus-client clang-format
          clang libclang-rt-14-dev
          "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
