# test/python/test_threads.py - generated libraries give bit-identical results for any thread count.
"""The weight-column tiles of every matmul run on OpenMP threads (QOPT_NUM_THREADS); the reduction
is never split, so outputs must be bit-identical for 1, 2 and 3 threads, for float and quantized
layers, one row (GEMV, decode fused in registers) and many rows (tiled decode + FMA kernel)."""
import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from qopt import models, tools

SCHEMES = ["none", "w8a16-int8", "w4a16-int4-g32", "w4a16-mxfp4", "w4a16-nvfp4", "w4a16-nf4",
           "w8a8-int8", "w4a4-mxfp4"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("m", [1, 16])
def test_thread_count_does_not_change_results(tmp_path, monkeypatch, scheme, m):
    k, n = 256, 640  # 5 column tiles of 128: uneven split over 2 and 3 threads
    model = models.linear_model(m, k, n, seed=3)
    w = numpy_helper.to_array(model.graph.initializer[0])
    onnx.save(model, tmp_path / "m.onnx")
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so", f"--scheme={scheme}")
    assert c.returncode == 0, c.stderr
    x = np.random.default_rng(4).standard_normal((m, k)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    outs = {}
    for threads in (1, 2, 3):
        monkeypatch.setenv("QOPT_NUM_THREADS", str(threads))
        r = tools.run(tmp_path / "m.so", {"x": tmp_path / "x.npy"}, tmp_path / f"o{threads}")
        assert r.returncode == 0, r.stderr
        outs[threads] = np.load(tmp_path / f"o{threads}" / "y.npy")
    assert outs[1].tobytes() == outs[2].tobytes() == outs[3].tobytes()
    # And the result is the layer's (loosely for quantized schemes: their accuracy is tested
    # against exact emulations elsewhere; this guards against a tile computed twice or skipped).
    ref = x.astype(np.float64) @ w.astype(np.float64)
    err = np.abs(outs[1] - ref).max() / np.abs(ref).max()
    assert err < (1e-5 if scheme == "none" else 0.25), err
