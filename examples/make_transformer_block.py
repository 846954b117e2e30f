#!/usr/bin/env python3
# examples/make_transformer_block.py - writes the bundled example model (fixed seed).
"""A pre-norm transformer block (attention + SwiGLU MLP, RMSNorm, residuals,
outlier input channels), 32 tokens x 256 features. Usage: make_transformer_block.py OUT.onnx"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))
import onnx  # noqa: E402

from qopt import models  # noqa: E402

if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "transformer_block.onnx"
    onnx.save(models.transformer_block(seed=2026, t=32, d=256, heads=8, hidden=768, norm="rms",
                                       mlp="swiglu"), out)
    print(f"wrote {out}")
