#!/usr/bin/env bash
# One entry point for a fresh machine.
#   ./dev.sh run [FILE|TEMPLATE]   set everything up, then launch the app
#   ./dev.sh test [PYTEST ARGS]    set everything up, then run the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

setup() {
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    # Reinstall only when the declared dependencies changed.
    if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -e '.[dev]'
        touch .venv/.installed
    fi
}

cmd="${1:-run}"
shift || true
case "$cmd" in
    run)
        setup
        exec .venv/bin/python main.py "$@"
        ;;
    test)
        setup
        export QT_QPA_PLATFORM=offscreen
        exec .venv/bin/python -m pytest -q "$@"
        ;;
    *)
        echo "usage: ./dev.sh run [FILE|TEMPLATE] | ./dev.sh test [PYTEST ARGS]" >&2
        exit 2
        ;;
esac
