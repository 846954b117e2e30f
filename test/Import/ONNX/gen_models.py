# test/Import/ONNX/gen_models.py - writes the small .onnx inputs of the importer lit tests.
"""Usage: gen_models.py OUT_DIR NAME [NAME...]. Nothing generated is checked in."""
import os
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh


def vi(name, dt, shape):
    return h.make_tensor_value_info(name, dt, shape)


def model(nodes, inputs, outputs, inits=(), opset=20, ir=9, check=True, domains=()):
    g = h.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)] +
                     [h.make_opsetid(d, 1) for d in domains])
    m.ir_version = ir
    if check:
        onnx.checker.check_model(m)
    return m


def f32(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def elementwise():
    return model([h.make_node("Add", ["x", "b"], ["s"], name="add_bcast"),
                  h.make_node("Relu", ["s"], ["r"], name="relu"),
                  h.make_node("Less", ["r", "x"], ["y"], name="less")],
                 [vi("x", T.FLOAT, [2, 3, 4])], [vi("y", T.BOOL, [2, 3, 4])],
                 [nh.from_array(f32(3, 1), "b")])


def matmul():
    return model([h.make_node("MatMul", ["a", "w"], ["m"], name="batched_matmul"),
                  h.make_node("Gemm", ["g", "gw", "gc"], ["gy"], name="gemm", transB=1,
                              alpha=0.5, beta=2.0)],
                 [vi("a", T.FLOAT, [2, 1, 4, 8]), vi("g", T.FLOAT, [3, 8])],
                 [vi("m", T.FLOAT, [2, 3, 4, 5]), vi("gy", T.FLOAT, [3, 6])],
                 [nh.from_array(f32(3, 8, 5), "w"), nh.from_array(f32(6, 8), "gw"),
                  nh.from_array(f32(6), "gc")])


def shape_chain():
    # Reshape x [2,3,4] to [Shape(x)[0], -1] through Shape -> Gather -> Unsqueeze -> Concat.
    return model([h.make_node("Shape", ["x"], ["s"], name="shape"),
                  h.make_node("Gather", ["s", "zero"], ["d0"], name="gather", axis=0),
                  h.make_node("Unsqueeze", ["d0", "ax"], ["d0v"], name="unsqueeze"),
                  h.make_node("Concat", ["d0v", "minus1"], ["target"], name="concat", axis=0),
                  h.make_node("Reshape", ["x", "target"], ["y"], name="reshape")],
                 [vi("x", T.FLOAT, [2, 3, 4])], [vi("y", T.FLOAT, [2, 12])],
                 [nh.from_array(np.array(0, np.int64), "zero"),
                  nh.from_array(np.array([0], np.int64), "ax"),
                  nh.from_array(np.array([-1], np.int64), "minus1")])


def weights():
    return model([h.make_node("MatMul", ["x", "w"], ["y"], name="proj")],
                 [vi("x", T.FLOAT, [1, 16])], [vi("y", T.FLOAT, [1, 32])],
                 [nh.from_array(f32(16, 32), "w")])


def conv_pool():
    return model([h.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1],
                              strides=[2, 2], group=2),
                  h.make_node("MaxPool", ["c"], ["p"], name="maxpool", kernel_shape=[2, 2],
                              strides=[2, 2]),
                  h.make_node("GlobalAveragePool", ["p"], ["y"], name="gap")],
                 [vi("x", T.FLOAT, [1, 4, 8, 8])], [vi("y", T.FLOAT, [1, 6, 1, 1])],
                 [nh.from_array(f32(6, 2, 3, 3), "w"), nh.from_array(f32(6), "b")])


def norm_reduce():
    return model([h.make_node("LayerNormalization", ["x", "g", "b"], ["ln"], name="layernorm",
                              axis=-1, epsilon=1e-5),
                  h.make_node("Softmax", ["ln"], ["sm"], name="softmax", axis=-1),
                  h.make_node("ReduceMean", ["sm", "axes"], ["y"], name="reducemean", keepdims=0)],
                 [vi("x", T.FLOAT, [2, 8])], [vi("y", T.FLOAT, [2])],
                 [nh.from_array(f32(8), "g"), nh.from_array(f32(8), "b"),
                  nh.from_array(np.array([1], np.int64), "axes")])


def dynamic():
    return model([h.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vi("x", T.FLOAT, ["batch", 16])], [vi("y", T.FLOAT, ["batch", 16])])


def unsupported():
    return model([h.make_node("Relu", ["x"], ["a"], name="ok"),
                  h.make_node("TopK", ["a", "k"], ["v", "i"], name="topk_1"),
                  h.make_node("NonZero", ["a"], ["nz"], name="nonzero_1"),
                  h.make_node("TopK", ["a", "k"], ["v2", "i2"], name="topk_2")],
                 [vi("x", T.FLOAT, [4])], [vi("v", T.FLOAT, [2])],
                 [nh.from_array(np.array([2], np.int64), "k")], check=False)


def missing_input():
    return model([h.make_node("Add", ["x", "nowhere"], ["y"], name="add_missing")],
                 [vi("x", T.FLOAT, [4])], [vi("y", T.FLOAT, [4])], check=False)


def cycle():
    return model([h.make_node("Add", ["x", "b"], ["a"], name="cyc_a"),
                  h.make_node("Relu", ["a"], ["b"], name="cyc_b")],
                 [vi("x", T.FLOAT, [4])], [vi("a", T.FLOAT, [4])], check=False)


def shape_mismatch():
    return model([h.make_node("Add", ["x", "z"], ["y"], name="add_mismatch")],
                 [vi("x", T.FLOAT, [4, 3]), vi("z", T.FLOAT, [5])], [vi("y", T.FLOAT, [4, 3])],
                 check=False)


def type_mismatch():
    return model([h.make_node("Add", ["x", "z"], ["y"], name="add_types")],
                 [vi("x", T.FLOAT, [4]), vi("z", T.INT64, [4])], [vi("y", T.FLOAT, [4])],
                 check=False)


def _external(name, location):
    t = nh.from_array(f32(4, 4), "w")
    t.ClearField("raw_data")
    t.data_location = T.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "64")):
        e = t.external_data.add()
        e.key, e.value = k, v
    return model([h.make_node("MatMul", ["x", "w"], ["y"], name="ext_matmul")],
                 [vi("x", T.FLOAT, [1, 4])], [vi("y", T.FLOAT, [1, 4])], [t], check=False)


def external_ok():
    return _external("external_ok", "weights.bin")


def external_absolute():
    return _external("external_absolute", "/etc/passwd")


def external_dotdot():
    return _external("external_dotdot", "../secret.bin")


def external_symlink():
    return _external("external_symlink", "link.bin")


def quant():
    # x -> QuantizeLinear(per axis 1, int8) -> DequantizeLinear -> y;
    # w (uint8, blocked along axis 1 with zero points) -> DequantizeLinear -> MatMul.
    return model([h.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="q_axis", axis=1),
                  h.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="dq_axis", axis=1),
                  h.make_node("DequantizeLinear", ["w", "ws", "wz"], ["wd"], name="dq_blocked",
                              axis=1, block_size=4),
                  h.make_node("MatMul", ["xd", "wd"], ["y"], name="mm")],
                 [vi("x", T.FLOAT, [2, 8])], [vi("y", T.FLOAT, [2, 8])],
                 [nh.from_array(np.full(8, 0.05, np.float32), "xs"),
                  nh.from_array(np.zeros(8, np.int8), "xz"),
                  nh.from_array(np.arange(64, dtype=np.uint8).reshape(8, 8), "w"),
                  nh.from_array(np.full((8, 2), 0.01, np.float32), "ws"),
                  nh.from_array(np.full((8, 2), 128, np.uint8), "wz")], opset=21)


def fp8_io():
    # FP8 in, FP8 out: Cast through float.
    return model([h.make_node("Cast", ["x"], ["f"], name="to_float", to=T.FLOAT),
                  h.make_node("Relu", ["f"], ["r"], name="relu"),
                  h.make_node("Cast", ["r"], ["y"], name="to_fp8", to=T.FLOAT8E4M3FN, saturate=1)],
                 [vi("x", T.FLOAT8E4M3FN, [3, 5])], [vi("y", T.FLOAT8E4M3FN, [3, 5])], opset=21)


def int4_arith():
    return model([h.make_node("Add", ["x", "x"], ["y"], name="add_int4")],
                 [vi("x", T.INT4, [4])], [vi("y", T.INT4, [4])], opset=21, check=False)


MODELS = {k: v for k, v in globals().items() if callable(v) and not k.startswith("_")
          and k not in ("vi", "model", "f32")}


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[2:]:
        onnx.save(MODELS[name](), out / f"{name}.onnx")
        if name == "external_ok":
            (out / "weights.bin").write_bytes(f32(4, 4).tobytes())
        if name == "external_symlink":
            outside = out.parent / f"{out.name}-outside.bin"
            outside.write_bytes(f32(4, 4).tobytes())
            link = out / "link.bin"
            if link.is_symlink() or link.exists():
                link.unlink()
            os.symlink(outside, link)


if __name__ == "__main__":
    main()
