//===- VectorizeMatmuls.cpp - register-tiled vector matmul kernels --------===//
//
// Part of qopt. qopt-vectorize-matmuls: every lowered float matmul (a
// linalg.generic tagged `qopt.matmul` whose body only multiplies and adds
// floats) becomes a register-blocked micro-kernel built from upstream pieces:
//   1. scf tiling into mr x nr output blocks with the reduction dim innermost
//      (tile 1), loops ordered (batch..., m, n, k);
//   2. the linalg vectorizer turns each mr x 1 x nr tile into vector.contract;
//   3. loop-invariant subset hoisting moves the accumulator's read and write
//      out of the k loop, so it lives in registers for the whole reduction;
//   4. vector.contract -> vector.outerproduct -> vector.fma: per k step,
//      nr/16 weight-row loads, mr broadcasts and mr*nr/16 FMAs.
// The same blocking vectorizes matmuls with a fused weight decode (<= 8 rows)
// and tile decodes, with table decodes for codes of <= 4 bits on AVX-512.
// The summation order along K is unchanged (k ascending, one accumulator per
// output); products are fused (FMA), so results may differ from scalar
// mul+add loops in the last bit.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "qopt/Dialect/QOpt/Transforms/DecodeBody.h"
#include "qopt/Dialect/QOpt/Transforms/Tiling.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_VECTORIZEMATMULSPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// Loops (batch..., m, k, n) with A[batch', m, k], B[batch'', k, n] and
/// C[batch, m, n] (batch' and batch'' broadcast: dims or 0): the form the
/// ONNX importer gives a MatMul of two activations (attention's Q K^T and
/// P V), which carries no `qopt.matmul` tag (nothing to quantize or fuse).
bool hasBatchedMatmulLoops(linalg::GenericOp op) {
  unsigned nd = op.getNumLoops();
  if (nd < 3 || op.getNumReductionLoops() != 1 ||
      !linalg::isReductionIterator(op.getIteratorTypesArray()[nd - 2]))
    return false;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto endsWith = [](AffineMap m, AffineExpr a, AffineExpr b) {
    unsigned r = m.getNumResults();
    return r >= 2 && m.getResult(r - 2) == a && m.getResult(r - 1) == b;
  };
  SmallVector<AffineExpr> out;
  for (unsigned i = 0; i + 3 < nd; ++i)
    out.push_back(d(i));
  out.append({d(nd - 3), d(nd - 1)});
  return endsWith(maps[0], d(nd - 3), d(nd - 2)) && endsWith(maps[1], d(nd - 2), d(nd - 1)) &&
         maps[2] == AffineMap::get(nd, 0, out, ctx);
}

/// A float matmul generic with static shapes whose body is a plain
/// multiply-accumulate (the weight decoded elsewhere): a qopt.matmul, or a
/// batched product of two activations in the importer's loop order.
bool isFloatMatmul(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() ||
      !linalg::isaContractionOpInterface(op))
    return false;
  if (!op->hasAttr("qopt.matmul") && !hasBatchedMatmulLoops(op))
    return false;
  for (Value v : op->getOperands()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape() || !t.getElementType().isF32())
      return false;
  }
  return true;
}

/// A qopt.matmul generic with static shapes and an f32 result whose weight
/// decode was fused into its body (the form qopt-fuse leaves for at most 8
/// activation rows): f32 activations first, codes/scales after.
bool isDecodingMatmul(linalg::GenericOp op) {
  if (!op->hasAttr("qopt.matmul") || op.getNumDpsInits() != 1 || op.getNumDpsInputs() < 2 ||
      !op.hasPureTensorSemantics() || op.getNumReductionLoops() != 1 ||
      linalg::isaContractionOpInterface(op))
    return false;
  for (Value v : op->getOperands()) {
    // Whole bytes only: a vector load of i4 elements reads packed bits
    // (LLVM's vector layout), not the one-byte-per-element tensor layout.
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape() || t.getElementType().getIntOrFloatBitWidth() % 8)
      return false;
  }
  // Only integer/float arithmetic in the body (math functions have no
  // vector lowering on this path).
  for (Operation &inner : op.getBody()->without_terminator())
    if (!isa<arith::ArithDialect, affine::AffineDialect>(inner.getDialect()) &&
        !isa<linalg::IndexOp>(inner))
      return false;
  auto out = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  auto lhs = cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  return out.getElementType().isF32() && lhs.getElementType().isF32();
}

/// In a tile whose loop `d` has extent 1, `d` is 0, so a map result that
/// only involves such loops and is 0 there (a block scale's `k floordiv 32`)
/// equals `d` itself: rewritten so, the maps are projected permutations the
/// vectorizer takes (reading the scale row once per k step).
void simplifyUnitDimResults(linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineExpr> zeros;
  for (unsigned d = 0; d < ranges.size(); ++d)
    zeros.push_back(ranges[d] == 1 ? getAffineConstantExpr(0, ctx) : getAffineDimExpr(d, ctx));
  SmallVector<Attribute> maps;
  for (AffineMap m : op.getIndexingMapsArray()) {
    SmallVector<AffineExpr> results(m.getResults());
    for (AffineExpr &e : results) {
      if (isa<AffineDimExpr>(e))
        continue;
      std::optional<unsigned> unitDim;
      bool onlyUnit = true;
      e.walk([&](AffineExpr sub) {
        if (auto d = dyn_cast<AffineDimExpr>(sub)) {
          if (ranges[d.getPosition()] != 1)
            onlyUnit = false;
          else if (!unitDim)
            unitDim = d.getPosition();
        }
      });
      auto zero = dyn_cast<AffineConstantExpr>(
          simplifyAffineExpr(e.replaceDims(zeros), m.getNumDims(), m.getNumSymbols()));
      bool used = unitDim && llvm::is_contained(results, getAffineDimExpr(*unitDim, ctx));
      if (onlyUnit && unitDim && zero && zero.getValue() == 0 && !used)
        e = getAffineDimExpr(*unitDim, ctx);
    }
    maps.push_back(AffineMapAttr::get(AffineMap::get(m.getNumDims(), m.getNumSymbols(), results, ctx)));
  }
  op.setIndexingMapsAttr(ArrayAttr::get(ctx, maps));
}

/// Table decode: in a decoding matmul body, the f32 value computed from a
/// code of at most 4 bits alone (the element decode, before the block scale)
/// is replaced by a lookup in a 2^w-entry table folded at compile time from
/// the same ops, so each format's decode is whatever lib/Format's codec
/// computes, evaluated once per code. Returns whether a table was built.
bool replaceDecodeWithTable(linalg::GenericOp op) {
  std::optional<ElementDecode> element = analyzeElementDecode(op.getRegion().front(), 4);
  if (!element)
    return false;
  std::optional<SmallVector<float>> table = element->table();
  if (!table)
    return false;
  Value code = element->code;
  Operation *decoded = element->decoded;
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto tableType = RankedTensorType::get({int64_t(table->size())}, b.getF32Type());
  Value lut = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(tableType, ArrayRef(*table)));
  b.setInsertionPoint(decoded);
  Value wide = arith::ExtUIOp::create(b, loc, b.getI32Type(), code);
  Value idx = arith::IndexCastOp::create(b, loc, b.getIndexType(), wide);
  Value looked = tensor::ExtractOp::create(b, loc, lut, ValueRange{idx});
  decoded->getResult(0).replaceAllUsesWith(looked);
  for (Operation *p : llvm::reverse(element->ops))
    if (p->use_empty())
      p->erase();
  return true;
}

struct VectorizeMatmulsPass
    : public mlir::qopt::impl::VectorizeMatmulsPassBase<VectorizeMatmulsPass> {
  using VectorizeMatmulsPassBase::VectorizeMatmulsPassBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (mr < 1 || nr < 1 || (mr & (mr - 1)) || (nr & (nr - 1))) {
      emitError(getOperation()->getLoc())
          << "qopt-vectorize-matmuls: mr and nr must be powers of two (got mr=" << int64_t(mr)
          << ", nr=" << int64_t(nr) << ")";
      return signalPassFailure();
    }
    // The loop nests this pass builds: the rewrites below stay inside them,
    // away from other kernels (the VNNI kernels' vector forms, which
    // qopt-x86-intrinsics matches, must not be rearranged).
    SmallVector<Operation *> scopes;
    auto applyInScopes = [&](RewritePatternSet &&patterns) -> LogicalResult {
      FrozenRewritePatternSet frozen(std::move(patterns));
      for (Operation *scope : scopes)
        for (Region &region : scope->getRegions())
          if (failed(applyPatternsGreedily(region, frozen)))
            return failure();
      return success();
    };
    SmallVector<linalg::GenericOp> matmuls;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (isFloatMatmul(op) || isDecodingMatmul(op))
        matmuls.push_back(op);
    });
    IRRewriter rewriter(ctx);
    for (linalg::GenericOp op : matmuls) {
      bool decoding = isDecodingMatmul(op);
      // Loops (batch..., m, k, n) as built by convert-qopt-to-linalg.
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      unsigned nd = ranges.size();
      // A long reduction is first blocked by kc (outermost): the register
      // blocks then walk kc consecutive weight rows, a few pages, instead of
      // one page per k step down a whole column panel.
      int64_t kc = divisorTile(ranges[nd - 2], kBlock);
      const bool blockK = kc > 1 && kc < ranges[nd - 2];
      if (blockK) {
        SmallVector<OpFoldResult> kSizes(nd, rewriter.getIndexAttr(0));
        kSizes[nd - 2] = rewriter.getIndexAttr(kc);
        scf::SCFTilingOptions kTiling;
        kTiling.setTileSizes(kSizes).setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
        rewriter.setInsertionPoint(op);
        FailureOr<scf::SCFTilingResult> blocked =
            scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), kTiling);
        if (failed(blocked) || blocked->tiledOps.size() != 1) {
          op.emitError("qopt-vectorize-matmuls: blocking the reduction failed");
          return signalPassFailure();
        }
        rewriter.replaceOp(op, blocked->replacements);
        if (!blocked->loops.empty())
          scopes.push_back(blocked->loops.front());
        op = cast<linalg::GenericOp>(blocked->tiledOps.front());
        ranges = op.getStaticLoopRanges();
      }
      SmallVector<OpFoldResult> sizes;
      for (unsigned d = 0; d + 3 < nd; ++d)
        sizes.push_back(rewriter.getIndexAttr(1));
      int64_t m = ranges[nd - 3], n = ranges[nd - 1];
      // Fewer rows than a block (decode): wider blocks keep mr * nr / 16
      // accumulators, and one k step reads a whole row of the column panel
      // (mr / rows times nr columns) instead of part of it twice.
      int64_t mt = divisorTile(m, mr), nt = nr;
      if (!decoding && mt < mr)
        nt = nr * (mr / mt);
      sizes.push_back(rewriter.getIndexAttr(mt));
      sizes.push_back(rewriter.getIndexAttr(1));
      sizes.push_back(rewriter.getIndexAttr(divisorTile(n, nt)));
      SmallVector<int64_t> interchange;
      for (unsigned d = 0; d + 3 < nd; ++d)
        interchange.push_back(d);
      interchange.append({nd - 1, nd - 3, nd - 2}); // n, m, then k innermost
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(sizes).setInterchange(interchange);
      tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), tiling);
      if (failed(tiled)) {
        op.emitError("qopt-vectorize-matmuls: tiling into register blocks failed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
      if (!tiled->loops.empty() && !blockK) // else inside the K blocks' loop
        scopes.push_back(tiled->loops.front());
      for (Operation *t : tiled->tiledOps) {
        if (auto g = dyn_cast<linalg::GenericOp>(t); g && decoding) {
          // Decode in registers: vectorized as is (elementwise decode, then a
          // one-step reduction into the hoisted accumulator). Bodies the
          // vectorizer cannot take (table lookups) stay scalar tiles.
          simplifyUnitDimResults(g);
          bool lookup = avx512 && replaceDecodeWithTable(g);
          if (failed(linalg::vectorizeOpPrecondition(g, {}, {}, /*vectorizeNDExtract=*/lookup)))
            continue;
          rewriter.setInsertionPoint(g);
          FailureOr<linalg::VectorizationResult> v =
              linalg::vectorize(rewriter, g, {}, {}, /*vectorizeNDExtract=*/lookup);
          if (succeeded(v))
            rewriter.replaceOp(g, v->replacements);
          continue;
        }
        // Batch loops (extent 1 in a block) dropped, so the block is a plain
        // matmul: the vectorizer's contraction path takes no batch dims.
        if (auto g = dyn_cast<linalg::GenericOp>(t); g && g.getNumLoops() > 3) {
          linalg::ControlDropUnitDims control;
          control.rankReductionStrategy =
              linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
          unsigned batch = g.getNumLoops() - 3;
          control.controlFn = [batch](Operation *) {
            return llvm::to_vector(llvm::seq<unsigned>(0, batch));
          };
          rewriter.setInsertionPoint(g);
          FailureOr<linalg::DropUnitDimsResult> dropped = linalg::dropUnitDims(rewriter, g, control);
          if (succeeded(dropped)) {
            rewriter.replaceOp(g, dropped->replacements);
            t = dropped->resultOp.getOperation();
          }
        }
        // As a named matmul the vectorizer emits vector.contract directly.
        if (auto g = dyn_cast<linalg::GenericOp>(t)) {
          rewriter.setInsertionPoint(g);
          FailureOr<linalg::LinalgOp> named = linalg::specializeGenericOp(rewriter, g);
          if (succeeded(named))
            t = named->getOperation();
        }
        rewriter.setInsertionPoint(t);
        FailureOr<linalg::VectorizationResult> v =
            linalg::vectorize(rewriter, t, /*inputVectorSizes=*/{}, /*scalableDims=*/{},
                              /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
                              /*assumeDynamicDimsMatchVecSizes=*/false,
                              /*createNamedContraction=*/true);
        if (failed(v)) {
          t->emitError("qopt-vectorize-matmuls: vectorizing a register block failed");
          return signalPassFailure();
        }
        rewriter.replaceOp(t, v->replacements);
      }
    }
    // Weight decodes into tiles (qopt-fuse's K tiles for many-row matmuls):
    // rows of nr columns decoded in registers (by table where possible) and
    // stored once into the f32 tile the FMA kernel reads.
    SmallVector<linalg::GenericOp> decodes;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op->hasAttr("qopt.decode") && op.getNumDpsInits() == 1 &&
          op.getNumLoops() == 2 && op.getNumReductionLoops() == 0 &&
          op.hasPureTensorSemantics() &&
          llvm::all_of(op->getOperands(), [](Value v) {
            auto t = dyn_cast<RankedTensorType>(v.getType());
            return t && t.hasStaticShape() && t.getElementType().getIntOrFloatBitWidth() % 8 == 0;
          }) &&
          cast<RankedTensorType>(op.getDpsInits()[0].getType()).getElementType().isF32())
        decodes.push_back(op);
    });
    for (linalg::GenericOp op : decodes) {
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes({rewriter.getIndexAttr(1), rewriter.getIndexAttr(divisorTile(ranges[1], nr))});
      tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), tiling);
      if (failed(tiled))
        continue;
      rewriter.replaceOp(op, tiled->replacements);
      if (!tiled->loops.empty())
        scopes.push_back(tiled->loops.front());
      for (Operation *t : tiled->tiledOps) {
        auto g = dyn_cast<linalg::GenericOp>(t);
        if (!g)
          continue;
        simplifyUnitDimResults(g);
        bool lookup = avx512 && replaceDecodeWithTable(g);
        if (failed(linalg::vectorizeOpPrecondition(g, {}, {}, lookup)))
          continue;
        rewriter.setInsertionPoint(g);
        FailureOr<linalg::VectorizationResult> v = linalg::vectorize(rewriter, g, {}, {}, lookup);
        if (succeeded(v))
          rewriter.replaceOp(g, v->replacements);
      }
    }
    if (matmuls.empty() && decodes.empty())
      return;

    // Slices folded into the transfers, so the accumulator's transfer pair
    // is a loop-invariant subset of the k loop's iter_arg.
    {
      RewritePatternSet patterns(ctx);
      tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
      // A batched block's slice of its tile slice (batch dims dropped): one
      // rank-reducing slice of the loop's tensor, so the fold above applies.
      tensor::populateMergeConsecutiveInsertExtractSlicePatterns(patterns);
      // A decoded weight vector is broadcast over the block's rows after
      // decoding, not before: decoded once per k step.
      vector::populateSinkVectorOpsPatterns(patterns);
      scf::ForOp::getCanonicalizationPatterns(patterns, ctx);
      affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
      if (failed(applyInScopes(std::move(patterns))))
        return signalPassFailure();
    }
    for (Operation *scope : scopes)
      scope->walk([&](scf::ForOp loop) {
        if (llvm::any_of(loop.getBody()->getOperations(), [](Operation &o) {
              return isa<vector::ContractionOp, vector::MultiDimReductionOp>(o);
            }))
          hoistLoopInvariantSubsets(rewriter, cast<LoopLikeOpInterface>(loop.getOperation()));
      });
    // contract -> outer products -> FMAs on 1-D vectors.
    RewritePatternSet patterns(ctx);
    vector::populateVectorContractLoweringPatterns(patterns,
                                                   vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerParallel);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyInScopes(std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
