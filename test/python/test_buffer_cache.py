# test/python/test_buffer_cache.py - the library keeps its large buffers across calls
# (CInterface.cpp, generateWrapper): a second call faults in no fresh pages, and reused
# buffers give the same results as fresh ones.
import subprocess

import numpy as np
import onnx

from qopt import models, tools

MAIN = r'''
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "model.so.h"
static long faults(void) { struct rusage u; getrusage(RUSAGE_SELF, &u); return u.ru_minflt; }
int main(void) {
  static float x[64 * 256], y0[64 * 256], y[64 * 256];
  for (int i = 0; i < 64 * 256; ++i) x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
  const void *ins[1] = {x};
  void *o0[1] = {y0}, *o1[1] = {y};
  if (qopt_run(ins, o0)) return 1;          /* first call: buffers are new */
  if (qopt_run(ins, o1)) return 2;
  long before = faults();
  for (int r = 0; r < 3; ++r)
    if (qopt_run(ins, o1)) return 3;
  long after = faults();
  if (memcmp(y0, y, sizeof y)) return 4;     /* reused buffers: same bits */
  printf("%ld\n", after - before);
  return 0;
}
'''


def test_second_call_reuses_buffers(tmp_path):
    # hidden = 2048 at 64 rows: each intermediate is 512 KiB (128 pages), which glibc would
    # map fresh and unmap on every call.
    onnx.save(models.mlp_model(seed=5, m=64, d=256, hidden=2048), tmp_path / "m.onnx")
    lib = tmp_path / "model.so"
    c = tools.compile_model(tmp_path / "m.onnx", lib)
    assert c.returncode == 0, c.stderr
    (tmp_path / "main.c").write_text(MAIN)
    exe = tmp_path / "main"
    subprocess.run(["clang-22", "-O1", "-I", str(tmp_path), str(tmp_path / "main.c"), str(lib),
                    "-o", str(exe), f"-Wl,-rpath,{tmp_path}"], check=True)

    def faults(cache):
        r = subprocess.run([str(exe)], capture_output=True, text=True,
                           env={"QOPT_NUM_THREADS": "1", "QOPT_BUFFER_CACHE": cache})
        assert r.returncode == 0, (r.returncode, r.stderr)
        return int(r.stdout)

    # Without the cache glibc gives the intermediates fresh pages on every call (120 faults in
    # three calls measured here: its heap top is trimmed on free); with it, none.
    off, on = faults("0"), faults("1")
    assert off >= 64, off
    assert on <= 8, (on, off)


def test_buffer_functions_are_hidden(tmp_path):
    """The allocation functions are the library's own: not exported, so two qopt libraries
    (or a host defining the same names) in one process do not share or clash."""
    onnx.save(models.mlp_model(seed=5, m=4, d=32, hidden=64), tmp_path / "m.onnx")
    lib = tmp_path / "model.so"
    assert tools.compile_model(tmp_path / "m.onnx", lib).returncode == 0
    dyn = subprocess.run(["nm", "-D", "--defined-only", str(lib)], capture_output=True,
                         text=True, check=True).stdout
    local = subprocess.run(["nm", str(lib)], capture_output=True, text=True, check=True).stdout
    assert "_mlir_memref_to_llvm_alloc" in local and "_mlir_memref_to_llvm_free" in local
    assert "_mlir_memref_to_llvm" not in dyn
