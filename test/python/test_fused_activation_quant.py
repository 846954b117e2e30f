# test/python/test_fused_activation_quant.py - epilogue and activation-quantization fusion.
"""qopt-fuse moves each matmul's consumers into its column-parallel loop: bias and activation, the
next layer's online Hadamard stages and its per-block activation quantization (MX / NVFP4 block
amax, scales, codes, VNNI block sums). Fusion changes where the arithmetic runs, never the
arithmetic: the fused library must give bit-identical outputs to the unfused one
(--fuse-epilogues=false) for every thread count, on chained layers wide enough to have several
column tiles (uneven over 2 and 3 threads). The unfused result itself is checked against NumPy
emulations in test_quantize_schemes.py and test_rotation.py."""
import re
import subprocess

import numpy as np
import onnx
import pytest

from qopt import models, tools

CASES = [
    ("w4a4-mxfp4", []),
    ("w4a4-mxfp4", ["--rotate=block"]),
    ("w4a4-mxfp4", ["--rotate=block,seed=7"]),
    ("w4a4-nvfp4", []),
    ("w8a8-mxint8", []),
    ("w8a8-int8", ["--rotate=block:64"]),
    ("w4a16-mxfp4", ["--rotate=block"]),
    ("none", []),
]


def _run(tmp_path, monkeypatch, lib, threads):
    monkeypatch.setenv("QOPT_NUM_THREADS", str(threads))
    out = tmp_path / f"out-{lib.stem}-{threads}"
    r = tools.run(lib, {"x": tmp_path / "x.npy"}, out)
    assert r.returncode == 0, r.stderr
    return np.load(next(out.glob("*.npy")))


def assert_flag_keeps_bits(tmp_path, monkeypatch, model, x, flag, *flags):
    """Compiles `model` with --FLAG=true and --FLAG=false (plus `flags`) and checks that the
    first, on 1, 2 and 3 threads, gives the bits of the second on one thread."""
    onnx.save(model, tmp_path / "m.onnx")
    np.save(tmp_path / "x.npy", x)
    libs = {}
    for on in ("true", "false"):
        libs[on] = tmp_path / f"m-{on}.so"
        c = tools.compile_model(tmp_path / "m.onnx", libs[on], *flags, f"--{flag}={on}")
        assert c.returncode == 0, c.stderr
    want = _run(tmp_path, monkeypatch, libs["false"], 1)
    for threads in (1, 2, 3):
        got = _run(tmp_path, monkeypatch, libs["true"], threads)
        assert got.tobytes() == want.tobytes(), (
            f"{threads} threads: max abs diff {np.abs(got - want).max()}")


@pytest.mark.parametrize("scheme,flags", CASES, ids=[f"{s}{''.join(f)}" for s, f in CASES])
def test_fusion_is_bit_identical(tmp_path, monkeypatch, scheme, flags):
    # d = 384: 3 column tiles of the second layer; hidden = 640: 5 tiles of the first.
    model = models.mlp_model(seed=11, m=24, d=384, hidden=640)
    x = np.random.default_rng(12).standard_normal((24, 384)).astype(np.float32)
    x[:, 5] *= 30.0  # an outlier channel, so block scales differ across blocks
    assert_flag_keeps_bits(tmp_path, monkeypatch, model, x, "fuse-epilogues",
                           f"--scheme={scheme}", *flags)


def test_fused_module_keeps_no_float_activation(tmp_path):
    """With fusion the first layer's loop yields the second layer's codes, scales and block sums,
    not its f32 input: before bufferization the w4a4-mxfp4 MLP has no 24 x 640 f32 tensor (the
    hidden activation) in any shape; without fusion it has."""
    model = models.mlp_model(seed=11, m=24, d=384, hidden=640)
    onnx.save(model, tmp_path / "mlp.onnx")
    c = tools.compile_model(tmp_path / "mlp.onnx", tmp_path / "mlp.mlir", "--emit=mlir",
                            "--stop-after=import")
    assert c.returncode == 0, c.stderr
    seen = {}
    for fuse in ("true", "false"):
        r = subprocess.run([tools.tool("qopt-opt"), str(tmp_path / "mlp.mlir"),
                            "--qopt-x86-pipeline=scheme=w4a4-mxfp4 avx512=true vnni=true "
                            f"fuse-epilogues={fuse}",
                            "--mlir-print-ir-before=one-shot-bufferize", "-o", "/dev/null"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "scf.forall" in r.stderr
        seen[fuse] = sorted(set(re.findall(r"tensor<24x640xf32>|tensor<24x1x20x32xf32>", r.stderr)))
    assert seen["true"] == [], seen
    assert seen["false"] != [], seen


PARALLEL_CASES = [
    ("block", "none", []),
    ("block", "w8a8-int8", []),
    ("block", "w4a4-mxfp4", ["--rotate=block"]),
    ("mlp3", "w4a16-nvfp4", ["--gemv-kernels=false"]),  # a top-level weight decode (block scales)
    ("mlp24", "w8a8-int8", []),
]


@pytest.mark.parametrize("kind,scheme,flags", PARALLEL_CASES,
                         ids=[f"{k}-{s}{''.join(f)}" for k, s, f in PARALLEL_CASES])
def test_parallel_rest_is_bit_identical(tmp_path, monkeypatch, kind, scheme, flags):
    """Ops left outside the matmul loops (norms, softmax, attention products, element-wise chains,
    quantization of the graph input, decodes) are split over threads along a parallel loop
    (--parallel-rest): outputs are the same bits as with them on one thread, for 1-3 threads."""
    if kind == "block":
        model = models.transformer_block(seed=3, t=32, d=128, heads=4, hidden=384, norm="rms",
                                         mlp="swiglu")
        shape = (1, 32, 128)
    else:
        m = 3 if kind == "mlp3" else 24
        model = models.mlp_model(seed=21, m=m, d=128, hidden=320)
        shape = (m, 128)
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    assert_flag_keeps_bits(tmp_path, monkeypatch, model, x, "parallel-rest",
                           f"--scheme={scheme}", *flags)
