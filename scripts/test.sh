#!/usr/bin/env bash
# Installs what is missing, builds (release preset) and runs every test. Prints CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
ctest --preset release -j "$(nproc)" --timeout 900

# The engine's unit tests once more under AddressSanitizer + UBSan (asan preset).
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$(nproc)" --target kernel_test
ASAN_OPTIONS=detect_leaks=1 ./build/asan/kernel/kernel_test --gtest_brief=1
