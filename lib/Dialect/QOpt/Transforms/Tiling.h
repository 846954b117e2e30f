//===- Tiling.h - tile-size helpers shared by qopt's tiling passes --------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_DIALECT_QOPT_TRANSFORMS_TILING_H
#define QOPT_LIB_DIALECT_QOPT_TRANSFORMS_TILING_H

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

} // namespace mlir::qopt

#endif // QOPT_LIB_DIALECT_QOPT_TRANSFORMS_TILING_H
