//===- Parallelize.cpp - threads for the linalg ops outside matmul loops --===//
//
// Part of qopt. See Parallelize.h. What qopt-fuse leaves outside the matmuls'
// column loops (norms, softmax, attention products, element-wise chains, the
// quantization of a graph input) would run on one thread. Each such op with
// enough work is tiled along one parallel loop with scf.forall (OpenMP
// threads after lowering), in equal static tiles. Only parallel loops are
// split and every reduction stays whole inside its tile, so each element is
// computed by the same operations in the same order as before: results do
// not depend on the thread count.
//
//===----------------------------------------------------------------------===//
#include "Parallelize.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace {

/// Loop `d` of `op` and its number of tiles: the outermost parallel loop
/// with a divisor in [2, maxTiles] (the largest), so tiles are equal and
/// static; nothing when no loop has one.
std::optional<std::pair<unsigned, int64_t>> splitLoop(linalg::GenericOp op, int64_t maxTiles) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (iters[d] != utils::IteratorType::parallel || ShapedType::isDynamic(ranges[d]))
      continue;
    for (int64_t t = std::min(maxTiles, ranges[d]); t >= 2; --t)
      if (ranges[d] % t == 0)
        return std::make_pair(d, t);
  }
  return std::nullopt;
}

} // namespace

LogicalResult mlir::qopt::parallelizeRemaining(Operation *root, int64_t minWork,
                                               int64_t maxTiles) {
  SmallVector<linalg::GenericOp> ops;
  root->walk([&](linalg::GenericOp op) {
    if (op->hasAttr("qopt.matmul") || op->hasAttr("qopt.decode") ||
        !op.hasPureTensorSemantics() || op->getParentOfType<LoopLikeOpInterface>())
      return;
    // Only projected permutations: a tile of an operand read through
    // `d floordiv 16` (a weight decode's block scales) is only right at
    // offsets that are multiples of 16, which tiling does not guarantee.
    if (!llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isProjectedPermutation(); }))
      return;
    int64_t work = 1;
    for (int64_t r : op.getStaticLoopRanges()) {
      if (ShapedType::isDynamic(r))
        return;
      work *= r;
    }
    if (work >= minWork)
      ops.push_back(op);
  });
  IRRewriter rewriter(root->getContext());
  for (linalg::GenericOp op : ops) {
    std::optional<std::pair<unsigned, int64_t>> split = splitLoop(op, maxTiles);
    if (!split)
      continue;
    SmallVector<OpFoldResult> sizes(op.getNumLoops(), rewriter.getIndexAttr(0));
    sizes[split->first] = rewriter.getIndexAttr(op.getStaticLoopRanges()[split->first] /
                                                split->second);
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes).setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op.emitError("qopt-fuse: tiling for threads failed");
    rewriter.replaceOp(op, tiled->replacements);
  }
  return success();
}
