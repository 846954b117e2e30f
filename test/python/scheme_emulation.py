# test/python/scheme_emulation.py - NumPy/ml_dtypes emulation of qopt's quantization schemes.
"""Written from FORMATS.md and the scheme definitions, independently of lib/Format:
weight quantizers take W [K, N] and block along K (axis 0); activation quantizers take
x [M, K] (per row, or blocks along K). `weight_fq` / `act_fq` zero-pad K to whole blocks
the way qopt does (weights and activations to the same multiple)."""
import math

import ml_dtypes
import numpy as np

F32 = np.float32
NF4 = np.array([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
                -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
                0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
                0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0], F32)


def blocks_k(w, b):
    """View of W [K, N] as [K/b, b, N] (blocks along K)."""
    k, n = w.shape
    return w.reshape(k // b, b, n)


def int_sym(w, qmax, block=None):
    if block is None:  # one scale per output channel (column)
        s = (np.abs(w).max(axis=0) / F32(qmax)).astype(F32)
        s[s == 0] = np.finfo(F32).tiny
        return np.clip(np.rint(w / s), -qmax, qmax) * s
    wb = blocks_k(w, block)
    s = (np.abs(wb).max(axis=1, keepdims=True) / F32(qmax)).astype(F32)
    s[s == 0] = np.finfo(F32).tiny
    return (np.clip(np.rint(wb / s), -qmax, qmax) * s).reshape(w.shape)


def fp8_columns(w):
    """FP8 E4M3 with one FP32 scale per column (amax/448)."""
    s = (np.abs(w).max(axis=0, keepdims=True) / F32(448)).astype(F32)
    s[s == 0] = np.finfo(F32).tiny
    q = np.clip(w / s, -448, 448).astype(ml_dtypes.float8_e4m3fn).astype(F32)
    return q * s


def fp8_tensor(w):
    s = F32(np.abs(w).max()) / F32(448)
    q = np.clip(w / s, -448, 448).astype(ml_dtypes.float8_e4m3fn).astype(F32)
    return q * s


def mx(w, dtype, emax, maxv, is_int=False):
    wb = blocks_k(w, 32).astype(np.float64)
    amax = np.abs(wb).max(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        e = np.where(amax == 0, -127, np.floor(np.log2(np.where(amax == 0, 1, amax))) - emax)
    x = np.exp2(np.clip(e, -127, 127))
    v = wb / x
    if is_int:  # MXINT8: 1.6 fixed point
        p = np.clip(np.rint(v * 64), -127, 127) / 64
    else:
        p = np.clip(v, -maxv, maxv).astype(F32).astype(dtype).astype(np.float64)
    return (p * x).astype(F32).reshape(w.shape)


def nvfp4(w):
    st = F32(np.abs(w).max()) / F32(448 * 6)
    wb = blocks_k(w, 16)
    amax = np.abs(wb).max(axis=1, keepdims=True).astype(F32)
    r = (amax / F32(6)) / st
    sb = np.clip(r, 2.0 ** -9, 448).astype(ml_dtypes.float8_e4m3fn).astype(F32)
    d = st * sb
    p = np.clip(wb / d, -6, 6).astype(ml_dtypes.float4_e2m1fn).astype(F32)
    return ((p * sb) * st).reshape(w.shape)


def nf4(w):
    wb = blocks_k(w, 64)
    s = np.abs(wb).max(axis=1, keepdims=True).astype(F32)
    s[s == 0] = np.finfo(F32).tiny
    v = (wb / s)[..., None]
    dist = np.abs(v - NF4)
    # nearest entry; ties -> smaller magnitude
    best = np.lexsort((np.abs(NF4)[None, None, None, :].repeat(dist.shape[0], 0)
                       .repeat(dist.shape[1], 1).repeat(dist.shape[2], 2), dist), axis=-1)[..., 0]
    return (NF4[best] * s).reshape(w.shape)


EMULATE = {
    "w8a16-int8": lambda w: int_sym(w, 127),
    "w4a16-int4-g128": lambda w: int_sym(w, 7, 128),
    "w4a16-int4-g32": lambda w: int_sym(w, 7, 32),
    "w8a16-fp8": fp8_tensor,
    "w4a16-mxfp4": lambda w: mx(w, ml_dtypes.float4_e2m1fn, 2, 6.0),
    "w6a16-mxfp6": lambda w: mx(w, ml_dtypes.float6_e2m3fn, 2, 7.5),
    "w8a16-mxfp8": lambda w: mx(w, ml_dtypes.float8_e4m3fn, 8, 448.0),
    "w8a16-mxint8": lambda w: mx(w, None, 0, 0, is_int=True),
    "w4a16-nvfp4": nvfp4,
    "w4a16-nf4": nf4,
}


# Activation quantizers act on x [M, K]; the weight emulations above block along axis 0,
# so they are applied to x.T (K x M): per-column there is per-row (token) here.
def on_rows(fq):
    return lambda x: fq(np.ascontiguousarray(x.T.astype(F32))).T


ACT_EMULATE = {
    "w8a8-int8": (EMULATE["w8a16-int8"], on_rows(lambda a: int_sym(a, 127))),
    "w8a8-fp8": (EMULATE["w8a16-fp8"], on_rows(fp8_columns)),
    "w4a8-int4-g32": (EMULATE["w4a16-int4-g32"], on_rows(lambda a: int_sym(a, 127))),
    "w4a8-mxfp4-fp8": (EMULATE["w4a16-mxfp4"], on_rows(fp8_columns)),
    "w8a8-mxfp8": (EMULATE["w8a16-mxfp8"], on_rows(EMULATE["w8a16-mxfp8"])),
    "w8a8-mxint8": (EMULATE["w8a16-mxint8"], on_rows(EMULATE["w8a16-mxint8"])),
    "w4a4-mxfp4": (EMULATE["w4a16-mxfp4"], on_rows(EMULATE["w4a16-mxfp4"])),
    "w4a4-nvfp4": (EMULATE["w4a16-nvfp4"], on_rows(EMULATE["w4a16-nvfp4"])),
}
ALL_SCHEMES = {**{k: (v, None) for k, v in EMULATE.items()}, **ACT_EMULATE}


# K block of each scheme's (weight, activation) format; 1 = no blocks along K.
BLOCKS = {"w4a16-int4-g128": (128, 1), "w4a16-int4-g32": (32, 1), "w4a16-mxfp4": (32, 1),
          "w6a16-mxfp6": (32, 1), "w8a16-mxfp8": (32, 1), "w8a16-mxint8": (32, 1),
          "w4a16-nvfp4": (16, 1), "w4a16-nf4": (64, 1), "w4a8-mxfp4-fp8": (32, 1),
          "w4a8-int4-g32": (32, 1),
          "w8a8-mxfp8": (32, 32), "w8a8-mxint8": (32, 32), "w4a4-mxfp4": (32, 32),
          "w4a4-nvfp4": (16, 16)}


def k_multiple(scheme):
    bw, ba = BLOCKS.get(scheme, (1, 1))
    return bw * ba // math.gcd(bw, ba)


def weight_fq(scheme, w):
    """Fake-quantized W [K, N] (K zero-padded to whole blocks, then sliced back)."""
    k = w.shape[0]
    m = k_multiple(scheme)
    kp = (k + m - 1) // m * m
    wp = np.zeros((kp, w.shape[1]), F32)
    wp[:k] = w
    return ALL_SCHEMES[scheme][0](wp)[:k]


def act_fq(scheme, x):
    """Fake-quantized activations x [M, K], or x itself for weight-only schemes."""
    fa = ALL_SCHEMES[scheme][1]
    if fa is None:
        return x
    k = x.shape[1]
    m = k_multiple(scheme)
    kp = (k + m - 1) // m * m
    xp = np.zeros((x.shape[0], kp), F32)
    xp[:, :k] = x
    return fa(xp)[:, :k]


def conv_weight_fq(scheme, w):
    """Fake-quantized Conv weights [M, C/G, kh, kw], quantized as the K x M matrix qopt uses
    (K = C/G * kh * kw, in (c, kh, kw) order)."""
    o = w.shape[0]
    return weight_fq(scheme, w.reshape(o, -1).T).T.reshape(w.shape)


def nodes_with_weights(model):
    """A copy of `model` and, for each of its nodes, (node, its second input's initializer or
    None, that initializer as an array or None): the emulations rewrite weights in place."""
    import onnx
    from onnx import numpy_helper
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {t.name: t for t in m.graph.initializer}
    out = []
    for n in m.graph.node:
        w = inits.get(n.input[1]) if len(n.input) > 1 else None
        out.append((n, w, numpy_helper.to_array(w) if w is not None else None))
    return m, out


def set_weight(w, q):
    """Replaces initializer `w`'s data by the float32 array `q`."""
    from onnx import numpy_helper
    w.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(q, dtype=F32), w.name))


def with_test_nodes(model, nodes):
    """`model` with its node list replaced by `nodes` (which may use the "qopt.test"
    custom-op domain of the emulations)."""
    from onnx import helper
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    model.opset_import.append(helper.make_opsetid("qopt.test", 1))
    return model
