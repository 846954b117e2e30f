//===- QOptOps.h - qopt operations ------------------------------*- C++ -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTOPS_H
#define QOPT_DIALECT_QOPT_IR_QOPTOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "qopt/Dialect/QOpt/IR/QOptAttrs.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Dialect/QOpt/IR/QOptTypes.h"

#define GET_OP_CLASSES
#include "qopt/Dialect/QOpt/IR/QOpt.h.inc"

namespace mlir::qopt {
/// The parts of a quantized tensor type as `qopt.codes`, `qopt.scales`,
/// `qopt.zero_points` and `qopt.tensor_scale` return them (null when the
/// format has no such part).
RankedTensorType getCodesType(RankedTensorType quantized);
RankedTensorType getScalesType(RankedTensorType quantized);
RankedTensorType getZeroPointsType(RankedTensorType quantized);
RankedTensorType getTensorScaleType(RankedTensorType quantized);

/// dequantize(assemble(codes(q), scales(q), ...)) to f32: decodes `quantized`
/// from its parts, so a constant folds into packed code and scale constants
/// instead of a float tensor.
Value buildDequantizeFromParts(OpBuilder &b, Location loc, Value quantized);
} // namespace mlir::qopt

#endif // QOPT_DIALECT_QOPT_IR_QOPTOPS_H
