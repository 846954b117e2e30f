//===- Epilogues.h - fusing consumers into column-parallel matmul loops ---===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_DIALECT_QOPT_TRANSFORMS_EPILOGUES_H
#define QOPT_LIB_DIALECT_QOPT_TRANSFORMS_EPILOGUES_H

#include "mlir/Support/LogicalResult.h"

namespace mlir {
class Operation;
namespace qopt {

/// Fuses the consumers of every column-parallel matmul loop (an scf.forall
/// tagged `qopt.columns`) into the loop, repeatedly, as long as each
/// consumer's work splits along the loop's column tiles:
///  - a tensor.expand_shape / collapse_shape of a loop result folds into the
///    loop when every tile the loop writes is a rectangular block of the
///    reshaped tensor (a 128-column tile is 4 blocks of 32);
///  - a linalg op reading loop results through projected permutations,
///    whose reductions each tile covers whole (a per-block amax, a block sum),
///    is tiled into the loop (upstream scf::tileAndFuseConsumer).
/// So the bias / activation / residual epilogue and the next layer's
/// per-block activation quantization (block amax, scale, codes, block sums)
/// run on each column tile, on the loop's threads, while the tile is in
/// cache. Reductions across tiles (per-row or per-tensor scales) stay
/// outside. Results the fused consumers made dead are dropped.
LogicalResult fuseEpilogues(Operation *root);

} // namespace qopt
} // namespace mlir

#endif // QOPT_LIB_DIALECT_QOPT_TRANSFORMS_EPILOGUES_H
