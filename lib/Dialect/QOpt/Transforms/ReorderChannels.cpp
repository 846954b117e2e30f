//===- ReorderChannels.cpp - qopt-reorder-channels -------------------------===//
//
// Part of qopt. Permutes the K channels of a constant-weight qopt.matmul so
// that channels of similar magnitude (outliers together) share quantization
// blocks: W' = W[p, :] and x' = x[:, p], where x' is obtained at compile time
// by permuting the producer instead of at run time: the columns of a
// constant-weight matmul that produces x, through element-wise ops (their
// per-channel constants permuted too) and channel-preserving reshapes. When
// the producer cannot absorb the permutation the layer is left alone.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "Weights.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>
#include <numeric>

namespace mlir::qopt {
#define GEN_PASS_DEF_REORDERCHANNELSPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// The ops that produce `root` and must all be permuted along the channel
/// axis (size d) for root's channels to come out permuted: constant-weight
/// matmuls (leaves), element-wise generics and channel-preserving reshapes.
/// Fails when a value in the set is used outside it.
struct PermutationPlan {
  llvm::SetVector<Operation *> ops;

  bool collect(Value v, int64_t d) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || t.getRank() < 1 || t.getShape().back() != d)
      return false;
    if (ops.contains(def))
      return true;
    if (auto mm = dyn_cast<MatmulOp>(def)) {
      if (!getMatmulWeightKxN(mm))
        return false;
      ops.insert(def);
      return true;
    }
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def)) {
      ops.insert(def);
      return collect(def->getOperand(0), d);
    }
    auto g = dyn_cast<linalg::GenericOp>(def);
    if (!g || g.getNumDpsInits() != 1 || g.getNumParallelLoops() != g.getNumLoops() ||
        !g.getIndexingMapsArray().back().isIdentity())
      return false;
    ops.insert(def);
    for (unsigned i = 0; i < g.getNumDpsInputs(); ++i) {
      if (getChannelConstant(g, i, d))
        continue;
      Value in = g.getDpsInputs()[i];
      if (!g.getIndexingMapsArray()[i].isIdentity() || in.getType() != v.getType() ||
          !collect(in, d))
        return false;
    }
    return true;
  }

  /// Every result of a planned op is used only by planned ops (or `root`'s
  /// consumer).
  bool closed(Operation *consumer) const {
    for (Operation *op : ops)
      for (Operation *user : op->getResult(0).getUsers())
        if (user != consumer && !ops.contains(user))
          return false;
    return true;
  }
};

std::vector<float> permuted(const std::vector<float> &v, ArrayRef<int64_t> p) {
  std::vector<float> r(v.size());
  for (size_t j = 0; j < p.size(); ++j)
    r[j] = v[size_t(p[j])];
  return r;
}

struct ReorderChannelsPass
    : public mlir::qopt::impl::ReorderChannelsPassBase<ReorderChannelsPass> {
  using ReorderChannelsPassBase::ReorderChannelsPassBase;

  void runOnOperation() override {
    if (reorder == "none")
      return;
    if (reorder != "magnitude") {
      getOperation()->emitError() << "qopt-reorder-channels: reorder '" << reorder
                                  << "' is not none or magnitude";
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls;
    getOperation()->walk([&](MatmulOp op) { matmuls.push_back(op); });
    // Consumers last to first: a permuted producer's own rows stay free.
    for (MatmulOp op : llvm::reverse(matmuls))
      reorderMatmul(op);
  }

  void reorderMatmul(MatmulOp op) {
    std::optional<std::vector<float>> w = getMatmulWeightKxN(op);
    if (!w)
      return;
    auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
    int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
    PermutationPlan plan;
    if (!plan.collect(op.getLhs(), k) || !plan.closed(op))
      return;
    // Channels by decreasing weight-row magnitude (stable: ties keep order).
    std::vector<float> mag(size_t(k), 0.0f);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        mag[size_t(i)] = std::max(mag[size_t(i)], std::fabs((*w)[size_t(i * n + j)]));
    SmallVector<int64_t> p(k);
    std::iota(p.begin(), p.end(), 0);
    std::stable_sort(p.begin(), p.end(),
                     [&](int64_t a, int64_t b) { return mag[size_t(a)] > mag[size_t(b)]; });
    bool identity = llvm::all_of(llvm::enumerate(p),
                                 [](auto e) { return int64_t(e.index()) == e.value(); });
    if (identity)
      return;
    // W' = W[p, :].
    std::vector<float> wp(w->size());
    for (int64_t i = 0; i < k; ++i)
      std::copy_n(w->begin() + p[i] * n, n, wp.begin() + i * n);
    OpBuilder b(op);
    replaceMatmulWeight(op, createWeightConstant(b, op.getLoc(), {k, n}, wp, "qopt_reordered"));
    // x' = x[:, p] through the producers.
    for (Operation *pop : plan.ops) {
      OpBuilder pb(pop);
      if (auto mm = dyn_cast<MatmulOp>(pop)) {
        std::vector<float> v = *getMatmulWeightKxN(mm);
        auto t = cast<RankedTensorType>(mm.getRhs().getType());
        int64_t pk = t.getDimSize(0);
        std::vector<float> vp(v.size());
        for (int64_t i = 0; i < pk; ++i)
          for (int64_t j = 0; j < k; ++j)
            vp[size_t(i * k + j)] = v[size_t(i * k + p[j])];
        replaceMatmulWeight(mm, createWeightConstant(pb, mm.getLoc(), {pk, k}, vp,
                                                     "qopt_reordered"));
        continue;
      }
      auto g = dyn_cast<linalg::GenericOp>(pop);
      if (!g)
        continue;
      for (unsigned i = 0; i < g.getNumDpsInputs(); ++i) {
        std::optional<std::vector<float>> c = getChannelConstant(g, i, k);
        auto cst = g.getDpsInputs()[i].getDefiningOp<arith::ConstantOp>();
        if (!c || cast<ShapedType>(cst.getType()).getNumElements() != k)
          continue; // not a channel constant, or a splat: the same in every order
        auto ct = cast<RankedTensorType>(cst.getType());
        std::vector<float> cp = permuted(*c, p);
        g->setOperand(i, arith::ConstantOp::create(
                             pb, g.getLoc(),
                             DenseElementsAttr::get(ct, ArrayRef<float>(cp))));
        if (cst->use_empty())
          cst->erase();
      }
    }
    op->setAttr("qopt.reordered", b.getUnitAttr());
  }
};

} // namespace
