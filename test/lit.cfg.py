# -*- Python -*-
# lit configuration of the qopt test suite (check-qopt).
import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QOPT"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qopt_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Unit", "python",
                   "gen_models.py"]
config.environment["FILECHECK_OPTS"] = "-enable-var-scope"

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

config.substitutions.append(("%qopt_libs", config.qopt_libs_dir))
config.substitutions.append(("%shlibext", config.llvm_shlib_ext))

tool_dirs = [config.qopt_tools_dir, config.llvm_tools_dir]
config.substitutions.append(("%venv_python", config.qopt_python))
config.substitutions.append(("%testdata", config.qopt_testdata))

tools = [
    "qopt-opt",
    "qopt-compile",
    "qopt-run",
    ToolSubst("mlir-opt", command=os.path.join(config.llvm_tools_dir, "mlir-opt")),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Features by detection, for REQUIRES: lines.
if shutil.which("ptxas") or os.path.exists("/usr/local/cuda/bin/ptxas"):
    config.available_features.add("ptxas")
