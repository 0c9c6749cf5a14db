#!/usr/bin/env bash
# The second command of the README: installs what the tests need, builds with warnings as
# errors, runs every test (unit, integration with real peers, bounded fuzzing), then builds with
# clang + AddressSanitizer + UndefinedBehaviorSanitizer and runs the unit tests and fuzzers there.
#
# Environment: STRATA_SKIP_INSTALL=1 skips apt; STRATA_JOBS (default nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${STRATA_JOBS:-$(nproc)}
cd "$root"
start=$SECONDS

if [ "${STRATA_SKIP_INSTALL:-0}" != 1 ]; then
  scripts/install-deps.sh test
else
  scripts/install-test-clients.sh  # npm, not apt: cheap when already installed
fi

echo "== build (gcc, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests: unit + integration ($((SECONDS - start)) s so far)"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600

echo "== build (clang, ASan + UBSan, fuzzers) ($((SECONDS - start)) s so far)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DSTRATA_WERROR=ON -DSTRATA_SANITIZE=ON -DSTRATA_FUZZ=ON \
  -DSTRATA_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under sanitizers: unit + fuzz ($((SECONDS - start)) s so far)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -L 'unit|fuzz' --timeout 600
echo "== all tests passed in $((SECONDS - start)) s"
