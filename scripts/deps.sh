#!/usr/bin/env bash
# Installs every Debian package kbgp needs to build, test and run its labs.
# Idempotent: when everything is present it only checks (dpkg-query) and exits.
#   scripts/deps.sh           everything (build, tests, labs)
#   scripts/deps.sh --build   only what building needs (the Dockerfile's build stage)
set -euo pipefail

BUILD_PACKAGES=(
  # toolchain
  build-essential g++ clang clang-14 libclang-rt-14-dev llvm cmake ninja-build ccache pkg-config git
  # libraries
  libabsl-dev libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev
  libprotoc-dev
  libyaml-cpp-dev libre2-dev libcpp-httplib-dev prometheus-cpp-dev libasio-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev zlib1g-dev libbz2-dev libssl-dev
)
LAB_PACKAGES=(
  # peers, oracles and lab tools
  gobgpd golang-github-osrg-gobgp-dev bird2 frr exabgp openbgpd bgpdump prometheus
  iproute2 iputils-ping procps psmisc curl python3 python3-yaml openssl gnuplot-nox linux-perf heaptrack
)

PACKAGES=("${BUILD_PACKAGES[@]}")
case "${1:-}" in
  --build) ;;
  "") PACKAGES+=("${LAB_PACKAGES[@]}") ;;
  *) echo "usage: $0 [--build]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "deps: installing ${#missing[@]} packages: ${missing[*]}"
SUDO=""
[[ $(id -u) == 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Daemons from packages must not start as system services on install; the labs start their own.
policy_created=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  policy_created=1
fi
trap '[[ $policy_created == 1 ]] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps: done"
