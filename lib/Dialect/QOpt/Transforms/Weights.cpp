//===- Weights.cpp - constant matmul weights for the qopt transforms -------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "Weights.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace mlir::qopt;

std::optional<std::vector<float>> mlir::qopt::getMatmulWeightKxN(MatmulOp op) {
  Value w = op.getRhs();
  bool transposed = false;
  if (auto t = w.getDefiningOp<linalg::TransposeOp>();
      t && t.getPermutation() == ArrayRef<int64_t>{1, 0}) {
    w = t.getInput();
    transposed = true;
  }
  auto cst = w.getDefiningOp<arith::ConstantOp>();
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
  if (!cst || rhsType.getRank() != 2 || lhsType.getRank() != 2 ||
      !rhsType.getElementType().isF32() || !lhsType.getElementType().isF32())
    return std::nullopt;
  std::optional<std::vector<float>> data = getFloatValues(cst.getValue());
  if (!data || !transposed)
    return data;
  int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
  std::vector<float> kn(data->size());
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      kn[size_t(i * n + j)] = (*data)[size_t(j * k + i)];
  return kn;
}

Value mlir::qopt::createWeightConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                                       const std::vector<float> &values, StringRef name) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()), values.size() * 4);
  return arith::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(type, name,
                                     HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 8)));
}

void mlir::qopt::replaceMatmulWeight(MatmulOp op, Value w) {
  Operation *old = op.getRhs().getDefiningOp();
  op.getRhsMutable().assign(w);
  while (old && old->use_empty() && isa<arith::ConstantOp, linalg::TransposeOp>(old)) {
    Operation *next = isa<linalg::TransposeOp>(old) ? old->getOperand(0).getDefiningOp() : nullptr;
    old->erase();
    old = next;
  }
}

/// Values of a constant operand of `op` that varies only along the last
/// loop dim (d channels); nullopt otherwise.
std::optional<std::vector<float>> mlir::qopt::getChannelConstant(linalg::GenericOp op, unsigned i, int64_t d) {
  auto cst = op.getDpsInputs()[i].getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return std::nullopt;
  AffineMap map = op.getIndexingMapsArray()[i];
  unsigned last = op.getNumLoops() - 1;
  for (AffineExpr e : map.getResults()) {
    if (auto c = dyn_cast<AffineConstantExpr>(e); c && c.getValue() == 0)
      continue;
    if (auto dim = dyn_cast<AffineDimExpr>(e); dim && dim.getPosition() == last)
      continue;
    return std::nullopt;
  }
  std::optional<std::vector<float>> v = getFloatValues(cst.getValue());
  if (!v || !cast<RankedTensorType>(cst.getType()).getElementType().isF32())
    return std::nullopt;
  if (v->size() == 1)
    v->assign(size_t(d), (*v)[0]);
  if (int64_t(v->size()) != d)
    return std::nullopt;
  return v;
}

/// The matmuls fed by `v` (through channel-preserving reshapes); nullopt if
/// anything else uses it or a weight is not constant.
std::optional<SmallVector<MatmulOp>> mlir::qopt::getConsumingMatmuls(Value v, int64_t d) {
  SmallVector<MatmulOp> result;
  SmallVector<Value> work = {v};
  while (!work.empty()) {
    Value cur = work.pop_back_val();
    for (OpOperand &use : cur.getUses()) {
      Operation *user = use.getOwner();
      if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(user)) {
        auto t = cast<RankedTensorType>(user->getResult(0).getType());
        if (t.getShape().back() != d)
          return std::nullopt;
        work.push_back(user->getResult(0));
        continue;
      }
      auto mm = dyn_cast<MatmulOp>(user);
      if (!mm || use.getOperandNumber() != 0 || !getMatmulWeightKxN(mm))
        return std::nullopt;
      result.push_back(mm);
    }
  }
  if (result.empty())
    return std::nullopt;
  return result;
}


Value mlir::qopt::buildChannelwise(OpBuilder &b, Location loc, Value x,
                                   const std::vector<float> &c, bool multiply) {
  auto t = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  int64_t rank = t.getRank();
  Value cst = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({int64_t(c.size())}, b.getF32Type()),
                             ArrayRef<float>(c)));
  Value init = tensor::EmptyOp::create(b, loc, t.getShape(), t.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{t}, ValueRange{x, cst}, ValueRange{init},
             SmallVector<AffineMap>{
                 AffineMap::getMultiDimIdentityMap(rank, ctx),
                 AffineMap::get(rank, 0, {getAffineDimExpr(rank - 1, ctx)}, ctx),
                 AffineMap::getMultiDimIdentityMap(rank, ctx)},
             SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
             [multiply](OpBuilder &nb, Location l, ValueRange a) {
               Value r = multiply ? Value(arith::MulFOp::create(nb, l, a[0], a[1]))
                                  : Value(arith::AddFOp::create(nb, l, a[0], a[1]));
               linalg::YieldOp::create(nb, l, r);
             })
      .getResult(0);
}
