#!/usr/bin/env bash
# The first command of the README: installs the Debian packages, builds, and runs a collector
# and an agent on this host on their embedded defaults, with dev certificates generated on the
# spot; then prints an example query and its live answer. Ctrl-C stops both.
#
#   scripts/demo.sh            run until Ctrl-C
#   scripts/demo.sh --smoke    exit 0 as soon as the query answers with live data (used by tests)
#
# Environment: STRATA_SKIP_INSTALL=1 skips apt, STRATA_SKIP_BUILD=1 uses an existing build,
# STRATA_BUILD_DIR (default build), STRATA_DEMO_DIR (default .demo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1
build=${STRATA_BUILD_DIR:-$root/build}
run=${STRATA_DEMO_DIR:-$root/.demo}

if [ "${STRATA_SKIP_INSTALL:-0}" != 1 ]; then "$root/scripts/install-deps.sh"; fi
if [ "${STRATA_SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)" --target strata-collector strata-agent
fi
mkdir -p "$run"
"$root/scripts/gen-dev-certs.sh" "$run/certs" >/dev/null

for port in 9470 9471 9472; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "port $port is in use (another Strata running?); stop it first" >&2
    exit 1
  fi
done

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$run"  # the embedded defaults read certs/ and write strata-data/ relative to here
"$build/collector/strata-collector" >"$run/collector.log" 2>&1 &
pids+=($!)
"$build/agent/strata-agent" >"$run/agent.log" 2>&1 &
pids+=($!)

query='node_load1'
url="http://localhost:9470/api/v1/query"
deadline=$((SECONDS + 30))
answer=""
while [ $SECONDS -lt $deadline ]; do
  answer=$(curl -sf --data-urlencode "query=$query" "$url" || true)
  case "$answer" in *'"result":[{'*) break ;; esac
  answer=""
  sleep 0.5
done
echo "collector: http://localhost:9470 (log $run/collector.log)"
echo "agent:     http://localhost:9472/metrics (log $run/agent.log)"
echo
echo "\$ curl -s --data-urlencode 'query=$query' $url"
if [ -z "$answer" ]; then
  echo "no live data within 30 s; see the logs above" >&2
  tail -5 "$run/collector.log" "$run/agent.log" >&2
  exit 1
fi
echo "$answer"
echo
echo "more: curl -s --data-urlencode 'query=up' $url ; curl -s http://localhost:9470/api/v1/labels"
if [ $smoke = 1 ]; then exit 0; fi
echo "running; Ctrl-C to stop"
wait "${pids[0]}"
