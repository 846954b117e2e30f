# test/python/test_qdq_models.py - pre-quantized (QDQ) models from ONNX Runtime's quantizer.
"""Models quantized by onnxruntime.quantization.quantize_static (QDQ, int8 per-channel
weights, uint8/int8 activations) compile and match ONNX Runtime running the same QDQ
model with graph optimizations off (plain ONNX QuantizeLinear/DequantizeLinear
semantics); the weights reach qopt.matmul in their int8 format (never a float
constant)."""
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from qopt import models, tools

quantization = pytest.importorskip("onnxruntime.quantization")


class Reader(quantization.CalibrationDataReader):
    def __init__(self, name, shape, n=8, seed=0):
        rng = np.random.default_rng(seed)
        self.data = iter([{name: rng.standard_normal(shape).astype(np.float32)} for _ in range(n)])

    def get_next(self):
        return next(self.data, None)


def qdq(float_model, tmp_path, activation_type):
    src, dst = tmp_path / "float.onnx", tmp_path / "qdq.onnx"
    onnx.save(float_model, src)
    shape = [d.dim_value for d in float_model.graph.input[0].type.tensor_type.shape.dim]
    quantization.quantize_static(
        str(src), str(dst), Reader(float_model.graph.input[0].name, shape),
        quant_format=quantization.QuantFormat.QDQ, per_channel=True,
        weight_type=quantization.QuantType.QInt8, activation_type=activation_type)
    return dst, shape


def reference(path, x):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})[0]


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("act", ["QUInt8", "QInt8"])
def test_quantize_static_model_matches_onnxruntime(kind, act, tmp_path):
    model = (models.mlp_model(seed=3, m=4, d=64, hidden=128) if kind == "mlp"
             else models.cnn_model(seed=4))
    path, shape = qdq(model, tmp_path, getattr(quantization.QuantType, act))
    ops = {n.op_type for n in onnx.load(path).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    lib = tmp_path / "m.so"
    c = tools.compile_model(path, lib)
    assert c.returncode == 0, c.stderr
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    r = tools.run(lib, {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    out_name = onnx.load(path).graph.output[0].name
    got = np.load(tmp_path / "out" / f"{out_name}.npy")
    want = reference(path, x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_qdq_weights_reach_matmul_quantized(tmp_path):
    """After import and canonicalization the int8 weights are qopt.matmul operands."""
    path, _ = qdq(models.mlp_model(seed=3, m=4, d=64, hidden=128), tmp_path,
                  quantization.QuantType.QUInt8)
    mlir = subprocess.run([tools.tool("qopt-compile"), str(path), "--emit=mlir",
                           "--stop-after=import", "-o", "-"], capture_output=True, text=True)
    assert mlir.returncode == 0, mlir.stderr
    (tmp_path / "m.mlir").write_text(mlir.stdout)
    canon = subprocess.run([tools.tool("qopt-opt"), str(tmp_path / "m.mlir"), "--canonicalize"],
                           capture_output=True, text=True)
    assert canon.returncode == 0, canon.stderr
    matmuls = [l for l in canon.stdout.splitlines() if "qopt.matmul" in l]
    assert len(matmuls) == 2
    for line in matmuls:  # both operands arrive in their formats (activation uint8, weight int8)
        assert line.count("!qopt.format<") + line.count("x!int8") >= 2, line
