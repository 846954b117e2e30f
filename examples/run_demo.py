#!/usr/bin/env python3
# examples/run_demo.py - the README's main job: compile, run, compare with ONNX Runtime FP32.
"""Compiles each model with qopt-compile, runs it with qopt-run (median latency over
repeated runs) and with ONNX Runtime FP32 on the same inputs, and prints a table of
accuracy (max abs error, SQNR of qopt vs ONNX Runtime) and speed."""
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
from qopt import tools  # noqa: E402

TESTDATA = REPO.parent / "shared" / "testdata"


def ort_latency(sess, feeds, repeat):
    sess.run(None, feeds)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
    return out[0], float(np.median(times))


def sqnr_db(ref, out):
    err = np.sum((ref.astype(np.float64) - out) ** 2)
    return float("inf") if err == 0 else 10 * np.log10(np.sum(ref.astype(np.float64) ** 2) / err)


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="qopt-demo-"))
    block = tmp / "transformer_block.onnx"
    subprocess.run([sys.executable, str(REPO / "examples/make_transformer_block.py"), str(block)],
                   check=True, capture_output=True)
    rng = np.random.default_rng(0)
    models = [("mnist-8", TESTDATA / "github/kraiskil-onnx2c-ea045cc/mnist-8/model.onnx", "Input3",
               (1, 1, 28, 28)),
              ("transformer block 32x256", block, "x", (1, 32, 256))]
    print(f"{'model':28s} {'scheme':8s} {'max abs err':>12s} {'SQNR dB':>8s} "
          f"{'qopt ms':>9s} {'ORT ms':>8s} {'speed-up':>8s}")
    for name, path, inp, shape in models:
        x = rng.standard_normal(shape).astype(np.float32)
        np.save(tmp / "x.npy", x)
        lib = tmp / (path.stem + ".so")
        c = tools.compile_model(path, lib)
        if c.returncode:
            sys.exit(c.stderr)
        r = subprocess.run([tools.tool("qopt-run"), str(lib), "--input", f"{inp}={tmp / 'x.npy'}",
                            "--output-dir", str(tmp / ("out-" + path.stem)), "--repeat", "50"],
                           capture_output=True, text=True, check=True)
        ms = float(re.search(r"([0-9.]+) ms", r.stdout).group(1))
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        ref, ort_ms = ort_latency(sess, {inp: x}, 50)
        out = np.load(next((tmp / ("out-" + path.stem)).glob("*.npy")))
        print(f"{name:28s} {'fp32':8s} {np.abs(out - ref).max():12.3g} {sqnr_db(ref, out):8.1f} "
              f"{ms:9.3f} {ort_ms:8.3f} {ort_ms / ms:7.2f}x")
    print("(quantized schemes arrive with the quantization issue; latencies: median of 50 runs, "
          "1 thread)")


if __name__ == "__main__":
    main()
