#!/usr/bin/env bash
# Set up everything (all extras), then run every check CI runs: ruff, mypy and the whole test suite
# (SQLite and a real PostgreSQL, a loopback HTTP server, headless chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
MM_NEED_POSTGRES=1 ./scripts/setup.sh full
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONHASHSEED=0
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
.venv/bin/mypy
exec .venv/bin/python -m pytest -n "${MM_TEST_WORKERS:-2}" --durations=15 "$@"
