#!/usr/bin/env bash
# Installs the real client libraries the integration tests drive (hot-shots, ...) from the npm
# registry into tests/integration/clients/node_modules, as pinned by its package-lock.json.
# Idempotent: does nothing when that lock file was installed already.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/clients"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
stamp="$dir/node_modules/.strata-installed-lock"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
# --ignore-scripts: nothing the tests use needs a native build (hot-shots' optional unix-dgram
# is only for Unix domain sockets).
npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error
echo "$want" >"$stamp"
echo "test clients installed ($dir)"
