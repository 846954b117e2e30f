# test/python/test_gemv.py - few-row GEMV kernels (qopt-x86-gemv) vs NumPy.
"""Weight-only schemes at 1-8 rows (LLM decode) compile, on AVX-512 CPUs, to
qopt-x86-gemv: two codes per byte, 16-entry table decodes, block sums scaled once per
block with the scales read in their stored format (f32, or E8M0 / E4M3 bytes through a
folded 256-entry table). Shapes hit the kernel's edges: 1, 3 and 6 rows (no 4-row block, a
4-row block plus a 2-row tail), N = 320 (five 64-column tiles on threads), K = 320 (padded
to whole blocks of 128 for int4-g128). 6-bit codes (MXFP6 E2M3, E3M2, INT6) go four per three
bytes and decode by a 64-entry bfloat16 table (vpermi2w). The output equals the NumPy emulation of
x @ fake_quant_W(W) within 1e-4 relative, with and without the kernel (--gemv-kernels=false),
and the assembly holds the kernel's repacked codes (5 column tiles of 64: nibbles [5, 64, 64],
bytes [5, 128, 64], 6-bit streams [5, 128 * 48 + 8] for the first layer)."""
import pathlib

import numpy as np
import onnx
import pytest

from qopt import models, tools

import ml_dtypes

from scheme_emulation import F32, int_sym, mx, weight_fq
from test_quantize_schemes import compiled_output, emulate, max_rel_error

SCHEMES = ["w4a16-int4-g32", "w4a16-int4-g128", "w4a16-mxfp4", "w4a16-nvfp4", "w4a16-nf4",
           "w6a16-mxfp6", "w8a16-int8", "w8a16-fp8", "w8a16-mxfp8", "w8a16-mxint8"]
NIBBLES = {s for s in SCHEMES if s.startswith("w4")}
# 6-bit weight formats beyond the presets (written as scheme specs), with their emulation.
SIX_BIT = {
    "w=element=f6E3M2FN,scale=f8E8M0FNU,block=32,axis=0":
        lambda w: mx(w, ml_dtypes.float6_e3m2fn, 4, 28.0),
    "w=element=i6,scale=f32,channel=1": lambda w: int_sym(w, 31),
    "w=element=i6,scale=f32,block=32,axis=0": lambda w: int_sym(w, 31, 32),
}
SEXTETS = {"w6a16-mxfp6", *SIX_BIT}


def _avx512():
    try:
        return "avx512f" in pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not _avx512(), reason="host CPU lacks AVX-512: the kernels cannot run here")
@pytest.mark.parametrize("rows", [1, 3, 6])
@pytest.mark.parametrize("scheme", SCHEMES + sorted(SIX_BIT))
def test_gemv_matches_emulation(scheme, rows, tmp_path):
    model = models.mlp_model(seed=21, m=rows, d=128, hidden=320)
    path = tmp_path / "mlp.onnx"
    onnx.save(model, path)
    asm = tools.compile_model(path, "-", f"--scheme={scheme}", "--emit=asm")
    assert asm.returncode == 0, asm.stderr
    codes = ("5x64x64xi8" if scheme in NIBBLES else
             f"5x{128 * 48 + 8}xi8" if scheme in SEXTETS else "5x128x64xi8")
    assert f"__constant_{codes}" in asm.stdout, f"{scheme}: no GEMV kernel codes in the assembly"
    if scheme in NIBBLES:
        assert "vpsrld\t$4, %zmm" in asm.stdout
    if scheme in SEXTETS:
        assert "vpermi2w" in asm.stdout and "vpsrlvw" in asm.stdout
        assert "vcvtph2ps" not in asm.stdout
    if scheme in ("w4a16-nvfp4", "w8a16-fp8", "w8a16-mxfp8"):  # E4M3 scales or codes: half route
        assert "vcvtph2ps" in asm.stdout
    assert "vgatherdps" not in asm.stdout
    x = np.random.default_rng(5).standard_normal((rows, 128)).astype(F32)
    want = emulate(model, x, SIX_BIT.get(scheme, lambda w: weight_fq(scheme, w)))
    for flags in ([], ["--gemv-kernels=false"]):
        got = compiled_output(model, path, x, tmp_path, f"--scheme={scheme}", *flags,
                              lib_name=f"mlp{len(flags)}.so")
        rel = max_rel_error(got, want)
        assert rel <= 1e-4, f"{scheme} {flags}: max rel error {rel}"
