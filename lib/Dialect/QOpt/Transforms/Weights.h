//===- Weights.h - constant matmul weights for the qopt transforms -*- C++ -*-===//
//
// Part of qopt. Shared by qopt-rotate, qopt-fold-norms and qopt-quantize:
// reading a qopt.matmul's constant weight as K x N values (also through a
// 2-D transpose, as Gemm transB imports), making a new weight constant, and
// swapping it in.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_DIALECT_QOPT_TRANSFORMS_WEIGHTS_H
#define QOPT_LIB_DIALECT_QOPT_TRANSFORMS_WEIGHTS_H

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

#include <optional>
#include <vector>

namespace mlir::qopt {

/// The constant f32 weight of `op` as K x N row-major values (a transposed
/// N x K constant is transposed back); nullopt when the weight is not a
/// constant or either operand is not a 2-D f32 tensor.
std::optional<std::vector<float>> getMatmulWeightKxN(MatmulOp op);

/// An f32 `dense_resource` constant holding `values` (row-major `shape`).
Value createWeightConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                           const std::vector<float> &values, StringRef name);

/// Points `op` at the K x N weight `w` and erases the old constant (and
/// transpose) if nothing else uses them.
void replaceMatmulWeight(MatmulOp op, Value w);

/// Values of constant operand `i` of an element-wise generic when it varies
/// only along the last loop dim (a per-channel constant of `d` channels; a
/// single value is broadcast); nullopt otherwise.
std::optional<std::vector<float>> getChannelConstant(linalg::GenericOp op, unsigned i, int64_t d);

/// The qopt.matmuls that take `v` (through reshapes that keep the last axis,
/// of size d) as their left operand and have constant weights; nullopt if
/// anything else uses it.
std::optional<SmallVector<MatmulOp>> getConsumingMatmuls(Value v, int64_t d);

/// x (op) c along the last axis of x, c a constant per channel, as one
/// element-wise linalg.generic: x * c (`multiply`) or x + c.
Value buildChannelwise(OpBuilder &b, Location loc, Value x, const std::vector<float> &c,
                       bool multiply);

} // namespace mlir::qopt

#endif // QOPT_LIB_DIALECT_QOPT_TRANSFORMS_WEIGHTS_H
