# python/qopt/formats.py - ctypes wrapper over the qopt C format API (qopt-c/Format.h).
"""NumPy-friendly bindings of lib/Format through its C API.

The shared library is found through $QOPT_FORMAT_LIB, else at
<repo>/build/lib/libQOptCAPIFormat.so. Every failing C call raises FormatError
with the message of qoptFormatLastError().
"""
import ctypes
import os
import pathlib

import numpy as np

ROUNDING = {"rne": 0, "away": 1, "zero": 2, "up": 3, "down": 4}
SCALE_MODE = {"floor": 0, "ceil": 1, "even": 2, "rceil": 3}
# Presets whose format carries an FP32 tensor scale (TensorFormat.h); long forms
# say so with `tensor_scale=` / `zero_point=`.
_TENSOR_SCALE_PRESETS = ("nvfp4", "nvint4")

_P = ctypes.POINTER
_u32p, _f32p, _f64p = _P(ctypes.c_uint32), _P(ctypes.c_float), _P(ctypes.c_double)
_i64p, _u8p = _P(ctypes.c_int64), _P(ctypes.c_uint8)
_SIGNATURES = {
    "qoptFormatLastError": (ctypes.c_char_p, []),
    "qoptFormatBitWidth": (ctypes.c_int, [ctypes.c_char_p]),
    "qoptFormatEncode": (ctypes.c_int, [ctypes.c_char_p, _f64p, _u32p, ctypes.c_size_t,
                                        ctypes.c_int, ctypes.c_int]),
    "qoptFormatDecode": (ctypes.c_int, [ctypes.c_char_p, _u32p, _f64p, ctypes.c_size_t]),
    "qoptFormatQuantizeLinear": (ctypes.c_int, [ctypes.c_char_p, _f32p, _f32p, _i64p, _u32p,
                                                ctypes.c_size_t, ctypes.c_int]),
    "qoptFormatDequantizeLinear": (ctypes.c_int, [ctypes.c_char_p, _u32p, _f32p, _i64p, _f32p,
                                                  ctypes.c_size_t]),
    "qoptFormatMXScaleCode": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_float, ctypes.c_int,
                                             _u32p]),
    "qoptFormatScaleCount": (ctypes.c_int, [ctypes.c_char_p, _i64p, ctypes.c_int,
                                            _P(ctypes.c_size_t)]),
    "qoptFormatQuantize": (ctypes.c_int, [ctypes.c_char_p, _f32p, _i64p, ctypes.c_int,
                                          ctypes.c_int, ctypes.c_int, _u32p, _u32p, _u32p,
                                          _f32p]),
    "qoptFormatDequantize": (ctypes.c_int, [ctypes.c_char_p, _i64p, ctypes.c_int, _u32p, _u32p,
                                            _u32p, _f32p, _f32p]),
    "qoptFormatPackedSize": (ctypes.c_size_t, [ctypes.c_size_t, ctypes.c_uint]),
    "qoptFormatPack": (ctypes.c_int, [_u32p, ctypes.c_size_t, ctypes.c_uint, _u8p]),
    "qoptFormatUnpack": (ctypes.c_int, [_u8p, ctypes.c_size_t, ctypes.c_uint, _u32p]),
}


class FormatError(RuntimeError):
    """A qopt format C API call failed (or the library could not be loaded)."""


def library_path():
    env = os.environ.get("QOPT_FORMAT_LIB")
    if env:
        return pathlib.Path(env)
    return pathlib.Path(__file__).resolve().parents[2] / "build" / "lib" / "libQOptCAPIFormat.so"


_lib_handle = None


def _lib():
    global _lib_handle
    if _lib_handle is None:
        path = library_path()
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as e:
            raise FormatError(f"cannot load the qopt format library {path} ({e}); "
                              "build it or set QOPT_FORMAT_LIB") from e
        for name, (res, args) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        _lib_handle = lib
    return _lib_handle


def _check(rc, what):
    if rc < 0:
        msg = _lib().qoptFormatLastError()
        raise FormatError(f"{what}: {msg.decode() if msg else 'error ' + str(rc)}")


def _ptr(a, ctype):
    return None if a is None else a.ctypes.data_as(_P(ctype))


def _arr(a, dtype):
    return np.ascontiguousarray(np.asarray(a, dtype=dtype))



def _rounding(rounding):
    if rounding not in ROUNDING:
        raise ValueError(f"unknown rounding {rounding!r}; use one of {sorted(ROUNDING)}")
    return ROUNDING[rounding]


def bit_width(element):
    w = _lib().qoptFormatBitWidth(element.encode())
    _check(w, f"bit_width({element!r})")
    return w


def encode(element, values, rounding="rne", saturate=True):
    """Codes (uint32, same shape) of `values` in the element format."""
    x = _arr(values, np.float64)
    codes = np.zeros(x.shape, np.uint32)
    _check(_lib().qoptFormatEncode(element.encode(), _ptr(x, ctypes.c_double),
                                   _ptr(codes, ctypes.c_uint32), x.size,
                                   _rounding(rounding), int(bool(saturate))),
           f"encode({element!r})")
    return codes


def decode(element, codes):
    """Exact values (float64, same shape) of `codes`."""
    c = _arr(codes, np.uint32)
    out = np.zeros(c.shape, np.float64)
    _check(_lib().qoptFormatDecode(element.encode(), _ptr(c, ctypes.c_uint32),
                                   _ptr(out, ctypes.c_double), c.size),
           f"decode({element!r})")
    return out


def quantize_linear(element, x, scale, zero_point=None, saturate=True):
    """ONNX QuantizeLinear with scale/zero point already broadcast to x (or scalars)."""
    xs = _arr(x, np.float32)
    sc = np.ascontiguousarray(np.broadcast_to(_arr(scale, np.float32), xs.shape))
    zp = np.ascontiguousarray(np.broadcast_to(_arr(0 if zero_point is None else zero_point,
                                                   np.int64), xs.shape))
    codes = np.zeros(xs.shape, np.uint32)
    _check(_lib().qoptFormatQuantizeLinear(element.encode(), _ptr(xs, ctypes.c_float),
                                           _ptr(sc, ctypes.c_float), _ptr(zp, ctypes.c_int64),
                                           _ptr(codes, ctypes.c_uint32), xs.size,
                                           int(bool(saturate))),
           f"quantize_linear({element!r})")
    return codes


def dequantize_linear(element, codes, scale, zero_point=None):
    """ONNX DequantizeLinear (float32) with scale/zero point already broadcast."""
    c = _arr(codes, np.uint32)
    sc = np.ascontiguousarray(np.broadcast_to(_arr(scale, np.float32), c.shape))
    zp = np.ascontiguousarray(np.broadcast_to(_arr(0 if zero_point is None else zero_point,
                                                   np.int64), c.shape))
    out = np.zeros(c.shape, np.float32)
    _check(_lib().qoptFormatDequantizeLinear(element.encode(), _ptr(c, ctypes.c_uint32),
                                             _ptr(sc, ctypes.c_float), _ptr(zp, ctypes.c_int64),
                                             _ptr(out, ctypes.c_float), c.size),
           f"dequantize_linear({element!r})")
    return out


def mx_scale_code(element, amax, scale_mode="floor"):
    """E8M0 code of an MX block of `element` values with largest magnitude amax."""
    code = ctypes.c_uint32(0)
    _check(_lib().qoptFormatMXScaleCode(element.encode(), float(np.float32(amax)),
                                        SCALE_MODE[scale_mode], ctypes.byref(code)),
           f"mx_scale_code({element!r})")
    return code.value


def has_zero_point(spec):
    return "zero_point=" in spec


def has_tensor_scale(spec):
    return spec in _TENSOR_SCALE_PRESETS or "tensor_scale=" in spec


def scale_count(spec, shape):
    shp = _arr(shape, np.int64)
    n = ctypes.c_size_t(0)
    _check(_lib().qoptFormatScaleCount(spec.encode(), _ptr(shp, ctypes.c_int64), shp.size,
                                       ctypes.byref(n)), f"scale_count({spec!r})")
    return n.value


def quantize(spec, x, rounding="rne", scale_mode="floor"):
    """Quantizes x by the tensor format `spec` (preset or long form).

    Returns (codes shaped like x, scale codes (flat, row-major scale grid),
    zero-point codes or None, FP32 tensor scale or None).
    """
    xs = _arr(x, np.float32)
    shp = np.array(xs.shape, np.int64)
    nscale = scale_count(spec, xs.shape)
    codes = np.zeros(xs.shape, np.uint32)
    scales = np.zeros(nscale, np.uint32)
    zps = np.zeros(nscale, np.uint32) if has_zero_point(spec) else None
    ts = np.zeros(1, np.float32) if has_tensor_scale(spec) else None
    _check(_lib().qoptFormatQuantize(spec.encode(), _ptr(xs, ctypes.c_float),
                                     _ptr(shp, ctypes.c_int64), shp.size, _rounding(rounding),
                                     SCALE_MODE[scale_mode], _ptr(codes, ctypes.c_uint32),
                                     _ptr(scales, ctypes.c_uint32), _ptr(zps, ctypes.c_uint32),
                                     _ptr(ts, ctypes.c_float)),
           f"quantize({spec!r})")
    return codes, scales, zps, (None if ts is None else ts[0])


def dequantize(spec, codes, scale_codes, zero_point_codes=None, tensor_scale=None):
    """Inverse of quantize: float32 values shaped like codes."""
    c = _arr(codes, np.uint32)
    shp = np.array(c.shape, np.int64)
    sc = _arr(scale_codes, np.uint32).ravel()
    zp = None if zero_point_codes is None else _arr(zero_point_codes, np.uint32).ravel()
    ts = None if tensor_scale is None else np.array([tensor_scale], np.float32)
    out = np.zeros(c.shape, np.float32)
    _check(_lib().qoptFormatDequantize(spec.encode(), _ptr(shp, ctypes.c_int64), shp.size,
                                       _ptr(c, ctypes.c_uint32), _ptr(sc, ctypes.c_uint32),
                                       _ptr(zp, ctypes.c_uint32), _ptr(ts, ctypes.c_float),
                                       _ptr(out, ctypes.c_float)),
           f"dequantize({spec!r})")
    return out


def packed_size(n, bits):
    return _lib().qoptFormatPackedSize(n, bits)


def pack(codes, bits):
    """Packs codes of `bits` bits (low bits first, 4-bit: low nibble first)."""
    c = _arr(codes, np.uint32).ravel()
    out = np.zeros(packed_size(c.size, bits), np.uint8)
    _check(_lib().qoptFormatPack(_ptr(c, ctypes.c_uint32), c.size, bits,
                                 _ptr(out, ctypes.c_uint8)), f"pack(bits={bits})")
    return out


def unpack(data, n, bits):
    """The n codes of `bits` bits packed in `data` (uint8)."""
    b = _arr(data, np.uint8).ravel()
    if b.size < packed_size(n, bits):
        raise ValueError(f"{b.size} bytes hold fewer than {n} codes of {bits} bits")
    codes = np.zeros(n, np.uint32)
    _check(_lib().qoptFormatUnpack(_ptr(b, ctypes.c_uint8), n, bits,
                                   _ptr(codes, ctypes.c_uint32)), f"unpack(bits={bits})")
    return codes
