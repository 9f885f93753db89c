#!/usr/bin/env bash
# Installs what is missing, builds (release preset) and starts the server with the default
# bundle; data goes to ./storage. Extra arguments are passed to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target strata strata_plugins
exec ./build/release/bin/strata "$@"
