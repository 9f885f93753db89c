#!/usr/bin/env bash
# Installs the Debian 12 packages Strata needs to build, test and run.
# Idempotent: does nothing (and prints nothing) when everything is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libboost1.74-dev
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libleveldb-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhnswlib-dev rapidjson-dev libssl-dev openssl libjemalloc-dev
  python3 python3-jsonschema
)

# The client integration tests run the official Qdrant JS clients: Node.js and npm.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
