//===- Calibration.h - layer and output SQNR on calibration data -*- C++ -*-===//
//
// Part of qopt. qopt-compile --calibration-data: builds a float and a
// quantized "probe" library of the same model with every quantizable layer's
// output exposed (qopt-expose-layers), runs both on the calibration inputs
// and reports each layer's output SQNR and the final outputs' SQNR.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TOOLS_QOPT_COMPILE_CALIBRATION_H
#define QOPT_TOOLS_QOPT_COMPILE_CALIBRATION_H

#include "qopt/Target/Emit.h"

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace qopt::compile {

struct CalibrationOptions {
  std::string dataDir;                  ///< test_data_set_* dirs or .npy/.pb files
  std::vector<std::string> schemes;     ///< base scheme first, then --report-formats
  std::vector<std::string> layerSchemes; ///< --layer-scheme (base scheme only)
  std::vector<std::string> excludes;    ///< --exclude (every scheme)
  std::string report;                   ///< "-" = print, else the JSON report to extend
  std::string rotate = "none", reorder = "none"; ///< transforms of the quantized probes
  bool foldNorms = false;
  double smooth = -1.0;
  mlir::qopt::CodegenOptions codegen;
  bool vnniDot = false, bf16Dot = false; ///< qopt-x86-dot-kernels, as in the built library
  bool gemvKernels = true;                 ///< qopt-x86-gemv, as in the built library
  std::string cc;
};

/// Per-channel max |x| of every constant-weight matmul's activation (its
/// left operand) over the calibration inputs, by ONNX node name (a float
/// probe library with the activations exposed).
mlir::LogicalResult collectActivationAbsMax(mlir::ModuleOp module, llvm::StringRef entry,
                                            const CalibrationOptions &options,
                                            std::map<std::string, std::vector<float>> &absmax,
                                            std::string &error);

/// Runs the calibration comparison for `module` (the imported module, before
/// any pipeline) whose entry function is `entry`. Errors are returned in
/// `error`; tables go to stdout, JSON into the report file.
mlir::LogicalResult runCalibration(mlir::ModuleOp module, llvm::StringRef entry,
                                   const CalibrationOptions &options, std::string &error);

} // namespace qopt::compile

#endif // QOPT_TOOLS_QOPT_COMPILE_CALIBRATION_H
