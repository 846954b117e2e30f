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


def _small(nodes, inits, x_shape, y_shape, opset=18):
    from onnx import TensorProto, helper
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 9
    return m


@pytest.mark.parametrize("case", ["dropout_pad", "pad_axes_value", "mean_clip"])
def test_exporter_ops_vs_onnxruntime(case, tmp_path):
    """Ops exporters leave in inference graphs (Dropout, Pad)."""
    from onnx import helper, numpy_helper
    if case == "dropout_pad":
        model = _small([helper.make_node("Dropout", ["x", "ratio"], ["d"], name="drop"),
                        helper.make_node("Pad", ["d", "pads"], ["y"], name="pad", mode="constant")],
                       [numpy_helper.from_array(np.array(0.3, np.float32), "ratio"),
                        numpy_helper.from_array(np.array([0, 1, 2, 0, 2, 1], np.int64), "pads")],
                       [2, 3, 4], [2, 6, 7])
    elif case == "mean_clip":
        model = _small([helper.make_node("Mean", ["x", "w", "x"], ["m"], name="mean"),
                        helper.make_node("Clip", ["m", "lo", "hi"], ["y"], name="clip")],
                       [numpy_helper.from_array(np.linspace(-2, 2, 4, dtype=np.float32), "w"),
                        numpy_helper.from_array(np.array([-0.5], np.float32), "lo"),
                        numpy_helper.from_array(np.array(0.75, np.float32), "hi")],
                       [2, 3, 4], [2, 3, 4])
    else:
        model = _small([helper.make_node("Pad", ["x", "pads", "v", "axes"], ["y"], name="pad")],
                       [numpy_helper.from_array(np.array([1, 3], np.int64), "pads"),
                        numpy_helper.from_array(np.array(-2.5, np.float32), "v"),
                        numpy_helper.from_array(np.array([-1], np.int64), "axes")],
                       [2, 3, 4], [2, 3, 8])
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    x = np.random.default_rng(0).standard_normal([2, 3, 4]).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    ref = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    c = tools.compile_model(path, tmp_path / "m.so")
    assert c.returncode == 0, c.stderr
    r = tools.run(tmp_path / "m.so", {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    # Data movement is exact; Mean may differ from ONNX Runtime in the last bit
    # (sum then divide vs. its own order).
    np.testing.assert_allclose(np.load(tmp_path / "out" / "y.npy"), ref,
                               rtol=0 if case != "mean_clip" else 1e-6, atol=0)
