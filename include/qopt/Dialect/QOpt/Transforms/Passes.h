//===- Passes.h - qopt transformation passes --------------------*- C++ -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_H
#define QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Format/TensorFormat.h"

#include <optional>
#include <string>

namespace mlir::qopt {

#define GEN_PASS_DECL
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"

/// The weight format of a scheme name, for a weight stored K x N (blocks
/// along axis 0, per-channel scales on axis 1); nullopt with `error` set for
/// unknown schemes and for schemes that quantize activations. `none` gives
/// nullopt with an empty error.
std::optional<::qopt::format::TensorFormat> getSchemeWeightFormat(llvm::StringRef scheme,
                                                                  std::string &error);

} // namespace mlir::qopt

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_H
