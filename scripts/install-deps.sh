#!/usr/bin/env bash
# Installs the Debian 12 packages Strata needs. Idempotent.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh test     also the test tools and real peers the tests start
set -euo pipefail
build_pkgs=(
  build-essential cmake pkg-config git ca-certificates openssl curl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  liblz4-dev libxxhash-dev libsnappy-dev libssl-dev libre2-dev libroaring-dev
  nlohmann-json3-dev libcli11-dev libyaml-cpp-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libbpf-dev bpftool
)
test_pkgs=(
  clang libclang-rt-14-dev python3 python3-pytest prometheus-node-exporter xxhash
  victoria-metrics python3-snappy prometheus python3-prometheus-client nodejs
  iproute2
)
pkgs=("${build_pkgs[@]}")
if [ "${1:-}" = "test" ]; then pkgs+=("${test_pkgs[@]}"); fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "dependencies installed (${#pkgs[@]} packages)"
if [ "${1:-}" = "test" ]; then "$(dirname "$0")/install-test-clients.sh"; fi
