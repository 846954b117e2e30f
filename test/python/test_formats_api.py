# test/python/test_formats_api.py - the ctypes wrapper's error path and library lookup.
import numpy as np
import pytest

from qopt import formats as qf


def test_bad_element_raises_with_c_message():
    with pytest.raises(qf.FormatError, match="bogus"):
        qf.encode("bogus", [1.0])


def test_shape_not_divisible_by_block_raises():
    # FORMATS.md MX blocks are 32 along the last axis; 30 columns cannot be blocked.
    with pytest.raises(qf.FormatError):
        qf.quantize("mxfp4", np.zeros((2, 30), np.float32))


def test_unknown_rounding_rejected_before_the_call():
    with pytest.raises(ValueError):
        qf.encode("f8E4M3FN", [1.0], rounding="nearest")


def test_library_path_honours_env(monkeypatch):
    monkeypatch.setenv("QOPT_FORMAT_LIB", "/some/where/lib.so")
    assert str(qf.library_path()) == "/some/where/lib.so"
    monkeypatch.delenv("QOPT_FORMAT_LIB")
    assert qf.library_path().parts[-3:] == ("build", "lib", "libQOptCAPIFormat.so")
