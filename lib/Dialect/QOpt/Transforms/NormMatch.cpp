//===- NormMatch.cpp - recognising gamma-free RMS normalisations ----------===//
//
// Part of qopt. See NormMatch.h. Works on the imported linalg form, so it
// sees RMSNormalization, SimplifiedLayerNormalization and the decomposed
// ONNX spelling (Mul / ReduceMean / Add / Sqrt / Div) alike.
//
//===----------------------------------------------------------------------===//
#include "NormMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qopt;

namespace {

bool allParallel(linalg::GenericOp g) { return g.getNumReductionLoops() == 0; }

bool isSplatConstant(Value v) {
  DenseElementsAttr attr;
  return matchPattern(v, m_Constant(&attr)) && attr.isSplat();
}

/// The single yielded value of a one-result generic body.
Value yielded(linalg::GenericOp g) {
  return cast<linalg::YieldOp>(g.getBody()->getTerminator()).getOperand(0);
}

/// Whether `sq` is x * x element by element (x: `x`, read through identity
/// maps; as x * x of one or two operands, or powf(x, 2)).
bool isSquareOf(Value sq, Value x) {
  auto g = sq.getDefiningOp<linalg::GenericOp>();
  if (!g || g->getNumResults() != 1 || !allParallel(g) || g.getNumDpsInputs() == 0)
    return false;
  for (OpOperand *in : g.getDpsInputOperands())
    if (in->get() != x || !g.getMatchingIndexingMap(in).isIdentity())
      return false;
  Block *body = g.getBody();
  Value y = yielded(g);
  auto isArg = [&](Value v) {
    auto a = dyn_cast<BlockArgument>(v);
    return a && a.getOwner() == body && a.getArgNumber() < g.getNumDpsInputs();
  };
  if (auto m = y.getDefiningOp<arith::MulFOp>())
    return isArg(m.getLhs()) && isArg(m.getRhs());
  if (auto p = y.getDefiningOp<math::PowFOp>()) {
    FloatAttr two;
    return isArg(p.getLhs()) && matchPattern(p.getRhs(), m_Constant(&two)) &&
           two.getValueAsDouble() == 2.0;
  }
  return false;
}

/// Whether `red` is sum_k t_k over the last axis of t, with t = x * x (or
/// the body squares x itself); adds the ops to `ops`.
bool isSumOfSquares(linalg::GenericOp red, Value x, llvm::SmallPtrSetImpl<Operation *> &ops) {
  if (red->getNumResults() != 1 || red.getNumDpsInputs() != 1 || red.getNumReductionLoops() != 1)
    return false;
  OpOperand *in = red.getDpsInputOperand(0);
  AffineMap map = red.getMatchingIndexingMap(in);
  unsigned last = red.getNumLoops() - 1;
  if (!map.isIdentity() || red.getIteratorTypesArray()[last] != utils::IteratorType::reduction ||
      red.getMatchingIndexingMap(red.getDpsInitOperand(0)).isFunctionOfDim(last))
    return false;
  Block *body = red.getBody();
  auto add = yielded(red).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  BlockArgument inArg = body->getArgument(0), outArg = body->getArgument(1);
  Value term = add.getLhs() == outArg ? add.getRhs() : add.getRhs() == outArg ? add.getLhs() : Value();
  if (!term)
    return false;
  auto m = term.getDefiningOp<arith::MulFOp>();
  if (term == inArg && isSquareOf(in->get(), x))
    ops.insert(in->get().getDefiningOp()); // sum of a squared tensor
  else if (!(m && m.getLhs() == inArg && m.getRhs() == inArg && in->get() == x))
    return false; // not sum of x * x in the body either
  ops.insert(red);
  return true;
}

/// Whether `s` is a function of sum_k x_k^2 alone (per row): element-wise
/// generics with one non-constant input and reshapes down to the sum.
bool isSquareStatistic(Value s, Value x, llvm::SmallPtrSetImpl<Operation *> &ops) {
  for (int depth = 0; depth < 16; ++depth) {
    Operation *def = s.getDefiningOp();
    if (!def)
      return false;
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
      ops.insert(def);
      s = def->getOperand(0);
      continue;
    }
    auto g = dyn_cast<linalg::GenericOp>(def);
    if (!g || g->getNumResults() != 1)
      return false;
    if (!allParallel(g))
      return isSumOfSquares(g, x, ops);
    Value next;
    for (OpOperand *in : g.getDpsInputOperands()) {
      if (isSplatConstant(in->get()))
        continue;
      if (next)
        return false;
      next = in->get();
    }
    if (!next)
      return false;
    ops.insert(g);
    s = next;
  }
  return false;
}

/// Whether the body yields a_x times / divided by values independent of
/// a_x: every op depending on a_x is a multiply by, or a division by, an
/// independent value.
bool linearInX(linalg::GenericOp g, BlockArgument ax) {
  llvm::SmallPtrSet<Value, 8> dependent = {ax};
  for (Operation &op : g.getBody()->without_terminator()) {
    bool uses = llvm::any_of(op.getOperands(), [&](Value v) { return dependent.contains(v); });
    if (!uses)
      continue;
    if (auto m = dyn_cast<arith::MulFOp>(op)) {
      if (dependent.contains(m.getLhs()) == dependent.contains(m.getRhs()))
        return false;
    } else if (auto d = dyn_cast<arith::DivFOp>(op)) {
      if (!dependent.contains(d.getLhs()) || dependent.contains(d.getRhs()))
        return false;
    } else {
      return false;
    }
    dependent.insert(op.getResult(0));
  }
  return dependent.contains(yielded(g));
}

} // namespace

std::optional<RmsNorm> mlir::qopt::matchRmsNorm(Value y) {
  auto g = y.getDefiningOp<linalg::GenericOp>();
  if (!g || g->getNumResults() != 1 || !allParallel(g) || !g.hasPureTensorSemantics() ||
      !cast<RankedTensorType>(y.getType()).getElementType().isF32())
    return std::nullopt;
  unsigned last = g.getNumLoops() - 1;
  RmsNorm norm;
  norm.output = g;
  OpOperand *xOperand = nullptr;
  SmallVector<OpOperand *> stats;
  for (OpOperand *in : g.getDpsInputOperands()) {
    AffineMap map = g.getMatchingIndexingMap(in);
    if (map.isIdentity()) {
      if (xOperand)
        return std::nullopt;
      xOperand = in;
    } else if (isSplatConstant(in->get())) {
      continue; // a scalar factor commutes with R
    } else if (!map.isFunctionOfDim(last)) {
      stats.push_back(in);
    } else {
      return std::nullopt; // a per-channel factor (gamma) does not commute
    }
  }
  if (!xOperand || stats.empty())
    return std::nullopt;
  norm.input = xOperand->get();
  for (OpOperand *s : stats)
    if (!isSquareStatistic(s->get(), norm.input, norm.ops))
      return std::nullopt;
  if (!linearInX(g, g.getMatchingBlockArgument(xOperand)))
    return std::nullopt;
  norm.ops.insert(g);
  return norm;
}
