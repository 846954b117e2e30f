#!/usr/bin/env bash
#===- utils/demo.sh - set up, build and run qopt's main job ---------------===#
# The README's first command: compile the bundled models with qopt-compile,
# run them, and print accuracy and speed against ONNX Runtime FP32.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${QOPT_VENV:-$ROOT/.venv}"
bash "$ROOT/utils/setup.sh"
bash "$ROOT/utils/build.sh" qopt-compile qopt-run
"$VENV/bin/python" "$ROOT/examples/run_demo.py"
