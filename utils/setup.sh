#!/usr/bin/env bash
#===- utils/setup.sh - install what qopt needs to build and test ---------===#
# Idempotent: installs Debian packages (LLVM/MLIR 22, ONNX C++, GoogleTest,
# ninja, ccache) only when missing, and creates/refreshes the Python venv in
# $QOPT_VENV (default: <repo>/.venv) with numpy, onnx, onnxruntime, ml_dtypes,
# pytest. Safe to run any number of times.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${QOPT_VENV:-$ROOT/.venv}"

APT_PKGS=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
          libomp-22-dev ninja-build ccache cmake libonnx-dev libprotobuf-dev protobuf-compiler
          libgtest-dev libgmock-dev python3 python3-venv)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python venv (PyPI). A stamp file keyed on the requirement list keeps reruns fast.
REQS="numpy onnx onnxruntime ml_dtypes pytest onnx-ir"
stamp="$VENV/.qopt-reqs"
if [ ! -x "$VENV/bin/python" ]; then
  PY=python3; command -v python3.11 >/dev/null 2>&1 && PY=python3.11
  "$PY" -m venv "$VENV"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$REQS" ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check $REQS
  echo "$REQS" > "$stamp"
fi
echo "setup: ok (venv: $VENV)"
