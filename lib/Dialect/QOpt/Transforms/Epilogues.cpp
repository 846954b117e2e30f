//===- Epilogues.cpp - fusing consumers into column-parallel matmul loops -===//
//
// Part of qopt. See Epilogues.h. A loop result is consumed tile by tile: each
// iteration writes one static block of it (tensor.parallel_insert_slice). A
// reshape whose every tile stays one rectangular block moves into the loop
// (the shared output is reshaped outside, each tile inside); a consumer whose
// iteration tile follows from that block, reductions included whole, is then
// tiled into the loop by upstream consumer fusion. Iterating both fuses whole
// chains: bias + activation, block amax, block scale, element codes.
//
//===----------------------------------------------------------------------===//
#include "Epilogues.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/RegionUtils.h"

#include <numeric>

using namespace mlir;

namespace {

/// A number `v` is always a multiple of (1 when nothing is known): through
/// constants, arith.muli / addi and affine.apply expressions of those.
int64_t knownDivisor(OpFoldResult v, int depth = 0);

int64_t knownDivisor(AffineExpr e, ValueRange operands, int depth) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue() == 0 ? int64_t(1) << 40 : std::abs(c.getValue());
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return knownDivisor(OpFoldResult(operands[d.getPosition()]), depth + 1);
  if (auto s = dyn_cast<AffineSymbolExpr>(e))
    return knownDivisor(OpFoldResult(operands[s.getPosition()]), depth + 1);
  auto bin = cast<AffineBinaryOpExpr>(e);
  int64_t l = knownDivisor(bin.getLHS(), operands, depth);
  int64_t r = knownDivisor(bin.getRHS(), operands, depth);
  switch (e.getKind()) {
  case AffineExprKind::Add: return std::gcd(l, r);
  case AffineExprKind::Mul: return std::min<int64_t>(l * r, int64_t(1) << 40);
  case AffineExprKind::FloorDiv:
  case AffineExprKind::CeilDiv:
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()); c && c.getValue() > 0 &&
                                                             l % c.getValue() == 0)
      return l / c.getValue();
    return 1;
  default: return 1;
  }
}

int64_t knownDivisor(OpFoldResult v, int depth) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return *c == 0 ? int64_t(1) << 40 : std::abs(*c);
  Operation *def = cast<Value>(v).getDefiningOp();
  if (!def || depth > 8)
    return 1;
  if (auto mul = dyn_cast<arith::MulIOp>(def))
    return std::min<int64_t>(knownDivisor(mul.getLhs(), depth + 1) *
                                 knownDivisor(mul.getRhs(), depth + 1),
                             int64_t(1) << 40);
  if (auto add = dyn_cast<arith::AddIOp>(def))
    return std::gcd(knownDivisor(add.getLhs(), depth + 1), knownDivisor(add.getRhs(), depth + 1));
  if (auto apply = dyn_cast<affine::AffineApplyOp>(def))
    return knownDivisor(apply.getAffineMap().getResult(0), apply.getMapOperands(), depth);
  return 1;
}

/// Whether `v` is a multiple of `p` for every value it can take.
bool knownMultipleOf(OpFoldResult v, int64_t p) { return knownDivisor(v) % p == 0; }

/// One tile (offsets, static sizes) of a tensor.
struct Tile {
  SmallVector<OpFoldResult> offsets;
  SmallVector<int64_t> sizes;
};

/// The tile of the reshaped tensor that holds `tile` of the collapsed one
/// (`expand`: the reshape expands, else it collapses `tile` of the expanded
/// one), or nothing when the tile is not one rectangular block there.
/// `expandedShape` is the expanded side's shape.
std::optional<Tile> reshapedTile(OpBuilder &b, Location loc, const Tile &tile,
                                 ArrayRef<ReassociationIndices> groups,
                                 ArrayRef<int64_t> expandedShape, bool expand) {
  Tile out;
  MLIRContext *ctx = b.getContext();
  for (auto [g, group] : llvm::enumerate(groups)) {
    SmallVector<int64_t> e;
    for (int64_t d : group)
      e.push_back(expandedShape[d]);
    if (expand) {
      // Dims before the first non-unit one take size 1; that one takes
      // z / P at o / P (P: the product of the dims after it, which the tile
      // covers whole).
      OpFoldResult o = tile.offsets[g];
      int64_t z = tile.sizes[g];
      size_t j = 0;
      while (j + 1 < e.size() && e[j] == 1)
        ++j;
      int64_t p = 1;
      for (size_t i = j + 1; i < e.size(); ++i)
        p *= e[i];
      if (z % p != 0 || !knownMultipleOf(o, p))
        return std::nullopt;
      for (size_t i = 0; i < e.size(); ++i) {
        if (i < j) {
          out.offsets.push_back(b.getIndexAttr(0));
          out.sizes.push_back(1);
        } else if (i == j) {
          out.offsets.push_back(affine::makeComposedFoldedAffineApply(
              b, loc, getAffineDimExpr(0, ctx).floorDiv(p), {o}));
          out.sizes.push_back(z / p);
        } else {
          out.offsets.push_back(b.getIndexAttr(0));
          out.sizes.push_back(e[i]);
        }
      }
      continue;
    }
    // Collapse: the dims after the last partial one are whole, the ones
    // before it are single; the collapsed offset is the linearised one.
    size_t n = group.size();
    size_t j = 0;
    for (size_t i = 0; i < n; ++i)
      if (tile.sizes[group[i]] != e[i])
        j = i;
    int64_t p = 1;
    AffineExpr offset = getAffineConstantExpr(0, ctx);
    SmallVector<OpFoldResult> operands;
    for (size_t i = n; i-- > 0;) {
      int64_t z = tile.sizes[group[i]];
      if (i > j && (z != e[i] || !isZeroInteger(tile.offsets[group[i]])))
        return std::nullopt;
      if (i < j && z != 1)
        return std::nullopt;
      if (i <= j) {
        offset = offset + getAffineDimExpr(operands.size(), ctx) * p;
        operands.push_back(tile.offsets[group[i]]);
      }
      if (i == j)
        out.sizes.push_back(z * p);
      p *= e[i];
    }
    out.offsets.push_back(affine::makeComposedFoldedAffineApply(
        b, loc, AffineMap::get(operands.size(), 0, offset), operands));
  }
  return out;
}

/// The tile `insert` writes, when its sizes are static and strides 1.
std::optional<Tile> tileOf(OffsetSizeAndStrideOpInterface slice) {
  if (!llvm::all_of(slice.getMixedStrides(), isOneInteger))
    return std::nullopt;
  Tile t;
  t.offsets = slice.getMixedOffsets();
  for (OpFoldResult s : slice.getMixedSizes()) {
    std::optional<int64_t> c = getConstantIntValue(s);
    if (!c)
      return std::nullopt;
    t.sizes.push_back(*c);
  }
  return t;
}

/// The one parallel_insert_slice writing the shared output tied to `r`.
tensor::ParallelInsertSliceOp insertOf(scf::ForallOp loop, OpResult r) {
  BlockArgument arg = loop.getRegionIterArgs()[r.getResultNumber()];
  SmallVector<Operation *> writes = loop.getCombiningOps(arg);
  if (writes.size() != 1)
    return {};
  return dyn_cast<tensor::ParallelInsertSliceOp>(writes.front());
}

Value reshape(OpBuilder &b, Location loc, Value v, RankedTensorType to,
              ArrayRef<ReassociationIndices> groups) {
  auto from = cast<RankedTensorType>(v.getType());
  if (from.getRank() < to.getRank())
    return tensor::ExpandShapeOp::create(b, loc, to, v, groups);
  return tensor::CollapseShapeOp::create(b, loc, to, v, groups);
}

/// Moves `op` (a reshape of loop result `r`) into `loop`; see the header.
LogicalResult foldReshape(RewriterBase &rewriter, scf::ForallOp loop, OpResult r, Operation *op) {
  bool expand = isa<tensor::ExpandShapeOp>(op);
  SmallVector<ReassociationIndices> groups =
      expand ? cast<tensor::ExpandShapeOp>(op).getReassociationIndices()
             : cast<tensor::CollapseShapeOp>(op).getReassociationIndices();
  auto newType = cast<RankedTensorType>(op->getResult(0).getType());
  auto oldType = cast<RankedTensorType>(r.getType());
  if (!newType.hasStaticShape() || !oldType.hasStaticShape())
    return failure();
  ArrayRef<int64_t> expandedShape = expand ? newType.getShape() : oldType.getShape();
  tensor::ParallelInsertSliceOp insert = insertOf(loop, r);
  if (!insert)
    return failure();
  BlockArgument arg = loop.getRegionIterArgs()[r.getResultNumber()];
  // Every other use of the shared output reads the inserted tile.
  std::optional<Tile> tile = tileOf(insert);
  if (!tile)
    return failure();
  SmallVector<tensor::ExtractSliceOp> reads;
  for (Operation *user : arg.getUsers()) {
    if (user == insert)
      continue;
    auto read = dyn_cast<tensor::ExtractSliceOp>(user);
    if (!read || !isEqualConstantIntOrValueArray(read.getMixedOffsets(), tile->offsets) ||
        !read.getType().hasStaticShape() || read.getType().getShape() != ArrayRef(tile->sizes) ||
        !llvm::all_of(read.getMixedStrides(), isOneInteger))
      return failure();
    reads.push_back(read);
  }
  // The new offsets are computed where the old ones are all defined, before
  // the first read of the tile.
  OpBuilder::InsertionGuard guard(rewriter);
  Block *body = loop.getBody();
  Operation *last = nullptr;
  for (OpFoldResult o : tile->offsets)
    if (auto v = dyn_cast<Value>(o))
      if (Operation *def = v.getDefiningOp();
          def && def->getBlock() == body && (!last || last->isBeforeInBlock(def)))
        last = def;
  if (last)
    rewriter.setInsertionPointAfter(last);
  else
    rewriter.setInsertionPointToStart(body);
  std::optional<Tile> newTile = reshapedTile(rewriter, insert.getLoc(), *tile, groups,
                                             expandedShape, expand);
  if (!newTile)
    return failure();
  // A reshape that only adds or drops unit dims of the tile is not folded:
  // the reshaped tile buffer would differ from the shared output's slice in
  // the (irrelevant) strides of its unit dims, and bufferization would copy
  // every tile element by element (measured: a pre-norm block with per-row
  // int8 activations 2x slower).
  auto nonUnit = [](ArrayRef<int64_t> shape) {
    SmallVector<int64_t> s;
    for (int64_t d : shape)
      if (d != 1)
        s.push_back(d);
    return s;
  };
  if (nonUnit(newTile->sizes) == nonUnit(tile->sizes))
    return failure();
  auto newTileType = RankedTensorType::get(newTile->sizes, oldType.getElementType());
  auto oldTileType = RankedTensorType::get(tile->sizes, oldType.getElementType());
  SmallVector<OpFoldResult> sizes = getAsIndexOpFoldResult(rewriter.getContext(), newTile->sizes);
  SmallVector<OpFoldResult> ones(newTile->sizes.size(), rewriter.getIndexAttr(1));

  // The shared output, reshaped before the loop.
  OpOperand &init = loop.getTiedOpOperand(arg)[0];
  rewriter.setInsertionPoint(loop);
  Value newInit = reshape(rewriter, loop.getLoc(), init.get(), newType, groups);
  rewriter.modifyOpInPlace(loop, [&] {
    init.set(newInit);
    arg.setType(newType);
    r.setType(newType);
  });
  // Reads and the write of the tile, reshaped inside.
  for (tensor::ExtractSliceOp read : reads) {
    rewriter.setInsertionPoint(read);
    Value slice = tensor::ExtractSliceOp::create(rewriter, read.getLoc(), newTileType, arg,
                                                 newTile->offsets, sizes, ones);
    rewriter.replaceOp(read, reshape(rewriter, read.getLoc(), slice, oldTileType, groups));
  }
  rewriter.setInsertionPoint(insert->getParentOp());
  Value t = reshape(rewriter, insert.getLoc(), insert.getSource(), newTileType, groups);
  rewriter.setInsertionPoint(insert);
  tensor::ParallelInsertSliceOp::create(rewriter, insert.getLoc(), t, arg, newTile->offsets, sizes,
                                        ones);
  rewriter.eraseOp(insert);
  // The reshape is the loop result now; other users see it reshaped back.
  rewriter.setInsertionPointAfter(loop);
  SmallVector<OpOperand *> others;
  for (OpOperand &use : r.getUses())
    if (use.getOwner() != op)
      others.push_back(&use);
  if (!others.empty()) {
    Value back = reshape(rewriter, loop.getLoc(), r, oldType, groups);
    for (OpOperand *use : others)
      rewriter.modifyOpInPlace(use->getOwner(), [&] { use->set(back); });
  }
  rewriter.replaceOp(op, r);
  return success();
}

/// Whether `consumer` can be tiled into `loop`: it reads loop results only
/// as inputs through projected permutations, and every reduction dim it has
/// lies whole in the tile each iteration writes.
bool tilesAlong(linalg::LinalgOp consumer, scf::ForallOp loop) {
  if (!consumer.hasPureTensorSemantics() || consumer->getBlock() != loop->getBlock())
    return false;
  SmallVector<int64_t> ranges = consumer.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iters = consumer.getIteratorTypesArray();
  bool reads = false;
  for (OpOperand &use : consumer->getOpOperands()) {
    auto r = dyn_cast<OpResult>(use.get());
    if (!r || r.getOwner() != loop)
      continue;
    if (!consumer.isDpsInput(&use))
      return false;
    AffineMap map = consumer.getMatchingIndexingMap(&use);
    if (!map.isProjectedPermutation())
      return false;
    tensor::ParallelInsertSliceOp insert = insertOf(loop, r);
    std::optional<Tile> tile = insert ? tileOf(insert) : std::nullopt;
    if (!tile)
      return false;
    for (auto [i, e] : llvm::enumerate(map.getResults())) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      if (iters[d] == utils::IteratorType::reduction && tile->sizes[i] != ranges[d])
        return false;
    }
    reads = true;
  }
  // A reduction dim no loop result indexes would be split by nothing, but a
  // tiled consumer recomputes it per tile: fine only when it is whole.
  return reads;
}

/// Defines every operand of `consumer` that is not a result of `loop`, and
/// every value its body captures, before the loop (tensor.empty / fill /
/// constant producers placed after it).
LogicalResult hoistOperands(RewriterBase &rewriter, Operation *consumer, scf::ForallOp loop,
                            DominanceInfo &dominance) {
  llvm::SetVector<Value> used;
  used.insert(consumer->getOperands().begin(), consumer->getOperands().end());
  getUsedValuesDefinedAbove(consumer->getRegions(), used); // constants the body captures
  SmallVector<Value> values;
  for (Value v : used)
    if (!(isa<OpResult>(v) && v.getDefiningOp() == loop) && !dominance.properlyDominates(v, loop))
      values.push_back(v);
  if (values.empty())
    return success();
  return moveValueDefinitions(rewriter, values, loop, dominance);
}

/// Upstream consumer fusion wants every user of the loop in the loop's
/// block. A use nested in a later op (a kernel loop reading a scale) reads
/// a whole-tensor slice made in that block instead (folded away later).
void localizeNestedUses(RewriterBase &rewriter, scf::ForallOp loop) {
  Block *block = loop->getBlock();
  for (OpResult r : loop->getResults()) {
    for (OpOperand &use : llvm::make_early_inc_range(r.getUses())) {
      Operation *owner = block->findAncestorOpInBlock(*use.getOwner());
      if (!owner || owner == use.getOwner())
        continue;
      auto type = cast<RankedTensorType>(r.getType());
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(owner);
      SmallVector<OpFoldResult> zeros(type.getRank(), rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> ones(type.getRank(), rewriter.getIndexAttr(1));
      Value whole = tensor::ExtractSliceOp::create(
          rewriter, loop.getLoc(), type, r, zeros,
          getAsIndexOpFoldResult(rewriter.getContext(), type.getShape()), ones);
      rewriter.modifyOpInPlace(use.getOwner(), [&] { use.set(whole); });
    }
  }
}

/// One fusion step into `nest`'s loop; whether something fused.
FailureOr<bool> fuseOne(IRRewriter &rewriter, SmallVector<LoopLikeOpInterface> &nest) {
  auto loop = cast<scf::ForallOp>(nest.front().getOperation());
  localizeNestedUses(rewriter, loop);
  for (OpResult r : loop->getResults()) {
    for (Operation *user : llvm::to_vector(r.getUsers())) {
      if (user->getBlock() != loop->getBlock())
        continue;
      if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user)) {
        // Only a sole user: with others, each would want the other shape
        // back, and the folds would undo each other.
        if (r.hasOneUse() && succeeded(foldReshape(rewriter, loop, r, user)))
          return true;
        continue;
      }
      auto consumer = dyn_cast<linalg::LinalgOp>(user);
      if (!consumer || !tilesAlong(consumer, loop))
        continue;
      DominanceInfo dominance(loop->getParentOp());
      if (failed(hoistOperands(rewriter, user, loop, dominance)))
        continue;
      // Upstream fusion wants the consumer before the loop's other users.
      rewriter.moveOpAfter(user, loop);
      // Tiles of several results are matched by their offsets' SSA values:
      // equal offsets computed twice (one per fused consumer) become one.
      eliminateCommonSubExpressions(rewriter, dominance, loop);
      FailureOr<scf::SCFFuseConsumerOfSliceResult> res =
          scf::tileAndFuseConsumer(rewriter, user, nest);
      if (failed(res))
        continue; // left unfused: correct, only slower
      if (!user->use_empty())
        return user->emitError("qopt-fuse: epilogue fusion left uses of the consumer");
      rewriter.eraseOp(user);
      return true;
    }
  }
  return false;
}

} // namespace

LogicalResult mlir::qopt::fuseEpilogues(Operation *root) {
  SmallVector<scf::ForallOp> loops;
  root->walk([&](scf::ForallOp f) {
    if (f->hasAttr("qopt.columns"))
      loops.push_back(f);
  });
  if (loops.empty())
    return success();
  IRRewriter rewriter(root->getContext());
  for (scf::ForallOp loop : loops) {
    SmallVector<LoopLikeOpInterface> nest = {cast<LoopLikeOpInterface>(loop.getOperation())};
    for (;;) {
      FailureOr<bool> fused = fuseOne(rewriter, nest);
      if (failed(fused))
        return failure();
      if (!*fused)
        break;
    }
  }
  // Drop the loop results the fused consumers left without users (the
  // matmul's own output, when only its quantized form is read): a tile read
  // of such a shared output reads the initial value (each iteration owns its
  // tile), after which the loop canonicalization removes it.
  // (Reshapes made for users that were fused later are dead first.)
  for (bool erased = true; erased;) {
    SmallVector<Operation *> dead;
    root->walk([&](Operation *op) {
      if (op != root && isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
                            tensor::ExtractSliceOp>(op) && isOpTriviallyDead(op))
        dead.push_back(op);
    });
    for (Operation *op : dead)
      rewriter.eraseOp(op);
    erased = !dead.empty();
  }
  root->walk([&](scf::ForallOp loop) {
    for (OpResult r : loop->getResults()) {
      if (!r.use_empty())
        continue;
      BlockArgument arg = loop.getRegionIterArgs()[r.getResultNumber()];
      tensor::ParallelInsertSliceOp insert = insertOf(loop, r);
      std::optional<Tile> tile = insert ? tileOf(insert) : std::nullopt;
      if (!tile)
        continue;
      Value init = loop.getTiedOpOperand(arg)[0].get();
      Value base = init; // through the reshapes folded into the loop
      while (Operation *def = base.getDefiningOp()) {
        if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
          break;
        base = def->getOperand(0);
      }
      auto fill = base.getDefiningOp<linalg::FillOp>();
      bool empty = base.getDefiningOp<tensor::EmptyOp>() ||
                   (fill && fill.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>());
      for (Operation *user : llvm::to_vector(arg.getUsers())) {
        auto read = dyn_cast<tensor::ExtractSliceOp>(user);
        if (!read || !isEqualConstantIntOrValueArray(read.getMixedOffsets(), tile->offsets))
          continue;
        if (!empty) {
          rewriter.modifyOpInPlace(read, [&] { read.getSourceMutable().set(init); });
          continue;
        }
        // A fresh tile (filled like the init): a slice of a tensor shared by
        // all iterations would be copied by bufferization in each of them.
        rewriter.setInsertionPoint(read);
        Value tileInit = tensor::EmptyOp::create(rewriter, read.getLoc(),
                                                 read.getType().getShape(),
                                                 read.getType().getElementType());
        if (fill)
          tileInit = linalg::FillOp::create(rewriter, read.getLoc(), fill.getDpsInputs()[0],
                                            tileInit)
                         .getResult(0);
        rewriter.replaceOp(read, tileInit);
      }
    }
  });
  RewritePatternSet patterns(root->getContext());
  scf::ForallOp::getCanonicalizationPatterns(patterns, root->getContext());
  tensor::ExtractSliceOp::getCanonicalizationPatterns(patterns, root->getContext());
  tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, root->getContext());
  tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, root->getContext());
  return applyPatternsGreedily(root, std::move(patterns));
}
