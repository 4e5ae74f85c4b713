#!/usr/bin/env bash
# The demo command (README): installs what is missing, then builds sample media and services it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec node_modules/.bin/node scripts/demo.ts
