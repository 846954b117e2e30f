# test/python/test_onnxruntime_oracle.py - random inputs through ONNX Runtime vs qopt (DynamicQuantizeLinear, QuantizeLinear).
"""ONNX Runtime (CPU) is the expectation here: an independent implementation of the ONNX ops."""
import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto as T
from onnx import helper

from qopt import formats as qf


def session(node, inputs, outputs, opset, inits=()):
    g = helper.make_graph([node], "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    return ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])


def random_inputs(rng, count):
    for i in range(count):
        x = rng.standard_normal(int(rng.integers(1, 40))) * 10.0 ** rng.uniform(-3, 3)
        x += rng.uniform(-5, 5) * (i % 3)
        yield (np.abs(x) if i % 7 == 0 else -np.abs(x) if i % 11 == 0 else x).astype(np.float32)
    yield np.zeros(5, np.float32)  # max == min: ORT uses scale 1
    yield np.float32([3.0, 3.0])


def test_dynamic_quantize_linear_random():
    vi = helper.make_tensor_value_info
    sess = session(helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"]),
                   [vi("x", T.FLOAT, [None])],
                   [vi("y", T.UINT8, [None]), vi("s", T.FLOAT, []), vi("z", T.UINT8, [])], 11)
    for x in random_inputs(np.random.default_rng(0), 300):
        y, s, z = sess.run(None, {"x": x})
        codes, scales, zps, _ = qf.quantize("element=ui8,scale=f32,zero_point=ui8", x)
        assert scales.view(np.float32)[0] == s and zps[0] == z, (x, s, z)
        np.testing.assert_array_equal(codes, y, err_msg=str(x))


@pytest.mark.parametrize("onnx_type,element", [(T.UINT8, "ui8"), (T.INT8, "i8"),
                                               (T.FLOAT8E4M3FN, "f8E4M3FN")])
def test_quantize_linear_per_axis_random(onnx_type, element):
    rng = np.random.default_rng(1)
    vi = helper.make_tensor_value_info
    scale = (10.0 ** rng.uniform(-3, 1, 4)).astype(np.float32)
    is_int = onnx_type in (T.UINT8, T.INT8)
    zp = rng.integers(0 if onnx_type == T.UINT8 else -20, 20, 4) if is_int else np.zeros(4, int)
    inits = [helper.make_tensor("s", T.FLOAT, [4], scale),
             helper.make_tensor("zp", onnx_type, [4], zp.tolist() if is_int else [0.0] * 4)]
    sess = session(helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["y"], axis=1),
                   [vi("x", T.FLOAT, [None, 4])], [vi("y", onnx_type, [None, 4])], 21, inits)
    x = (rng.standard_normal((500, 4)) * 10.0 ** rng.uniform(-2, 3, (500, 1))).astype(np.float32)
    x[:8] = [[0.5, -0.5, 2.5, -2.5]] * 8 * scale  # exact ties
    y = np.asarray(sess.run(None, {"x": x})[0])
    want = (y.view(np.uint8) if y.dtype.itemsize == 1 else y).astype(np.uint32)
    got = qf.quantize_linear(element, x, np.broadcast_to(scale, x.shape), np.broadcast_to(zp, x.shape))
    np.testing.assert_array_equal(got, want & 0xFF)
