//===- Fuse.cpp - qopt-fuse: element-wise fusion and tiled weight decoding -===//
//
// Part of qopt. Two steps on linalg-on-tensors after convert-qopt-to-linalg:
//  1. element-wise producer/consumer fusion (upstream patterns), except that a
//     weight decode (a linalg.generic tagged qopt.decode) is not fused into a
//     consumer with reduction loops: fused there it would be recomputed for
//     every row M of the activation;
//  2. each such reduction (a matmul reading a decoded weight) is tiled along
//     its reduction dim and the weight's other parallel dim, and the decode
//     is fused into the tile loop: every weight element is decoded once per
//     call, into a tile of at most `tile-k` x `tile-n` floats; the weight never
//     exists in float as a whole.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "Epilogues.h"
#include "Parallelize.h"
#include "qopt/Dialect/QOpt/Transforms/Tiling.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_FUSEPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {

bool isDecode(Operation *op) { return op && op->hasAttr("qopt.decode"); }

bool hasReduction(Operation *op) {
  auto g = dyn_cast<linalg::LinalgOp>(op);
  return g && g.getNumReductionLoops() > 0;
}

/// Up to this many rows, a matmul keeps its weight decode fused into its
/// body: qopt-vectorize-matmuls decodes each weight vector once in registers
/// and uses it for every row of the register block.
constexpr int64_t kFusedDecodeRows = 8;

/// Whether a decode feeding `use` (an operand of a reduction) is better kept
/// out of the consumer and tiled: the consumer has rows (parallel dims the
/// weight does not vary along) totalling more than 1, and a reduction dim
/// longer than the tile. A single row (GEMV) decodes each element once
/// anyway, fused.
bool worthTiling(OpOperand *use, int64_t tileK) {
  auto op = dyn_cast<linalg::GenericOp>(use->getOwner());
  if (!op || op.getNumReductionLoops() == 0)
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  llvm::SmallDenseSet<unsigned> weightDims;
  for (AffineExpr e : op.getMatchingIndexingMap(use).getResults())
    if (auto d = dyn_cast<AffineDimExpr>(e))
      weightDims.insert(d.getPosition());
  int64_t rows = 1;
  bool longReduction = false;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (ShapedType::isDynamic(ranges[d]))
      return false;
    if (iters[d] == utils::IteratorType::reduction)
      longReduction |= ranges[d] > tileK;
    else if (!weightDims.contains(d))
      rows *= ranges[d];
  }
  return rows > kFusedDecodeRows && longReduction;
}

/// Tiles `op` by `sizes` with loops of `type`, fusing a weight-decode
/// producer into the tile loop, and replaces `op`. Returns the loops.
FailureOr<SmallVector<LoopLikeOpInterface>>
tileFusingDecode(IRRewriter &rewriter, linalg::GenericOp op, ArrayRef<OpFoldResult> sizes,
                 scf::SCFTilingOptions::LoopType type, StringRef what) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(sizes);
  tiling.setLoopType(type);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  options.setFusionControlFn(
      [](tensor::ExtractSliceOp, OpResult producer,
         bool isDestination) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (isDestination || !isDecode(producer.getOwner()))
          return std::nullopt;
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> result = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(result))
    return op.emitError("qopt-fuse: ") << what << " failed";
  for (OpResult r : op->getResults())
    if (Value replacement = result->replacements.lookup(r))
      rewriter.replaceAllUsesWith(r, replacement);
  rewriter.eraseOp(op);
  return result->loops;
}

/// The data of a constant tensor with whole bytes per element, or nothing
/// (splats, i1, sub-byte resources).
std::optional<ArrayRef<char>> constantBytes(Attribute value, unsigned &elemBytes) {
  auto type = dyn_cast<RankedTensorType>(cast<TypedAttr>(value).getType());
  if (!type)
    return std::nullopt;
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (dense.isSplat() || bits < 2)
      return std::nullopt;
    elemBytes = (bits + 7) / 8; // sub-byte elements are stored one per byte
    return dense.getRawData();
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(value)) {
    if (bits % 8 || !res.getRawHandle().getBlob())
      return std::nullopt;
    elemBytes = bits / 8;
    return res.getRawHandle().getBlob()->getData();
  }
  return std::nullopt;
}

/// Whether `v` is a multiple of `c`: a static multiple, or the induction
/// variable of an scf.forall starting at a multiple with a multiple as step.
bool isMultipleOf(OpFoldResult v, int64_t c) {
  if (std::optional<int64_t> k = getConstantIntValue(v))
    return *k % c == 0;
  auto arg = dyn_cast<BlockArgument>(cast<Value>(v));
  auto forall = arg ? dyn_cast<scf::ForallOp>(arg.getOwner()->getParentOp()) : nullptr;
  if (!forall)
    return false;
  unsigned i = arg.getArgNumber();
  if (i >= forall.getRank())
    return false;
  std::optional<int64_t> lb = getConstantIntValue(forall.getMixedLowerBound()[i]);
  std::optional<int64_t> step = getConstantIntValue(forall.getMixedStep()[i]);
  return lb && step && *lb % c == 0 && *step % c == 0;
}

struct FusePass : public mlir::qopt::impl::FusePassBase<FusePass> {
  using FusePassBase::FusePassBase;

  /// Constant sub-byte codes (i2..i7) read by a generic are stored in whole
  /// bytes: LLVM splits vectors of i4 loads byte by byte. Codes of at most 4
  /// bits whose first index is a plain loop dim d are packed two per byte
  /// along it (rows 2r and 2r+1 in the low and high nibble: half the memory
  /// traffic); the body selects its nibble by d's parity. Wider codes get one
  /// byte each. The body truncates back to the code type.
  static void packSubByteConstantInputs(Operation *root) {
    root->walk([](linalg::GenericOp op) {
      for (OpOperand *in : op.getDpsInputOperands()) {
        DenseElementsAttr attr;
        if (!matchPattern(in->get(), m_Constant(&attr)))
          continue;
        auto type = cast<RankedTensorType>(in->get().getType());
        auto it = dyn_cast<IntegerType>(type.getElementType());
        if (!it || it.getWidth() >= 8 || it.getWidth() < 2)
          continue;
        OpBuilder b(op);
        Location loc = op.getLoc();
        unsigned w = it.getWidth();
        auto i8 = b.getI8Type();
        AffineMap map = op.getMatchingIndexingMap(in);
        auto d = map.getNumResults() == 2 ? dyn_cast<AffineDimExpr>(map.getResult(0)) : nullptr;
        bool pack = w <= 4 && d && !map.getResult(1).isFunctionOfDim(d.getPosition()) &&
                    type.hasStaticShape() && type.getDimSize(0) % 2 == 0;
        BlockArgument arg = op.getMatchingBlockArgument(in);
        if (pack) {
          int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
          SmallVector<APInt> v(attr.getValues<APInt>());
          SmallVector<int8_t> bytes(size_t(rows / 2 * cols));
          for (int64_t r = 0; r < rows / 2; ++r)
            for (int64_t c = 0; c < cols; ++c) {
              uint64_t lo = v[size_t(2 * r * cols + c)].getZExtValue() & 0xF;
              uint64_t hi = v[size_t((2 * r + 1) * cols + c)].getZExtValue() & 0xF;
              bytes[size_t(r * cols + c)] = int8_t(lo | (hi << 4));
            }
          auto packedType = RankedTensorType::get({rows / 2, cols}, i8);
          in->set(arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(packedType, ArrayRef<int8_t>(bytes))));
          SmallVector<AffineMap> maps = op.getIndexingMapsArray();
          maps[in->getOperandNumber()] = map.replace(d, d.floorDiv(2), map.getNumDims(),
                                                     map.getNumSymbols());
          op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
          arg.setType(i8);
          OpBuilder bb = OpBuilder::atBlockBegin(arg.getOwner());
          Value idx = linalg::IndexOp::create(bb, loc, d.getPosition());
          Value parity = arith::RemUIOp::create(bb, loc, idx, arith::ConstantIndexOp::create(bb, loc, 2));
          Value shift = arith::IndexCastOp::create(
              bb, loc, i8,
              arith::MulIOp::create(bb, loc, parity, arith::ConstantIndexOp::create(bb, loc, 4)));
          Value byte = arith::ShRUIOp::create(bb, loc, arg, shift);
          Value narrow = arith::TruncIOp::create(bb, loc, it, byte);
          arg.replaceAllUsesExcept(narrow, byte.getDefiningOp());
          continue;
        }
        DenseElementsAttr wide = attr.mapValues(i8, [&](const APInt &x) {
          return x.zext(8) & APInt(8, (1u << w) - 1);
        });
        in->set(arith::ConstantOp::create(b, loc, wide));
        arg.setType(i8);
        OpBuilder bb = OpBuilder::atBlockBegin(arg.getOwner());
        Value narrow = arith::TruncIOp::create(bb, loc, it, arg);
        arg.replaceAllUsesExcept(narrow, narrow.getDefiningOp());
      }
    });
  }

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Operation *root = getOperation();
    packSubByteConstantInputs(root);
    // 0. Every lowered qopt.matmul with more than one tile of weight columns
    //    runs its N tiles in parallel (scf.forall, OpenMP threads later),
    //    its weight decode fused into the parallel tile. The reduction is
    //    never split, so results do not depend on the thread count.
    if (parallelN > 0) {
      SmallVector<linalg::GenericOp> matmuls;
      root->walk([&](linalg::GenericOp op) {
        if (op->hasAttr("qopt.matmul") && !op->getParentOfType<scf::ForallOp>())
          matmuls.push_back(op);
      });
      IRRewriter rewriter(ctx);
      for (linalg::GenericOp op : matmuls)
        if (failed(parallelizeColumns(rewriter, op)))
          return signalPassFailure();
      panelizeConstantSlices(root);
    }
    // 1. Tile the lowered qopt.matmuls that have rows to share a weight tile
    //    (fusing their weight decode into the tile loop), before anything
    //    reshapes their loops.
    if (tileK > 0) {
      SmallVector<linalg::GenericOp> matmuls;
      root->walk([&](linalg::GenericOp op) {
        if (op->hasAttr("qopt.matmul") && op.getNumDpsInputs() == 2 &&
            isDecode(op.getDpsInputOperand(1)->get().getDefiningOp()) &&
            worthTiling(&op->getOpOperand(1), tileK))
          matmuls.push_back(op);
      });
      IRRewriter rewriter(ctx);
      for (linalg::GenericOp op : matmuls)
        if (failed(tileAndFuseDecode(rewriter, op)))
          return signalPassFailure();
    }
    // 2. Element-wise fusion everywhere, except into a tiled matmul (a decoded
    //    weight tile would be recomputed for every row of the tile; the
    //    canonicalizations below rebuild generics, so the test is on the
    //    consumer's place, not the producer's qopt.decode tag). A decode
    //    feeding an untiled matmul (one row, or a short reduction) fuses.
    RewritePatternSet patterns(ctx);
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      Operation *consumer = fused->getOwner();
      if (hasReduction(consumer) && isa<scf::ForOp>(consumer->getParentOp()))
        return false;
      // Never into a consumer that reads the producer's value more than once
      // (a loop the operand's map drops, longer than 1: a matmul's activation
      // reused for every column, a weight for every row): it would be
      // recomputed each time. A decode into a one-row matmul is read once.
      auto linalgConsumer = dyn_cast<linalg::LinalgOp>(consumer);
      if (!linalgConsumer)
        return true;
      AffineMap map = linalgConsumer.getMatchingIndexingMap(fused);
      SmallVector<int64_t> ranges = linalgConsumer.getStaticLoopRanges();
      int64_t reuse = 1;
      for (unsigned d = 0; d < ranges.size(); ++d)
        if (!map.isFunctionOfDim(d))
          reuse = ShapedType::isDynamic(ranges[d]) ? INT64_MAX : reuse * ranges[d];
      return reuse == 1 || (isDecode(producer) && reuse <= kFusedDecodeRows);
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    // A decoded tile's destination is a slice of the whole weight's
    // tensor.empty: a tile-sized tensor.empty instead, so bufferization
    // allocates a tile, not the weight.
    tensor::populateFoldTensorEmptyPatterns(patterns);
    // Fusing a decode into its matmul builds a new generic without the
    // `qopt.matmul` tag; the fused op keeps the matmul's destination, which
    // is how the tag is carried over (qopt-vectorize-matmuls looks for it).
    llvm::DenseSet<Value> matmulInits;
    root->walk([&](linalg::GenericOp op) {
      if (op->hasAttr("qopt.matmul") && op.getNumDpsInits() == 1)
        matmulInits.insert(op.getDpsInits()[0]);
    });
    if (failed(applyPatternsGreedily(root, std::move(patterns),
                                     GreedyRewriteConfig().setUseTopDownTraversal())))
      return signalPassFailure();
    root->walk([&](linalg::GenericOp op) {
      if (op.getNumDpsInits() == 1 && op.getNumDpsInputs() >= 2 &&
          op.getNumReductionLoops() == 1 && matmulInits.contains(op.getDpsInits()[0]))
        op->setAttr("qopt.matmul", UnitAttr::get(ctx));
    });
    // 3. Epilogues into the column-parallel loops.
    if (fuseEpilogues && failed(mlir::qopt::fuseEpilogues(root)))
      return signalPassFailure();
    // 4. Threads for what is left outside the loops (at least 16 Ki
    //    iterations, in up to 8 equal tiles).
    if (parallelN > 0 && parallelRest &&
        failed(mlir::qopt::parallelizeRemaining(root, 16384, 8)))
      return signalPassFailure();
  }

  /// Column panels: a parallel tile reading columns [n0, n0 + nc) of a
  /// constant K x N weight (codes, scales or float weights) would walk K rows
  /// N elements apart, one page per row for wide layers. The constant is
  /// repacked at compile time as [N / nc, K, nc] (each tile's panel
  /// contiguous) and the slice reads panel n0 / nc.
  void panelizeConstantSlices(Operation *root) {
    SmallVector<tensor::ExtractSliceOp> slices;
    root->walk([&](tensor::ExtractSliceOp s) {
      if (s->getParentOfType<scf::ForallOp>() && s.getSource().getDefiningOp<arith::ConstantOp>())
        slices.push_back(s);
    });
    DenseMap<std::pair<Operation *, int64_t>, Value> panels;
    for (tensor::ExtractSliceOp s : slices) {
      auto cst = s.getSource().getDefiningOp<arith::ConstantOp>();
      auto src = cast<RankedTensorType>(s.getSourceType());
      auto res = cast<RankedTensorType>(s.getResultType());
      if (src.getRank() != 2 || !src.hasStaticShape() || res.getRank() != 2 ||
          !res.hasStaticShape())
        continue;
      int64_t rows = src.getDimSize(0), n = src.getDimSize(1), nc = res.getDimSize(1);
      SmallVector<OpFoldResult> offsets = s.getMixedOffsets();
      if (res.getDimSize(0) != rows || nc >= n || n % nc || !s.hasUnitStride() ||
          !isConstantIntValue(offsets[0], 0) || !isMultipleOf(offsets[1], nc))
        continue;
      unsigned eb = 0;
      std::optional<ArrayRef<char>> data = constantBytes(cst.getValue(), eb);
      if (!data || data->size() != size_t(rows * n * eb))
        continue;
      Value &panel = panels[{cst.getOperation(), nc}];
      OpBuilder b(cst);
      b.setInsertionPointAfter(cst);
      if (!panel) {
        std::vector<char> bytes(data->size());
        for (int64_t p = 0; p < n / nc; ++p)
          for (int64_t r = 0; r < rows; ++r)
            std::memcpy(&bytes[size_t(((p * rows + r) * nc) * eb)],
                        &(*data)[size_t((r * n + p * nc) * eb)], size_t(nc * eb));
        auto type = RankedTensorType::get({n / nc, rows, nc}, src.getElementType());
        Attribute value;
        if (isa<DenseElementsAttr>(cst.getValue()))
          value = DenseElementsAttr::getFromRawBuffer(type, bytes);
        else
          value = DenseResourceElementsAttr::get(
              type, "panels",
              HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(bytes), 64));
        panel = arith::ConstantOp::create(b, cst.getLoc(), cast<TypedAttr>(value));
      }
      b.setInsertionPoint(s);
      Location loc = s.getLoc();
      OpFoldResult p = affine::makeComposedFoldedAffineApply(
          b, loc, getAffineDimExpr(0, b.getContext()).floorDiv(nc), {offsets[1]});
      Value slice = tensor::ExtractSliceOp::create(
          b, loc, res, panel, SmallVector<OpFoldResult>{p, b.getIndexAttr(0), b.getIndexAttr(0)},
          SmallVector<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(rows), b.getIndexAttr(nc)},
          SmallVector<OpFoldResult>(3, b.getIndexAttr(1)));
      s.replaceAllUsesWith(slice);
      s.erase();
      if (cst.use_empty())
        cst.erase();
    }
  }

  /// Tiles the last loop (N, the weight's columns) of a lowered matmul by
  /// `parallel-n` with scf.forall, fusing a weight decode producer.
  LogicalResult parallelizeColumns(IRRewriter &rewriter, linalg::GenericOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t n = ranges.back();
    if (ShapedType::isDynamic(n))
      return success();
    // 4 to kStreamRows rows: tiles of 64 columns, one 4 x 64 register block
    // of the float kernel, so a tile reads each panel row whole and in order
    // (with 128 columns, two strided passes). Fewer rows get blocks as wide
    // as the tile (qopt-vectorize-matmuls), so they keep the wider tiles.
    int64_t rows = 1;
    for (int64_t r : ArrayRef<int64_t>(ranges).drop_back(2)) {
      rows = ShapedType::isDynamic(r) ? INT64_MAX : rows * r;
      if (rows > kStreamRows)
        break; // many rows (or unknown): no product overflow
    }
    int64_t preferred =
        rows >= 4 && rows <= kStreamRows ? std::min<int64_t>(parallelN, 64) : parallelN;
    int64_t t = divisorTile(n, preferred);
    if (t == n || t < std::min<int64_t>(32, parallelN))
      return success(); // one tile, or tiles too narrow for full vectors
    SmallVector<OpFoldResult> sizes(ranges.size(), rewriter.getIndexAttr(0));
    sizes.back() = rewriter.getIndexAttr(t);
    FailureOr<SmallVector<LoopLikeOpInterface>> loops =
        tileFusingDecode(rewriter, op, sizes, scf::SCFTilingOptions::LoopType::ForallOp,
                         "tiling the matmul's columns for threads");
    if (failed(loops))
      return failure();
    if (!loops->empty())
      loops->front()->setAttr("qopt.columns", rewriter.getUnitAttr());
    return success();
  }

  LogicalResult tileAndFuseDecode(IRRewriter &rewriter, linalg::GenericOp op) {
    // Tile the reduction dims by tile-k and the parallel dims the decoded
    // weight varies along (N) by tile-n; the rows (M, batch) stay whole.
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
    llvm::SmallDenseSet<unsigned> weightDims;
    for (OpOperand *in : op.getDpsInputOperands())
      if (isDecode(in->get().getDefiningOp()) ||
          (op->hasAttr("qopt.matmul") && in->getOperandNumber() == 1))
        for (AffineExpr e : op.getMatchingIndexingMap(in).getResults())
          if (auto d = dyn_cast<AffineDimExpr>(e))
            weightDims.insert(d.getPosition());
    SmallVector<OpFoldResult> sizes;
    bool tiled = false;
    for (unsigned d = 0; d < ranges.size(); ++d) {
      int64_t t = 0;
      if (ShapedType::isDynamic(ranges[d]))
        t = 0;
      else if (iters[d] == utils::IteratorType::reduction)
        t = divisorTile(ranges[d], tileK);
      else if (weightDims.contains(d))
        t = divisorTile(ranges[d], tileN);
      if (t == ranges[d] || t == 1)
        t = 0; // whole (or no useful tiling)
      tiled |= t != 0;
      sizes.push_back(rewriter.getIndexAttr(t));
    }
    if (!tiled)
      return success();
    return tileFusingDecode(rewriter, op, sizes, scf::SCFTilingOptions::LoopType::ForOp,
                            "tiling the decoded-weight reduction");
  }
};

} // namespace
