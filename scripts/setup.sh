#!/usr/bin/env bash
# Set up Brief Studio on a fresh Linux machine: system libraries (when run as root on a
# Debian/Ubuntu system), a virtualenv in .venv, and the package (with test extras if asked).
#   bash scripts/setup.sh          # app only
#   bash scripts/setup.sh test     # app + test tools
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libpulse0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon-x11-0
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-render-util0 libxcb-shape0
  xvfb xauth poppler-utils fonts-dejavu-core desktop-file-utils libimage-exiftool-perl
)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
elif ! ldconfig -p 2>/dev/null | grep -q libpulse.so.0; then
  echo "setup: note: libpulse0 (and the xcb libraries) are needed for Qt Multimedia;" \
       "run as root or install them with your package manager." >&2
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/tmp/brief-studio-venv.err; then
    rm -rf .venv
    # Debian/Ubuntu ship venv (ensurepip) separately: python3-venv / python3.X-venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      echo "setup: installing python3-venv (python$ver-venv) for the virtualenv"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3-venv >/dev/null || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "python$ver-venv" >/dev/null 2>&1 || true
      "$PY" -m venv .venv
    else
      cat /tmp/brief-studio-venv.err >&2
      echo "setup: could not create .venv with $PY -m venv; install your system's" \
           "python3-venv package (or set PYTHON to a Python 3.11+ with venv)" >&2
      exit 1
    fi
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "${1:-}" = test ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi
