//===- NormMatch.h - recognising gamma-free RMS normalisations ------------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_DIALECT_QOPT_TRANSFORMS_NORMMATCH_H
#define QOPT_LIB_DIALECT_QOPT_TRANSFORMS_NORMMATCH_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <optional>

namespace mlir::qopt {

/// A gamma-free RMS normalisation over the last axis: y = x * f(sum_k x_k^2)
/// row by row, for any f (1 / sqrt(mean + eps), its decomposed ONNX form, ...).
/// Such a y commutes with any orthogonal R acting on the last axis:
/// y(x R) = y(x) R, since sum_k (x R)_k^2 = sum_k x_k^2.
struct RmsNorm {
  Value input;                            ///< x
  linalg::GenericOp output;               ///< the generic producing y
  llvm::SmallPtrSet<Operation *, 8> ops; ///< every op of the norm (statistic chain + output)
};

/// The RMS normalisation producing `y`, if it is one: y's generic multiplies
/// (or divides) its one full-rank input x by per-row statistics only, and
/// each statistic is computed (through element-wise generics and reshapes)
/// from one reduction over the last axis of x * x. A LayerNorm (centred)
/// does not match, nor does a norm that still applies a per-channel gamma.
std::optional<RmsNorm> matchRmsNorm(Value y);

} // namespace mlir::qopt

#endif // QOPT_LIB_DIALECT_QOPT_TRANSFORMS_NORMMATCH_H
