# test/python/test_onnx_conformance.py - every ONNX node test of a supported op compiles and matches.
"""qopt-compile + qopt-run --test-dir on the ONNX backend node tests (rtol 1e-3,
atol 1e-7 for floats, exact for integers/bools, as qopt-run compares; the quantization
ops QuantizeLinear, DequantizeLinear, QLinearMatMul, MatMulInteger and
DynamicQuantizeLinear bit for bit, float outputs included)."""
import pathlib

import pytest

from conftest import TESTDATA
import onnx_conformance as oc
from qopt import tools

DIRS = oc.node_test_dirs(TESTDATA)


def _id(p):
    return ("v112/" if "1.12" in str(p) else "upstream/") + p.name


@pytest.fixture(scope="module")
def supported():
    return tools.supported_ops()


def test_suite_found():
    assert len(DIRS) > 400, f"expected the ONNX node tests under {TESTDATA}"


@pytest.mark.parametrize("test_dir", DIRS, ids=[_id(p) for p in DIRS])
def test_node(test_dir, supported, tmp_path):
    verdict, reason = oc.classify(test_dir, supported)
    if verdict == "skip":
        pytest.skip(reason)
    ok, message = oc.run_case(test_dir, verdict, tmp_path)
    if ok is None:
        pytest.skip(message)
    assert ok, message
