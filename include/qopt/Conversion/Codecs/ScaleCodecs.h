//===- ScaleCodecs.h - IR for scale values in their storage types -*- C++ -*-===//
//
// Part of qopt. A scale tensor stores its values in the type qopt.scales
// gives it: f32/f16/bf16 natively, builtin 8-bit floats (f8E8M0FNU,
// f8E4M3FN) and any other scale format as raw codes. These emitters convert
// between an f32 value and that storage, bit for bit like lib/Format's
// FloatFormat encode/decode (round to nearest even, saturating).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_CONVERSION_CODECS_SCALECODECS_H
#define QOPT_CONVERSION_CODECS_SCALECODECS_H

#include "qopt/Format/FloatFormat.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"

namespace mlir::qopt {

/// Whether a scale format can be stored and read in generated code.
bool isScaleStorageSupported(const ::qopt::format::FloatFormat &format);

/// The f32 value of one stored scale `s` (scalar) of `format`.
Value emitDecodeScale(OpBuilder &b, Location loc, Value s,
                      const ::qopt::format::FloatFormat &format);

/// The stored scale (of type `storage`) nearest to the f32 `value`: RNE,
/// magnitudes beyond the format saturate, NaN stays NaN.
Value emitEncodeScale(OpBuilder &b, Location loc, Value value,
                      const ::qopt::format::FloatFormat &format, Type storage);

/// `v` extended to f32 (f16/bf16), or `v` itself when already f32.
Value emitExtendToF32(OpBuilder &b, Location loc, Value v);

} // namespace mlir::qopt

#endif // QOPT_CONVERSION_CODECS_SCALECODECS_H
