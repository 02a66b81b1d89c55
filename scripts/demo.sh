#!/usr/bin/env bash
# Set up, then run the main job on the embedded default (SQLite and local files).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export OMP_NUM_THREADS=1
exec .venv/bin/mediamanager demo "$@"
