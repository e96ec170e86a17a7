#!/usr/bin/env bash
# Build the one-folder app into dist/brief-studio/ with PyInstaller, then smoke-test it.
#   bash scripts/build_package.sh            # build (reusing build/pyinstaller cache) + smoke test
#   bash scripts/build_package.sh --clean    # start from an empty PyInstaller cache
#   SMOKE_PLATFORM=xcb bash scripts/build_package.sh   # smoke test under xvfb-run (X11/xcb)
#   SMOKE_OUT=shots bash scripts/build_package.sh      # keep the smoke screenshots
# Needs the .venv from scripts/setup.sh (created here if missing). Prints build time and size.
set -euo pipefail
cd "$(dirname "$0")/.."

CLEAN=()
for arg in "$@"; do
  case "$arg" in
    --clean) CLEAN=(--clean) ;;
    *) echo "build_package: unknown option $arg" >&2; exit 2 ;;
  esac
done

if [ ! -x .venv/bin/python ]; then
  bash scripts/setup.sh
fi
PY=.venv/bin/python

echo "== installing PyInstaller into .venv"
"$PY" -m pip install -q "pyinstaller>=6.10" 2>&1 | grep -v "^WARNING: Location" || true
"$PY" -m PyInstaller --version

echo "== icons"
"$PY" packaging/render_icons.py --check

echo "== translations"
"$PY" scripts/update_translations.py

echo "== building dist/brief-studio"
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm "${CLEAN[@]}" --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/brief-studio.spec
took=$(( $(date +%s) - start ))
size=$(du -sh dist/brief-studio | cut -f1)
files=$(find dist/brief-studio -type f | wc -l)
echo "build_package: built dist/brief-studio in ${took}s: ${size}, ${files} files"

echo "== smoke test"
SMOKE_ARGS=(dist/brief-studio --platform "${SMOKE_PLATFORM:-offscreen}")
if [ -n "${SMOKE_OUT:-}" ]; then SMOKE_ARGS+=(--out "$SMOKE_OUT"); fi
"$PY" packaging/smoke_test.py "${SMOKE_ARGS[@]}"
echo "build_package: ok (run it: dist/brief-studio/brief-studio)"
