//===- FormatBridge.h - MLIR types <-> lib/Format descriptors ---*- C++ -*-===//
//
// Part of qopt. The only place that maps MLIR types onto qopt::format
// descriptors and back; everything else asks through these functions.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_FORMATBRIDGE_H
#define QOPT_DIALECT_QOPT_IR_FORMATBRIDGE_H

#include "mlir/IR/BuiltinTypes.h"
#include "qopt/Format/ElementFormat.h"

#include <optional>
#include <vector>

namespace mlir::qopt {

/// The encoding an element/scale/zero-point type denotes: builtin integers of
/// 2..16 bits (signless and `si` are two's complement, `ui` unsigned),
/// builtin minifloats and f16/bf16/f32, `!qopt.float`, `!qopt.codebook`.
std::optional<::qopt::format::ElementFormat> getElementFormat(Type type);

/// The MLIR type of an encoding (builtin where one exists).
Type getTypeFor(MLIRContext *context, const ::qopt::format::ElementFormat &format);

/// Type of the raw codes of a `bits`-wide encoding: signless iN.
IntegerType getCodeType(MLIRContext *context, unsigned bits);

/// The values of a float constant (dense, or dense_resource f32) as f32.
std::optional<std::vector<float>> getFloatValues(Attribute attr);

} // namespace mlir::qopt

#endif // QOPT_DIALECT_QOPT_IR_FORMATBRIDGE_H
