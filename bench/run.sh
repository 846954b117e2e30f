#!/usr/bin/env bash
# bench/run.sh - set up, build, and run the benchmark suite (bench/run.py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/utils/setup.sh"
bash "$ROOT/utils/build.sh" qopt-compile qopt-run
"${QOPT_VENV:-$ROOT/.venv}/bin/python" "$ROOT/bench/run.py" "$@"
