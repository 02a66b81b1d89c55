#!/usr/bin/env bash
# Install the base package only (no torch, ray, transformers or playwright), then run the main job
# on the embedded default (SQLite and local files). scripts/test.sh later adds the extras to the same .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh demo
export OMP_NUM_THREADS=1
exec .venv/bin/mediamanager demo "$@"
