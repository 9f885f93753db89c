#!/usr/bin/env bash
# Generates the shared benchmark datasets (once, into .cache/bench) and runs hnsw_benchmark on
# each. usage: scripts/bench-hnsw.sh [clustered-128-l2|clustered-768-cos ...]
set -euo pipefail
cd "$(dirname "$0")/.."
gen_src=${STRATA_BENCH_DIR:-../shared/bench}/gen_dataset.cpp
cache=.cache/bench
mkdir -p "$cache"
if [[ ! -x "$cache/gen_dataset" ]]; then
  g++ -O3 -std=c++17 -ffp-contract=off -pthread "$gen_src" -o "$cache/gen_dataset"
fi
cmake --build --preset release --target hnsw_benchmark
sets=("$@")
[[ ${#sets[@]} -gt 0 ]] || sets=(clustered-128-l2 clustered-768-cos)
for s in "${sets[@]}"; do
  [[ -f "$cache/$s/gt.ivecs" ]] || "$cache/gen_dataset" "$s" "$cache"
  ./build/release/plugins/index_hnsw/hnsw_benchmark "$cache/$s"
done
