#!/usr/bin/env bash
# Installs the SDK from this build into a temporary prefix, builds sdk/examples/index_flat
# against it with nothing but find_package(StrataSdk), has the kernel load the result, and runs
# the SDK's index conformance suite on it.
# usage: build_example.sh <strata build dir> <source dir> <strata binary>
set -euo pipefail
build=$1 src=$2 strata=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/strata-oot-XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== installing the SDK into $work/prefix"
cmake --install "$build" --component sdk --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/lib/cmake/StrataSdk/StrataSdkConfig.cmake"
test -f "$work/prefix/include/strata/abi/strata_index.h"

echo "== building the example out of tree"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$src/sdk/examples/index_flat" -B "$work/build" "${generator[@]}" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
so="$work/build/libstrata_index_flat_example.so"
test -f "$so"

echo "== the kernel loads it"
table=$("$strata" --plugins --plugin-file "$so" 2>/dev/null)
echo "$table"
# Built against the installed SDK, so it reports the server's own ABI (as the built-in posix).
abi=$(echo "$table" | awk '$3 == "posix" {print $5}')
echo "$table" | grep -E "^active +index +flat_example +1\.0\.0 +${abi//./\\.} +stable" >/dev/null

echo "== conformance suite against the built library"
ctest --test-dir "$work/build" --output-on-failure
