#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test.
#   1. GCC 12 build (RelWithDebInfo): unit tests, then the integration tests (real daemons
#      in network namespaces; needs root).
#   2. clang 14 build with ASan + UBSan + libFuzzer: unit tests again under the sanitizers,
#      and a short smoke run of every fuzz target (label "fuzz").
# Environment: JOBS (default: nproc), FUZZ_SMOKE_SECONDS (default 15), SKIP_DEPS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

[[ "${SKIP_DEPS:-0}" == 1 ]] || scripts/deps.sh

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
# Paths relative to the checkout, so a fresh clone elsewhere hits the same cache entries.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
ccache --max-size=5G >/dev/null 2>&1 || true
jobs="${JOBS:-$(nproc)}"

step() { printf '\n==== %s ====\n' "$*"; }

step "GCC build"
cmake -S "$root" -B "$root/build/gcc" -G Ninja -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build/gcc" -j"$jobs"

step "GCC: unit tests"
ctest --test-dir "$root/build/gcc" -L unit -j"$jobs" --output-on-failure --timeout 300

step "GCC: integration tests"
ctest --test-dir "$root/build/gcc" -L integration --output-on-failure --timeout 900 --no-tests=ignore

step "clang build (ASan + UBSan + libFuzzer)"
cmake -S "$root" -B "$root/build/clang-asan" -G Ninja -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DKBGP_SANITIZE=ON -DKBGP_FUZZ=ON \
  -DKBGP_FUZZ_SMOKE_SECONDS="${FUZZ_SMOKE_SECONDS:-15}" >/dev/null
cmake --build "$root/build/clang-asan" -j"$jobs"

step "clang: unit tests under ASan + UBSan, fuzz smoke runs"
ctest --test-dir "$root/build/clang-asan" -L 'unit|fuzz' -j"$jobs" --output-on-failure --timeout 600
