# test/python/test_materialize_scales.py - runtime (materialized) scale rules vs lib/Format.
"""qopt.quantize of a runtime tensor goes through qopt-materialize-scales and the x86
pipeline into native code. For every format family and scale mode, the compiled codes,
scale codes, zero points, tensor scales and the decoded values (dequantize lowering) must
equal lib/Format's quantize / dequantize bit for bit
(called through the C API) on data with outliers, zero blocks, NaN, Inf, subnormals,
huge values and rounding ties."""
import numpy as np
import pytest

from qopt import formats as qf
from qopt import tools

ROWS, COLS = 8, 64
ROUNDING_ATTR = {"rne": "nearest_even", "away": "nearest_away", "zero": "toward_zero",
                 "up": "up", "down": "down"}

# (spec, scale grid for an 8x64 input, scale storage type, bits of a stored scale)
FORMATS = [
    ("mxfp4", (8, 2), "f8E8M0FNU", 8),
    ("mxfp6_e2m3", (8, 2), "f8E8M0FNU", 8),
    ("mxfp6_e3m2", (8, 2), "f8E8M0FNU", 8),
    ("mxfp8_e4m3", (8, 2), "f8E8M0FNU", 8),
    ("mxfp8_e5m2", (8, 2), "f8E8M0FNU", 8),
    ("mxint8", (8, 2), "f8E8M0FNU", 8),
    ("element=i8,scale=f8E8M0FNU,block=2x32,axis=-2x-1", (4, 2), "f8E8M0FNU", 8),
    ("nvfp4", (8, 4), "f8E4M3FN", 8),
    ("nvint4", (8, 4), "f8E4M3FN", 8),
    ("fp8_e4m3", (1, 1), "f32", 32),
    ("fp8_e5m2", (1, 1), "f32", 32),
    ("int8", (1, 1), "f32", 32),
    ("element=i8,scale=f32,channel=0", (8, 1), "f32", 32),
    ("element=i4,scale=f16,block=16,axis=-1", (8, 4), "f16", 16),
    ("element=f8E4M3FN,scale=bf16,block=32,axis=-1", (8, 2), "bf16", 16),
    ("nf4", (8, 1), "f32", 32),
    ("element=ui8,scale=f32,zero_point=ui8", (1, 1), "f32", 32),
    ("element=i8,scale=f32,channel=0,zero_point=i8", (8, 1), "f32", 32),
    ("element=ui4,scale=f16,block=16,axis=-1,zero_point=ui4", (8, 4), "f16", 16),
]


def make_data():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    x[0, :] *= 1e-3
    x[0, 5] = 40.0                                   # an outlier in a block
    x[1, :32] = 0.0                                  # an all-zero block
    x[1, 32:] = np.float32(1e-41) * np.arange(32)    # f32 subnormals
    x[2, 3] = np.nan                                 # a NaN block
    x[2, 40] = -np.inf                               # an Inf block
    x[3, :] = np.float32(3e38) * np.sign(x[3, :])    # huge values
    # Ties of the element grids after the MX scale 1 (amax 6 -> scale 2^0 for E2M1).
    x[4, :32] = np.array([6.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0] * 4, np.float32)
    x[5, :] = np.linspace(-7.5, 7.5, COLS, dtype=np.float32)
    x[6, :] = np.abs(x[6, :]) + 0.5                  # all positive (affine range widened to 0)
    return x


def storage_bits_type(t):
    return {"f8E8M0FNU": "i8", "f8E4M3FN": "i8", "f16": "i16", "bf16": "i16", "f32": "i32"}[t]


def to_i32(name, value, src_type, n_dims="2"):
    """A linalg.generic widening `value` (2-D tensor of src_type) to i32 bit patterns."""
    shape = "x".join(map(str, src_type[0]))
    elem = src_type[1]
    body = []
    v = "%in"
    if elem.startswith("f") or elem == "bf16":
        bits = storage_bits_type(elem)
        body.append(f"%b = arith.bitcast {v} : {elem} to {bits}")
        v, elem = "%b", bits
    if elem != "i32":
        body.append(f"%w = arith.extui {v} : {elem} to i32")
        v = "%w"
    lines = "\n      ".join(body)
    return f"""
    %{name}_e = tensor.empty() : tensor<{shape}xi32>
    %{name} = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
        affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}}
        ins({value} : tensor<{shape}x{src_type[1]}>) outs(%{name}_e : tensor<{shape}xi32>) {{
    ^bb0(%in: {src_type[1]}, %out: i32):
      {lines}
      linalg.yield {v} : i32
    }} -> tensor<{shape}xi32>"""


def module_for(cases, rounding, scale_mode):
    body, results, types = [], [], []
    for i, (spec, grid, stype, _) in enumerate(cases):
        q = f"tensor<{ROWS}x{COLS}x!qopt.format<\"{spec}\">>"
        bits = qf.bit_width(qf_element(spec))
        mode = (f", scale_mode = #qopt.scale_mode<{scale_mode}>" if stype == "f8E8M0FNU" else "")
        attrs = f"{{rounding = #qopt.rounding<{ROUNDING_ATTR[rounding]}>{mode}}}"
        body.append(f"%q{i} = qopt.quantize %x {attrs} : tensor<{ROWS}x{COLS}xf32> to {q}")
        body.append(f"%c{i} = qopt.codes %q{i} : {q} -> tensor<{ROWS}x{COLS}xi{bits}>")
        body.append(to_i32(f"ci{i}", f"%c{i}", ((ROWS, COLS), f"i{bits}")))
        results.append(f"%ci{i}")
        types.append(f"tensor<{ROWS}x{COLS}xi32>")
        g = "x".join(map(str, grid))
        body.append(f"%s{i} = qopt.scales %q{i} : {q} -> tensor<{g}x{stype}>")
        body.append(to_i32(f"si{i}", f"%s{i}", (grid, stype)))
        results.append(f"%si{i}")
        types.append(f"tensor<{g}xi32>")
        if qf.has_zero_point(spec):
            zt = spec.split("zero_point=")[1].split(",")[0]
            zbits = int(zt.lstrip("ui"))
            body.append(f"%z{i} = qopt.zero_points %q{i} : {q} -> tensor<{g}x{zt}>")
            body.append(f"%zs{i} = tensor.bitcast %z{i} : tensor<{g}x{zt}> to tensor<{g}xi{zbits}>")
            body.append(to_i32(f"zi{i}", f"%zs{i}", (grid, f"i{zbits}")))
            results.append(f"%zi{i}")
            types.append(f"tensor<{g}xi32>")
        if qf.has_tensor_scale(spec):
            body.append(f"%t{i} = qopt.tensor_scale %q{i} : {q} -> tensor<f32>")
            results.append(f"%t{i}")
            types.append("tensor<f32>")
        # The decoded values (dequantize lowering) of the same quantized tensor.
        body.append(f"%d{i} = qopt.dequantize %q{i} : {q} to tensor<{ROWS}x{COLS}xf32>")
        results.append(f"%d{i}")
        types.append(f"tensor<{ROWS}x{COLS}xf32>")
    text = "\n    ".join(body)
    return (f"func.func @qopt_model_main(%x: tensor<{ROWS}x{COLS}xf32>) -> ({', '.join(types)}) {{\n"
            f"    {text}\n    return {', '.join(results)} : {', '.join(types)}\n}}\n")


def qf_element(spec):
    presets = {"mxfp4": "f4E2M1FN", "mxfp6_e2m3": "f6E2M3FN", "mxfp6_e3m2": "f6E3M2FN",
               "mxfp8_e4m3": "f8E4M3FN", "mxfp8_e5m2": "f8E5M2", "mxint8": "i8",
               "nvfp4": "f4E2M1FN", "nvint4": "i4", "fp8_e4m3": "f8E4M3FN", "fp8_e5m2": "f8E5M2",
               "int8": "i8", "nf4": "nf4"}
    if spec in presets:
        return presets[spec]
    return spec.split("element=")[1].split(",")[0]


def same_bits(got, want, stype_bits, is_float):
    """Equal codes; NaN scales compare as 'both NaN' (payloads are not a format rule)."""
    got = np.asarray(got, np.uint32).ravel()
    want = np.asarray(want, np.uint32).ravel() & ((1 << stype_bits) - 1 if stype_bits < 32
                                                   else 0xFFFFFFFF)
    if is_float == "f32":
        g = got.view(np.float32)
        w = want.view(np.float32)
        both_nan = np.isnan(g) & np.isnan(w)
        return np.array_equal(got[~both_nan], want[~both_nan])
    return np.array_equal(got, want)


@pytest.mark.parametrize("rounding,scale_mode", [("rne", "floor"), ("rne", "ceil"),
                                                 ("rne", "even"), ("rne", "rceil"),
                                                 ("away", "floor"), ("zero", "floor"),
                                                 ("up", "rceil"), ("down", "even")])
def test_runtime_quantize_matches_lib_format(tmp_path, rounding, scale_mode):
    cases = FORMATS
    src = tmp_path / "q.mlir"
    src.write_text(module_for(cases, rounding, scale_mode))
    lib = tmp_path / "q.so"
    r = tools.compile_model(src, lib)
    assert r.returncode == 0, r.stderr
    x = make_data()
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out"
    r = tools.run(lib, {"input_0": tmp_path / "x.npy"}, out)
    assert r.returncode == 0, r.stderr
    k = 0
    mismatches = []
    for spec, grid, stype, sbits in cases:
        codes, scales, zps, ts = qf.quantize(spec, x, rounding=rounding, scale_mode=scale_mode)
        got_codes = np.load(out / f"output_{k}.npy"); k += 1
        got_scales = np.load(out / f"output_{k}.npy"); k += 1
        if not np.array_equal(got_codes.astype(np.uint32).ravel(), codes.ravel()):
            bad = np.argwhere(got_codes.astype(np.uint32) != codes)[:4].tolist()
            mismatches.append(f"{spec}: codes differ at {bad}")
        if not same_bits(got_scales.view(np.uint32), scales, sbits, stype):
            mismatches.append(f"{spec}: scales {got_scales.ravel()[:8]} vs {scales[:8]}")
        if zps is not None:
            got_zps = np.load(out / f"output_{k}.npy"); k += 1
            zbits = qf.bit_width(spec.split("zero_point=")[1].split(",")[0])
            if not np.array_equal(got_zps.astype(np.uint32).ravel() & ((1 << zbits) - 1), zps):
                mismatches.append(f"{spec}: zero points {got_zps.ravel()} vs {zps}")
        if ts is not None:
            got_ts = np.load(out / f"output_{k}.npy"); k += 1
            if got_ts.view(np.uint32) != np.float32(ts).view(np.uint32):
                mismatches.append(f"{spec}: tensor scale {got_ts} vs {ts}")
        got_deq = np.load(out / f"output_{k}.npy"); k += 1
        want_deq = qf.dequantize(spec, codes, scales, zps, ts)
        same = (got_deq.view(np.uint32) == want_deq.view(np.uint32)) | (
            np.isnan(got_deq) & np.isnan(want_deq))
        if not same.all():
            bad = np.argwhere(~same)[:3].tolist()
            mismatches.append(f"{spec}: dequantized values differ at {bad}: "
                              f"{[got_deq[tuple(b)] for b in bad]} vs {[want_deq[tuple(b)] for b in bad]}")
    assert not mismatches, "\n".join(mismatches)
