# -*- Python -*-
# Runs the GoogleTest binaries under unittests/ inside check-qopt.
import os

import lit.formats

config.name = "QOPT-Unit"
config.suffixes = []
config.test_source_root = os.path.join(config.qopt_obj_root, "unittests")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
