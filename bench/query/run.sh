#!/usr/bin/env bash
# Runs the query benchmark (bench/query/query_bench.cc): PromQL latency of the Strata collector vs
# VictoriaMetrics single-node on the same node_exporter-like data (bench/ingest's data set, sent
# to both over remote write), dashboard queries interleaved, medians and p95 side by side, and a
# check that both answer the same. Builds nothing: build `query_bench` and `strata-collector`
# first (Release).
#
#   bench/query/run.sh [BUILD_DIR] [flags...]      BUILD_DIR defaults to build/
#
# Flags (--name=value; later ones override the defaults below):
#   --series=10000        series (multiples of 100: 100 series per host)
#   --hours=24            hours of 15 s scrapes (--hours=2 for a quick run); range queries cover
#                         min(24, hours) h
#   --runs=20             measured runs per query and system (after --warmup=2)
#   --slow_ms=5000 --slow_runs=5   fewer runs for a query whose warm-up took longer than slow_ms
#   --vm_cache=off        on: keep VictoriaMetrics' response cache (measures the cache)
#   --keep_alive=on       off: a new TCP connection per request
#   --vm=/usr/bin/victoria-metrics   (Debian package victoria-metrics)
#   --tmp_dir=/tmp        parent of the bench's temp dir (both servers' data dirs)
#   --seed=1
# 10k x 24 h is 57.6M samples: ingest takes minutes per server and the encoded requests (held in
# memory until both servers have them) need a few GB.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
if [ $# -gt 0 ] && [[ $1 != --* ]]; then shift; fi
bin=$build/bench/query/query_bench
collector=$build/collector/strata-collector
for f in "$bin" "$collector"; do
  [ -x "$f" ] || { echo "missing $f (build query_bench and strata-collector first)" >&2; exit 1; }
done
exec "$bin" --collector="$collector" --gen_certs="$root/scripts/gen-dev-certs.sh" \
  --series=10000 --hours=24 --runs=20 "$@"
