//===- Smooth.cpp - qopt-smooth: SmoothQuant scale migration ---------------===//
//
// Part of qopt. x W = (x / s)(diag(s) W) with s_j = max|x_j|^alpha /
// max|W_j|^(1-alpha) from calibration statistics (qopt.act_absmax).
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mlir::qopt {
#define GEN_PASS_DEF_SMOOTHPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// The value the matmul's activation is a channel-preserving reshape of
/// (reshapes that change the last axis stop the walk).
Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
      break;
    Value src = def->getOperand(0);
    if (cast<RankedTensorType>(src.getType()).getShape().back() !=
        cast<RankedTensorType>(v.getType()).getShape().back())
      break;
    v = src;
  }
  return v;
}

struct SmoothPass : public mlir::qopt::impl::SmoothPassBase<SmoothPass> {
  using SmoothPassBase::SmoothPassBase;

  void runOnOperation() override {
    if (alpha < 0 || alpha > 1) {
      getOperation()->emitError() << "qopt-smooth: alpha " << alpha << " is not in [0, 1]";
      return signalPassFailure();
    }
    // Group the matmuls with statistics by the activation they read.
    llvm::MapVector<Value, SmallVector<MatmulOp>> groups;
    getOperation()->walk([&](MatmulOp op) {
      if (op->hasAttr("qopt.act_absmax") && getMatmulWeightKxN(op))
        groups[rootOf(op.getLhs())].push_back(op);
    });
    for (auto &[root, ops] : groups)
      smoothGroup(root, ops);
  }

  void smoothGroup(Value root, SmallVector<MatmulOp> &ops) {
    auto rootType = cast<RankedTensorType>(root.getType());
    int64_t k = rootType.getShape().back();
    auto stats = ops.front()->getAttrOfType<DenseElementsAttr>("qopt.act_absmax");
    if (!stats || stats.getNumElements() != k)
      return;
    std::vector<float> xmax(stats.getValues<float>().begin(), stats.getValues<float>().end());
    // The group is all of root's consumers, or each matmul on its own.
    std::optional<SmallVector<MatmulOp>> all = getConsumingMatmuls(root, k);
    bool whole = all && all->size() == ops.size();
    if (!whole) {
      for (MatmulOp op : ops)
        smoothOnline(op, xmax);
      return;
    }
    std::vector<float> s = scales(xmax, ops);
    for (MatmulOp op : ops)
      scaleWeightRows(op, s);
    std::vector<float> inv(s.size());
    for (size_t j = 0; j < s.size(); ++j)
      inv[j] = 1.0f / s[j];
    bool folded = foldIntoProducer(root, inv);
    if (!folded) {
      OpBuilder b(root.getContext());
      b.setInsertionPointAfterValue(root);
      Value scaled = buildChannelwise(b, root.getLoc(), root, inv, /*multiply=*/true);
      root.replaceAllUsesExcept(scaled, scaled.getDefiningOp());
    }
    for (MatmulOp op : ops)
      op->setAttr("qopt.smoothed", StringAttr::get(op.getContext(), folded ? "folded" : "online"));
  }

  /// s_j = max|x_j|^a / max|W_j|^(1-a), max over the group's weight rows.
  std::vector<float> scales(const std::vector<float> &xmax, ArrayRef<MatmulOp> ops) {
    size_t k = xmax.size();
    std::vector<float> wmax(k, 0.0f);
    for (MatmulOp op : ops) {
      std::vector<float> w = *getMatmulWeightKxN(op);
      size_t n = w.size() / k;
      for (size_t i = 0; i < k; ++i)
        for (size_t j = 0; j < n; ++j)
          wmax[i] = std::max(wmax[i], std::fabs(w[i * n + j]));
    }
    std::vector<float> s(k, 1.0f);
    for (size_t i = 0; i < k; ++i)
      if (xmax[i] > 0 && wmax[i] > 0 && std::isfinite(xmax[i]))
        s[i] = float(std::clamp(std::pow(double(xmax[i]), alpha) /
                                    std::pow(double(wmax[i]), 1.0 - alpha),
                                1e-5, 1e5));
    return s;
  }

  static void scaleWeightRows(MatmulOp op, const std::vector<float> &s) {
    std::vector<float> w = *getMatmulWeightKxN(op);
    int64_t k = int64_t(s.size()), n = int64_t(w.size()) / k;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        w[size_t(i * n + j)] *= s[size_t(i)];
    OpBuilder b(op);
    replaceMatmulWeight(op, createWeightConstant(b, op.getLoc(), {k, n}, w, "qopt_smoothed"));
  }

  /// One matmul whose activation has other users: W' = diag(s) W and x / s
  /// online in front of it.
  void smoothOnline(MatmulOp op, const std::vector<float> &xmax) {
    std::vector<float> s = scales(xmax, {op});
    scaleWeightRows(op, s);
    std::vector<float> inv(s.size());
    for (size_t j = 0; j < s.size(); ++j)
      inv[j] = 1.0f / s[j];
    OpBuilder b(op);
    op.getLhsMutable().assign(buildChannelwise(b, op.getLoc(), op.getLhs(), inv, /*multiply=*/true));
    op->setAttr("qopt.smoothed", b.getStringAttr("online"));
  }

  /// Multiplies the producer of `root` by `inv` per channel at compile time:
  /// a norm's scale and bias, an element-wise multiply by a channel
  /// constant, or the columns of a single-use constant-weight matmul.
  bool foldIntoProducer(Value root, const std::vector<float> &inv) {
    int64_t k = int64_t(inv.size());
    if (auto mm = root.getDefiningOp<MatmulOp>()) {
      std::optional<std::vector<float>> v = getMatmulWeightKxN(mm);
      if (!v)
        return false;
      int64_t pk = int64_t(v->size()) / k;
      for (int64_t i = 0; i < pk; ++i)
        for (int64_t j = 0; j < k; ++j)
          (*v)[size_t(i * k + j)] *= inv[size_t(j)];
      OpBuilder b(mm);
      replaceMatmulWeight(mm, createWeightConstant(b, mm.getLoc(), {pk, k}, *v, "qopt_smoothed"));
      return true;
    }
    auto g = root.getDefiningOp<linalg::GenericOp>();
    if (!g)
      return false;
    SmallVector<unsigned> channelOperands;
    if (auto s = g->getAttrOfType<IntegerAttr>("qopt.norm_scale")) {
      channelOperands.push_back(unsigned(s.getInt()));
      if (auto b = g->getAttrOfType<IntegerAttr>("qopt.norm_bias"))
        channelOperands.push_back(unsigned(b.getInt()));
    } else if (g.getNumDpsInputs() == 2 && g.getRegion().front().getOperations().size() == 2 &&
               isa<arith::MulFOp>(g.getRegion().front().front())) {
      for (unsigned i : {0u, 1u})
        if (getChannelConstant(g, i, k) && g.getIndexingMapsArray()[1 - i].isIdentity())
          channelOperands.push_back(i);
      if (channelOperands.size() != 1)
        return false;
    } else {
      return false;
    }
    SmallVector<std::vector<float>> values;
    for (unsigned i : channelOperands) {
      std::optional<std::vector<float>> c = getChannelConstant(g, i, k);
      if (!c)
        return false;
      values.push_back(*c);
    }
    OpBuilder b(g);
    for (auto [i, c] : llvm::zip(channelOperands, values)) {
      for (int64_t j = 0; j < k; ++j)
        c[size_t(j)] *= inv[size_t(j)];
      Value old = g.getDpsInputs()[i];
      auto t = cast<RankedTensorType>(old.getType());
      // The channel constant keeps its shape ([k] or [1, ..., k]).
      g->setOperand(i, arith::ConstantOp::create(b, g.getLoc(),
                                                 DenseElementsAttr::get(t, ArrayRef<float>(c))));
      if (Operation *def = old.getDefiningOp(); def && def->use_empty())
        def->erase();
    }
    return true;
  }
};

} // namespace
