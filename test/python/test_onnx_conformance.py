# test/python/test_onnx_conformance.py - every ONNX node test of a supported op compiles and matches.
"""qopt-compile + qopt-run --test-dir on the ONNX backend node tests (rtol 1e-3,
atol 1e-7 for floats, exact for integers/bools, as qopt-run compares)."""
import pathlib

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

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
    if verdict == "freeze":
        return run_frozen(test_dir, tmp_path)
    lib = tmp_path / "model.so"
    c = tools.compile_model(test_dir / "model.onnx", lib)
    assert c.returncode == 0, f"qopt-compile failed:\n{c.stderr}"
    r = tools.run_test_dir(lib, test_dir)
    assert r.returncode == 0, f"qopt-run:\n{r.stdout}\n{r.stderr}"
    assert "PASS" in r.stdout and "FAIL" not in r.stdout, r.stdout


def _pb(path):
    t = onnx.TensorProto()
    t.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(t)


def run_frozen(test_dir, tmp_path):
    """Shape-defining inputs (Reshape's shape, Reduce's axes...) become constants from
    the test data: qopt compiles static shapes. Then every set runs and compares."""
    m = onnx.load(str(test_dir / "model.onnx"))
    frozen = oc.freeze_shape_inputs(test_dir, m)
    if frozen is None:
        pytest.skip("shape-defining inputs differ between test sets: not a static-shape model")
    model, kept = frozen
    onnx.save(model, tmp_path / "frozen.onnx")
    lib = tmp_path / "model.so"
    c = tools.compile_model(tmp_path / "frozen.onnx", lib)
    assert c.returncode == 0, f"qopt-compile failed:\n{c.stderr}"
    names = [i.name for i in model.graph.input]
    for s in sorted(test_dir.glob("test_data_set_*")):
        inputs = {name: s / f"input_{k}.pb" for name, k in zip(names, kept)}
        out = tmp_path / ("out_" + s.name)
        r = tools.run(lib, inputs, out)
        assert r.returncode == 0, r.stderr
        for k, o in enumerate(model.graph.output):
            ref = _pb(s / f"output_{k}.pb")
            safe = "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in o.name)
            got = np.load(out / f"{safe}.npy")
            assert got.shape == ref.shape and got.dtype == ref.dtype, (got.dtype, ref.dtype)
            if np.issubdtype(ref.dtype, np.floating):
                np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-7)
            else:
                np.testing.assert_array_equal(got, ref)
