# test/python/test_block_rules.py - block-scale rules of FORMATS.md on hand-worked blocks.
"""Every expected value is worked out here by hand from FORMATS.md (arithmetic in the
comments), with ml_dtypes only for single RNE casts where the brief says so.

E2M1 values by code: 0:0 1:0.5 2:1 3:1.5 4:2 5:3 6:4 7:6, +8 for negative.
E8M0 code = 127 + exponent.
"""
import ml_dtypes
import numpy as np
import pytest

from qopt import formats as qf

MXFP4 = "element=f4E2M1FN,scale=f8E8M0FNU,block=32,axis=-1"
E2M1 = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]


def e2m1_value(code):
    return (-1.0 if code & 8 else 1.0) * E2M1[code & 7]


def block(values, size=32):
    x = np.zeros((1, size), np.float32)
    x[0, :len(values)] = values
    return x


# E2M1: emax = 2, max 6.
#  amax  log2       FLOOR            CEIL                EVEN (amax to 1 mantissa bit)  RCEIL (amax/6 up to 2^k)
#  4.0   2          2-2=0 -> 127     2-2=0 -> 127        4 -> 0 -> 127                  0.667 -> 2^0 -> 127
#  6.0   2.585      0 -> 127         3-2=1 -> 128        1.5*4 stays -> 127             1.0 -> 2^0 -> 127
#  6.5   2.700      0 -> 127         1 -> 128            1.625 -> 1.5 -> 127            1.083 -> 2^1 -> 128
#  7.0   2.807      0 -> 127         1 -> 128            1.75 -> 2.0 (tie, even) -> 128 1.167 -> 2^1 -> 128
#  7.5   2.907      0 -> 127         1 -> 128            1.875 -> 2.0 -> 128            1.25 -> 2^1 -> 128
#  0.75  -0.415     -1-2=-3 -> 124   0-2=-2 -> 125       1.5*2^-1 stays -> 124          0.125 = 2^-3 -> 124
SCALE_TABLE = [(4.0, 127, 127, 127, 127), (6.0, 127, 128, 127, 127), (6.5, 127, 128, 127, 128),
               (7.0, 127, 128, 128, 128), (7.5, 127, 128, 128, 128), (0.75, 124, 125, 124, 124)]


@pytest.mark.parametrize("amax,floor,ceil,even,rceil", SCALE_TABLE)
def test_mx_scale_modes_e2m1(amax, floor, ceil, even, rceil):
    got = {m: qf.mx_scale_code("f4E2M1FN", amax, m) for m in ("floor", "ceil", "even", "rceil")}
    assert got == {"floor": floor, "ceil": ceil, "even": even, "rceil": rceil}


def test_mx_floor_vs_rceil_block():
    # amax 7.0 has mantissa 1.75 (above 1.5): FLOOR keeps X = 1 and 7 clips to 6;
    # RCEIL takes X = 2 (7/6 = 1.17 rounded up to 2^1) and 7/2 = 3.5 rounds (tie, even) to 4.
    x = block([7.0, 5.0, 1.25, -3.0, 0.25, 0.0])
    # FLOOR, X = 1:  7 -> 6 (sat) c7; 5 tie 4|6 -> 4 (even) c6; 1.25 tie 1|1.5 -> 1 c2;
    #                -3 -> -3 c13; 0.25 tie 0|0.5 -> 0 c0; 0 -> c0.
    # RCEIL, X = 2:  3.5 tie 3|4 -> 4 c6; 2.5 tie 2|3 -> 2 c4; 0.625 -> 0.5 c1;
    #                -1.5 c11; 0.125 -> 0 c0; 0 -> c0.
    for mode, scale, head in (("floor", 127, [7, 6, 2, 13, 0, 0]),
                              ("rceil", 128, [6, 4, 1, 11, 0, 0])):
        codes, scales, zps, ts = qf.quantize(MXFP4, x, "rne", mode)
        assert scales.tolist() == [scale] and zps is None and ts is None
        assert codes[0, :6].tolist() == head and not codes[0, 6:].any(), (mode, codes)
        X = 2.0 ** (scale - 127)
        want = np.array([e2m1_value(c) * X for c in head] + [0.0] * 26, np.float32)
        np.testing.assert_array_equal(qf.dequantize(MXFP4, codes, scales)[0], want)


def test_mx_all_zero_block():
    # FORMATS.md step 2: all-zero block -> shared_exp = -127 -> E8M0 code 0x00; every P_i = 0.
    x = np.zeros((2, 32), np.float32)
    codes, scales, _, _ = qf.quantize(MXFP4, x)
    assert scales.tolist() == [0, 0] and not codes.any()
    assert qf.mx_scale_code("f4E2M1FN", 0.0) == 0
    out = qf.dequantize(MXFP4, codes, scales)
    assert np.all(out == 0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_mx_block_with_nan_or_inf(bad):
    # FORMATS.md step 1: NaN or Inf in a block -> scale 0xFF and the whole block decodes to NaN;
    # the other block (amax 3 -> floor(log2 3) - 2 = -1 -> code 126) is untouched.
    x = np.concatenate([block([1.0, bad, -2.0]), block([3.0, 1.0])], axis=1)
    codes, scales, _, _ = qf.quantize(MXFP4, x)
    assert scales.tolist() == [0xFF, 126]
    out = qf.dequantize(MXFP4, codes, scales)
    assert np.all(np.isnan(out[0, :32]))
    # X = 2^-1: 3 / 0.5 = 6 -> c7, 1 / 0.5 = 2 -> c4.
    np.testing.assert_array_equal(out[0, 32:34], [3.0, 1.0])
    assert qf.mx_scale_code("f4E2M1FN", float(bad)) == 0xFF


def test_mxint8_fixed_point():
    # MXINT8: emax 0, elements 1.6 fixed point (code/64), -128 unused.
    # amax 3.99: floor(log2 3.99) = 1 -> X = 2, scale code 128. P = round(v / 2 * 64) = round(32 v).
    v = [3.99, -3.99, 1.0, -0.7, 0.01, 0.5, 0.015625, 0.046875, 0.078125]
    # 32v:  127.68  -127.68  32  -22.4  0.32  16  0.5    1.5  2.5
    # rne:  128->127 (sat) -127  32  -22  0  16  0 (tie) 2    2
    # away: 127      -127      32  -22  0  16  1 (tie) 2    3
    want = {"rne": [127, -127, 32, -22, 0, 16, 0, 2, 2], "away": [127, -127, 32, -22, 0, 16, 1, 2, 3]}
    for rounding, q in want.items():
        codes, scales, _, _ = qf.quantize("mxint8", block(v), rounding)
        assert scales.tolist() == [128]
        assert codes[0, :9].tolist() == [c & 0xFF for c in q], rounding
        out = qf.dequantize("mxint8", codes, scales)[0, :9]
        np.testing.assert_array_equal(out, np.float32(q) / 64 * 2)  # 127 -> 3.96875


def e4m3(v):
    """RNE into E4M3 (ml_dtypes float8_e4m3fn): (value, code)."""
    y = np.float32(v).astype(ml_dtypes.float8_e4m3fn)
    return np.float32(y), int(np.array(y).view(np.uint8))


def test_nvfp4_two_level():
    # Tensor amax 42 = 2688 * 2^-6, so s_tensor = 42 / 2688 = 2^-6 exactly (FP32) and every
    # product below is exact whatever the evaluation order.
    b0 = [42.0, 3.0, -14.0, 20.0, 0.0, 30.0, -2.0, 10.5]
    b1 = [28.125, 1.0, 5.0, -10.0, 12.0, -16.0, 20.0]
    x = np.concatenate([block(b0, 16), block(b1, 16)], axis=1)
    s_tensor = np.float32(42.0) / np.float32(2688.0)
    assert s_tensor == 2.0 ** -6
    # Block 0: 42 / 6 / 2^-6 = 448 -> E4M3 448 (code 0x7E). Block 1: 28.125 / 6 / 2^-6 = 300,
    # not in E4M3 (256, 288, 320, ...): RNE -> 288 (code 0x79).
    s0, c0 = e4m3(np.float32(42.0) / np.float32(6) / s_tensor)
    s1, c1 = e4m3(np.float32(28.125) / np.float32(6) / s_tensor)
    assert (s0, c0, s1, c1) == (448.0, 0x7E, 288.0, 0x79)
    # Elements divide by the ROUNDED scale: block 0 by 448 * 2^-6 = 7, block 1 by 288 * 2^-6 = 4.5.
    # b0/7:   6, .43->.5, -2, 2.86->3, 0, 4.29->4, -.29->-.5, 1.5
    # b1/4.5: 6.25->6 (clamped), .22->0, 1.11->1, -2.22->-2, 2.67->3, -3.56->-4, 4.44->4
    q = np.clip(x / np.float32(np.repeat([s0, s1], 16) * s_tensor), -6, 6)
    want = q.astype(ml_dtypes.float4_e2m1fn).view(np.uint8).astype(np.uint32)
    assert want[0, :8].tolist() == [7, 1, 12, 5, 0, 6, 9, 3]
    assert want[0, 16:23].tolist() == [7, 0, 2, 12, 5, 14, 6]
    codes, scales, zps, ts = qf.quantize("nvfp4", x)
    assert ts == s_tensor and zps is None
    assert scales.tolist() == [c0, c1]
    np.testing.assert_array_equal(codes, want)
    # x = e2m1(q) * e4m3(s_block) * s_tensor
    deq = q.astype(ml_dtypes.float4_e2m1fn).astype(np.float32) * np.repeat([s0, s1], 16) * s_tensor
    np.testing.assert_array_equal(qf.dequantize("nvfp4", codes, scales, None, ts), deq)


def test_int4_symmetric_group():
    # Symmetric absmax, group of 32 along the last axis, FP16 scale. Group 0: amax 3.5 ->
    # scale 3.5 / 7 = 0.5 (exact in FP16, bits 0x3800). q = clamp(rne(x / 0.5), -7, 7).
    spec = "element=i4,scale=f16,block=32,axis=-1"
    g0 = [3.5, -3.5, 1.2, -0.75, 0.25, 1.75, 2.9, -0.1]
    # x/0.5:  7, -7, 2.4->2, -1.5->-2 (even), 0.5->0 (even), 3.5->4 (even), 5.8->6, -0.2->0
    q0 = [7, -7, 2, -2, 0, 4, 6, 0]
    codes, scales, _, _ = qf.quantize(spec, block(g0))
    assert scales.tolist() == [0x3800]
    assert codes[0, :8].tolist() == [c & 0xF for c in q0] and not codes[0, 8:].any()
    np.testing.assert_array_equal(qf.dequantize(spec, codes, scales)[0, :8], np.float32(q0) * 0.5)


# bitsandbytes' NF4 table (csrc/kernels.cu dDequantizeNF4; QLoRA), code 0..15.
NF4 = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
       -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
       0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
       0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0]


def test_nf4_table():
    np.testing.assert_array_equal(qf.decode("nf4", np.arange(16)), np.float32(NF4).astype(np.float64))


def test_nf4_nearest_entry():
    # absmax 2 (a power of two: exact scale in any format); x / 2 -> nearest entry.
    spec = "element=nf4,scale=f16,block=32,axis=-1"
    x = [2.0, -2.0, 0.0, 1.0, 1.2, -0.9, 0.08, -0.15]
    # x/2:   1 c15, -1 c0, 0 c7,
    #        0.5: between .4407 (c12) and .5626 (c13), midpoint .5017 -> c12
    #        0.6: between .5626 and .7230, midpoint .6428 -> c13
    #       -0.45: between -.5251 (c2) and -.3949 (c3), midpoint -.46 -> c3
    #        0.04: between 0 (c7) and .0796 (c8), midpoint .0398 -> c8
    #       -0.075: between -.0911 (c6) and 0, midpoint -.0455 -> c6
    want = [15, 0, 7, 12, 13, 3, 8, 6]
    codes, scales, _, _ = qf.quantize(spec, block(x))
    assert scales.tolist() == [0x4000]  # FP16 2.0
    assert codes[0, :8].tolist() == want
    np.testing.assert_array_equal(qf.dequantize(spec, codes, scales)[0, :8],
                                  np.float32([NF4[c] for c in want]) * np.float32(2))


def test_nvfp4_generic_fp32_arithmetic():
    # Same rules with an s_tensor that is not a power of two, evaluated in FP32 exactly as
    # FORMATS.md writes them: s_tensor = amax / 2688; s_block = e4m3(clamp(amax_b / 6 / s_tensor,
    # 2^-9, 448)); q = e2m1(clamp(x / (s_tensor * s_block), -6, 6)); x' = e2m1(q) * s_block * s_tensor.
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((4, 64)) * np.exp2(rng.integers(-6, 6, (4, 1)))).astype(np.float32)
    f = np.float32
    s_tensor = f(np.abs(x).max()) / f(2688)
    amax_b = np.abs(x).reshape(4, 4, 16).max(-1)
    ratio = np.clip(amax_b / f(6) / s_tensor, f(2.0 ** -9), f(448))
    s_block = ratio.astype(ml_dtypes.float8_e4m3fn)
    s_el = np.repeat(s_block.astype(np.float32), 16, axis=-1).reshape(4, 64)
    q = np.clip(x / (s_tensor * s_el), f(-6), f(6)).astype(ml_dtypes.float4_e2m1fn)
    codes, scales, _, ts = qf.quantize("nvfp4", x)
    assert ts == s_tensor
    np.testing.assert_array_equal(scales, s_block.view(np.uint8).ravel())
    np.testing.assert_array_equal(codes, q.view(np.uint8))
    want = q.astype(np.float32) * s_el * s_tensor
    np.testing.assert_array_equal(qf.dequantize("nvfp4", codes, scales, None, ts), want)
