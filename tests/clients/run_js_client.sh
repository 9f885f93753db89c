#!/usr/bin/env bash
# Runs an official Qdrant JS client application (tests/clients/<dir>/app.mjs, dependencies pinned
# by its package-lock.json) against a real Strata server started on free ports.
# The app gets the port and the server's snapshots directory.
# usage: run_js_client.sh <strata binary> <client source dir> <work dir> <grpc|rest>
set -euo pipefail
strata=$1 src=$2 work=$3 api=$4
mkdir -p "$work"
cp "$src/package.json" "$src/package-lock.json" "$src/app.mjs" "$work/"
if ! cmp -s "$src/package-lock.json" "$work/node_modules/.strata-lock" 2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$src/package-lock.json" "$work/node_modules/.strata-lock"
fi

data=$(mktemp -d "${TMPDIR:-/tmp}/strata-js-XXXXXX")
log="$data/server.log"
STRATA__STORAGE__STORAGE_PATH="$data/storage" STRATA__STORAGE__SNAPSHOTS_PATH="$data/snapshots" \
  STRATA__SERVICE__HOST=127.0.0.1 \
  STRATA__SERVICE__GRPC_PORT=0 STRATA__SERVICE__HTTP_PORT=0 "$strata" 2>"$log" &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 1 200); do
  grep -q "ready" "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.05
done
if [[ "$api" == grpc ]]; then
  port=$(sed -n 's/.*gRPC listening on [0-9.]*:\([0-9]*\).*/\1/p' "$log" | head -1)
else
  port=$(sed -n 's/.*REST listening on port \([0-9]*\).*/\1/p' "$log" | head -1)
fi
[[ -n "$port" ]] || { echo "no $api port in the server log:"; cat "$log"; exit 1; }
(cd "$work" && node app.mjs "$port" "$data/snapshots")
kill -TERM "$pid"
wait "$pid"
trap - EXIT
rm -rf "$data"
