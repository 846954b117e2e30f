# test/python/test_onnx_node_encodings.py - ONNX node tests (Q/DQ, DynamicQuantizeLinear, low-precision Cast) bit-exact.
"""Every quantization node test of the two ONNX test-data folders, reproduced with qopt.

Expected values are ONNX's stored outputs (output_*.pb). Broadcasting of scale and
zero point (per tensor / per axis / blocked, ONNX semantics) is done here.
"""
import pathlib

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from conftest import TESTDATA
from qopt import formats as qf

ROOTS = {"upstream": "onnx-upstream-node-6be0677f/node",
         "onnx112": "onnx-1.12-debian-libonnx-testdata/node"}
T = onnx.TensorProto
ELEMENT = {T.UINT8: "ui8", T.INT8: "i8", T.UINT16: "ui16", T.INT16: "i16",
           T.UINT4: "ui4", T.INT4: "i4", T.UINT2: "ui2", T.INT2: "i2",
           T.FLOAT8E4M3FN: "f8E4M3FN", T.FLOAT8E4M3FNUZ: "f8E4M3FNUZ",
           T.FLOAT8E5M2: "f8E5M2", T.FLOAT8E5M2FNUZ: "f8E5M2FNUZ",
           T.FLOAT4E2M1: "f4E2M1FN", T.FLOAT8E8M0: "f8E8M0FNU"}
LOW_PRECISION = {T.FLOAT8E4M3FN, T.FLOAT8E4M3FNUZ, T.FLOAT8E5M2, T.FLOAT8E5M2FNUZ,
                 T.FLOAT4E2M1, T.FLOAT8E8M0, T.UINT4, T.INT4, T.UINT2, T.INT2}
FLOAT_ELEMENTS = {T.FLOAT8E4M3FN, T.FLOAT8E4M3FNUZ, T.FLOAT8E5M2, T.FLOAT8E5M2FNUZ,
                  T.FLOAT4E2M1, T.FLOAT8E8M0}
BITS = {T.UINT4: 4, T.INT4: 4, T.FLOAT4E2M1: 4, T.UINT2: 2, T.INT2: 2,
        T.UINT16: 16, T.INT16: 16}
# Cast round_mode (to FLOAT8E8M0) -> qopt rounding. ONNX: 'up' away from zero,
# 'down' toward zero, 'nearest' ties up (positive values: ties away).
ROUND_MODE = {"up": "up", "down": "down", "nearest": "away"}


def _elem_type(value_info):
    return value_info.type.tensor_type.elem_type


def _kind(name, model):
    ops = [n.op_type for n in model.graph.node]
    if "dynamicquantizelinear" in name:  # includes *_expanded: same op, as a function body
        return "DynamicQuantizeLinear"
    if ops in (["QuantizeLinear"], ["DequantizeLinear"]):
        return ops[0]
    if ops in (["Cast"], ["CastLike"]):
        types = {_elem_type(v) for v in list(model.graph.input) + list(model.graph.output)}
        return "Cast" if types & LOW_PRECISION else None
    return None


def collect():
    cases = []
    for short, rel in ROOTS.items():
        root = TESTDATA / rel
        for d in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
            kind = _kind(d.name, onnx.load(str(d / "model.onnx")))
            if kind:
                cases.append(pytest.param(d, kind, id=f"{short}/{d.name}"))
    return cases


CASES = collect()


def load_tensor(path):
    t = onnx.TensorProto()
    t.ParseFromString(pathlib.Path(path).read_bytes())
    return t


def datasets(d):
    """[(inputs, outputs)] with TensorProtos, per test_data_set_*."""
    out = []
    for s in sorted(d.glob("test_data_set_*")):
        ins = [load_tensor(p) for p in sorted(s.glob("input_*.pb"), key=lambda p: int(p.stem[6:]))]
        outs = [load_tensor(p) for p in sorted(s.glob("output_*.pb"), key=lambda p: int(p.stem[7:]))]
        out.append((ins, outs))
    assert out, f"no test data in {d}"
    return out


def codes_of(t):
    """Codes of a quantized TensorProto (ONNX's own unpacking via numpy_helper)."""
    a = numpy_helper.to_array(t)
    mask = (1 << BITS.get(t.data_type, 8)) - 1
    if t.data_type in FLOAT_ELEMENTS:
        return a.view(np.uint8).astype(np.uint32) & mask
    return a.astype(np.int64).astype(np.uint32) & mask


def attrs(model):
    node = model.graph.node[0]
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def broadcast(v, shape, axis, block_size):
    """ONNX Q/DQ scale / zero-point broadcasting: per tensor, per axis, or blocked."""
    if v.ndim == 0 or v.size == 1:
        return np.broadcast_to(v.reshape(()), shape)
    if not block_size:
        dims = [1] * len(shape)
        dims[axis] = v.size
        return np.broadcast_to(v.reshape(dims), shape)
    v = np.repeat(v, block_size, axis=axis).take(range(shape[axis]), axis=axis)
    assert v.shape == tuple(shape), "blocked scale must match the input except along axis"
    return v


def zero_point_values(zp_t, shape, axis, block_size):
    if zp_t is None:
        return np.zeros(shape, np.int64)
    zp = numpy_helper.to_array(zp_t)
    if zp_t.data_type in FLOAT_ELEMENTS:
        if np.any(zp.astype(np.float64) != 0):
            pytest.skip("non-zero floating-point zero point: qopt's QuantizeLinear takes an "
                        "integer zero point, 0 for float formats")
        return np.zeros(shape, np.int64)
    return broadcast(zp.astype(np.int64), shape, axis, block_size)


def check_quantize(model, ins, outs):
    a = attrs(model)
    if a.get("precision", 0):
        pytest.skip(f"QuantizeLinear precision={a['precision']} (division in another type)")
    x = numpy_helper.to_array(ins[0])
    if x.dtype != np.float32:
        pytest.skip(f"input type {x.dtype}: qopt's QuantizeLinear divides in FP32")
    axis, bs = a.get("axis", 1) % max(x.ndim, 1), a.get("block_size", 0)
    scale = numpy_helper.to_array(ins[1])
    if scale.dtype != np.float32:
        pytest.skip(f"scale type {scale.dtype}: qopt's QuantizeLinear divides in FP32")
    zp_t = ins[2] if len(ins) > 2 else None
    y = outs[0].data_type
    if y == T.FLOAT4E2M1:
        # ONNX defines FLOAT4E2M1 quantization as cast(x / scale + zero_point)
        # computed in float (reference op_quantize_linear.py), so -0.0 + 0.0
        # gives +0; FP8 casts x / scale without the addition. That is ONNX
        # semantics (the importer's job), not a format rule: the element
        # encoding itself is lib/Format's.
        zp = zero_point_values(zp_t, x.shape, axis, bs)  # skips non-zero zp
        v = x / broadcast(scale, x.shape, axis, bs) + np.float32(0.0)
        got = qf.encode(ELEMENT[y], v.astype(np.float64), saturate=True)
        assert not np.any(zp)
    else:
        got = qf.quantize_linear(ELEMENT[y], x, broadcast(scale, x.shape, axis, bs),
                                 zero_point_values(zp_t, x.shape, axis, bs),
                                 saturate=bool(a.get("saturate", 1)))
    np.testing.assert_array_equal(got, codes_of(outs[0]))


def check_dequantize(model, ins, outs):
    a = attrs(model)
    codes = codes_of(ins[0])
    axis, bs = a.get("axis", 1) % max(codes.ndim, 1), a.get("block_size", 0)
    scale = numpy_helper.to_array(ins[1])
    want = numpy_helper.to_array(outs[0])
    # A float16 scale is exact in FP32; products of the elements tested here (FP8 codes, 4
    # significant bits) with it are exact in FP32, so one rounding to float16 equals ONNX's.
    got = qf.dequantize_linear(ELEMENT[ins[0].data_type], codes,
                               broadcast(scale.astype(np.float32), codes.shape, axis, bs),
                               zero_point_values(ins[2] if len(ins) > 2 else None,
                                                 codes.shape, axis, bs))
    np.testing.assert_array_equal(got.astype(want.dtype), want)


def check_dynamic(model, ins, outs):
    # ONNX DynamicQuantizeLinear = qopt's affine rule with ui8 codes, f32 scale, ui8 zero point.
    x = numpy_helper.to_array(ins[0])
    codes, scales, zps, ts = qf.quantize("element=ui8,scale=f32,zero_point=ui8", x)
    assert scales.size == 1 and zps is not None and zps.size == 1 and ts is None
    want_scale = numpy_helper.to_array(outs[1]).astype(np.float32)
    # The scale code of an f32 scale is its IEEE-754 bit pattern.
    assert scales.view(np.float32)[0] == want_scale, (scales.view(np.float32)[0], want_scale)
    assert zps[0] == codes_of(outs[2]).item()
    np.testing.assert_array_equal(codes, codes_of(outs[0]))


def check_cast(model, ins, outs):
    a = attrs(model)
    src, dst = ins[0].data_type, outs[0].data_type
    if dst in ELEMENT:  # to a low-precision type
        if src in ELEMENT:
            pytest.skip("cast between two quantized types")
        x = numpy_helper.to_array(ins[0]).astype(np.float64)
        rounding = ROUND_MODE[a.get("round_mode", b"up").decode()] if dst == T.FLOAT8E8M0 else "rne"
        got = qf.encode(ELEMENT[dst], x, rounding, saturate=bool(a.get("saturate", 1)))
        np.testing.assert_array_equal(got, codes_of(outs[0]))
    else:  # from a low-precision type: exact value, then ONNX's cast to the output type
        want = numpy_helper.to_array(outs[0])
        got = qf.decode(ELEMENT[src], codes_of(ins[0]))
        np.testing.assert_array_equal(got.astype(want.dtype), want)


CHECKS = {"QuantizeLinear": check_quantize, "DequantizeLinear": check_dequantize,
          "DynamicQuantizeLinear": check_dynamic, "Cast": check_cast}


def test_cases_found():
    # Guards against silently collecting nothing (missing or moved test data).
    names = {c.id for c in CASES}
    assert "upstream/test_quantizelinear_float4e2m1" in names and len(CASES) >= 40, names


@pytest.mark.parametrize("d,kind", CASES)
def test_node(d, kind):
    model = onnx.load(str(d / "model.onnx"))
    for ins, outs in datasets(d):
        CHECKS[kind](model, ins, outs)


PACKED = [pytest.param(p, id=f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
          for p in sorted((TESTDATA / ROOTS["upstream"]).glob("*/test_data_set_*/*.pb"))
          if load_tensor(p).data_type in (T.UINT4, T.INT4, T.FLOAT4E2M1, T.UINT2, T.INT2)]


@pytest.mark.parametrize("path", PACKED)
def test_packing_matches_onnx_storage(path):
    # ONNX stores 4-bit/2-bit tensors packed (low bits first), one byte per int32_data entry.
    t = load_tensor(path)
    stored = np.array(t.int32_data, np.uint8) if t.int32_data else np.frombuffer(t.raw_data, np.uint8)
    codes, bits = codes_of(t).ravel(), BITS[t.data_type]
    np.testing.assert_array_equal(qf.pack(codes, bits), stored)
    np.testing.assert_array_equal(qf.unpack(stored, codes.size, bits), codes)
