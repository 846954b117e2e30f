//===- Tiling.h - tile-size rules shared by qopt's tiling and kernel passes ===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_TILING_H
#define QOPT_DIALECT_QOPT_TRANSFORMS_TILING_H

#include <cstdint>

namespace mlir::qopt {

/// The largest of {preferred, preferred/2, ...} >= 1 that divides `extent`
/// (`preferred` a power of two): tiles without remainders, so every tile has
/// the same static shape.
inline int64_t divisorTile(int64_t extent, int64_t preferred) {
  for (int64_t t = preferred; t > 1; t /= 2)
    if (extent % t == 0)
      return t;
  return 1;
}

/// Up to this many rows a matmul is bound by its weight stream (decode),
/// not by its arithmetic: its column tiles are one register block wide, so a
/// tile reads its weight panel whole rows at a time and in order (qopt-fuse
/// for float kernels, qopt-x86-dot-kernels for VNNI / BF16 ones).
inline constexpr int64_t kStreamRows = 16;

} // namespace mlir::qopt

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_TILING_H
