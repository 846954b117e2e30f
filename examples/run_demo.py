#!/usr/bin/env python3
# examples/run_demo.py - the README's main job: compile, run, compare with ONNX Runtime FP32.
"""Part 1: compiles each model in FP32 with qopt-compile, runs it with qopt-run (median
latency over repeated runs) and with ONNX Runtime FP32 on the same inputs, and prints
accuracy (max abs error, SQNR vs ONNX Runtime) and speed.
Part 2: compiles the bundled transformer block (outlier channels) under several
quantization schemes (with and without block Hadamard rotation) and prints, per scheme:
bits per weight, weight bytes, library size, output SQNR against the FP32 build, latency
and speed-up against the FP32 build."""
import json
import os
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


THREADS = int(os.environ.get("QOPT_NUM_THREADS", "2"))


def main():
    os.environ["QOPT_NUM_THREADS"] = str(THREADS)  # qopt-run's libraries; ORT gets the same
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
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = THREADS
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        ref, ort_ms = ort_latency(sess, {inp: x}, 50)
        out = np.load(next((tmp / ("out-" + path.stem)).glob("*.npy")))
        print(f"{name:28s} {'fp32':8s} {np.abs(out - ref).max():12.3g} {sqnr_db(ref, out):8.1f} "
              f"{ms:9.3f} {ort_ms:8.3f} {ort_ms / ms:7.2f}x")
    print(f"(latencies: median of 50 runs, {THREADS} threads each)\n")
    schemes_table(tmp, block, rng)


SCHEMES = [("fp32", "none", "none"), ("w8a16-int8", "w8a16-int8", "none"),
           ("w4a16-int4-g32", "w4a16-int4-g32", "none"),
           ("w4a16-int4-g32", "w4a16-int4-g32", "block"),
           ("w4a16-mxfp4", "w4a16-mxfp4", "none"), ("w4a16-mxfp4", "w4a16-mxfp4", "block"),
           ("w4a16-nvfp4", "w4a16-nvfp4", "none"), ("w8a8-int8", "w8a8-int8", "none"),
           ("w4a8-int4-g32", "w4a8-int4-g32", "none"), ("w8a8-mxfp8", "w8a8-mxfp8", "none"),
           ("w4a4-mxfp4", "w4a4-mxfp4", "block")]


def schemes_table(tmp, block, rng):
    x = rng.standard_normal((1, 32, 256)).astype(np.float32)
    np.save(tmp / "xb.npy", x)
    print(f"transformer block 32x256 (hidden 768, RMSNorm, SwiGLU, outlier channels): "
          f"qopt schemes vs the qopt FP32 build")
    print(f"{'scheme':16s} {'rotate':7s} {'bits/w':>7s} {'weights KB':>10s} {'lib KB':>7s} "
          f"{'SQNR dB':>8s} {'ms':>8s} {'vs fp32':>8s}")
    ref = ref_ms = None
    for label, scheme, rotate in SCHEMES:
        lib = tmp / f"block-{label}-{rotate}.so"
        report = tmp / f"report-{label}-{rotate}.json"
        extra = ["--report-formats=w8a16-int8"] if scheme == "none" else []  # layer shapes
        c = tools.compile_model(block, lib, f"--scheme={scheme}", f"--rotate={rotate}",
                                f"--report={report}", *extra)
        if c.returncode:
            sys.exit(c.stderr)
        out_dir = tmp / f"out-{label}-{rotate}"
        r = subprocess.run([tools.tool("qopt-run"), str(lib), "--input", f"x={tmp / 'xb.npy'}",
                            "--output-dir", str(out_dir), "--repeat", "100"],
                           capture_output=True, text=True, check=True)
        ms = float(re.search(r"([0-9.]+) ms", r.stdout).group(1))
        out = np.load(next(out_dir.glob("*.npy")))
        rep = json.loads(report.read_text())
        if scheme == "none":
            bits, kb = 32.0, sum(4 * l["k"] * l["n"] for l in rep["sensitivity"]) / 1024
        else:
            n = sum(int(np.prod(l["shape"])) for l in rep["layers"])
            bits, kb = 8 * rep["weight_bytes"] / n, rep["weight_bytes"] / 1024
        if ref is None:
            ref, ref_ms = out, ms
        sq = sqnr_db(ref, out)
        print(f"{label:16s} {rotate:7s} {bits:7.2f} {kb:10.1f} {lib.stat().st_size / 1024:7.0f} "
              f"{sq:8.1f} {ms:8.3f} {ref_ms / ms:7.2f}x")
    print("(SQNR of the block's output against the FP32 build; weights KB: the quantized linear "
          "layers incl. scales;\n lib KB: the shared library (4-bit codes two per byte, wider codes "
          "one per byte; on AVX512-VNNI, w*a4/a8 integer-element schemes keep one byte per weight "
          "for vpdpbusd above 8 rows, two per byte up to 8); latency: median of 100 runs, "
          f"{THREADS} threads)")


if __name__ == "__main__":
    main()
