#!/usr/bin/env bash
# Runs the ingest benchmark (bench/ingest/ingest_bench.cc): Strata collector (Prometheus remote
# write, and the agent protocol over mTLS gRPC) vs VictoriaMetrics single-node on the same
# pre-encoded node_exporter-like data, printing medians side by side. Builds nothing: build
# `ingest_bench` and `strata-collector` first (Release).
#
#   bench/ingest/run.sh [BUILD_DIR] [flags...]      BUILD_DIR defaults to build/
#
# Flags (--name=value; later ones override the defaults below):
#   --series=10000,100000   data-set sizes in series (multiples of 100: 100 series per host)
#   --hours=24              hours of 15 s scrapes: one value, or one per --series entry
#   --repeats=3             timing runs per system; medians are printed
#   --connections=4         concurrent connections (sender shards)
#   --samples_per_request=2000   Prometheus' max_samples_per_send
#   --systems=strata-rw,strata-grpc,vm
#   --strata_fsync=interval (interval|always)
#   --vm=/usr/bin/victoria-metrics   (Debian package victoria-metrics)
#   --tmp_dir=/tmp          parent of the bench's temp dir; put it on the disk to measure
#   --seed=1
# Needs ~24 GB RAM class machines for 100k x 24 h (all requests are held in memory); on small
# machines use fewer hours for the big size, e.g. --series=10000,100000 --hours=24,2.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
if [ $# -gt 0 ] && [[ $1 != --* ]]; then shift; fi
bin=$build/bench/ingest/ingest_bench
collector=$build/collector/strata-collector
for f in "$bin" "$collector"; do
  [ -x "$f" ] || { echo "missing $f (build ingest_bench and strata-collector first)" >&2; exit 1; }
done
exec "$bin" --collector="$collector" --gen_certs="$root/scripts/gen-dev-certs.sh" \
  --series=10000,100000 --hours=24 --repeats=3 "$@"
