#!/usr/bin/env bash
# napari-molfield on a fresh machine, in one command each:
#   bash run.sh demo [--screenshot PATH]   sample the bundled kinase–inhibitor complex and show it in napari
#   bash run.sh test [pytest args]         run the full test suite (GUI tests under Xvfb)
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
cmd=${1:-demo}; shift || true
case "$cmd" in
  demo) exec .venv/bin/molfield demo "$@" ;;
  test) exec .venv/bin/python -m pytest "$@" ;;
  *) echo "usage: bash run.sh demo|test [args]" >&2; exit 2 ;;
esac
