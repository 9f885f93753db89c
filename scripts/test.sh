#!/usr/bin/env bash
# Installs what is missing, builds (release preset) and runs every test. Prints CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
ctest --preset release -j "$(nproc)" --timeout 900
