#!/usr/bin/env bash
# Captures 10 scrapes (1 s apart) from a prometheus-node-exporter started on a free loopback port
# and runs lz4_batch_bench on them.  Usage: bench/lz4_batch/run.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address=127.0.0.1:$port >"$tmp/ne.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/metrics" >/dev/null && break; sleep 0.1; done
for i in $(seq 10); do curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/scrape$i.prom"; sleep 1; done
"$build/bench/lz4_batch/lz4_batch_bench" "$tmp"/scrape*.prom
