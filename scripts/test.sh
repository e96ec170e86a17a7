#!/usr/bin/env bash
# The whole test suite from a fresh clone: set up, check the layer rule, run pytest.
#   bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
echo "== import-linter: the core never imports Qt or ui"
.venv/bin/lint-imports
echo "== pytest"
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
