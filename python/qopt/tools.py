# python/qopt/tools.py - run qopt-compile / qopt-run from Python (tests, scripts).
"""Thin subprocess wrappers over the qopt command-line tools."""
import os
import pathlib
import subprocess

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("QOPT_BUILD_DIR", REPO / "build"))


def tool(name):
    path = BUILD / "bin" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} not built (run utils/build.sh)")
    return str(path)


def compile_model(model, out, *flags, timeout=600):
    """qopt-compile model -o out flags...; returns CompletedProcess."""
    return subprocess.run([tool("qopt-compile"), str(model), "-o", str(out), *flags],
                          capture_output=True, text=True, timeout=timeout)


def run_test_dir(lib, test_dir, *flags, timeout=600):
    """qopt-run lib --test-dir test_dir flags... (e.g. --rtol 0 --atol 0 for bit-exact)."""
    return subprocess.run([tool("qopt-run"), str(lib), "--test-dir", str(test_dir), *flags],
                          capture_output=True, text=True, timeout=timeout)


def run(lib, inputs, out_dir, timeout=600):
    """inputs: {name: path}. Returns CompletedProcess; outputs land in out_dir."""
    args = [tool("qopt-run"), str(lib), "--output-dir", str(out_dir)]
    for name, path in inputs.items():
        args += ["--input", f"{name}={path}"]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def supported_ops():
    out = subprocess.run([tool("qopt-compile"), "--list-ops"], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())
