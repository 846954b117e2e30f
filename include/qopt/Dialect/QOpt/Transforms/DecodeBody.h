//===- DecodeBody.h - reading a lowered decode's body -----------*- C++ -*-===//
//
// Part of qopt. convert-qopt-to-linalg lowers a dequantize to a
// linalg.generic tagged `qopt.decode` whose body computes
//   element(code) * scale_1 * scale_2 ...
// from lib/Format's codecs. These helpers split such a body into its element
// half (the ops that depend on the code alone, evaluated at compile time per
// code) and its scale half (the rest), for the passes that need them apart:
// table decodes (qopt-vectorize-matmuls) and the integer / BF16 dot-product
// kernels that apply block scales once per block (qopt-x86-dot-kernels).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_DECODEBODY_H
#define QOPT_DIALECT_QOPT_TRANSFORMS_DECODEBODY_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::qopt {

/// The element half of a decode body.
struct ElementDecode {
  Value code;                         ///< the code (a block argument or a narrow int)
  SmallVector<Operation *> ops;       ///< ops that are functions of the code alone, in order
  Operation *decoded = nullptr;       ///< the last f32 of `ops` used outside them
  /// The decoded value of every code 0 .. 2^w - 1 (w: the code's width),
  /// folded from `ops`; nothing if some op does not fold.
  std::optional<SmallVector<float>> table() const;
};

/// The element half of `body`: the code is its first block argument of at
/// most `maxCodeBits` bits, else the first op result of at most that width.
std::optional<ElementDecode> analyzeElementDecode(Block &body, unsigned maxCodeBits);

/// A qopt.decode generic computing `element(code) * s_1 * ... * s_n` (a
/// chain of mulf, each s_i independent of the code), all maps identity
/// except the scale operands'.
struct ScaledDecode {
  linalg::GenericOp op;
  ElementDecode element;
  OpOperand *codes = nullptr; ///< the operand whose block argument is the code
  /// The largest B dividing `extent` such that every scale operand is
  /// constant over aligned runs of B along loop dim `dim` (maps that depend
  /// on it only through `dim floordiv c`, c a multiple of B); 0 if a scale
  /// varies along `dim` otherwise.
  int64_t scaleBlock(unsigned dim, int64_t extent) const;
  /// Builds a generic computing the scale half (s_1 * ... * s_n, with the
  /// element replaced by `unit`) over the decode's domain with loop dim `dim`
  /// shrunk to extent / block (one value per block): f32, identity layout.
  Value buildScales(OpBuilder &b, Location loc, unsigned dim, int64_t block, float unit) const;
};

/// The scale half of a decode whose scales vary through one operand only
/// (the block / channel scales; any other operand a constant scalar, such as
/// NVFP4's tensor scale), folded at compile time:
///  - an operand of at most 8 bits (E8M0, E4M3, ...): `table` holds the
///    scale for each of its 2^w bit patterns;
///  - an f32 operand x: the scale is x * `multiplier` (table empty);
///  - no varying operand (one scale for the tensor): `multiplier` (operand
///    null, table empty).
struct ScaleTable {
  OpOperand *operand = nullptr;
  SmallVector<float> table;
  float multiplier = 1.0f;
};
std::optional<ScaleTable> foldScaleTable(const ScaledDecode &decode);

/// `op` as a ScaledDecode (codes of at most 8 bits), or nothing.
std::optional<ScaledDecode> matchScaledDecode(linalg::GenericOp op);

} // namespace mlir::qopt

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_DECODEBODY_H
