# test/python/test_dot_kernels.py - activation-quantized schemes on the VNNI / BF16 kernels.
"""Schemes that quantize activations at run time compile (on a CPU with AVX512-VNNI and
AVX512-BF16) to qopt-x86-dot-kernels' packed dot products: vpdpbusd for integer elements
(int8, MXINT8, and FP4 E2M1 as twice-integers), vdpbf16ps for BF16-exact ones (FP8).
Shapes chosen to hit every edge of the kernel: a row tail (M = 7, not a multiple of the
4-row register block), several K blocks per sum (K = 96: 3 MX blocks, 6 NVFP4 blocks),
column tiles of 128 / 32 (threads) and one 48-column tile (16-lane blocks). The output
equals the NumPy emulation of fake_quant_A(x) @ fake_quant_W(W) within 1e-4 relative,
and the assembly holds the instruction the scheme must use."""
import pathlib

import numpy as np
import onnx
import pytest

from qopt import models, tools

from scheme_emulation import F32, act_fq, weight_fq
from test_quantize_schemes import compiled_output, emulate, max_rel_error

KERNELS = {"w8a8-int8": "vpdpbusd", "w8a8-mxint8": "vpdpbusd", "w4a4-mxfp4": "vpdpbusd",
           "w4a8-int4-g32": "vpdpbusd",
           "w4a4-nvfp4": "vpdpbusd", "w8a8-fp8": "vdpbf16ps", "w8a8-mxfp8": "vdpbf16ps",
           "w4a8-mxfp4-fp8": "vdpbf16ps"}


def _host_flags():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


needs_vnni_bf16 = pytest.mark.skipif(
    not {"avx512_vnni", "avx512_bf16"} <= _host_flags(),
    reason="host CPU lacks AVX512-VNNI or AVX512-BF16: the kernels cannot run here")


@needs_vnni_bf16
@pytest.mark.parametrize("hidden", [384, 48])
@pytest.mark.parametrize("scheme", sorted(KERNELS))
def test_dot_kernel_matches_emulation(scheme, hidden, tmp_path):
    model = models.mlp_model(seed=11, m=7, d=96, hidden=hidden)
    path = tmp_path / "mlp.onnx"
    onnx.save(model, path)
    flags = [f"--scheme={scheme}"] + (["--bf16-dot"] if KERNELS[scheme] == "vdpbf16ps" else [])
    asm = tools.compile_model(path, "-", *flags, "--emit=asm")
    assert asm.returncode == 0, asm.stderr
    assert KERNELS[scheme] in asm.stdout, f"{scheme}: no {KERNELS[scheme]} in the assembly"
    x = np.random.default_rng(3).standard_normal((7, 96)).astype(F32)
    got = compiled_output(model, path, x, tmp_path, *flags)
    want = emulate(model, x, lambda w: weight_fq(scheme, w), lambda a: act_fq(scheme, a))
    rel = max_rel_error(got, want)
    assert rel <= 1e-4, f"{scheme}: max rel error {rel}"


@needs_vnni_bf16
def test_no_dot_kernels_without_the_extensions(tmp_path):
    """--mcpu=x86-64-v4 (AVX-512 without VNNI/BF16): the same schemes decode to FP32."""
    model = models.mlp_model(seed=11, m=4, d=64, hidden=128)
    onnx.save(model, tmp_path / "m.onnx")
    for scheme in ("w8a8-int8", "w8a8-fp8"):
        asm = tools.compile_model(tmp_path / "m.onnx", "-", f"--scheme={scheme}", "--emit=asm",
                                  "--mcpu=x86-64-v4")
        assert asm.returncode == 0, asm.stderr
        assert "vpdpbusd" not in asm.stdout and "vdpbf16ps" not in asm.stdout
        assert "zmm" in asm.stdout


@needs_vnni_bf16
def test_bf16_dot_is_opt_in(tmp_path):
    """FP8 schemes keep the FP32 path unless --bf16-dot asks for vdpbf16ps; asking for it on a
    CPU without AVX512-BF16 is an error naming the flag and the CPU."""
    model = models.mlp_model(seed=11, m=4, d=64, hidden=128)
    onnx.save(model, tmp_path / "m.onnx")
    asm = tools.compile_model(tmp_path / "m.onnx", "-", "--scheme=w8a8-fp8", "--emit=asm")
    assert asm.returncode == 0, asm.stderr
    assert "vdpbf16ps" not in asm.stdout
    bad = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so", "--scheme=w8a8-fp8",
                              "--bf16-dot", "--mcpu=x86-64-v4")
    assert bad.returncode != 0
    assert "--bf16-dot" in bad.stderr and "x86-64-v4" in bad.stderr
    assert not (tmp_path / "m.so").exists()


@needs_vnni_bf16
def test_vnni_dot_can_be_turned_off(tmp_path):
    model = models.mlp_model(seed=11, m=4, d=64, hidden=128)
    onnx.save(model, tmp_path / "m.onnx")
    asm = tools.compile_model(tmp_path / "m.onnx", "-", "--scheme=w8a8-int8", "--emit=asm",
                              "--vnni-dot=false")
    assert asm.returncode == 0, asm.stderr
    assert "vpdpbusd" not in asm.stdout


@needs_vnni_bf16
@pytest.mark.parametrize("scheme", ["w4a8-int4-g32", "w4a4-mxfp4", "w4a4-nvfp4"])
@pytest.mark.parametrize("rows", [1, 3, 8])
def test_nibble_weights_are_bit_identical(scheme, rows, tmp_path):
    """Up to 8 rows, 4-bit weight codes stay two per byte and become VNNI bytes in registers
    (vpshufb): the integer products and sums are the same as with one byte per weight, so
    the outputs are bit-identical; 9 rows take the byte layout (no vpshufb)."""
    model = models.linear_model(rows, 256, 384, seed=4)
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    x = np.random.default_rng(rows).standard_normal((rows, 256)).astype(F32)
    asm = tools.compile_model(path, "-", f"--scheme={scheme}", "--emit=asm")
    assert asm.returncode == 0, asm.stderr
    assert "vpshufb" in asm.stdout and "vpdpbusd" in asm.stdout
    packed = compiled_output(model, path, x, tmp_path, f"--scheme={scheme}", lib_name="a.so")
    bytes_ = compiled_output(model, path, x, tmp_path, f"--scheme={scheme}",
                             "--nibble-weights=false", lib_name="b.so")
    assert np.array_equal(packed, bytes_)
    want = emulate(model, x, lambda w: weight_fq(scheme, w), lambda a: act_fq(scheme, a))
    assert max_rel_error(packed, want) <= 1e-4


@needs_vnni_bf16
def test_nine_rows_stream_bytes(tmp_path):
    model = models.linear_model(9, 256, 384, seed=4)
    onnx.save(model, tmp_path / "m.onnx")
    asm = tools.compile_model(tmp_path / "m.onnx", "-", "--scheme=w4a8-int4-g32", "--emit=asm")
    assert asm.returncode == 0, asm.stderr
    assert "vpdpbusd" in asm.stdout and "vpshufb" not in asm.stdout
