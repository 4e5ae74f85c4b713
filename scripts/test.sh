#!/usr/bin/env bash
# The test command (README; also what .ci/run runs): installs what is missing, type-checks, runs
# vitest on Node 24. Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
node_modules/.bin/node node_modules/typescript/bin/tsc -p tsconfig.json
exec node_modules/.bin/node node_modules/vitest/vitest.mjs run "$@"
