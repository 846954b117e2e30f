# test/python/onnx_conformance.py - which ONNX node tests qopt runs, and why others are skipped.
"""Shared by test_onnx_conformance.py and utils/conformance-table.py."""
import pathlib
import re

import onnx

EXACT_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearMatMul", "MatMulInteger",
             "DynamicQuantizeLinear"}


def node_ops(model_path):
    m = onnx.load(str(model_path), load_external_data=False)
    ops = set()
    for n in m.graph.node:
        ops.add(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}")
    return ops, m


SHAPE_INPUTS = {"Reshape": [1], "Expand": [1], "Tile": [1], "Slice": [1, 2, 3, 4],
                "Squeeze": [1], "Unsqueeze": [1], "Split": [1], "Range": [0, 1, 2],
                "ConstantOfShape": [0], "ReduceSum": [1], "ReduceMean": [1], "ReduceMax": [1],
                "ReduceMin": [1], "ReduceProd": [1], "ReduceSumSquare": [1], "ReduceL1": [1],
                "ReduceL2": [1], "ReduceLogSum": [1], "ReduceLogSumExp": [1], "Pad": [1, 2, 3],
                "Resize": [1, 2, 3], "TopK": [1], "OneHot": [1]}


def shape_input_names(m):
    """Graph inputs that define shapes/axes (Reshape shape, Slice starts, Reduce axes...)."""
    graph_inputs = {i.name for i in m.graph.input} - {t.name for t in m.graph.initializer}
    names = set()
    for n in m.graph.node:
        for p in SHAPE_INPUTS.get(n.op_type, []):
            if p < len(n.input) and n.input[p] in graph_inputs:
                names.add(n.input[p])
    return names


def freeze_shape_inputs(test_dir, m):
    """The model with its shape-defining graph inputs turned into initializers
    (their values from the test data, which must agree across test sets), and
    the remaining inputs' positions. None if the sets disagree."""
    import copy
    from onnx import numpy_helper
    names = shape_input_names(m)
    order = [i.name for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
    values = {}
    for s in sorted(test_dir.glob("test_data_set_*")):
        for k, name in enumerate(order):
            if name in names:
                t = onnx.TensorProto()
                t.ParseFromString((s / f"input_{k}.pb").read_bytes())
                arr = numpy_helper.to_array(t)
                if name in values and not (values[name].shape == arr.shape and
                                           (values[name] == arr).all()):
                    return None
                values[name] = arr
    frozen = copy.deepcopy(m)
    keep = [i for i in frozen.graph.input if i.name not in names]
    del frozen.graph.input[:]
    frozen.graph.input.extend(keep)
    for name, arr in values.items():
        frozen.graph.initializer.append(numpy_helper.from_array(arr, name))
    return frozen, [k for k, name in enumerate(order) if name not in names]


def shape_inputs_are_runtime(m):
    """True if some node's shape-like input (Reshape shape, Slice starts...) is a graph input."""
    return bool(shape_input_names(m))


def data_dtype_quirk(test_dir, m):
    """ONNX 1.12's bfloat16 tests store BFLOAT16 tensors as UINT16 .pb files."""
    declared = {i.name: i.type.tensor_type.elem_type for i in m.graph.input}
    for k, inp in enumerate(m.graph.input):
        pb = test_dir / "test_data_set_0" / f"input_{k}.pb"
        if pb.exists():
            t = onnx.TensorProto()
            t.ParseFromString(pb.read_bytes())
            if t.data_type != declared[inp.name]:
                return (f"test data stores input '{inp.name}' as "
                        f"{onnx.TensorProto.DataType.Name(t.data_type)} but the model declares "
                        f"{onnx.TensorProto.DataType.Name(declared[inp.name])}")
    for k, out in enumerate(m.graph.output):
        pb = test_dir / "test_data_set_0" / f"output_{k}.pb"
        want = out.type.tensor_type.elem_type
        if pb.exists():
            t = onnx.TensorProto()
            t.ParseFromString(pb.read_bytes())
            if want and t.data_type != want:
                return (f"test data stores output '{out.name}' as "
                        f"{onnx.TensorProto.DataType.Name(t.data_type)} but the model declares "
                        f"{onnx.TensorProto.DataType.Name(want)}")
    return None


def classify(test_dir, supported):
    """(None, None) to run the test, or ('skip', reason)."""
    ops, m = node_ops(test_dir / "model.onnx")
    quirk = data_dtype_quirk(test_dir, m)
    if quirk:
        return "skip", quirk
    missing = sorted(ops - supported)
    if missing:
        return "skip", "unsupported op(s): " + ", ".join(missing)
    out0 = test_dir / "test_data_set_0" / "output_0.pb"
    if out0.exists():
        t = onnx.TensorProto()
        t.ParseFromString(out0.read_bytes())
        if 0 in t.dims:
            return "skip", ("the output has no elements: zero-size tensors at the model boundary "
                            "are refused (qopt-compile says so)")
    if shape_inputs_are_runtime(m):
        return "freeze", "shape-defining inputs frozen from the test data"
    return None, None


def node_test_dirs(testdata):
    dirs = []
    for root in ("onnx-1.12-debian-libonnx-testdata/node", "onnx-upstream-node-6be0677f/node"):
        base = pathlib.Path(testdata) / root
        if base.is_dir():
            dirs += sorted(p for p in base.iterdir() if (p / "model.onnx").exists())
    return dirs


def _pb(path):
    from onnx import numpy_helper
    t = onnx.TensorProto()
    t.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(t)


def run_case(test_dir, verdict, tmp_path):
    """Compiles and runs one node test; returns (ok, message). `verdict` is
    classify()'s: None runs the model as is, "freeze" freezes shape inputs."""
    import numpy as np
    from qopt import tools
    lib = tmp_path / "model.so"
    # Quantization ops are checked bit for bit, float outputs included.
    exact = bool(node_ops(test_dir / "model.onnx")[0] & EXACT_OPS)
    if verdict != "freeze":
        c = tools.compile_model(test_dir / "model.onnx", lib)
        if c.returncode:
            return False, "qopt-compile failed:\n" + c.stderr
        r = tools.run_test_dir(lib, test_dir, *(["--rtol=0", "--atol=0"] if exact else []))
        ok = r.returncode == 0 and "PASS" in r.stdout and "FAIL" not in r.stdout
        return ok, r.stdout + r.stderr
    m = onnx.load(str(test_dir / "model.onnx"))
    frozen = freeze_shape_inputs(test_dir, m)
    if frozen is None:
        return None, "shape-defining inputs differ between test sets: not a static-shape model"
    model, kept = frozen
    onnx.save(model, tmp_path / "frozen.onnx")
    c = tools.compile_model(tmp_path / "frozen.onnx", lib)
    if c.returncode:
        return False, "qopt-compile failed:\n" + c.stderr
    names = [i.name for i in model.graph.input]
    for s in sorted(test_dir.glob("test_data_set_*")):
        inputs = {name: s / f"input_{k}.pb" for name, k in zip(names, kept)}
        out = tmp_path / ("out_" + s.name)
        r = tools.run(lib, inputs, out)
        if r.returncode:
            return False, r.stderr
        for k, o in enumerate(model.graph.output):
            ref = _pb(s / f"output_{k}.pb")
            safe = "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in o.name)
            got = np.load(out / f"{safe}.npy")
            if got.shape != ref.shape or got.dtype != ref.dtype:
                return False, f"{s.name}: output {k} is {got.dtype}{got.shape}, expected {ref.dtype}{ref.shape}"
            if np.issubdtype(ref.dtype, np.floating) and exact:
                same = (got == ref) | (np.isnan(got) & np.isnan(ref))
                if not same.all():
                    return False, (f"{s.name}: output {k} is not bit-exact (max abs err "
                                   f"{np.nanmax(np.abs(got - ref))})")
            elif np.issubdtype(ref.dtype, np.floating):
                if not np.allclose(got, ref, rtol=1e-3, atol=1e-7, equal_nan=True):
                    return False, f"{s.name}: output {k} max abs err {np.nanmax(np.abs(got - ref))}"
            elif not np.array_equal(got, ref):
                return False, f"{s.name}: output {k} differs"
    return True, "PASS (shape inputs frozen)"
