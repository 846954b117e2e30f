//===- FoldNorms.cpp - qopt-fold-norms: norm scales into following weights -===//
//
// Part of qopt. y = n * gamma (+ beta) feeding only constant-weight matmuls
// (through reshapes that keep the channel axis) becomes y = n, with
// W' = diag(gamma) W in every consumer and beta W added after it. Sites: the
// final generic of an imported LayerNormalization / RMSNormalization /
// SimplifiedLayerNormalization (marked qopt.norm_scale / qopt.norm_bias by
// the importer), and any element-wise multiply by a constant vector along the
// last axis (a decomposed RMSNorm's "* g").
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "Weights.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_FOLDNORMSPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {

struct FoldNormsPass : public mlir::qopt::impl::FoldNormsPassBase<FoldNormsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> sites;
    getOperation()->walk([&](linalg::GenericOp op) { sites.push_back(op); });
    for (linalg::GenericOp op : sites)
      foldSite(op);
  }

  /// A plain y = x * c (c constant along the last axis): the operand index of c.
  static std::optional<unsigned> plainScale(linalg::GenericOp op) {
    if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
        op.getNumParallelLoops() != op.getNumLoops())
      return std::nullopt;
    Block &body = op.getRegion().front();
    if (body.getOperations().size() != 2)
      return std::nullopt;
    auto mul = dyn_cast<arith::MulFOp>(body.front());
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    if (!mul || yield.getOperand(0) != mul.getResult())
      return std::nullopt;
    auto a = dyn_cast<BlockArgument>(mul.getLhs()), b = dyn_cast<BlockArgument>(mul.getRhs());
    if (!a || !b || a.getArgNumber() > 1 || b.getArgNumber() > 1 || a == b)
      return std::nullopt;
    for (unsigned i : {0u, 1u})
      if (op.getDpsInputs()[i].getDefiningOp<arith::ConstantOp>() &&
          op.getIndexingMapsArray()[1 - i].isIdentity() &&
          op.getDpsInputs()[1 - i].getType() == op.getResult(0).getType())
        return i;
    return std::nullopt;
  }

  void foldSite(linalg::GenericOp op) {
    auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType());
    if (!type || !type.getElementType().isF32() || type.getRank() < 1)
      return;
    int64_t d = type.getShape().back();
    std::optional<unsigned> scaleIdx, biasIdx;
    bool plain = false;
    if (auto s = op->getAttrOfType<IntegerAttr>("qopt.norm_scale")) {
      scaleIdx = unsigned(s.getInt());
      if (auto b = op->getAttrOfType<IntegerAttr>("qopt.norm_bias"))
        biasIdx = unsigned(b.getInt());
    } else if ((scaleIdx = plainScale(op))) {
      plain = true;
    } else {
      return;
    }
    std::optional<std::vector<float>> gamma = getChannelConstant(op, *scaleIdx, d), beta;
    if (!gamma)
      return;
    if (biasIdx && !(beta = getChannelConstant(op, *biasIdx, d)))
      return;
    std::optional<SmallVector<MatmulOp>> matmuls = getConsumingMatmuls(op.getResult(0), d);
    if (!matmuls)
      return;
    // SmoothQuant folded 1/s into this norm: moving gamma into the weights
    // would undo it.
    if (llvm::any_of(*matmuls, [](MatmulOp mm) { return mm->hasAttr("qopt.smoothed"); }))
      return;
    for (MatmulOp mm : *matmuls) {
      std::vector<float> w = *getMatmulWeightKxN(mm);
      int64_t n = cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(1);
      std::vector<float> shift;
      if (beta) { // beta W, from the original weight
        shift.assign(size_t(n), 0.0f);
        for (int64_t j = 0; j < n; ++j) {
          double acc = 0;
          for (int64_t k = 0; k < d; ++k)
            acc += double((*beta)[size_t(k)]) * w[size_t(k * n + j)];
          shift[size_t(j)] = float(acc);
        }
      }
      for (int64_t k = 0; k < d; ++k)
        for (int64_t j = 0; j < n; ++j)
          w[size_t(k * n + j)] *= (*gamma)[size_t(k)];
      OpBuilder b(mm);
      replaceMatmulWeight(mm, createWeightConstant(b, mm.getLoc(), {d, n}, w, "qopt_norm_folded"));
      mm->setAttr("qopt.folded_norm", b.getUnitAttr());
      if (beta)
        addShift(mm, shift);
    }
    OpBuilder b(op);
    if (plain) {
      Operation *scaleDef = op.getDpsInputs()[*scaleIdx].getDefiningOp();
      op.getResult(0).replaceAllUsesWith(op.getDpsInputs()[1 - *scaleIdx]);
      op->erase();
      if (scaleDef && scaleDef->use_empty())
        scaleDef->erase();
      return;
    }
    auto constantLike = [&](unsigned i, float v) {
      Value old = op.getDpsInputs()[i];
      auto t = cast<RankedTensorType>(old.getType());
      op->setOperand(i, arith::ConstantOp::create(b, op.getLoc(), DenseElementsAttr::get(t, v)));
      if (Operation *def = old.getDefiningOp(); def && def->use_empty())
        def->erase();
    };
    constantLike(*scaleIdx, 1.0f);
    if (biasIdx)
      constantLike(*biasIdx, 0.0f);
    op->removeAttr("qopt.norm_scale");
    op->removeAttr("qopt.norm_bias");
  }

  /// y -> y + shift (broadcast over rows) after `mm`.
  static void addShift(MatmulOp mm, const std::vector<float> &shift) {
    OpBuilder b(mm->getContext());
    b.setInsertionPointAfter(mm);
    Value shifted = buildChannelwise(b, mm.getLoc(), mm.getResult(), shift, /*multiply=*/false);
    mm.getResult().replaceAllUsesExcept(shifted, shifted.getDefiningOp());
  }
};

} // namespace
