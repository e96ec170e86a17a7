#!/usr/bin/env bash
# Set up and open Brief Studio on (your copy of) the sample project.
#   bash scripts/run.sh [studio args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# the user's copy of the sample (made on first use), so the repository's sample stays pristine
if [ $# -eq 0 ]; then
  sample="$(.venv/bin/python -c 'from studio.resources import sample_project_copy; print(sample_project_copy())')"
  set -- "$sample"
fi
exec .venv/bin/studio "$@"
