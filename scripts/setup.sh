#!/usr/bin/env bash
# Set up a development environment for Workbench, idempotently:
#   1. .venv with Python >= 3.11 (python3.11 preferred), created if missing or broken;
#   2. `pip install -e '.[dev]'`, skipped while .venv/.installed is newer than pyproject.toml;
#   3. Graphviz's `dot` via apt-get when it is missing and we are root (a warning otherwise);
#   4. with WORKBENCH_BROWSER=1 (what .ci/run sets), Debian's Chromium for the browser tests, the
#      same way (~500 MB, so not by default; never `playwright install`).
# A second run does nothing and takes well under a second.
# Environment: VENV (default .venv), PYTHON (interpreter used to create the venv), WORKBENCH_BROWSER.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
STAMP="$VENV/.installed"
case "$VENV" in /*) VENV_PY="$VENV/bin/python" ;; *) VENV_PY="$PWD/$VENV/bin/python" ;; esac

log()  { printf 'setup: %s\n' "$*"; }
warn() { printf 'setup: WARNING: %s\n' "$*" >&2; }

find_python() {
    if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
    local c
    for c in python3.11 python3.12 python3.13 python3; do
        if command -v "$c" >/dev/null 2>&1 &&
           "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$c"; return
        fi
    done
    echo "setup: ERROR: no Python >= 3.11 found (tried python3.11, python3.12, python3.13, python3); set PYTHON=..." >&2
    exit 1
}

# 1. the virtual environment
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    py="$(find_python)"
    log "creating $VENV with $py ($("$py" --version 2>&1))"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
    rm -f "$STAMP"
fi

# 2. the package and its dependencies
installed() {  # stamp newer than pyproject.toml, and `workbench` importable from outside the repo
    [[ -f "$STAMP" && "$STAMP" -nt pyproject.toml ]] &&
    (cd / && "$VENV_PY" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("workbench") is None)') 2>/dev/null
}
if installed; then
    log "python packages up to date ($STAMP newer than pyproject.toml)"
else
    log "installing workbench (editable) with dev extras into $VENV"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
    # Plain xgboost pulls ~700 MB of CUDA libraries; only xgboost-cpu is wanted (see NOTES).
    if "$VENV/bin/python" -m pip show --quiet xgboost >/dev/null 2>&1; then
        warn "plain 'xgboost' is installed next to 'xgboost-cpu'; remove it with: $VENV/bin/pip uninstall -y xgboost && $VENV/bin/pip install --force-reinstall xgboost-cpu"
    fi
    touch "$STAMP"
fi

apt_updated=""
apt_install() {  # apt_install PACKAGE: as root with apt-get, else return 1
    [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1 || return 1
    if [[ -z "$apt_updated" ]]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null || return 1
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" </dev/null >/dev/null
}

# 3. Graphviz's dot (used to render graphs; the Python package only writes DOT text)
if ! command -v dot >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing Graphviz (dot) with apt-get"
        apt_install graphviz ||
            warn "apt-get install graphviz failed; rendering graphs to SVG/PNG will not work (DOT text still does)"
    else
        warn "Graphviz 'dot' not found and cannot install it (need root and apt-get); install it with: sudo apt-get install -y graphviz"
    fi
fi

# 4. Chromium for the browser tests (tests/browser/), only when asked
if [[ "${WORKBENCH_BROWSER:-0}" == 1 && ! -x /usr/bin/chromium ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing Chromium with apt-get (for the browser tests)"
        apt_install chromium || warn "apt-get install chromium failed; the browser tests will be skipped"
    else
        warn "Chromium not found and cannot install it (need root and apt-get); the browser tests will be skipped; install it with: sudo apt-get install -y chromium"
    fi
fi
log "ready ($VENV)"
