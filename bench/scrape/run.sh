#!/usr/bin/env bash
# Runs the scrape benchmark (bench/scrape/scrape_bench.cc): the Strata agent and vmagent scraping
# the same local targets side by side (CPU seconds per interval, peak RSS), and the exposition
# parsers' throughput. Builds nothing: build `scrape_bench`, `strata-agent` and
# `strata-collector` first (Release).
#
#   bench/scrape/run.sh [BUILD_DIR] [--series=10000 --targets=10 --interval_s=15 --duration_s=180]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
if [ $# -gt 0 ] && [[ $1 != --* ]]; then shift; fi
for f in "$build/bench/scrape/scrape_bench" "$build/agent/strata-agent" \
         "$build/collector/strata-collector"; do
  [ -x "$f" ] || { echo "missing $f (build scrape_bench, strata-agent, strata-collector)" >&2; exit 1; }
done
exec "$build/bench/scrape/scrape_bench" --agent="$build/agent/strata-agent" \
  --collector="$build/collector/strata-collector" --gen_certs="$root/scripts/gen-dev-certs.sh" "$@"
