#!/usr/bin/env python3
"""A/B of a qopt-compile flag on chained layers (bench/, not part of the tests).

Builds the GELU MLP test model (qopt.models.mlp_model: x -> Linear(d, hidden) -> GELU ->
Linear(hidden, d) + x) with M rows, compiles each scheme twice, with FLAG=true and FLAG=false,
and times both in the same run, interleaved (best of 3 medians of 20 runs each; QOPT_NUM_THREADS).

  python bench/fusion_ab.py --m 512 --d 1024 --hidden 4096 --schemes none,w4a4-mxfp4,w4a4-mxfp4+rot
  python bench/fusion_ab.py --flag parallel-rest --schemes none
A scheme 'S+rot' adds --rotate=block.
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
from qopt import models, tools  # noqa: E402


def run_ms(lib, x_path, out, threads, repeat=20):
    env = dict(os.environ, QOPT_NUM_THREADS=str(threads))
    r = subprocess.run([tools.tool("qopt-run"), str(lib), "--input", f"x={x_path}",
                        "--output-dir", str(out), "--repeat", str(repeat)],
                       capture_output=True, text=True, check=True, env=env)
    return float(re.search(r"([0-9.]+) ms", r.stdout).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--m", type=int, default=512)
    ap.add_argument("--d", type=int, default=1024)
    ap.add_argument("--hidden", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--flag", default="fuse-epilogues", help="a boolean qopt-compile flag")
    ap.add_argument("--schemes", default="none,w4a4-mxfp4,w4a4-mxfp4+rot,w4a4-nvfp4,w8a8-int8,w8a8-mxint8")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = pathlib.Path(t)
        model = tmp / "mlp.onnx"
        onnx.save(models.mlp_model(seed=1, m=args.m, d=args.d, hidden=args.hidden), model)
        x = np.random.default_rng(0).standard_normal((args.m, args.d)).astype(np.float32)
        np.save(tmp / "x.npy", x)
        print(f"GELU MLP M={args.m} d={args.d} hidden={args.hidden}, {args.threads} threads, "
              f"--{args.flag}=true vs false")
        for s in args.schemes.split(","):
            scheme, *extra = s.split("+")
            flags = ["--rotate=block"] if "rot" in extra else []
            libs = {}
            for v in ("true", "false"):
                libs[v] = tmp / f"{scheme}-{v}.so"
                c = tools.compile_model(model, libs[v], f"--scheme={scheme}", *flags, f"--{args.flag}={v}")
                if c.returncode:
                    sys.exit(c.stderr)
            times = {"true": [], "false": []}
            for _ in range(3):
                for v in ("true", "false"):
                    times[v].append(run_ms(libs[v], tmp / "x.npy", tmp / "out", args.threads))
            on, off = min(times["true"]), min(times["false"])
            print(f"{s:24s} on {on:9.3f} ms   off {off:9.3f} ms   speed-up {off / on:5.2f}x", flush=True)


if __name__ == "__main__":
    main()
