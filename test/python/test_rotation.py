# test/python/test_rotation.py - Hadamard rotation (--rotate) without and with quantization.
"""Equivalence: without quantization a rotated model computes the same function (relative
difference < 1e-5). Exactness: with quantization the library equals an emulation built
here independently: Sylvester Hadamard matrices, splitmix64 signs, weights rotated then
fake-quantized (scheme_emulation.py), activations rotated then quantized, evaluated with
ONNX's ReferenceEvaluator (max relative error <= 1e-4). The research trend is printed:
output SQNR of w4a16-mxfp4 / w4a16-nvfp4 / w4a16-int4-g32 / w8a16-int8 under none /
block / global rotation on an MLP with outlier channels."""
import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

from qopt import models, tools
from scheme_emulation import (ALL_SCHEMES, BLOCKS, F32, act_fq, conv_weight_fq, nodes_with_weights,
                              set_weight, weight_fq, with_test_nodes)

MODELS = {
    "mlp": lambda: models.mlp_model(seed=21, m=8, d=128, hidden=256),
    "attention": lambda: models.transformer_block(seed=22, t=8, d=64, heads=4, hidden=160,
                                                  norm="rms", mlp="swiglu"),
    "cnn": lambda: models.cnn_model(seed=23),
}
MASK64 = (1 << 64) - 1


def signs(seed, b):
    """splitmix64 from `seed`; bit 63 of the i-th output set means -1 (docs/Formats.md)."""
    if seed is None:
        return np.ones(b)
    out, state = [], seed
    for _ in range(b):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        out.append(-1.0 if z >> 63 else 1.0)
    return np.array(out)


def hadamard(b):
    h = np.array([[1.0]])
    while h.shape[0] < b:
        h = np.block([[h, h], [h, -h]])
    return h / np.sqrt(b)


def rotation(k, b, seed):
    """R = diag(H_b D, ..., H_b D), K x K."""
    blk = hadamard(b) @ np.diag(signs(seed, b))
    return np.kron(np.eye(k // b), blk)


def rotation_block(mode, scheme, k):
    if mode.startswith("global"):
        return k & -k
    if mode.startswith("block:"):
        return int(mode.split(",")[0].split(":")[1])
    return BLOCKS.get(scheme, (32, 1))[0] if BLOCKS.get(scheme, (1, 1))[0] > 1 else 32


def seed_of(mode):
    return int(mode.split("seed=")[1]) if "seed=" in mode else None


class RotateQuantActivation(OpRun):
    op_domain = "qopt.test"

    def _run(self, x, scheme=None, block=None, seed=None):
        x2 = x.reshape(-1, x.shape[-1]).astype(np.float64)
        r = (x2 @ rotation(x2.shape[1], block, None if seed < 0 else seed)).astype(F32)
        if scheme != "none":
            r = act_fq(scheme, r)
        return (r.reshape(x.shape).astype(F32),)


def emulated(model, scheme, mode):
    """The float model with rotated (and fake-quantized) weights and rotation nodes."""
    m, weighted = nodes_with_weights(model)
    nodes = []
    quantized = scheme != "none"
    for n, w, arr in weighted:
        if n.op_type == "Conv" and arr is not None and quantized:
            set_weight(w, conv_weight_fq(scheme, arr))
            nodes.append(n)
            continue
        trans_b = n.op_type == "Gemm" and any(a.name == "transB" and a.i for a in n.attribute)
        if n.op_type not in ("MatMul", "Gemm") or arr is None or arr.ndim != 2:
            nodes.append(n)
            continue
        kn = arr.T if trans_b else arr
        k = kn.shape[0]
        b = rotation_block(mode, scheme, k)
        rotate = mode != "none" and k % b == 0 and b >= 2
        if rotate:
            kn = (rotation(k, b, seed_of(mode)).T @ kn.astype(np.float64)).astype(F32)
        if quantized:
            kn = weight_fq(scheme, kn)
        set_weight(w, kn.T if trans_b else kn)
        if rotate or (quantized and ALL_SCHEMES[scheme][1] is not None):
            out = n.input[0] + "_rq_" + n.name
            s = seed_of(mode)
            nodes.append(helper.make_node(
                "RotateQuantActivation", [n.input[0]], [out], domain="qopt.test",
                scheme=scheme if ALL_SCHEMES.get(scheme, (0, None))[1] is not None else "none",
                block=b if rotate else 1, seed=-1 if s is None else s))
            n.input[0] = out
        nodes.append(n)
    return with_test_nodes(m, nodes)


def reference(model, x):
    ev = ReferenceEvaluator(model, new_ops=[RotateQuantActivation])
    return ev.run(None, {model.graph.input[0].name: x})[0]


def compile_and_run(model, tmp_path, *flags):
    onnx.save(model, tmp_path / "m.onnx")
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so", *flags)
    assert c.returncode == 0, c.stderr
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(41).standard_normal(shape).astype(F32)
    np.save(tmp_path / "x.npy", x)
    r = tools.run(tmp_path / "m.so", {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    return x, np.load(tmp_path / "out" / f"{model.graph.output[0].name}.npy")


@pytest.mark.parametrize("mode", ["block", "block:16", "block:32,seed=5", "global",
                                  "global,seed=11"])
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_rotation_preserves_the_float_function(kind, mode, tmp_path):
    model = MODELS[kind]()
    _, base = compile_and_run(model, tmp_path)
    if kind == "cnn" and mode.startswith("block:32"):
        # The classifier has K = 16: an explicit block that does not divide K is an error.
        c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "bad.so", f"--rotate={mode}")
        assert c.returncode != 0 and "rotation block 32 does not divide K = 16" in c.stderr
        assert not (tmp_path / "bad.so").exists()
        return
    _, rotated = compile_and_run(model, tmp_path, f"--rotate={mode}")
    rel = np.abs(rotated.astype(np.float64) - base).max() / np.abs(base).max()
    assert rel < 1e-5, f"{kind} --rotate={mode}: relative change {rel:.3g}"


@pytest.mark.parametrize("scheme,mode", [
    ("w4a16-mxfp4", "block"), ("w4a16-mxfp4", "global,seed=3"), ("w4a16-nvfp4", "block"),
    ("w4a16-int4-g32", "block:16,seed=2"), ("w8a16-int8", "global"), ("w4a4-mxfp4", "block,seed=9"),
    ("w4a4-nvfp4", "block"), ("w8a8-int8", "global")])
@pytest.mark.parametrize("kind", ["mlp", "attention"])
def test_rotated_quantized_model_matches_emulation(kind, scheme, mode, tmp_path):
    model = MODELS[kind]()
    x, got = compile_and_run(model, tmp_path, f"--scheme={scheme}", f"--rotate={mode}")
    # --rotate implies --fold-norms: norm scales move into the following weights first.
    want = reference(emulated(fold_norms_in_graph(model), scheme, mode), x)
    rel = np.abs(got.astype(np.float64) - want).max() / np.abs(want).max()
    assert rel <= 1e-4, f"{kind} {scheme} --rotate={mode}: max relative error {rel:.3g}"


def test_research_trend_table(tmp_path, capsys):
    """SQNR of the final output (dB) per scheme and rotation on an MLP with outlier
    channels; rotation must not make any scheme worse than 3 dB below no rotation, block
    rotation must help int4 and it must not hurt MXFP4."""
    model = models.mlp_model(seed=5, m=16, d=256, hidden=512)
    x, ref = compile_and_run(model, tmp_path)
    table = {}
    for scheme in ["w4a16-mxfp4", "w4a16-nvfp4", "w4a16-int4-g32", "w8a16-int8"]:
        for mode in ["none", "block", "global"]:
            _, got = compile_and_run(model, tmp_path, f"--scheme={scheme}", f"--rotate={mode}")
            err = got.astype(np.float64) - ref
            table[scheme, mode] = 10 * np.log10((ref.astype(np.float64) ** 2).sum() / (err ** 2).sum())
    with capsys.disabled():
        print("\nscheme            none   block  global  (output SQNR dB)")
        for scheme in ["w4a16-mxfp4", "w4a16-nvfp4", "w4a16-int4-g32", "w8a16-int8"]:
            print(f"{scheme:16s} " + " ".join(f"{table[scheme, m]:6.1f}" for m in
                                               ["none", "block", "global"]))
    assert table["w4a16-int4-g32", "block"] > table["w4a16-int4-g32", "none"]
    assert table["w4a16-mxfp4", "block"] > table["w4a16-mxfp4", "none"] - 0.5


# --- norm folding ---------------------------------------------------------------
NORMS = ["layernorm", "rms", "simplified", "rms23"]


def norm_model(norm):
    return models.transformer_block(seed=22, t=8, d=64, heads=4, hidden=160, norm=norm,
                                    mlp="swiglu", opset=23 if norm == "rms23" else 20)


def fold_norms_in_graph(model):
    """gamma (and beta) of every norm feeding only MatMuls folded into their weights,
    written here on the ONNX graph: W' = diag(gamma) W, an Add of beta W after it."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    users = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    new_nodes = []
    for n in g.node:
        gamma = beta = None
        if n.op_type in ("LayerNormalization", "RMSNormalization", "SimplifiedLayerNormalization"):
            gamma = n.input[1]
            beta = n.input[2] if len(n.input) > 2 and n.input[2] else None
        elif n.op_type == "Mul" and n.input[1] in inits and numpy_helper.to_array(
                inits[n.input[1]]).ndim == 1:
            gamma = n.input[1]
        if gamma is None or not all(u.op_type == "MatMul" and u.input[1] in inits
                                    for u in users.get(n.output[0], [])):
            continue
        gv = numpy_helper.to_array(inits[gamma]).astype(np.float64)
        bv = numpy_helper.to_array(inits[beta]).astype(np.float64) if beta else None
        for u in users[n.output[0]]:
            w = numpy_helper.to_array(inits[u.input[1]]).astype(np.float64)
            inits[u.input[1]].CopyFrom(numpy_helper.from_array((gv[:, None] * w).astype(F32),
                                                               u.input[1]))
            if bv is not None:
                shift_name = u.output[0] + "_beta_shift"
                g.initializer.append(numpy_helper.from_array((bv @ w).astype(F32), shift_name))
                out = u.output[0]
                u.output[0] = out + "_pre_shift"
                new_nodes.append((u, helper.make_node("Add", [u.output[0], shift_name], [out])))
        inits[gamma].CopyFrom(numpy_helper.from_array(np.ones_like(gv, dtype=F32), gamma))
        if beta:
            inits[beta].CopyFrom(numpy_helper.from_array(np.zeros_like(bv, dtype=F32), beta))
    for after, node in new_nodes:
        idx = list(g.node).index(after)
        g.node.insert(idx + 1, node)
    return m


@pytest.mark.parametrize("norm", NORMS)
def test_fold_norms_preserves_the_float_function(norm, tmp_path):
    model = norm_model(norm)
    _, base = compile_and_run(model, tmp_path)
    for flags in (["--fold-norms"], ["--fold-norms", "--rotate=block:16,seed=4"]):
        _, folded = compile_and_run(model, tmp_path, *flags)
        rel = np.abs(folded.astype(np.float64) - base).max() / np.abs(base).max()
        assert rel < 1e-5, f"{norm} {flags}: relative change {rel:.3g}"
    # Five matmuls read a norm's output (Q, K, V; the two SwiGLU inputs): all folded.
    mlir = tools.compile_model(tmp_path / "m.onnx", "-", "--emit=mlir", "--stop-after=import")
    (tmp_path / "m.mlir").write_text(mlir.stdout)
    import subprocess
    out = subprocess.run([tools.tool("qopt-opt"), str(tmp_path / "m.mlir"), "--qopt-fold-norms"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("qopt.folded_norm") == 5


@pytest.mark.parametrize("scheme,mode", [("w4a16-mxfp4", "none"), ("w4a16-int4-g32", "block"),
                                         ("w4a4-nvfp4", "block,seed=2")])
@pytest.mark.parametrize("norm", ["layernorm", "rms"])
def test_folded_quantized_model_matches_emulation(norm, scheme, mode, tmp_path):
    """Quantized weights are diag(gamma) W (then rotated): the emulation folds the norms
    on the ONNX graph itself, then rotates and fake-quantizes as above."""
    model = norm_model(norm)
    x, got = compile_and_run(model, tmp_path, "--fold-norms", f"--scheme={scheme}",
                             f"--rotate={mode}")
    want = reference(emulated(fold_norms_in_graph(model), scheme, mode), x)
    rel = np.abs(got.astype(np.float64) - want).max() / np.abs(want).max()
    assert rel <= 1e-4, f"{norm} {scheme} --rotate={mode}: max relative error {rel:.3g}"


# --- rotation folded across a gamma-free RMSNorm ---------------------------------
RMS_NORMS = ["rms", "simplified", "rms23"]


def norm_mlp(norm):
    return models.norm_mlp_model(seed=24, m=8, d=64, hidden=128, norm=norm)


def lowered_rotations(model, tmp_path, mode):
    """qopt-rotate's decisions on the imported model: the online transforms and the tags."""
    import subprocess
    onnx.save(model, tmp_path / "m.onnx")
    mlir = tools.compile_model(tmp_path / "m.onnx", "-", "--emit=mlir", "--stop-after=import")
    (tmp_path / "m.mlir").write_text(mlir.stdout)
    out = subprocess.run([tools.tool("qopt-opt"), str(tmp_path / "m.mlir"), "--qopt-fold-norms",
                          f"--qopt-rotate=rotate={mode} scheme=w4a16-int4-g32"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return (out.stdout.count("qopt.hadamard"), out.stdout.count('qopt.rotated_across = "rms_norm"'))


@pytest.mark.parametrize("norm", RMS_NORMS)
@pytest.mark.parametrize("mode", ["block", "block:16,seed=3", "global,seed=9"])
def test_rotation_folds_across_rms_norm(norm, mode, tmp_path):
    """Linear -> RMSNorm -> Linear: the second layer's R moves in front of the gamma-free norm
    into the first layer's columns and bias; only the graph input's rotation runs online. The
    float function is unchanged."""
    model = norm_mlp(norm)
    assert lowered_rotations(model, tmp_path, mode) == (1, 1)
    _, base = compile_and_run(model, tmp_path)
    _, rotated = compile_and_run(model, tmp_path, f"--rotate={mode}")
    rel = np.abs(rotated.astype(np.float64) - base).max() / np.abs(base).max()
    assert rel < 1e-5, f"{norm} --rotate={mode}: relative change {rel:.3g}"


def test_rotation_stays_online_after_a_residual_norm(tmp_path):
    """In a pre-norm block the norm's input is the residual stream, which the residual add also
    reads: R cannot move across the norm without rotating the whole stream, so it stays online
    (one transform after each norm, shared by its consumers) and nothing is tagged."""
    online, across = lowered_rotations(norm_model("rms"), tmp_path, "block")
    assert across == 0 and online >= 2


@pytest.mark.parametrize("mode", ["block", "block:16,seed=3", "global,seed=9"])
def test_rotation_folds_into_a_biased_linear_producer(mode, tmp_path):
    """Linear -> Linear on a 3-D activation, each with a bias (ONNX MatMul + Add): the second
    layer's R folds into the first layer's columns and bias through the importer's reshapes;
    only the graph input's rotation runs online, and the float function is unchanged."""
    b = models.Builder(31)
    y = b.linear(b.linear("x", 64, 128, outliers=2), 128, 64)
    model = b.model("x", [1, 8, 64], y)
    import subprocess
    onnx.save(model, tmp_path / "m.onnx")
    mlir = tools.compile_model(tmp_path / "m.onnx", "-", "--emit=mlir", "--stop-after=import")
    (tmp_path / "m.mlir").write_text(mlir.stdout)
    out = subprocess.run([tools.tool("qopt-opt"), str(tmp_path / "m.mlir"),
                          f"--qopt-rotate=rotate={mode} scheme=w4a16-int4-g32"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("qopt.hadamard") == 1
    assert out.stdout.count('qopt.rotated = "folded"') == 1
    _, base = compile_and_run(model, tmp_path)
    _, rotated = compile_and_run(model, tmp_path, f"--rotate={mode}")
    rel = np.abs(rotated.astype(np.float64) - base).max() / np.abs(base).max()
    assert rel < 1e-5, f"--rotate={mode}: relative change {rel:.3g}"


def norm_mlp_emulation(model, x, scheme, b, seed):
    """The rotated, quantized Linear -> RMSNorm -> Linear written out here: layer 1 gets
    fq(R1^T V R2) and bias b R2 (R2 folded across the norm), layer 2 gets fq(R2^T diag(g) W)
    and reads the norm output unrotated at run time; x is rotated by R1 online."""
    inits = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    mats = [n for n in model.graph.node if n.op_type == "MatMul"]
    adds = [n for n in model.graph.node if n.op_type == "Add" and n.input[1] in inits
            and inits[n.input[1]].ndim == 1]
    norm = next(n for n in model.graph.node if n.input and n.op_type in (
        "RMSNormalization", "SimplifiedLayerNormalization") or n.op_type == "Mul" and
        n.input[1] in inits and inits[n.input[1]].ndim == 1)
    v, w = inits[mats[0].input[1]], inits[mats[1].input[1]]
    b1, b2 = inits[adds[0].input[1]], inits[adds[1].input[1]]
    gamma = inits[norm.input[1]]
    d, hidden = v.shape
    r1, r2 = rotation(d, b, seed), rotation(hidden, b, seed)
    w1 = weight_fq(scheme, (r1.T @ v @ r2).astype(F32)).astype(np.float64)
    w2 = weight_fq(scheme, (r2.T @ (gamma[:, None] * w)).astype(F32)).astype(np.float64)
    xa = act_fq(scheme, (x.astype(np.float64) @ r1).astype(F32)).astype(np.float64)
    h = xa @ w1 + b1 @ r2
    n = h / np.sqrt((h * h).mean(axis=-1, keepdims=True) + 1e-6)
    na = act_fq(scheme, n.astype(F32)).astype(np.float64)
    return na @ w2 + b2


@pytest.mark.parametrize("norm", RMS_NORMS)
@pytest.mark.parametrize("scheme", ["w4a16-int4-g32", "w4a16-mxfp4", "w8a16-int8", "w4a4-mxfp4",
                                    "w8a8-int8"])
def test_rotation_across_rms_norm_matches_emulation(norm, scheme, tmp_path):
    model = norm_mlp(norm)
    b = rotation_block("block", scheme, 64)
    x, got = compile_and_run(model, tmp_path, f"--scheme={scheme}", "--rotate=block,seed=6")
    want = norm_mlp_emulation(model, x, scheme, b, 6)
    rel = np.abs(got.astype(np.float64) - want).max() / np.abs(want).max()
    assert rel <= 1e-4, f"{norm} {scheme}: max relative error {rel:.3g}"


# --- channel reordering ---------------------------------------------------------
class PermuteQuantActivation(OpRun):
    op_domain = "qopt.test"

    def _run(self, x, perm=None, scheme=None):
        x2 = x.reshape(-1, x.shape[-1])[:, np.asarray(perm)].astype(F32)
        if scheme != "none":
            x2 = act_fq(scheme, x2)
        return (x2.reshape(x.shape[:-1] + (len(perm),)).astype(F32),)


def reordered_emulation(model, scheme, layers):
    """x[:, p] @ fq(W[p, :]) for the reordered MatMuls (p: rows by decreasing max |W|,
    stable), plain fake quantization elsewhere."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {t.name: t for t in m.graph.initializer}
    act = ALL_SCHEMES[scheme][1] is not None
    nodes = []
    for n in m.graph.node:
        w = inits.get(n.input[1]) if n.op_type == "MatMul" and len(n.input) > 1 else None
        arr = numpy_helper.to_array(w) if w is not None else None
        if arr is None or arr.ndim != 2:
            nodes.append(n)
            continue
        perm = list(range(arr.shape[0]))
        if n.name in layers:
            perm = list(np.argsort(-np.abs(arr).max(axis=1), kind="stable"))
        q = weight_fq(scheme, arr[perm])
        w.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(q, dtype=F32), w.name))
        out = n.input[0] + "_pq_" + n.name
        nodes.append(helper.make_node("PermuteQuantActivation", [n.input[0]], [out],
                                      domain="qopt.test", perm=[int(i) for i in perm],
                                      scheme=scheme if act else "none"))
        n.input[0] = out
        nodes.append(n)
    return with_test_nodes(m, nodes)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_reorder_preserves_the_float_function(kind, tmp_path):
    model = MODELS[kind]()
    _, base = compile_and_run(model, tmp_path)
    for flags in (["--reorder=magnitude"], ["--reorder=magnitude", "--rotate=block"]):
        _, got = compile_and_run(model, tmp_path, *flags)
        rel = np.abs(got.astype(np.float64) - base).max() / np.abs(base).max()
        assert rel < 1e-5, f"{kind} {flags}: relative change {rel:.3g}"


@pytest.mark.parametrize("scheme", ["w4a16-int4-g32", "w4a16-mxfp4", "w4a4-nvfp4", "w8a8-int8"])
@pytest.mark.parametrize("kind", ["mlp", "attention"])
def test_reordered_quantized_model_matches_emulation(kind, scheme, tmp_path):
    """The down projections (fed by GELU / SwiGLU of constant-weight matmuls) are
    reordered; the permutation of their producers costs nothing at run time and the
    result equals x[:, p] @ fq(W[p]) emulated here."""
    import json
    model = MODELS[kind]()
    x, got = compile_and_run(model, tmp_path, "--reorder=magnitude", f"--scheme={scheme}",
                             f"--report={tmp_path / 'r.json'}")
    layers = {l["layer"] for l in json.loads((tmp_path / "r.json").read_text())["layers"]
              if l["reordered"]}
    assert len(layers) == 1, layers  # the down projection only
    want = ReferenceEvaluator(reordered_emulation(model, scheme, layers),
                              new_ops=[PermuteQuantActivation]).run(
        None, {model.graph.input[0].name: x})[0]
    rel = np.abs(got.astype(np.float64) - want).max() / np.abs(want).max()
    assert rel <= 1e-4, f"{kind} {scheme}: max relative error {rel:.3g}"


# --- SmoothQuant ----------------------------------------------------------------
def calibration_dir(model, tmp_path, sets=4):
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    rng = np.random.default_rng(77)
    cal = tmp_path / "cal"
    xs = []
    for i in range(sets):
        (cal / f"set{i}").mkdir(parents=True, exist_ok=True)
        x = rng.standard_normal(shape).astype(F32)
        np.save(cal / f"set{i}" / "x.npy", x)
        xs.append(x)
    return cal, xs


class ScaleActivation(OpRun):
    op_domain = "qopt.test"

    def _run(self, x, inv=None):
        return ((x * np.asarray(inv, F32)).astype(F32),)


def smoothed_emulation(model, scheme, alpha, xs):
    """SmoothQuant on the ONNX graph, written here: per-channel max |x| of every
    constant-weight MatMul input over the calibration inputs (ONNX ReferenceEvaluator),
    s = xmax^alpha / wmax^(1-alpha) shared by the MatMuls reading the same tensor,
    W' = diag(s) W (then fake-quantized), x' = x / s."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {t.name: t for t in m.graph.initializer}
    mms = [n for n in m.graph.node if n.op_type == "MatMul" and n.input[1] in inits]
    inputs = sorted({n.input[0] for n in mms})
    ev = ReferenceEvaluator(model)
    xmax = {}
    for x in xs:
        vals = ev.run(inputs, {model.graph.input[0].name: x})
        for name, v in zip(inputs, vals):
            cur = np.abs(v.reshape(-1, v.shape[-1])).max(axis=0)
            xmax[name] = np.maximum(xmax.get(name, 0), cur)
    nodes = []
    for name in inputs:
        group = [n for n in mms if n.input[0] == name]
        wmax = np.max([np.abs(numpy_helper.to_array(inits[n.input[1]])).max(axis=1)
                       for n in group], axis=0)
        xm = xmax[name].astype(np.float64)
        s = np.where((xm > 0) & (wmax > 0),
                     np.clip(xm ** alpha / wmax.astype(np.float64) ** (1 - alpha), 1e-5, 1e5),
                     1.0).astype(F32)
        scaled = name + "_smoothed"
        nodes.append(helper.make_node("ScaleActivation", [name], [scaled], domain="qopt.test",
                                      inv=[float(v) for v in (np.float32(1) / s)]))
        for n in group:
            w = numpy_helper.to_array(inits[n.input[1]]) * s[:, None]
            if scheme != "none":
                w = weight_fq(scheme, w.astype(F32))
            inits[n.input[1]].CopyFrom(numpy_helper.from_array(w.astype(F32), n.input[1]))
            n.input[0] = scaled
    producer_of = {o: i for i, n in enumerate(m.graph.node) for o in n.output}
    out = list(m.graph.node)
    for node in sorted(nodes, key=lambda nd: -producer_of.get(nd.input[0], -1)):
        out.insert(producer_of.get(node.input[0], -1) + 1, node)
    return with_test_nodes(m, out)


@pytest.mark.parametrize("kind,norm", [("mlp", None), ("attention", "rms"),
                                       ("attention", "layernorm")])
def test_smooth_preserves_the_float_function(kind, norm, tmp_path):
    model = MODELS[kind]() if norm is None else norm_model(norm)
    cal, _ = calibration_dir(model, tmp_path)
    _, base = compile_and_run(model, tmp_path)
    bad = tools.compile_model(tmp_path / "m.onnx", tmp_path / "bad.so", "--smooth=0.5")
    assert bad.returncode != 0 and "--smooth needs --calibration-data" in bad.stderr
    assert not (tmp_path / "bad.so").exists()
    for flags in (["--smooth=0.5"], ["--smooth=0.8", "--rotate=block"]):
        _, got = compile_and_run(model, tmp_path, *flags, f"--calibration-data={cal}")
        rel = np.abs(got.astype(np.float64) - base).max() / np.abs(base).max()
        assert rel < 1e-5, f"{kind} {norm} {flags}: relative change {rel:.3g}"


@pytest.mark.parametrize("scheme", ["w8a16-int8", "w4a16-int4-g32", "w4a16-mxfp4"])
@pytest.mark.parametrize("norm", ["rms", "layernorm"])
def test_smoothed_quantized_model_matches_emulation(norm, scheme, tmp_path):
    import json
    model = norm_model(norm)
    cal, xs = calibration_dir(model, tmp_path)
    x, got = compile_and_run(model, tmp_path, "--smooth=0.5", f"--calibration-data={cal}",
                             f"--scheme={scheme}", f"--report={tmp_path / 'r.json'}")
    smoothed = [l["smoothed"] for l in json.loads((tmp_path / "r.json").read_text())["layers"]]
    assert smoothed.count("folded") == 5 and smoothed.count("online") == 2, smoothed
    want = ReferenceEvaluator(smoothed_emulation(model, scheme, 0.5, xs),
                              new_ops=[ScaleActivation]).run(None, {"x": x})[0]
    rel = np.abs(got.astype(np.float64) - want).max() / np.abs(want).max()
    assert rel <= 1e-4, f"{norm} {scheme}: max relative error {rel:.3g}"
