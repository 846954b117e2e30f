//===- Weights.cpp - constant matmul weights for the qopt transforms -------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "Weights.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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
