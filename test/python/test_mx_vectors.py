# test/python/test_mx_vectors.py - microxcaling golden vectors (MX blocks, fp16/bf16 corners) reproduced by qopt.
"""Expected values: mx_golden_vectors.shared.json (microsoft/microxcaling 7bc41952 tests).

Reference semantics (microxcaling mx/mx_ops.py, mx/elemwise_ops.py): inputs are
float32 torch tensors; round 'nearest' = sign(x) * floor(|x| + 0.5) (ties away from
zero, qopt 'away'), 'even' = ties to even (qopt 'rne'). _quantize_mx: shared exponent
floor(log2(amax)) - emax_elem clamped to [-127, 127] (qopt ScaleMode floor), elements
saturate. _quantize_fp/_quantize_bfloat: IEEE-like, results above max_norm become
Inf (no saturation: qopt saturate=False). Comparison ('compare' field): finite
values exactly, non-finite values only as a class (NaN and +-Inf interchangeable).
"""
import json

import numpy as np
import pytest

from conftest import TESTDATA
from qopt import formats as qf

VECTORS = TESTDATA / "format-vectors/microxcaling-7bc4195/mx_golden_vectors.shared.json"
ROUNDING = {"nearest": "away", "even": "rne"}  # microxcaling name -> qopt
MX_ELEMENT = {"int8": "i8", "fp8_e4m3": "f8E4M3FN", "fp8_e5m2": "f8E5M2",
              "fp6_e3m2": "f6E3M2FN", "fp6_e2m3": "f6E2M3FN", "fp4_e2m1": "f4E2M1FN"}


def load():
    return json.loads(VECTORS.read_text())


def cases():
    return [pytest.param(c, id=c["id"]) for c in load()["cases"]] if VECTORS.exists() else []


def array(v):
    """A JSON array (possibly given as a string, with 'NaN'/'Inf'/'-Inf' strings) as float64."""
    v = json.loads(v) if isinstance(v, str) else v
    return np.array(v, dtype=object).astype(np.float64)


def assert_matches(got, want):
    fin = np.isfinite(want)
    assert np.array_equal(np.isfinite(got), fin), (got, want)
    np.testing.assert_array_equal(got[fin], want[fin])


def run_case(c):
    call = c["call"]
    x = array(c["x"]).astype(np.float32)  # the reference works on float32 tensors
    rounding = ROUNDING[call["round"]]
    if call["fn"] == "_quantize_mx":
        assert call["scale_bits"] == 8 and len(call["axes"]) == 1
        axis = call["axes"][0] - x.ndim if call["axes"][0] >= 0 else call["axes"][0]
        spec = (f"element={MX_ELEMENT[call['elem_format']]},scale=f8E8M0FNU,"
                f"block={call['block_size']},axis={axis}")
        codes, scales, zps, ts = qf.quantize(spec, x, rounding, "floor")
        return qf.dequantize(spec, codes, scales, zps, ts).astype(np.float64)
    if call["fn"] == "_quantize_fp":
        element = {(5, 10): "f16", (8, 7): "bf16"}[(call["exp_bits"], call["mantissa_bits"])]
    else:
        assert call["fn"] == "_quantize_bfloat" and call["bfloat"] == 16
        element = "bf16"
    assert call.get("allow_denorm", True)
    return qf.decode(element, qf.encode(element, x.astype(np.float64), rounding, saturate=False))


def test_vectors_file_semantics():
    # The file's own contract, which this module implements: exact finite values,
    # non-finite compared by class.
    d = load()
    assert "check_diff_quantize(tol=0, handle_infs=True)" in d["compare"]
    assert len(d["cases"]) == 7


@pytest.mark.parametrize("case", cases())
def test_golden_vector(case):
    got = run_case(case)
    if "expected" in case:
        assert_matches(got, array(case["expected"]))
    else:  # only the finiteness is recorded
        assert np.isfinite(got).tolist() == case["expected_isfinite"], got


@pytest.mark.parametrize("case", [c for c in cases() if "expected_allow_denorm_false" in c.values[0]])
def test_golden_vector_flushed(case):
    pytest.skip("microxcaling allow_denorm=False flushes inputs below the fp16 min normal to 0 "
                "before rounding; qopt has no flush-to-zero mode (FORMATS.md: subnormals allowed)")
