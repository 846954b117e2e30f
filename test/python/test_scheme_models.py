# test/python/test_scheme_models.py - every scheme on three model families vs an emulation.
"""For every named scheme, on an MLP with outlier channels, a pre-norm attention block
with RMSNorm and a SwiGLU MLP, and a small CNN: the compiled library's output equals an
emulation of the scheme (max relative error <= 1e-4). The emulation is ONNX's own
ReferenceEvaluator running the float graph with each constant-weight MatMul/Gemm/Conv
weight replaced by its NumPy/ml_dtypes fake-quantization (scheme_emulation.py, written
independently of lib/Format) and, for activation schemes, a NumPy fake-quant node in
front of each such MatMul/Gemm and convolutions computed as fake-quantized im2col GEMMs. The SQNR against the float model is printed."""
import numpy as np
import onnx
import pytest
from onnx import helper
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

from qopt import models, tools
from scheme_emulation import (ALL_SCHEMES, F32, act_fq, conv_weight_fq, nodes_with_weights,
                              set_weight, weight_fq, with_test_nodes)

MODELS = {
    "mlp": lambda: models.mlp_model(seed=21, m=8, d=128, hidden=256),
    "attention": lambda: models.transformer_block(seed=22, t=8, d=64, heads=4, hidden=160,
                                                  norm="rms", mlp="swiglu"),
    "cnn": lambda: models.cnn_model(seed=23),
}


class FakeQuantActivation(OpRun):
    op_domain = "qopt.test"

    def _run(self, x, scheme=None):
        x2 = x.reshape(-1, x.shape[-1]).astype(F32)
        return (act_fq(scheme, x2).reshape(x.shape).astype(F32),)


class FakeQuantConv(OpRun):
    """2-D convolution (group 1) as im2col(x) [P, C*kh*kw] @ W^T with the activation rows
    fake-quantized like a matmul's (per output position or blocks along K)."""
    op_domain = "qopt.test"

    def _run(self, x, w, bias, scheme=None, strides=None, pads=None, dilations=None):
        n, c, h, wd = x.shape
        m, _, kh, kw = w.shape
        sh, sw = strides or (1, 1)
        dh, dw = dilations or (1, 1)
        pt, pl, pb, pr = pads or (0, 0, 0, 0)
        xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
        oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
        ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
        cols = np.empty((n, oh, ow, c, kh, kw), F32)
        for i in range(kh):
            for j in range(kw):
                cols[:, :, :, :, i, j] = xp[:, :, i * dh:i * dh + sh * oh:sh,
                                            j * dw:j * dw + sw * ow:sw].transpose(0, 2, 3, 1)
        a = act_fq(scheme, cols.reshape(n * oh * ow, c * kh * kw))
        y = a.astype(np.float64) @ w.reshape(m, -1).T.astype(np.float64)
        y = y.reshape(n, oh, ow, m).transpose(0, 3, 1, 2) + bias.reshape(1, m, 1, 1)
        return (y.astype(F32),)


def emulated_model(model, scheme):
    """The float model with fake-quantized weights and activation fake-quant nodes."""
    m, weighted = nodes_with_weights(model)
    nodes = []
    for n, w, arr in weighted:
        if n.op_type == "MatMul" and arr is not None and arr.ndim == 2:
            q = weight_fq(scheme, arr)
        elif n.op_type == "Gemm" and arr is not None:
            trans_b = any(a.name == "transB" and a.i for a in n.attribute)
            q = weight_fq(scheme, arr.T).T if trans_b else weight_fq(scheme, arr)
        elif n.op_type == "Conv" and arr is not None:
            q = conv_weight_fq(scheme, arr)
        else:
            nodes.append(n)
            continue
        set_weight(w, q)
        if n.op_type == "Conv" and ALL_SCHEMES[scheme][1] is not None:
            attrs = {a.name: list(a.ints) for a in n.attribute if a.ints}
            nodes.append(helper.make_node("FakeQuantConv", list(n.input), list(n.output),
                                          domain="qopt.test", scheme=scheme, **attrs))
            continue
        if n.op_type != "Conv" and ALL_SCHEMES[scheme][1] is not None:
            fq_out = n.input[0] + "_fq_" + n.name
            nodes.append(helper.make_node("FakeQuantActivation", [n.input[0]], [fq_out],
                                          domain="qopt.test", scheme=scheme))
            n.input[0] = fq_out
        nodes.append(n)
    return with_test_nodes(m, nodes)


def run_reference(model, x):
    ev = ReferenceEvaluator(model, new_ops=[FakeQuantActivation, FakeQuantConv])
    return ev.run(None, {model.graph.input[0].name: x})[0]


def sqnr(ref, got):
    return 10 * np.log10((ref.astype(np.float64) ** 2).sum() /
                         ((got.astype(np.float64) - ref) ** 2).sum())


@pytest.mark.parametrize("scheme", sorted(ALL_SCHEMES))
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_scheme_on_model_matches_emulation(kind, scheme, tmp_path):
    model = MODELS[kind]()
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    lib = tmp_path / "m.so"
    c = tools.compile_model(path, lib, f"--scheme={scheme}")
    assert c.returncode == 0, c.stderr
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(31).standard_normal(shape).astype(F32)
    np.save(tmp_path / "x.npy", x)
    r = tools.run(lib, {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    got = np.load(tmp_path / "out" / f"{model.graph.output[0].name}.npy")
    want = run_reference(emulated_model(model, scheme), x)
    rel = np.abs(got.astype(np.float64) - want).max() / np.abs(want).max()
    assert rel <= 1e-4, f"{kind} {scheme}: max relative error {rel:.3g} vs the emulation"
    print(f"{kind} {scheme}: SQNR vs float {sqnr(run_reference(model, x), got):.1f} dB")
