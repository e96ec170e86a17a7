#!/usr/bin/env bash
# Set up and open Brief Studio on the sample project.
#   bash scripts/run.sh [studio args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then set -- projects/aurora-launch; fi
exec .venv/bin/studio "$@"
