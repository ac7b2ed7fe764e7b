#!/usr/bin/env bash
# The run command: installs what is missing, builds kbgpd and runs it on configs/kbgpd.yaml
# (or on the config given as the first argument). Extra arguments go to kbgpd.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[[ "${SKIP_DEPS:-0}" == 1 ]] || scripts/deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S "$root" -B "$root/build/gcc" -G Ninja -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build/gcc" --target kbgpd -j"${JOBS:-$(nproc)}"
config="${1:-$root/configs/kbgpd.yaml}"
shift || true
exec "$root/build/gcc/daemon/kbgpd" -f "$config" -t yaml "$@"
