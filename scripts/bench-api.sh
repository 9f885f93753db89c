#!/usr/bin/env bash
# What the frontends add: the same upserts and searches in-process, over gRPC and over REST,
# against a server started here on free ports. Extra arguments go to load_gen
# (e.g. --points 20000 --dim 128 --concurrency 1,8,32).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build --preset release --target load_gen strata strata_plugins >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench-api-XXXXXX")
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
./build/release/tests/bench/load_gen inproc "$work/inproc" "$@"
STRATA__STORAGE__STORAGE_PATH="$work/server" STRATA__SERVICE__HOST=127.0.0.1 \
  STRATA__SERVICE__HTTP_PORT=0 STRATA__SERVICE__GRPC_PORT=0 ./build/release/bin/strata 2>"$work/log" &
pid=$!
for _ in $(seq 1 200); do grep -q ready "$work/log" && break; sleep 0.05; done
grpc=$(sed -n 's/.*gRPC listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/log" | head -1)
rest=$(sed -n 's/.*REST listening on port \([0-9]*\).*/\1/p' "$work/log" | head -1)
./build/release/tests/bench/load_gen grpc "127.0.0.1:$grpc" "$@"
./build/release/tests/bench/load_gen rest 127.0.0.1 "$rest" "$@"
