#!/usr/bin/env python3
# bench/run.py - qopt's benchmark suite (not part of the test pass).
"""Measures, in one run on this machine:
  * the roofline baselines: a STREAM-style read bandwidth (NumPy sum over a buffer far
    larger than L3), single-thread FP32 matmul throughput of NumPy (BLAS), and the compute
    peaks of FP32 FMA, BF16 vdpbf16ps and VNNI vpdpbusd loops (bench/peak.c, per thread count);
  * kernels: one linear layer y = x W (K x N) per weight format, at M = 1, 4, 16 (decode)
    and M = 128 (prefill), compiled by qopt, against ONNX Runtime (CPU EP, same thread
    count) on the same shapes with MatMul FP32, MatMulNBits 4-bit (block 32, made by ORT's
    own quantizer) and dynamically quantized int8 (MatMulInteger);
  * whole models: the transformer block (t = 32 and 128), the GELU MLP (two sizes) and a
    batch-1 decoder stack (t = 1, d = 2048, weights from DRAM) under qopt FP32 and each
    scheme vs ONNX Runtime FP32 and ORT's MatMulNBits / int8 builds of the same model.
For each row: median latency, GFLOP/s, effective weight GB/s (weight bytes / time), the
fraction of the measured read bandwidth, and the ratio vs ONNX Runtime FP32 on the same
shape. Prints a table and writes bench/results.json.

  python bench/run.py [--k 1024 --n 1024] [--threads 1,2] [--ms 1,4,16,128,512] [--quick]
Weights of one K x N layer may sit in cache (the JSON notes the weight size vs L3): use
--k 4096 --n 4096 --layers 8 to stream >= 512 MB of distinct FP32 weights."""
import argparse
import gc
import json
import logging
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
from qopt import models, tools  # noqa: E402

SCHEMES = ["none", "w8a16-int8", "w4a16-int4-g32", "w4a16-mxfp4", "w4a16-nvfp4", "w4a16-nf4",
           "w8a16-fp8", "w8a8-int8", "w4a8-int4-g32", "w8a8-mxint8", "w4a4-mxfp4", "w4a4-nvfp4",
           "w8a8-fp8", "w8a8-fp8+bf16"]
# Extra qopt-compile flags of a scheme label ("+bf16": the opt-in vdpbf16ps kernels).
FLAGS = {"w8a8-fp8+bf16": ["--bf16-dot"]}
# The compute unit each qopt scheme's prefill kernel runs on (its roofline).
UNIT = {"w8a8-int8": "vnni", "w4a8-int4-g32": "vnni", "w8a8-mxint8": "vnni", "w4a4-mxfp4": "vnni", "w4a4-nvfp4": "vnni",
        "w8a8-fp8+bf16": "bf16"}


def median_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


def read_bandwidth_gbs(threads=1):
    """STREAM-style read bandwidth: NumPy sums of a 512 MB buffer (far larger than L3), split
    over `threads` threads (NumPy releases the GIL in the reduction)."""
    from concurrent.futures import ThreadPoolExecutor
    buf = np.ones(128 * 1024 * 1024, np.float32)
    parts = np.array_split(buf, threads)
    with ThreadPoolExecutor(threads) as pool:
        ms = median_ms(lambda: list(pool.map(np.sum, parts)), 5)
    return buf.nbytes / (ms * 1e-3) / 1e9


def compute_peaks(threads):
    """bench/peak.c (16 independent zmm accumulators per thread): FP32 FMA, BF16 vdpbf16ps and
    VNNI vpdpbusd rates in G(FL)OP/s on `threads` OpenMP threads; {} if it cannot be built."""
    exe = pathlib.Path(tempfile.gettempdir()) / "qopt-bench-peak"
    c = subprocess.run(["clang-22", "-O2", "-march=native", "-fopenmp", str(REPO / "bench" / "peak.c"),
                        "-o", str(exe)], capture_output=True, text=True)
    if c.returncode:
        print(f"(compute peaks unavailable: {c.stderr.strip()[:200]})")
        return {}
    out = subprocess.run([str(exe), str(threads)], capture_output=True, text=True, check=True)
    fma, bf16, vnni, read = map(float, out.stdout.split())
    return {"fma": fma, "bf16": bf16, "vnni": vnni, "read_gbs": read}


def numpy_fp32_gflops():
    a = np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32)
    ms = median_ms(lambda: a @ a, 10)
    return 2 * 512 ** 3 / (ms * 1e-3) / 1e9


def qopt_compile(path, scheme, tmp):
    lib = tmp / f"{path.stem}-{scheme}.so"
    c = tools.compile_model(path, lib, f"--scheme={scheme.split('+')[0]}", *FLAGS.get(scheme, []))
    if c.returncode:
        raise RuntimeError(c.stderr)
    return lib


def qopt_run_ms(lib, x_path, tmp, repeat, threads, in_name="x"):
    env = dict(os.environ, QOPT_NUM_THREADS=str(threads))
    r = subprocess.run([tools.tool("qopt-run"), str(lib), "--input", f"{in_name}={x_path}",
                        "--output-dir", str(tmp / "out"), "--repeat", str(repeat)],
                       capture_output=True, text=True, check=True, env=env)
    return float(re.search(r"([0-9.]+) ms", r.stdout).group(1))


def qopt_latency(path, scheme, x_path, tmp, repeat, threads=1, in_name="x"):
    return qopt_run_ms(qopt_compile(path, scheme, tmp), x_path, tmp, repeat, threads, in_name)


def ort_session(path, threads):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def ort_variants(model, tmp):
    """FP32, MatMulNBits 4-bit (block 32) and dynamic int8 builds of the same model."""
    out = {}
    p = tmp / "ort_fp32.onnx"
    onnx.save(model, p)
    out["ORT fp32"] = p
    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
        for block in (32, 128):
            q = MatMulNBitsQuantizer(onnx.load(p), block_size=block, is_symmetric=True)
            q.process()
            p4 = tmp / f"ort_nbits4_g{block}.onnx"
            onnx.save(q.model.model, p4)
            out[f"ORT MatMulNBits-4 g{block}"] = p4
    except Exception as e:  # noqa: BLE001 (reported, not fatal)
        print(f"(MatMulNBits baseline unavailable: {e})")
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        p8 = tmp / "ort_int8.onnx"
        quantize_dynamic(str(p), str(p8), weight_type=QuantType.QInt8)
        out["ORT int8 dynamic"] = p8
    except Exception as e:  # noqa: BLE001
        print(f"(int8 baseline unavailable: {e})")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=1024)
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="M = 1 and 16 only, fewer schemes")
    ap.add_argument("--ms", default="1,4,16,128", help="comma-separated M (rows) of the kernels")
    ap.add_argument("--schemes", default=",".join(SCHEMES), help="comma-separated qopt schemes")
    ap.add_argument("--models-only", action="store_true",
                    help="skip the kernel rows: only the baselines and the whole models")
    ap.add_argument("--kernels-only", action="store_true", help="skip the whole models")
    ap.add_argument("--model", default="",
                    help="run only the whole models whose name contains this text")
    ap.add_argument("--decode-layers", type=int, default=3,
                    help="blocks in the batch-1 decoder model (206 MB of FP32 weights each)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results.json"))
    args = ap.parse_args()
    thread_counts = [int(t) for t in str(args.threads).split(",")]
    logging.disable(logging.WARNING)  # the ORT quantizers' progress messages
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="qopt-bench-"))
    numpy_bws = {t: read_bandwidth_gbs(t) for t in thread_counts}
    peak = numpy_fp32_gflops()
    print("read bandwidth (NumPy sums of 512 MB): " +
          ", ".join(f"{numpy_bws[t]:.1f} GB/s with {t} thread(s)" for t in thread_counts) +
          f"; NumPy FP32 matmul 512^3: {peak:.1f} GFLOP/s")
    peaks = {t: compute_peaks(t) for t in thread_counts}
    # The roofline: the faster of the two read kernels (NumPy's sum is not always the best).
    bws = {t: max(numpy_bws[t], peaks[t].get("read_gbs", 0.0)) for t in thread_counts}
    print("read bandwidth (bench/peak.c AVX-512 sums of 512 MB): " +
          ", ".join(f"{peaks[t].get('read_gbs', float('nan')):.1f} GB/s with {t} thread(s)"
                    for t in thread_counts) +
          "; the roofline below is the faster of the two")
    for t in thread_counts:
        if peaks[t]:
            print(f"compute peak (bench/peak.c, {t} thread(s)): FP32 FMA {peaks[t]['fma']:.0f} "
                  f"GFLOP/s, BF16 vdpbf16ps {peaks[t]['bf16']:.0f} GFLOP/s, "
                  f"VNNI vpdpbusd {peaks[t]['vnni']:.0f} GOP/s")
    results = {"read_bandwidth_gbs": bws, "numpy_read_bandwidth_gbs": numpy_bws,
               "numpy_fp32_gflops": peak, "compute_peaks": peaks,
               "threads": thread_counts,
               "k": args.k, "n": args.n, "layers": args.layers, "kernels": [], "models": []}
    ms_list = [1, 16] if args.quick else [int(m) for m in args.ms.split(",")]
    schemes = ["none", "w8a16-int8", "w4a16-mxfp4"] if args.quick else args.schemes.split(",")
    hdr = (f"{'shape':22s} {'thr':>3s} {'engine':26s} {'ms':>9s} {'GFLOP/s':>8s} {'weight GB/s':>11s} "
           f"{'% of bw':>8s} {'% of peak':>14s} {'vs ORT fp32':>11s} {'vs qopt fp32':>12s}")
    print(hdr)
    bits = {"none": 32, "w8a16-int8": 8, "w4a16-int4-g32": 5, "w4a16-int4-g128": 4.25,
            "w6a16-mxfp6": 6.25, "w8a16-mxfp8": 8.25, "w8a16-mxint8": 8.25,
            "w4a8-mxfp4-fp8": 4.25, "w8a8-mxfp8": 8.25, "w4a16-mxfp4": 4.25,
            "w4a16-nvfp4": 4.5, "w8a16-fp8": 8, "w8a8-int8": 8, "w4a4-mxfp4": 4.25,
            "w4a16-nf4": 4.5, "w8a8-mxint8": 8.25, "w4a4-nvfp4": 4.5, "w8a8-fp8": 8,
            "w8a8-fp8+bf16": 8, "w4a8-int4-g32": 5}
    ort_bytes = {"ORT fp32": 4.0, "ORT MatMulNBits-4 g32": (4 + 32 / 32) / 8,
                 "ORT MatMulNBits-4 g128": (4 + 32 / 128) / 8, "ORT int8 dynamic": 1.0}
    for m in [] if args.models_only else ms_list:
        model = models.linear_model(m, args.k, args.n, args.layers)
        path = tmp / f"linear_m{m}.onnx"
        onnx.save(model, path)
        x = np.random.default_rng(1).standard_normal((m, args.k)).astype(np.float32)
        np.save(tmp / "x.npy", x)
        flops = 2 * m * args.k * args.n * args.layers
        ort_models = ort_variants(model, tmp)
        libs = {s: qopt_compile(path, s, tmp) for s in schemes}
        for threads in thread_counts:
            rows = []
            for label, p in ort_models.items():
                sess = ort_session(p, threads)
                rows.append((label, median_ms(lambda: sess.run(None, {"x": x}), args.repeat),
                             ort_bytes[label], "vnni" if "int8" in label else "fma"))
                del sess  # its spinning pool threads would compete with qopt's runs
                gc.collect()
            ort_ms = rows[0][1]
            qopt_fp32_ms = None
            for s in schemes:
                ms = qopt_run_ms(libs[s], tmp / "x.npy", tmp, args.repeat, threads)
                qopt_fp32_ms = ms if s == "none" else qopt_fp32_ms
                if s not in bits:
                    raise SystemExit(f"bench: no bits/weight for scheme {s}")
                rows.append((f"qopt {s}", ms, bits[s] / 8, UNIT.get(s, "fma")))
            for label, ms, bytes_per_w, unit in rows:
                wbytes = args.k * args.n * args.layers * bytes_per_w
                gbs = wbytes / (ms * 1e-3) / 1e9
                shape = f"M={m} {args.k}x{args.n}x{args.layers}"
                vs_q = qopt_fp32_ms / ms if qopt_fp32_ms else float("nan")
                bw = bws[threads]
                gflops = flops / (ms * 1e-3) / 1e9
                unit_peak = peaks[threads].get(unit, float("nan"))
                print(f"{shape:22s} {threads:3d} {label:26s} {ms:9.3f} "
                      f"{gflops:8.2f} {gbs:11.2f} {100 * gbs / bw:7.1f}% "
                      f"{100 * gflops / unit_peak:6.1f}% {unit:>5s} "
                      f"{ort_ms / ms:10.2f}x {vs_q:11.2f}x")
                results["kernels"].append({"m": m, "threads": threads, "engine": label, "ms": ms,
                                           "gflops": flops / (ms * 1e-3) / 1e9,
                                           "weight_gbs": gbs, "fraction_of_bw": gbs / bw,
                                           "compute_unit": unit,
                                           "fraction_of_peak": gflops / unit_peak,
                                           "vs_ort_fp32": ort_ms / ms,
                                           "vs_qopt_fp32": vs_q})
    # Whole models: the transformer block and the MLP test models at two sizes, qopt per scheme
    # against ORT FP32 and ORT's own MatMulNBits (4-bit) and dynamic int8 builds of each.
    whole = [("transformer block 32x256", (1, 32, 256),
              lambda: models.transformer_block(seed=2026, t=32, d=256, heads=8, hidden=768,
                                               norm="rms", mlp="swiglu")),
             ("MLP 32x256x1024", (32, 256),
              lambda: models.mlp_model(seed=2026, m=32, d=256, hidden=1024))]
    if not args.quick:
        whole += [("transformer block 128x512", (1, 128, 512),
                   lambda: models.transformer_block(seed=2026, t=128, d=512, heads=8, hidden=1536,
                                                    norm="rms", mlp="swiglu")),
                  ("MLP 128x1024x4096", (128, 1024),
                   lambda: models.mlp_model(seed=2026, m=128, d=1024, hidden=4096)),
                  # Batch-1 decode: one token through a stack of blocks whose FP32 weights
                  # (d = 2048, SwiGLU hidden 5632: 206 MB a block) far exceed the L3, so
                  # every engine streams its weights from DRAM, as an LLM decode step does.
                  (f"decoder {args.decode_layers}x2048 t=1", (1, 1, 2048),
                   lambda: models.transformer_block(seed=2026, t=1, d=2048, heads=16, hidden=5632,
                                                    norm="rms", mlp="swiglu",
                                                    layers=args.decode_layers))]
    if args.model:
        whole = [w for w in whole if args.model in w[0]]
    if args.kernels_only:
        whole = []
    print(f"\n{'model':34s} {'thr':>3s} {'engine':26s} {'ms':>9s} {'vs ORT fp32':>11s} "
          f"{'vs qopt fp32':>12s}")
    for name, shape, make in whole:
        model = make()
        mdir = tmp / name.replace(" ", "_")
        mdir.mkdir()
        path = mdir / "model.onnx"
        onnx.save(model, path)
        xm = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
        np.save(mdir / "x.npy", xm)
        ort_models = ort_variants(model, mdir)
        libs = {s: qopt_compile(path, s, mdir) for s in schemes}
        for threads in thread_counts:
            model_repeat = max(args.repeat, 100)  # sub-millisecond runs: warm the thread pools
            rows = []
            for label, p in ort_models.items():
                sess = ort_session(p, threads)
                rows.append((label, median_ms(lambda: sess.run(None, {"x": xm}), model_repeat)))
                del sess
                gc.collect()
            for s in schemes:
                rows.append((f"qopt {s}", qopt_run_ms(libs[s], mdir / "x.npy", mdir, model_repeat,
                                                      threads)))
            ort_ms = rows[0][1]
            qopt_fp32_ms = dict(rows).get("qopt none", float("nan"))
            for label, ms in rows:
                print(f"{name:34s} {threads:3d} {label:26s} {ms:9.3f} {ort_ms / ms:10.2f}x "
                      f"{qopt_fp32_ms / ms:11.2f}x")
                results["models"].append({"model": name, "threads": threads, "engine": label,
                                          "ms": ms, "vs_ort_fp32": ort_ms / ms,
                                          "vs_qopt_fp32": qopt_fp32_ms / ms})
    pathlib.Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
