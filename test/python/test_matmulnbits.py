# test/python/test_matmulnbits.py - com.microsoft MatMulNBits vs ONNX Runtime.
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from qopt import models, tools


def nbits_model(k, n, bits, block, zero_points, batch=(3,), seed=0):
    rng = np.random.default_rng(seed)
    blocks = k // block
    b = rng.integers(0, 256, size=(n, blocks, block * bits // 8), dtype=np.uint8)
    scales = (rng.random(n * blocks) * 0.1 + 0.01).astype(np.float32)
    inits = [numpy_helper.from_array(b, "B"), numpy_helper.from_array(scales, "scales")]
    inputs = ["A", "B", "scales"]
    if zero_points:
        zp = rng.integers(0, 256, size=(n * ((blocks * bits + 7) // 8),), dtype=np.uint8)
        inits.append(numpy_helper.from_array(zp, "zp"))
        inputs.append("zp")
    node = helper.make_node("MatMulNBits", inputs, ["Y"], domain="com.microsoft", name="mmnb",
                            K=k, N=n, bits=bits, block_size=block)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("A", TensorProto.FLOAT, [*batch, k])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [*batch, n])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21),
                                            helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 9
    return m


def compare(model, tmp_path, x):
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    ref = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {model.graph.input[0].name: x})[0]
    lib = tmp_path / "m.so"
    c = tools.compile_model(path, lib)
    assert c.returncode == 0, c.stderr
    np.save(tmp_path / "x.npy", x)
    r = tools.run(lib, {model.graph.input[0].name: tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    out = np.load(tmp_path / "out" / f"{model.graph.output[0].name}.npy")
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("bits,block,zp", [(4, 32, True), (4, 32, False), (4, 128, True),
                                           (8, 32, True), (8, 64, False)])
def test_matmulnbits_vs_onnxruntime(bits, block, zp, tmp_path):
    m = nbits_model(256, 48, bits, block, zp, batch=(2, 3), seed=bits * block)
    x = np.random.default_rng(1).standard_normal((2, 3, 256)).astype(np.float32)
    compare(m, tmp_path, x)


def test_onnxruntime_nbits_quantizer_model(tmp_path):
    """A float MLP quantized by ONNX Runtime's own MatMulNBits quantizer."""
    quant = pytest.importorskip("onnxruntime.quantization.matmul_nbits_quantizer")
    float_model = models.mlp_model(seed=11, m=4, d=128, hidden=256)
    q = quant.MatMulNBitsQuantizer(float_model, block_size=32, is_symmetric=False)
    q.process()
    m = q.model.model
    assert any(n.op_type == "MatMulNBits" for n in m.graph.node)
    x = np.random.default_rng(3).standard_normal((4, 128)).astype(np.float32)
    compare(m, tmp_path, x)
