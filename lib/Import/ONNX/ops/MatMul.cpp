//===- MatMul.cpp - ONNX MatMul and Gemm -----------------------------------===//
//
// Part of qopt. numpy matmul semantics (1-D promotion, broadcast batch dims)
// and Gemm (transA/transB, alpha, beta, broadcast C), as linalg.generic.
//
//===----------------------------------------------------------------------===//
#include "../ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

using namespace mlir;
using namespace mlir::qopt::onnx_import;

/// C[batch, m, n] = sum_k A[batch', m, k] * B[batch'', k, n] where batch'
/// and batch'' broadcast to batch. A, B have rank >= 2.
static Value batchedMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                           ArrayRef<int64_t> batch, Type accElem) {
  auto lt = cast<RankedTensorType>(lhs.getType()), rt = cast<RankedTensorType>(rhs.getType());
  MLIRContext *ctx = b.getContext();
  int64_t nb = int64_t(batch.size());
  // Loops (batch..., m, k, n): the innermost loop walks rows of B and C
  // contiguously, so the scalar lowering vectorizes without reassociating
  // the K reduction (results stay bit-identical to the m, n, k order).
  int64_t nd = nb + 3;
  AffineExpr m = getAffineDimExpr(nb, ctx), k = getAffineDimExpr(nb + 1, ctx),
             n = getAffineDimExpr(nb + 2, ctx);
  auto batchExprs = [&](RankedTensorType t) {
    SmallVector<AffineExpr> e;
    int64_t r = t.getRank() - 2;
    for (int64_t i = 0; i < r; ++i) {
      int64_t od = nb - r + i;
      e.push_back(t.getDimSize(i) == 1 && batch[od] != 1 ? getAffineConstantExpr(0, ctx)
                                                          : getAffineDimExpr(od, ctx));
    }
    return e;
  };
  SmallVector<AffineExpr> le = batchExprs(lt), re = batchExprs(rt), oe;
  le.append({m, k});
  re.append({k, n});
  for (int64_t i = 0; i < nb; ++i)
    oe.push_back(getAffineDimExpr(i, ctx));
  oe.append({m, n});
  SmallVector<int64_t> outShape(batch.begin(), batch.end());
  outShape.push_back(lt.getDimSize(lt.getRank() - 2));
  outShape.push_back(rt.getDimSize(rt.getRank() - 1));
  Value zero = scalarConstant(b, loc, accElem, 0);
  Value init = linalg::FillOp::create(b, loc, zero,
                                      tensor::EmptyOp::create(b, loc, outShape, accElem).getResult())
                   .getResult(0);
  SmallVector<utils::IteratorType> iters(nd, utils::IteratorType::parallel);
  iters[nb + 1] = utils::IteratorType::reduction;
  bool isFloat = isa<FloatType>(accElem);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(nd, 0, le, ctx), AffineMap::get(nd, 0, re, ctx),
                             AffineMap::get(nd, 0, oe, ctx)},
      iters, [&](OpBuilder &nb2, Location l, ValueRange a) {
        Value x = a[0], y = a[1];
        if (x.getType() != accElem)
          x = isFloat ? Value(arith::ExtFOp::create(nb2, l, accElem, x))
                      : Value(arith::ExtSIOp::create(nb2, l, accElem, x));
        if (y.getType() != accElem)
          y = isFloat ? Value(arith::ExtFOp::create(nb2, l, accElem, y))
                      : Value(arith::ExtSIOp::create(nb2, l, accElem, y));
        Value p = isFloat ? Value(arith::MulFOp::create(nb2, l, x, y))
                          : Value(arith::MulIOp::create(nb2, l, x, y));
        Value s = isFloat ? Value(arith::AddFOp::create(nb2, l, a[2], p))
                          : Value(arith::AddIOp::create(nb2, l, a[2], p));
        linalg::YieldOp::create(nb2, l, s);
      });
  return op.getResult(0);
}

static LogicalResult importMatMul(NodeContext &n) {
  if (n.numInputs() != 2)
    return n.emitError() << "expects 2 inputs";
  int32_t dt = n.dtypeOf(0);
  if (n.dtypeOf(1) != dt)
    return n.emitError() << "A is " << dtypeName(dt) << " but B is " << dtypeName(n.dtypeOf(1));
  std::vector<int64_t> as = n.shapeOf(0), bs = n.shapeOf(1);
  if (as.empty() || bs.empty())
    return n.emitError() << "inputs must have rank >= 1";
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  Value a = n.input(0), bv = n.input(1);
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec) {
    as = {1, as[0]};
    a = buildReshape(b, loc, a, as);
  }
  if (bVec) {
    bs = {bs[0], 1};
    bv = buildReshape(b, loc, bv, bs);
  }
  if (as.back() != bs[bs.size() - 2])
    return n.emitError() << "inner dimensions differ: A is [" << llvm::join(llvm::map_range(n.shapeOf(0), [](int64_t d) { return std::to_string(d); }), ",")
                         << "], B is [" << llvm::join(llvm::map_range(n.shapeOf(1), [](int64_t d) { return std::to_string(d); }), ",") << "]";
  std::vector<int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  auto batch = broadcastShapes({ab, bb});
  if (!batch)
    return n.emitError() << "batch dimensions cannot be broadcast";
  Type elem = elementTypeOf(n.getContext(), dt);
  Value r;
  if (bs.size() == 2 && isa<FloatType>(elem) && !bVec) {
    // A linear layer (2-D B, usually weights): qopt.matmul on [rows, K] x [K, N],
    // where qopt-quantize can give B a format.
    int64_t rows = 1;
    for (size_t i = 0; i + 1 < as.size(); ++i)
      rows *= as[i];
    Value a2 = buildReshape(b, loc, a, {rows, as.back()});
    r = mlir::qopt::MatmulOp::create(b, loc,
                                     RankedTensorType::get({rows, bs.back()}, elem), a2, bv,
                                     TypeAttr());
    std::vector<int64_t> full = *batch;
    full.push_back(as[as.size() - 2]);
    full.push_back(bs.back());
    r = buildReshape(b, loc, r, full);
  } else {
    r = batchedMatmul(b, loc, a, bv, *batch, elem);
    // A constant batched B is a weight qopt-quantize cannot give a format
    // yet: mark it so the pass says so instead of silently leaving it float.
    if (bs.size() > 2 && bv.getDefiningOp<arith::ConstantOp>())
      r.getDefiningOp()->setAttr("qopt.unquantized_weight",
                                 b.getStringAttr("batched (rank-" + std::to_string(bs.size()) +
                                                 ") weights"));
  }
  std::vector<int64_t> outShape = *batch;
  if (!aVec)
    outShape.push_back(as[as.size() - 2]);
  if (!bVec)
    outShape.push_back(bs.back());
  r = buildReshape(b, loc, r, outShape);
  return n.setOutput(0, r, dt);
}

static LogicalResult importGemm(NodeContext &n) {
  if (n.numInputs() < 2)
    return n.emitError() << "expects inputs A and B";
  int32_t dt = n.dtypeOf(0);
  if (!isFloatDType(dt) || n.dtypeOf(1) != dt)
    return n.emitError() << "A and B must share a float type";
  const auto &as = n.shapeOf(0), &bs = n.shapeOf(1);
  if (as.size() != 2 || bs.size() != 2)
    return n.emitError() << "A and B must be 2-D";
  bool ta = n.intAttr("transA", 0), tb = n.intAttr("transB", 0);
  double alpha = n.floatAttr("alpha", 1.0f), beta = n.floatAttr("beta", 1.0f);
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  Value a = n.input(0), bv = n.input(1);
  if (ta)
    a = buildTranspose(b, loc, a, {1, 0});
  if (tb)
    bv = buildTranspose(b, loc, bv, {1, 0});
  int64_t m = ta ? as[1] : as[0], k = ta ? as[0] : as[1];
  int64_t kb = tb ? bs[1] : bs[0], nn = tb ? bs[0] : bs[1];
  if (k != kb)
    return n.emitError() << "inner dimensions differ: " << k << " vs " << kb;
  Type elem = elementTypeOf(n.getContext(), dt);
  Value y = mlir::qopt::MatmulOp::create(b, loc, RankedTensorType::get({m, nn}, elem), a, bv,
                                         TypeAttr());
  std::vector<int64_t> out = {m, nn};
  SmallVector<Value> operands = {y};
  bool hasC = n.hasInput(2);
  if (hasC) {
    auto bc = broadcastShapes({n.shapeOf(2), out});
    if (!bc || *bc != out)
      return n.emitError() << "C cannot be broadcast to [" << m << ", " << nn << "]";
    operands.push_back(n.input(2));
  }
  if (alpha != 1.0 || (hasC)) {
    y = buildElementwise(b, loc, operands, out, elem, [&](OpBuilder &nb, Location l, ValueRange v) {
      Value r = v[0];
      if (alpha != 1.0)
        r = arith::MulFOp::create(nb, l, r, scalarConstant(nb, l, elem, alpha));
      if (v.size() > 1) {
        Value c = v[1];
        if (beta != 1.0)
          c = arith::MulFOp::create(nb, l, c, scalarConstant(nb, l, elem, beta));
        r = arith::AddFOp::create(nb, l, r, c);
      }
      return r;
    });
  }
  return n.setOutput(0, y, dt);
}

void mlir::qopt::onnx_import::addMatMulOps(OpTable &t) {
  t.add("", "MatMul", importMatMul);
  t.add("", "Gemm", importGemm);
}
