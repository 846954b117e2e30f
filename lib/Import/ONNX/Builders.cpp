//===- Builders.cpp - tensor-building helpers for the ONNX importer --------===//
//
// Part of qopt. Broadcasting element-wise maps, reductions, reshapes and
// casts as linalg/tensor/arith IR on static tensors.
//
//===----------------------------------------------------------------------===//
#include "ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace mlir::qopt::onnx_import;

std::optional<int64_t> mlir::qopt::onnx_import::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::optional<std::vector<int64_t>>
mlir::qopt::onnx_import::broadcastShapes(ArrayRef<std::vector<int64_t>> shapes) {
  size_t rank = 0;
  for (const auto &s : shapes)
    rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto &s : shapes) {
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t &o = out[rank - s.size() + i];
      int64_t d = s[i];
      if (d == o || d == 1)
        continue;
      if (o == 1)
        o = d;
      else
        return std::nullopt;
    }
  }
  return out;
}

static Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type elem) {
  return tensor::EmptyOp::create(b, loc, shape, elem);
}

Value mlir::qopt::onnx_import::buildElementwise(OpBuilder &b, Location loc, ValueRange operands,
                                                ArrayRef<int64_t> outShape, Type resultElem,
                                                const ScalarBody &body) {
  int64_t rank = int64_t(outShape.size());
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value v : operands) {
    auto t = cast<RankedTensorType>(v.getType());
    int64_t r = t.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < r; ++i) {
      int64_t od = rank - r + i;
      if (t.getDimSize(i) == 1 && outShape[od] != 1)
        exprs.push_back(getAffineConstantExpr(0, ctx));
      else
        exprs.push_back(getAffineDimExpr(od, ctx));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value init = emptyTensor(b, loc, outShape, resultElem);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value r = body(nb, nl, args.drop_back());
        linalg::YieldOp::create(nb, nl, r);
      });
  return op.getResult(0);
}

Value mlir::qopt::onnx_import::buildReduction(OpBuilder &b, Location loc, Value input,
                                              ArrayRef<int64_t> axes, bool keepDims,
                                              Attribute init, const ScalarBody &combine) {
  auto t = cast<RankedTensorType>(input.getType());
  int64_t rank = t.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    iters.push_back(reduced ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    if (!reduced) {
      outShape.push_back(t.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  Value initValue = arith::ConstantOp::create(b, loc, cast<TypedAttr>(init));
  Value empty = emptyTensor(b, loc, outShape, t.getElementType());
  Value filled = linalg::FillOp::create(b, loc, initValue, empty).getResult(0);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{filled.getType()}, ValueRange{input}, ValueRange{filled}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, combine(nb, nl, {args[1], args[0]}));
      });
  Value result = op.getResult(0);
  if (!keepDims)
    return result;
  SmallVector<int64_t> kept;
  for (int64_t d = 0; d < rank; ++d)
    kept.push_back(llvm::is_contained(axes, d) ? 1 : t.getDimSize(d));
  return buildReshape(b, loc, result, kept);
}

Value mlir::qopt::onnx_import::buildReshape(OpBuilder &b, Location loc, Value input,
                                            ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(input.getType());
  if (t.getShape() == shape)
    return input;
  auto resultType = RankedTensorType::get(shape, t.getElementType());
  if (auto reassoc = getReassociationIndicesForReshape(t, resultType)) {
    if (t.getRank() > resultType.getRank())
      return tensor::CollapseShapeOp::create(b, loc, resultType, input, *reassoc);
    if (t.getRank() < resultType.getRank())
      return tensor::ExpandShapeOp::create(b, loc, resultType, input, *reassoc);
  }
  // General case: collapse to 1-D, expand to the target.
  int64_t n = t.getNumElements();
  Value flat = input;
  if (t.getRank() != 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < t.getRank(); ++i)
      all.push_back(i);
    flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({n}, t.getElementType()), input,
        t.getRank() == 0 ? SmallVector<ReassociationIndices>{} : SmallVector<ReassociationIndices>{all});
  }
  if (resultType.getRank() == 1)
    return flat;
  ReassociationIndices all;
  for (int64_t i = 0; i < resultType.getRank(); ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, resultType, flat,
      resultType.getRank() == 0 ? SmallVector<ReassociationIndices>{}
                                : SmallVector<ReassociationIndices>{all});
}

Value mlir::qopt::onnx_import::buildTranspose(OpBuilder &b, Location loc, Value input,
                                              ArrayRef<int64_t> perm) {
  auto t = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t.getDimSize(p));
  Value init = emptyTensor(b, loc, shape, t.getElementType());
  return linalg::TransposeOp::create(b, loc, input, init, perm).getResult()[0];
}

Value mlir::qopt::onnx_import::buildBroadcastTo(OpBuilder &b, Location loc, Value input,
                                                ArrayRef<int64_t> shape) {
  auto t = cast<RankedTensorType>(input.getType());
  if (t.getShape() == shape)
    return input;
  return buildElementwise(b, loc, {input}, shape, t.getElementType(),
                          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
}

Value mlir::qopt::onnx_import::scalarConstant(OpBuilder &b, Location loc, Type elem,
                                              double value) {
  if (auto ft = dyn_cast<FloatType>(elem))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, value));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(elem, int64_t(value)));
}

Value mlir::qopt::onnx_import::convertScalar(OpBuilder &b, Location loc, Value v,
                                             int32_t fromDT, int32_t toDT) {
  Type to = elementTypeOf(b.getContext(), toDT);
  Type from = v.getType();
  if (from == to && fromDT == toDT)
    return v;
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  if (toDT == dtype::Bool) {
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   scalarConstant(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 scalarConstant(b, loc, from, 0));
  }
  if (fromFloat && toFloat) {
    unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
    if (fw == tw) // f16 <-> bf16: through f32 (exact widening, one rounding)
      return arith::TruncFOp::create(b, loc, to,
                                     arith::ExtFOp::create(b, loc, b.getF32Type(), v));
    if (fw < tw)
      return arith::ExtFOp::create(b, loc, to, v);
    return arith::TruncFOp::create(b, loc, to, v);
  }
  if (fromFloat) {
    if (isUnsignedDType(toDT))
      return arith::FPToUIOp::create(b, loc, to, v);
    return arith::FPToSIOp::create(b, loc, to, v);
  }
  bool fromUnsigned = isUnsignedDType(fromDT);
  if (toFloat) {
    if (fromUnsigned)
      return arith::UIToFPOp::create(b, loc, to, v);
    return arith::SIToFPOp::create(b, loc, to, v);
  }
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fw == tw)
    return v;
  if (fw > tw)
    return arith::TruncIOp::create(b, loc, to, v);
  if (fromUnsigned)
    return arith::ExtUIOp::create(b, loc, to, v);
  return arith::ExtSIOp::create(b, loc, to, v);
}

Value mlir::qopt::onnx_import::materializeConst(OpBuilder &b, Location loc, const ConstTensor &c) {
  Type elem = elementTypeOf(b.getContext(), c.dtype);
  auto type = RankedTensorType::get(c.shape, elem);
  DenseElementsAttr attr;
  if (auto ft = dyn_cast<FloatType>(elem)) {
    SmallVector<APFloat> vals;
    for (double d : c.floats) {
      APFloat f(d);
      bool lost;
      f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      vals.push_back(f);
    }
    attr = DenseElementsAttr::get(type, vals);
  } else if (c.dtype == dtype::Bool) {
    SmallVector<bool> vals;
    for (int64_t i : c.ints)
      vals.push_back(i != 0);
    attr = DenseElementsAttr::get(type, vals);
  } else {
    SmallVector<APInt> vals;
    for (int64_t i : c.ints)
      vals.push_back(APInt(elem.getIntOrFloatBitWidth(), uint64_t(i), /*isSigned=*/true,
                           /*implicitTrunc=*/true));
    attr = DenseElementsAttr::get(type, vals);
  }
  return arith::ConstantOp::create(b, loc, attr);
}

Value mlir::qopt::onnx_import::buildUnpackCodes(OpBuilder &b, Location loc, Value bytes,
                                                ArrayRef<int64_t> shape, unsigned bits) {
  MLIRContext *ctx = b.getContext();
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  int64_t perByte = 8 / bits;
  Type codeType = b.getIntegerType(bits);
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{n}, codeType);
  AffineExpr d0 = getAffineDimExpr(0, ctx);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{bytes}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(1, 0, {d0.floorDiv(perByte)}, ctx),
                             AffineMap::getMultiDimIdentityMap(1, ctx)},
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value i = linalg::IndexOp::create(nb, l, 0);
        Value sub = arith::RemUIOp::create(nb, l, i, arith::ConstantIndexOp::create(nb, l, perByte));
        Value shift = arith::IndexCastOp::create(
            nb, l, nb.getI8Type(),
            arith::MulIOp::create(nb, l, sub, arith::ConstantIndexOp::create(nb, l, bits)));
        Value v = arith::ShRUIOp::create(nb, l, a[0], shift);
        linalg::YieldOp::create(nb, l, arith::TruncIOp::create(nb, l, codeType, v).getResult());
      });
  return buildReshape(b, loc, generic.getResult(0), shape);
}

Value mlir::qopt::onnx_import::buildPackCodes(OpBuilder &b, Location loc, Value codes,
                                              unsigned bits) {
  MLIRContext *ctx = b.getContext();
  auto t = cast<RankedTensorType>(codes.getType());
  int64_t n = t.getNumElements(), perByte = 8 / bits;
  int64_t bytes = (n + perByte - 1) / perByte;
  Value flat = buildReshape(b, loc, codes, {n});
  if (bytes * perByte != n) { // pad the last byte with zero codes
    Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(t.getElementType(), 0));
    SmallVector<OpFoldResult> low = {b.getIndexAttr(0)}, high = {b.getIndexAttr(bytes * perByte - n)};
    flat = tensor::PadOp::create(b, loc, RankedTensorType::get({bytes * perByte}, t.getElementType()),
                                 flat, low, high, zero);
  }
  AffineExpr d0 = getAffineDimExpr(0, ctx);
  SmallVector<Value> ins(perByte, flat);
  SmallVector<AffineMap> maps;
  for (int64_t k = 0; k < perByte; ++k)
    maps.push_back(AffineMap::get(1, 0, {d0 * perByte + k}, ctx));
  maps.push_back(AffineMap::getMultiDimIdentityMap(1, ctx));
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{bytes}, b.getI8Type());
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps,
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value acc;
        for (int64_t k = 0; k < perByte; ++k) {
          Value v = arith::ExtUIOp::create(nb, l, nb.getI8Type(), a[k]);
          if (k)
            v = arith::ShLIOp::create(nb, l, v,
                                      arith::ConstantOp::create(nb, l, nb.getI8IntegerAttr(k * bits)));
          acc = k ? Value(arith::OrIOp::create(nb, l, acc, v)) : v;
        }
        linalg::YieldOp::create(nb, l, acc);
      });
  return generic.getResult(0);
}
