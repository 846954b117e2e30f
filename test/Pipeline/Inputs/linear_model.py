"""Writes a one-layer ONNX model y = x W (x: M x K, W: K x N, seeded random weights).

usage: linear_model.py OUT.onnx M K N"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

out, m, k, n = sys.argv[1], *map(int, sys.argv[2:5])
w = (np.random.default_rng(7).standard_normal((k, n)) * 0.05).astype(np.float32)
g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="linear")], "linear",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
                      [numpy_helper.from_array(w, "w")])
model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 9
save(model, out)
