# test/python/test_quantize_schemes.py - weight-only schemes vs an independent NumPy emulation.
"""qopt-compile --scheme=<scheme> on MLPs with outlier channels: the compiled output
equals fake_quant_A(x) @ fake_quant_W(W) + b computed here in NumPy/ml_dtypes, written
independently of lib/Format (max relative error <= 1e-4). Activations are quantized at
run time inside the library (per row for int8/fp8, per K block for MX/NV)."""
import json

import numpy as np
import onnx
import pytest

from qopt import models, tools

from scheme_emulation import ACT_EMULATE, ALL_SCHEMES, EMULATE, F32


def emulate(model, x, fq, fa=None):
    """fa(x) @ fq(W) + b ... for the models.mlp_model graph, evaluated node by node."""
    from onnx import numpy_helper
    env = {"x": x}
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for n in model.graph.node:
        a = [env.get(i, inits.get(i)) for i in n.input]
        if n.op_type == "MatMul":
            w = a[1]
            lhs = a[0].astype(F32)
            if fa is not None:
                lhs = fa(lhs)
            out = lhs.astype(np.float64) @ fq(w).astype(np.float64)
        elif n.op_type == "Add":
            out = a[0] + a[1]
        elif n.op_type == "Gelu":
            from math import erf
            v = a[0].astype(np.float64)
            out = 0.5 * v * (1 + np.vectorize(erf)(v / np.sqrt(2)))
        else:
            raise NotImplementedError(n.op_type)
        env[n.output[0]] = out
    return env[model.graph.output[0].name]


def compiled_output(model, path, x, tmp_path, *flags, lib_name="mlp.so"):
    """qopt-compile `path` with `flags`, run it on x (saved as tmp_path/x.npy); the model's
    output in float64."""
    lib = tmp_path / lib_name
    c = tools.compile_model(path, lib, *flags)
    assert c.returncode == 0, c.stderr
    np.save(tmp_path / "x.npy", x)
    r = tools.run(lib, {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    return np.load(tmp_path / "out" / f"{model.graph.output[0].name}.npy").astype(np.float64)


def max_rel_error(got, want):
    return np.abs(got - want).max() / np.abs(want).max()


@pytest.mark.parametrize("scheme", sorted(ALL_SCHEMES))
def test_scheme_matches_numpy_emulation(scheme, tmp_path):
    model = models.mlp_model(seed=5, m=8, d=128, hidden=256)
    path = tmp_path / "mlp.onnx"
    onnx.save(model, path)
    x = np.random.default_rng(9).standard_normal((8, 128)).astype(F32)
    got = compiled_output(model, path, x, tmp_path, f"--scheme={scheme}",
                          f"--report={tmp_path / 'r.json'}")
    want = emulate(model, x, *ALL_SCHEMES[scheme])
    rel = max_rel_error(got, want)
    assert rel <= 1e-4, f"{scheme}: max rel error {rel}"
    # The float model differs (that is the quantization error), and the report says by how much.
    ref = emulate(model, x, lambda w: w)
    sqnr = 10 * np.log10((ref ** 2).sum() / ((got - ref) ** 2).sum())
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["scheme"] == scheme and len(report["layers"]) == 2
    assert all(l["weight_sqnr_db"] > 10 for l in report["layers"]), report
    print(f"{scheme}: output SQNR vs float {sqnr:.1f} dB")


def test_tail_block_is_zero_padded(tmp_path):
    """K = 80 is not a multiple of 32: the tail block is zero-padded, never an error."""
    model = models.mlp_model(seed=6, m=4, d=80, hidden=96)
    onnx.save(model, tmp_path / "m.onnx")
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so", "--scheme=w4a16-mxfp4", "--report")
    assert c.returncode == 0, c.stderr
    assert "K pad 80->96" in c.stdout
    x = np.random.default_rng(1).standard_normal((4, 80)).astype(F32)
    np.save(tmp_path / "x.npy", x)
    r = tools.run(tmp_path / "m.so", {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr

    def fq(w):
        k = w.shape[0]
        kp = (k + 31) // 32 * 32
        wp = np.zeros((kp, w.shape[1]), F32)
        wp[:k] = w
        return EMULATE["w4a16-mxfp4"](wp)[:k]
    got = np.load(tmp_path / "out" / f"{model.graph.output[0].name}.npy")
    want = emulate(model, x, fq)
    assert np.abs(got - want).max() / np.abs(want).max() <= 1e-4


def test_exclude_and_bad_schemes(tmp_path):
    model = models.mlp_model(seed=7, m=4, d=64, hidden=64)
    onnx.save(model, tmp_path / "m.onnx")
    names = [n.name for n in model.graph.node if n.op_type == "MatMul"]
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so", "--scheme=w8a16-int8",
                            f"--exclude={names[0]}", "--report")
    assert c.returncode == 0, c.stderr
    assert names[1] in c.stdout and names[0] not in c.stdout
    for bad, msg in (("w3a16-foo", "unknown scheme"), ("w=notaformat", "weight format"),
                     ("w=mxfp4;rounding=sideways", "rounding 'sideways'")):
        c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "bad.so", f"--scheme={bad}")
        assert c.returncode != 0 and msg in c.stderr, c.stderr
        assert not (tmp_path / "bad.so").exists()


def test_activation_tail_block_is_zero_padded(tmp_path):
    """w4a4-mxfp4 with K = 80: weight and activation are both zero-padded to 96."""
    model = models.mlp_model(seed=6, m=4, d=80, hidden=96)
    onnx.save(model, tmp_path / "m.onnx")
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so", "--scheme=w4a4-mxfp4")
    assert c.returncode == 0, c.stderr
    x = np.random.default_rng(1).standard_normal((4, 80)).astype(F32)
    np.save(tmp_path / "x.npy", x)
    r = tools.run(tmp_path / "m.so", {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr

    def pad(a, axis):
        k = a.shape[axis]
        widths = [(0, 0), (0, 0)]
        widths[axis] = (0, (k + 31) // 32 * 32 - k)
        return np.pad(a, widths), k
    def fq(w):
        wp, k = pad(w, 0)
        return EMULATE["w4a16-mxfp4"](wp)[:k]
    def fa(a):
        ap, k = pad(a, 1)
        return ACT_EMULATE["w4a4-mxfp4"][1](ap)[:, :k]
    got = np.load(tmp_path / "out" / f"{model.graph.output[0].name}.npy")
    want = emulate(model, x, fq, fa)
    assert np.abs(got - want).max() / np.abs(want).max() <= 1e-4


def test_general_form_and_layer_schemes(tmp_path):
    """w=FMT;a=FMT;rounding;scale_mode and per-layer overrides reach the right layers."""
    model = models.mlp_model(seed=8, m=4, d=64, hidden=64)
    onnx.save(model, tmp_path / "m.onnx")
    names = [n.name for n in model.graph.node if n.op_type == "MatMul"]
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so",
                            "--scheme=w=mxfp8_e4m3;a=mxint8;scale_mode=rceil",
                            f"--layer-scheme={names[1]}=w4a16-nf4", f"--report={tmp_path}/r.json")
    assert c.returncode == 0, c.stderr
    layers = {l["layer"]: l for l in json.loads((tmp_path / "r.json").read_text())["layers"]}
    assert layers[names[0]]["format"] == "mxfp8_e4m3"
    assert layers[names[0]]["activation_format"] == "mxint8"
    assert layers[names[1]]["format"] == "nf4"
    assert layers[names[1]]["activation_format"] == "float"
    x = np.random.default_rng(2).standard_normal((4, 64)).astype(F32)
    np.save(tmp_path / "x.npy", x)
    r = tools.run(tmp_path / "m.so", {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("scheme", sorted(ALL_SCHEMES))
def test_mnist_keeps_its_digits(scheme, tmp_path):
    from conftest import TESTDATA
    mnist = TESTDATA / "github/kraiskil-onnx2c-ea045cc/mnist-8"
    lib = tmp_path / "m.so"
    c = tools.compile_model(mnist / "model.onnx", lib, f"--scheme={scheme}")
    assert c.returncode == 0, c.stderr
    for k, digit in enumerate([2, 0, 9]):
        r = tools.run(lib, {"Input3": mnist / f"test_data_set_{k}/input_0.pb"}, tmp_path / f"o{k}")
        assert r.returncode == 0, r.stderr
        assert int(np.argmax(np.load(tmp_path / f"o{k}" / "Plus214_Output_0.npy"))) == digit


def test_calibration_report_matches_an_independent_run(tmp_path):
    """--calibration-data: the reported output SQNR of mnist-8 equals the SQNR computed
    here from separately compiled float and quantized libraries on the same three
    inputs; every layer has an entry per scheme; --report-formats adds the weight
    sensitivity table."""
    from conftest import TESTDATA
    mnist = TESTDATA / "github/kraiskil-onnx2c-ea045cc/mnist-8"
    report = tmp_path / "r.json"
    c = tools.compile_model(mnist / "model.onnx", tmp_path / "q.so", "--scheme=w4a16-mxfp4",
                            f"--calibration-data={mnist}", "--report-formats=w8a16-int8,w4a4-nvfp4",
                            f"--report={report}")
    assert c.returncode == 0, c.stderr
    r = json.loads(report.read_text())
    cal = r["calibration"]
    assert cal["sets"] == 3 and cal["schemes"] == ["w4a16-mxfp4", "w8a16-int8", "w4a4-nvfp4"]
    assert set(cal["layer_output_sqnr_db"]) == {"Convolution28", "Convolution110", "Times212"}
    assert {row["layer"] for row in r["sensitivity"]} == set(cal["layer_output_sqnr_db"])
    c = tools.compile_model(mnist / "model.onnx", tmp_path / "f.so")
    assert c.returncode == 0, c.stderr
    for scheme in cal["schemes"]:
        lib = tmp_path / f"{scheme}.so"
        assert tools.compile_model(mnist / "model.onnx", lib, f"--scheme={scheme}").returncode == 0
        sig = noise = 0.0
        for k in range(3):
            inp = {"Input3": mnist / f"test_data_set_{k}/input_0.pb"}
            assert tools.run(tmp_path / "f.so", inp, tmp_path / f"f{k}").returncode == 0
            assert tools.run(lib, inp, tmp_path / f"q{k}").returncode == 0
            ref = np.load(tmp_path / f"f{k}" / "Plus214_Output_0.npy").astype(np.float64)
            got = np.load(tmp_path / f"q{k}" / "Plus214_Output_0.npy").astype(np.float64)
            sig += (ref ** 2).sum()
            noise += ((got - ref) ** 2).sum()
        want = 10 * np.log10(sig / noise)
        assert abs(cal["output_sqnr_db"]["Plus214_Output_0"][scheme] - want) < 1e-3, scheme
    # Bad calibration data is an error naming the input, and nothing is written.
    c = tools.compile_model(mnist / "model.onnx", tmp_path / "bad.so", "--scheme=w4a16-mxfp4",
                            f"--calibration-data={tmp_path}")
    assert c.returncode != 0 and "no file for input 'Input3'" in c.stderr
    assert not (tmp_path / "bad.so").exists()


def test_fp16_model_weights_are_quantized(tmp_path):
    """An FP16 model's weights are quantized like FP32 ones (their values widened
    exactly); activations stay FP16 at the boundary."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(12)
    w = rng.standard_normal((60, 48)).astype(np.float16)
    g = helper.make_graph([helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")], "g",
                          [helper.make_tensor_value_info("a", TensorProto.FLOAT16, [4, 60])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [4, 48])],
                          [numpy_helper.from_array(w, "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 9
    onnx.save(m, tmp_path / "m.onnx")
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so", "--scheme=w4a16-mxfp4",
                            f"--report={tmp_path / 'r.json'}")
    assert c.returncode == 0, c.stderr
    assert len(json.loads((tmp_path / "r.json").read_text())["layers"]) == 1
    a = rng.standard_normal((4, 60)).astype(np.float16)
    np.save(tmp_path / "a.npy", a)
    r = tools.run(tmp_path / "m.so", {"a": tmp_path / "a.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    got = np.load(tmp_path / "out" / "y.npy").astype(np.float64)
    wp = np.zeros((64, 48), F32)  # K = 60 zero-padded to 64
    wp[:60] = w.astype(F32)
    want = (a.astype(np.float64) @ EMULATE["w4a16-mxfp4"](wp)[:60].astype(np.float64))
    want = want.astype(np.float16).astype(np.float64)  # the FP16 result
    assert np.abs(got - want).max() <= 2e-3 * np.abs(want).max()


def test_unsupported_weights_are_named_not_silently_skipped(tmp_path):
    from onnx import TensorProto, helper, numpy_helper
    w = np.random.default_rng(1).standard_normal((2, 64, 48)).astype(F32)
    g = helper.make_graph([helper.make_node("MatMul", ["a", "w"], ["y"], name="batched_mm")], "g",
                          [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 48])],
                          [numpy_helper.from_array(w, "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 9
    onnx.save(m, tmp_path / "m.onnx")
    c = tools.compile_model(tmp_path / "m.onnx", tmp_path / "m.so", "--scheme=w4a16-mxfp4")
    assert c.returncode == 0, c.stderr
    assert "layer 'batched_mm' keeps float batched (rank-3) weights" in c.stderr
