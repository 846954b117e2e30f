"""Writes a one-layer ONNX model y = x W (x: M x K, W: K x N, seeded random weights).

usage: linear_model.py OUT.onnx M K N"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "python"))
from onnx import save  # noqa: E402

from qopt import models  # noqa: E402

out, m, k, n = sys.argv[1], *map(int, sys.argv[2:5])
save(models.linear_model(m, k, n, seed=7), out)
