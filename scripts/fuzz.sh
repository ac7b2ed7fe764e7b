#!/usr/bin/env bash
# Runs the libFuzzer targets for a while each (default 600 s), one after another or, with -j N,
# N at a time. Findings go to build/fuzz-findings/<target>/; the corpus grows in
# build/fuzz-corpus/<target>/ (seeded from fuzz/corpus/<target>/).
#   scripts/fuzz.sh [-t SECONDS] [-j N] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=600
parallel=1
while getopts "t:j:" o; do
  case $o in t) seconds=$OPTARG ;; j) parallel=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=($(ls "$root/fuzz/corpus"))
build="$root/build/clang-asan"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Debug -DKBGP_SANITIZE=ON -DKBGP_FUZZ=ON >/dev/null
cmake --build "$build" --target "${targets[@]}"
run_one() {
  local t=$1
  mkdir -p "$root/build/fuzz-corpus/$t" "$root/build/fuzz-findings/$t"
  echo "fuzz: $t for ${seconds}s"
  "$build/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$root/build/fuzz-findings/$t/" \
    "$root/build/fuzz-corpus/$t" "$root/fuzz/corpus/$t" >"$root/build/fuzz-findings/$t.log" 2>&1
  echo "fuzz: $t done: $(grep -E 'stat::number_of_executed_units' "$root/build/fuzz-findings/$t.log")"
}
status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if ((${#pids[@]} >= parallel)); then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
if ((status != 0)); then
  echo "fuzz: FINDINGS — see build/fuzz-findings/" >&2
fi
exit $status
