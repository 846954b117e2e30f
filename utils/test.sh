#!/usr/bin/env bash
#===- utils/test.sh - set up, build and run every qopt test --------------===#
# The README's test command and the only thing .ci/run calls. Runs lit
# (FileCheck tests + GoogleTest binaries) and pytest, then prints one summary
# line "N passed, N failed, N skipped". Exits nonzero on any failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${QOPT_BUILD_DIR:-$ROOT/build}"
VENV="${QOPT_VENV:-$ROOT/.venv}"
LOGDIR="$BUILD/test-logs"

bash "$ROOT/utils/setup.sh" || exit 1
start=$(date +%s)
bash "$ROOT/utils/build.sh" qopt-test-depends || { echo "0 passed, 1 failed (build)"; exit 1; }
echo "build: $(( $(date +%s) - start )) s"
mkdir -p "$LOGDIR"

# lit: the FileCheck suite and the unit tests.
/usr/lib/llvm-22/bin/lit -sv "$BUILD/test" "$BUILD/test/Unit" 2>&1 | tee "$LOGDIR/lit.log"
lit_rc=${PIPESTATUS[0]}

# pytest: format conformance against ml_dtypes, ONNX node tests, MX vectors.
QOPT_FORMAT_LIB="$BUILD/lib/libQOptCAPIFormat.so" QOPT_BUILD_DIR="$BUILD" \
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/test/python" 2>&1 | tee "$LOGDIR/pytest.log"
py_rc=${PIPESTATUS[0]}

count() { # count <regex> <file>: the number in the first match, else 0
  local n
  n=$(grep -oE "$1" "$2" | head -n1 | grep -oE '[0-9]+' | head -n1)
  echo "${n:-0}"
}
lp=$(count 'Passed *: *[0-9]+' "$LOGDIR/lit.log")
lf=$(( $(count 'Failed *: *[0-9]+' "$LOGDIR/lit.log") + $(count 'Unresolved *: *[0-9]+' "$LOGDIR/lit.log") + $(count 'Timed Out *: *[0-9]+' "$LOGDIR/lit.log") ))
ls_=$(( $(count 'Skipped *: *[0-9]+' "$LOGDIR/lit.log") + $(count 'Unsupported *: *[0-9]+' "$LOGDIR/lit.log") ))
summary=$(tail -n 3 "$LOGDIR/pytest.log" | grep -E 'passed|failed|error|skipped' | tail -n1)
pp=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+'); pp=${pp:-0}
pf=$(( $(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0) + $(echo "$summary" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+' || echo 0) ))
ps=$(echo "$summary" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+'); ps=${ps:-0}
failed=$(( lf + pf ))
if [ "$lit_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$py_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "total time: $(( $(date +%s) - start )) s (lit: $lp passed; pytest: $pp passed)"
echo "$(( lp + pp )) passed, $failed failed, $(( ls_ + ps )) skipped"
[ "$failed" -eq 0 ]
