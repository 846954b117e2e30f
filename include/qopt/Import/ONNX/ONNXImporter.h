//===- ONNXImporter.h - ONNX ModelProto -> MLIR -----------------*- C++ -*-===//
//
// Part of qopt. Imports an ONNX model into a `func.func` over statically
// shaped tensors in upstream dialects (linalg, tensor, arith, math) plus qopt
// ops; every op carries loc("<onnx node name>"). Errors are emitted as MLIR
// diagnostics naming the node, input, flag or file at fault.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_IMPORT_ONNX_ONNXIMPORTER_H
#define QOPT_IMPORT_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <map>
#include <string>
#include <vector>

namespace mlir::qopt {

struct ONNXImportOptions {
  /// Pinned shapes for graph inputs with dynamic dims (--input-shape).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Name of the generated entry function.
  std::string entryName = "main";
};

/// Registers the dialects the importer produces.
void registerONNXImportDialects(DialectRegistry &registry);

/// Parses "NAME:1x128x768" into `options.inputShapes`; returns an error
/// message (empty on success).
std::string parseInputShapeFlag(llvm::StringRef flag, ONNXImportOptions &options);

/// Every op type the importer handles ("Add", "com.microsoft.MatMulNBits").
std::vector<std::string> getSupportedONNXOps();

/// Imports the model at `path`. Returns null after emitting diagnostics.
OwningOpRef<ModuleOp> importONNXModel(llvm::StringRef path, MLIRContext &context,
                                      const ONNXImportOptions &options);

} // namespace mlir::qopt

#endif // QOPT_IMPORT_ONNX_ONNXIMPORTER_H
