#!/usr/bin/env bash
#===- utils/demo.sh - set up, build and run qopt's main job ---------------===#
# The README's first command. Until qopt-compile exists (the ONNX importer
# issue), the main job shows qopt-opt folding a quantize of a constant weight
# into packed MXFP4 codes through lib/Format, and stock mlir-opt doing the
# same through the plugin.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QOPT_BUILD_DIR:-$ROOT/build}"
bash "$ROOT/utils/setup.sh"
bash "$ROOT/utils/build.sh" qopt-opt QOptPlugin
echo "== qopt-opt -canonicalize examples/fold-mxfp4.mlir"
"$BUILD/bin/qopt-opt" -canonicalize "$ROOT/examples/fold-mxfp4.mlir"
echo "== the same through Debian's stock mlir-opt and the qopt plugin"
/usr/lib/llvm-22/bin/mlir-opt --load-dialect-plugin="$BUILD/lib/libQOptPlugin.so" \
  -canonicalize "$ROOT/examples/fold-mxfp4.mlir" | grep -E "qopt.constant|qopt_quantized"
