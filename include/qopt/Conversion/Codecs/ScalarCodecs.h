//===- ScalarCodecs.h - arith/math IR for element codecs --------*- C++ -*-===//
//
// Part of qopt. Emits branch-free arith/math IR that decodes and encodes the
// element formats of lib/Format (integers, minifloats up to 16 bits, E8M0,
// UE4M3/UE5M3, codebooks) on f32 values, bit for bit like lib/Format. The
// emitters work on scalars and on vectors of them (for use inside
// linalg.generic bodies and after vectorization); no upstream f8/f6/f4
// conversion is used.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_CONVERSION_CODECS_SCALARCODECS_H
#define QOPT_CONVERSION_CODECS_SCALARCODECS_H

#include "qopt/Format/ElementFormat.h"
#include "qopt/Format/Rounding.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace mlir::qopt {

/// Succeeds when emitDecode/emitEncode can produce bit-exact code for
/// `format`; otherwise fails and, if `reason` is given, explains why (for
/// example a minifloat whose values are not all exact in f32).
LogicalResult checkCodecSupport(const ::qopt::format::ElementFormat &format,
                                std::string *reason = nullptr);

/// The f32 value of an element code. `code` is a signless integer (or a vector
/// of them) at least as wide as the format; only its low bits are read.
/// Integers give their value (sign-extended for signed formats), minifloats
/// their exact value (NaN and Inf as f32 NaN and Inf), codebooks their entry.
/// The result is f32 (or a vector of f32 of the same shape). On an unsupported
/// format or operand type, emits an error at `loc` and returns a null Value.
Value emitDecode(OpBuilder &b, Location loc, Value code,
                 const ::qopt::format::ElementFormat &format);

/// The element code nearest to the f32 `value` (or vector of f32) under
/// `rounding` and `overflow`, with exactly the semantics of
/// FloatFormat::encode, IntFormat::encode(value, rounding, lo, hi) and
/// ElementFormat::encode for codebooks (which ignore `rounding`). The result
/// is i32 (or a vector of i32) holding the code in its low bits, the other
/// bits zero. `intRange` (integer formats only) is the [lo, hi] a scale rule
/// asks for; by default the format's full range. On an unsupported format,
/// operand type or range, emits an error at `loc` and returns a null Value.
Value emitEncode(OpBuilder &b, Location loc, Value value,
                 const ::qopt::format::ElementFormat &format, ::qopt::format::Rounding rounding,
                 ::qopt::format::Overflow overflow,
                 std::optional<std::pair<int64_t, int64_t>> intRange = std::nullopt);

} // namespace mlir::qopt

#endif // QOPT_CONVERSION_CODECS_SCALARCODECS_H
