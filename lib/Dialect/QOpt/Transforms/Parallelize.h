//===- Parallelize.h - threads for the linalg ops outside matmul loops ----===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_DIALECT_QOPT_TRANSFORMS_PARALLELIZE_H
#define QOPT_LIB_DIALECT_QOPT_TRANSFORMS_PARALLELIZE_H

#include "mlir/Support/LogicalResult.h"

#include <cstdint>

namespace mlir {
class Operation;
namespace qopt {

/// Tiles every linalg.generic left outside loops (norms, softmax, attention
/// products, element-wise chains, a graph input's quantization) with at
/// least `minWork` iterations along its outermost parallel loop that splits
/// into 2..`maxTiles` equal tiles, with scf.forall (threads). Only ops read
/// through projected permutations; reductions stay whole in a tile, so
/// results do not depend on the thread count.
LogicalResult parallelizeRemaining(Operation *root, int64_t minWork, int64_t maxTiles);

} // namespace qopt
} // namespace mlir

#endif // QOPT_LIB_DIALECT_QOPT_TRANSFORMS_PARALLELIZE_H
