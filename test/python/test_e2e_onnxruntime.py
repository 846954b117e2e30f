# test/python/test_e2e_onnxruntime.py - transformer-style models: qopt vs ONNX Runtime (FP32).
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from qopt import models as tm
from qopt import tools

CASES = {
    "block_layernorm_gelu": lambda: tm.transformer_block(1, norm="layernorm", mlp="gelu"),
    "block_rmsnorm_swiglu": lambda: tm.transformer_block(2, norm="rms", mlp="swiglu"),
    "block_simplified_gelu_tanh": lambda: tm.transformer_block(3, norm="simplified", mlp="gelu_tanh"),
    "block_rmsnorm23_swiglu": lambda: tm.transformer_block(6, norm="rms23", mlp="swiglu", opset=23),
    "block_wide": lambda: tm.transformer_block(4, t=8, d=128, heads=8, hidden=256, mlp="swiglu"),
    "mlp_outliers": lambda: tm.mlp_model(5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_onnxruntime(name, tmp_path):
    model = CASES[name]()
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    x_info = model.graph.input[0]
    shape = [d.dim_value for d in x_info.type.tensor_type.shape.dim]
    x = (np.random.default_rng(7).standard_normal(shape) * 2).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    ref = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    lib = tmp_path / f"{name}.so"
    c = tools.compile_model(path, lib)
    assert c.returncode == 0, c.stderr
    r = tools.run(lib, {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    out = np.load(tmp_path / "out" / f"{model.graph.output[0].name}.npy")
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-4)
