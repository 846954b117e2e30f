//===- Tensors.h - ONNX TensorProto -> MLIR constants -----------*- C++ -*-===//
//
// Part of qopt. Initializers and Constant tensors become dense_resource blobs
// (external data is memory-mapped from inside the model's directory only).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_IMPORT_ONNX_TENSORS_H
#define QOPT_LIB_IMPORT_ONNX_TENSORS_H

#include "ImporterImpl.h"

#include "mlir/Support/LLVM.h"
#include "llvm/Support/MemoryBuffer.h"

#include <functional>
#include <memory>

namespace mlir::qopt::onnx_import {

/// A mapped external-data file, kept alive while blobs point into it.
struct ExternalData {
  std::shared_ptr<llvm::MemoryBuffer> buffer;
};

/// Converts a TensorProto (initializer or Constant value) into a ValueInfo
/// holding an ElementsAttr, plus its import-time value when small.
/// `modelPath` locates external data. Errors go through `emitErr`.
FailureOr<ValueInfo> importTensor(MLIRContext &ctx, const onnx::TensorProto &tensor,
                                  llvm::StringRef modelPath,
                                  std::vector<std::unique_ptr<ExternalData>> &external,
                                  const std::function<InFlightDiagnostic()> &emitErr);

} // namespace mlir::qopt::onnx_import

#endif // QOPT_LIB_IMPORT_ONNX_TENSORS_H
