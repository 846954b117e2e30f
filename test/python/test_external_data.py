# test/python/test_external_data.py - external weights are mapped, not copied; escapes are refused.
import os
import resource
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from qopt import tools


def external_tensor(name, shape, location, offset=0):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(shape)
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)),
                 ("length", str(int(np.prod(shape)) * 4))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def model_with(weights, inputs, nodes, outputs):
    g = helper.make_graph(nodes, "g", inputs, outputs, weights)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)])
    m.ir_version = 9
    return m


def test_external_weights_compile_and_run(tmp_path):
    w = np.random.default_rng(0).standard_normal((64, 32)).astype(np.float32)
    (tmp_path / "w.bin").write_bytes(b"\0" * 128 + w.tobytes())
    m = model_with([external_tensor("w", [64, 32], "w.bin", offset=128)],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 64])],
                   [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 32])])
    onnx.save(m, tmp_path / "m.onnx")
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so")
    assert c.returncode == 0, c.stderr
    x = np.random.default_rng(1).standard_normal((2, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    r = tools.run(tmp_path / "m.so", {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(np.load(tmp_path / "out" / "y.npy"), x @ w, rtol=1e-5, atol=1e-5)


def test_external_data_over_2gb_is_mapped(tmp_path):
    """2.25 GB of external weights import with peak RSS far below the weight size
    (the data is memory-mapped into dense_resource blobs, never copied)."""
    n = 24576  # 24576 x 24576 f32 = 2.25 GiB
    size = n * n * 4
    with open(tmp_path / "big.bin", "wb") as f:  # sparse: no disk blocks written
        f.truncate(size)
    m = model_with([external_tensor("w", [n, n], "big.bin")],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])],
                   [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])])
    onnx.save(m, tmp_path / "big.onnx")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r = subprocess.run([tools.tool("qopt-compile"), str(tmp_path / "big.onnx"), "--emit=none",
                        "--stop-after=import"], capture_output=True, text=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert r.returncode == 0, r.stderr
    assert max(peak_kib, before) * 1024 < size / 4, f"peak RSS {peak_kib} KiB for {size} bytes"


@pytest.mark.parametrize("location,message", [
    ("/etc/passwd", "is absolute"),
    ("../outside.bin", "escapes the model's directory"),
    ("missing.bin", "not found next to the model"),
])
def test_bad_external_locations(tmp_path, location, message):
    m = model_with([external_tensor("w", [4, 4], location)],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                   [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    onnx.save(m, tmp_path / "m.onnx")
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so")
    assert c.returncode != 0 and message in c.stderr, c.stderr
    assert not (tmp_path / "m.so").exists()


def test_external_length_mismatch(tmp_path):
    (tmp_path / "w.bin").write_bytes(b"\0" * 10)
    m = model_with([external_tensor("w", [4, 4], "w.bin")],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                   [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    onnx.save(m, tmp_path / "m.onnx")
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so")
    assert c.returncode != 0 and "does not fit" in c.stderr, c.stderr
