# test/python/test_cabi.py - the generated header and library from a C program (docs/CABI.md).
import subprocess

import onnx
from onnx import TensorProto as T, helper

from qopt import tools

NAMES = ['a."b"', "a_b", "int", "c*/d\nx"]  # quotes, a collision, a keyword, comment/newline


def test_c_program_uses_header_and_introspection(tmp_path):
    nodes = [helper.make_node("Relu", [NAMES[0]], [NAMES[2]], name="r1"),
             helper.make_node("Neg", [NAMES[1]], [NAMES[3]], name="r2")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, T.FLOAT, [2]) for n in NAMES[:2]],
                          [helper.make_tensor_value_info(n, T.FLOAT, [2]) for n in NAMES[2:]])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)])
    m.ir_version = 9
    onnx.save(m, tmp_path / "m.onnx")
    lib = tmp_path / "model.so"
    c = tools.compile_model(tmp_path / "m.onnx", lib)
    assert c.returncode == 0, c.stderr
    header = (tmp_path / "model.so.h").read_text()
    assert "int model_run(const float *a__b_, const float *a_b, float *t_int, float *c__d_x);" in header
    (tmp_path / "main.c").write_text(r'''
#include <stdio.h>
#include <string.h>
#include "model.so.h"
int main(void) {
  float a[2] = {-1.5f, 2.0f}, b[2] = {3.0f, -4.0f}, y0[2], y1[2];
  if (model_run(a, b, y0, y1)) return 1;
  if (y0[0] != 0.0f || y0[1] != 2.0f || y1[0] != -3.0f || y1[1] != 4.0f) return 2;
  if (qopt_abi_version() != 1 || qopt_num_inputs() != 2 || qopt_num_outputs() != 2) return 3;
  if (strcmp(qopt_input_name(0), "a.\"b\"") || strcmp(qopt_output_name(1), "c*/d\nx")) return 4;
  if (qopt_input_dtype(1) != 1 || qopt_output_rank(0) != 1 || qopt_output_shape(0)[0] != 2) return 5;
  if (qopt_input_name(7) != NULL || qopt_input_rank(-1) != -1) return 6;
  const void *ins[2] = {a, b}; void *outs[2] = {y1, y0};
  if (qopt_run(ins, outs) || y1[1] != 2.0f || y0[1] != 4.0f) return 7;
  puts("ok");
  return 0;
}
''')
    exe = tmp_path / "main"
    subprocess.run(["clang-22", "-std=c99", "-Wall", "-Werror", "-I", str(tmp_path), str(tmp_path / "main.c"),
                    str(lib), "-o", str(exe), f"-Wl,-rpath,{tmp_path}"], check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stdout, r.stderr)
