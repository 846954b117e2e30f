//===- Quant.cpp - ONNX quantization ops ------------------------------------===//
//
// Part of qopt. QuantizeLinear / DequantizeLinear (per tensor, per axis,
// blocked) become qopt ops on a format-aware type; DynamicQuantizeLinear a
// qopt.quantize with the affine rule; MatMulInteger and QLinearMatMul integer
// matmuls (int32 accumulation).
//
//===----------------------------------------------------------------------===//
#include "../ImporterImpl.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qopt::onnx_import;
namespace q = mlir::qopt;

/// The qopt element type of an ONNX quantized storage type (ui8 for UINT8).
static Type storageElementType(MLIRContext *ctx, int32_t dt) {
  if (Type t = lowPrecisionFormatType(ctx, dt))
    return t;
  switch (dt) {
  case dtype::Int8: return IntegerType::get(ctx, 8);
  case dtype::UInt8: return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  case dtype::Int16: return IntegerType::get(ctx, 16);
  case dtype::UInt16: return IntegerType::get(ctx, 16, IntegerType::Unsigned);
  default: return nullptr;
  }
}

namespace {
/// The format and scale layout of a Q/DQ node.
struct QuantLayout {
  q::FormatType format;
  std::vector<int64_t> scaleGrid; ///< the scale tensor reshaped to the tensor's rank
};
} // namespace

/// ONNX allows a zero point on float8/float4 types but it must be 0: check
/// that it is a known zero and drop it (qopt's float formats have none).
static LogicalResult dropFloatZeroPoint(NodeContext &n, size_t i, Type element, bool &hasZp) {
  if (isa<IntegerType>(element))
    return success();
  const ConstTensor *c = n.constant(i);
  if (!c)
    return n.emitError() << "a zero point on a float format must be a constant 0";
  for (int64_t code : c->ints)
    if (code != 0)
      return n.emitError() << "a zero point on a float format must be 0 (got code " << code << ")";
  hasZp = false;
  return success();
}

/// Float8/float4 codes (any shape) decoded to f32 with a unit scale.
static Value decodeFloatCodes(NodeContext &n, Value codes, Type element) {
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  MLIRContext *ctx = n.getContext();
  auto t = cast<RankedTensorType>(codes.getType());
  auto f = q::FormatType::get(ctx, element, b.getF32Type(), ArrayRef<int64_t>(), ArrayRef<int64_t>(),
                              std::optional<int64_t>(), Type(), Type());
  std::vector<int64_t> ones(t.getRank(), 1);
  Value unit = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(RankedTensorType::get(ones, b.getF32Type()), 1.0f));
  auto qType = RankedTensorType::get(t.getShape(), f);
  Value parts = q::AssembleOp::create(b, loc, qType, codes, unit, Value(), Value());
  return q::DequantizeOp::create(b, loc, RankedTensorType::get(t.getShape(), b.getF32Type()), parts);
}

static FailureOr<QuantLayout> layoutOf(NodeContext &n, ArrayRef<int64_t> shape, Type element,
                                       Type scaleElem, Type zpElem);

/// The broadcastable shape of scale and zero point for the runtime-zero-point
/// forms (per tensor or per axis; blocked is refused).
static FailureOr<std::vector<int64_t>> broadcastGrid(NodeContext &n, Type element,
                                                     llvm::StringRef what) {
  const auto &shape = n.shapeOf(0);
  FailureOr<QuantLayout> layout =
      layoutOf(n, shape, element, elementTypeOf(n.getContext(), n.dtypeOf(1)), Type());
  if (failed(layout))
    return failure();
  for (size_t d = 0; d < shape.size(); ++d)
    if (layout->scaleGrid[d] != 1 && layout->scaleGrid[d] != shape[d])
      return n.emitError() << what << " is supported per tensor or per axis, not blocked";
  return layout->scaleGrid;
}

/// DequantizeLinear of float8/float4 with a runtime zero point (ONNX:
/// (x - zero_point) * scale, both decoded).
static LogicalResult floatZeroPointDQ(NodeContext &n, Type element, Type scaleElem) {
  FailureOr<std::vector<int64_t>> grid =
      broadcastGrid(n, element, "a runtime zero point on a float format");
  if (failed(grid))
    return failure();
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  const auto &shape = n.shapeOf(0);
  const std::vector<int64_t> &ones = *grid;
  Value x = decodeFloatCodes(n, n.input(0), element);
  Value zp = decodeFloatCodes(n, buildReshape(b, loc, n.input(2), ones), element);
  Value s = buildReshape(b, loc, n.input(1), ones);
  int32_t sdt = n.dtypeOf(1);
  Value r = buildElementwise(b, loc, {x, zp, s}, shape, scaleElem,
                             [&](OpBuilder &nb, Location l, ValueRange a) {
                               Value sc = convertScalar(nb, l, a[2], sdt, dtype::Float);
                               Value v = arith::MulFOp::create(
                                   nb, l, arith::SubFOp::create(nb, l, a[0], a[1]), sc);
                               return convertScalar(nb, l, v, dtype::Float, sdt);
                             });
  return n.setOutput(0, r, sdt);
}

/// QuantizeLinear to float8/float4 with a runtime zero point (ONNX:
/// cast(x / scale + zero_point)).
static LogicalResult floatZeroPointQ(NodeContext &n, Type element, int32_t ydt) {
  FailureOr<std::vector<int64_t>> grid =
      broadcastGrid(n, element, "a runtime zero point on a float format");
  if (failed(grid))
    return failure();
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  MLIRContext *ctx = n.getContext();
  const auto &shape = n.shapeOf(0);
  const std::vector<int64_t> &ones = *grid;
  Value zp = decodeFloatCodes(n, buildReshape(b, loc, n.input(2), ones), element);
  Value s = buildReshape(b, loc, n.input(1), ones);
  int32_t xdt = n.dtypeOf(0), sdt = n.dtypeOf(1);
  Value v = buildElementwise(b, loc, {n.input(0), s, zp}, shape, b.getF32Type(),
                             [&](OpBuilder &nb, Location l, ValueRange a) {
                               Value x = convertScalar(nb, l, a[0], xdt, dtype::Float);
                               Value sc = convertScalar(nb, l, a[1], sdt, dtype::Float);
                               return arith::AddFOp::create(nb, l, arith::DivFOp::create(nb, l, x, sc),
                                                            a[2])
                                   .getResult();
                             });
  auto f = q::FormatType::get(ctx, element, b.getF32Type(), ArrayRef<int64_t>(), ArrayRef<int64_t>(),
                              std::optional<int64_t>(), Type(), Type());
  auto qType = RankedTensorType::get(shape, f);
  std::vector<int64_t> unitShape(shape.size(), 1);
  Value unit = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(RankedTensorType::get(unitShape, b.getF32Type()), 1.0f));
  auto quant = q::QuantizeOp::create(b, loc, qType, v, unit, Value(), Value(),
                                     q::Rounding::nearest_even, q::ScaleMode::floor,
                                     n.intAttr("saturate", 1) != 0);
  return n.setOutput(0, q::CodesOp::create(b, loc, q::getCodesType(qType), quant), ydt);
}


/// Works out per-tensor / per-axis / blocked from the scale's shape (ONNX).
static FailureOr<QuantLayout> layoutOf(NodeContext &n, ArrayRef<int64_t> shape, Type element,
                                       Type scaleElem, Type zpElem) {
  int64_t rank = int64_t(shape.size());
  const auto &ss = n.shapeOf(1);
  int64_t blockSize = n.intAttr("block_size", 0);
  MLIRContext *ctx = n.getContext();
  SmallVector<int64_t> block, axes;
  std::optional<int64_t> channel;
  std::vector<int64_t> grid(rank, 1);
  int64_t scaleCount = 1;
  for (int64_t d : ss)
    scaleCount *= d;
  if (ss.empty() || (scaleCount == 1 && blockSize == 0)) {
    // per tensor
  } else {
    auto axis = normalizeAxis(n.intAttr("axis", 1), rank);
    if (!axis)
      return n.emitError() << "axis " << n.intAttr("axis", 1) << " out of range for rank " << rank;
    if (blockSize > 0) {
      if (int64_t(ss.size()) != rank)
        return n.emitError() << "blocked scales must have the input's rank " << rank;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t expect = d == *axis ? (shape[d] + blockSize - 1) / blockSize : shape[d];
        if (ss[d] != expect)
          return n.emitError() << "blocked scale dim " << d << " is " << ss[d] << ", expected "
                               << expect;
      }
      if (shape[*axis] % blockSize != 0)
        return n.emitError() << "block_size " << blockSize << " does not divide dimension "
                             << *axis << " (" << shape[*axis]
                             << "): a ragged last block is not supported";
      block.push_back(blockSize);
      axes.push_back(*axis);
      grid = ss;
    } else {
      if (ss.size() != 1 || ss[0] != shape[*axis])
        return n.emitError() << "per-axis scale must be 1-D of size " << shape[*axis];
      channel = *axis;
      grid[*axis] = ss[0];
    }
  }
  auto format = q::FormatType::getChecked([&] { return n.emitError(); }, ctx, element,
                                          scaleElem, ArrayRef<int64_t>(block),
                                          ArrayRef<int64_t>(axes), channel, Type(), zpElem);
  if (!format)
    return failure();
  return QuantLayout{format, grid};
}

/// Reshapes the node's input `i` (scale or zero point) to the scale grid;
/// zero points are reinterpreted as the format's (possibly unsigned) type.
static Value gridOperand(NodeContext &n, size_t i, ArrayRef<int64_t> grid, Type elem) {
  OpBuilder &b = n.builder();
  Value v = buildReshape(b, n.getLoc(), n.input(i), grid);
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getElementType() != elem)
    v = tensor::BitcastOp::create(b, n.getLoc(), RankedTensorType::get(t.getShape(), elem), v);
  return v;
}

/// DequantizeLinear of INT32 (quantized biases: scale = x_scale * w_scale):
/// (float(x) - float(zero_point)) * scale per tensor or per axis, as the
/// ONNX reference computes it. Not a qopt format (lib/Format stops at 16 bits).
static LogicalResult int32DQ(NodeContext &n) {
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  const auto &shape = n.shapeOf(0);
  int32_t sdt = n.dtypeOf(1);
  // The grid only (i8 stands in for INT32, which no qopt format holds).
  FailureOr<std::vector<int64_t>> gridOr =
      broadcastGrid(n, b.getIntegerType(8), "DequantizeLinear of INT32");
  if (failed(gridOr))
    return failure();
  const std::vector<int64_t> &grid = *gridOr;
  bool hasZp = n.hasInput(2);
  if (hasZp && n.dtypeOf(2) != dtype::Int32)
    return n.emitError() << "zero point type differs from the input";
  SmallVector<Value> ins = {n.input(0), buildReshape(b, loc, n.input(1), grid)};
  if (hasZp)
    ins.push_back(buildReshape(b, loc, n.input(2), grid));
  Value r = buildElementwise(b, loc, ins, shape, elementTypeOf(n.getContext(), sdt),
                             [&](OpBuilder &nb, Location l, ValueRange a) {
                               Value x = arith::SIToFPOp::create(nb, l, nb.getF32Type(), a[0]);
                               if (hasZp)
                                 x = arith::SubFOp::create(
                                     nb, l, x, arith::SIToFPOp::create(nb, l, nb.getF32Type(), a[2]));
                               Value sc = convertScalar(nb, l, a[1], sdt, dtype::Float);
                               Value v = arith::MulFOp::create(nb, l, x, sc);
                               return convertScalar(nb, l, v, dtype::Float, sdt);
                             });
  return n.setOutput(0, r, sdt);
}

static LogicalResult importDequantizeLinear(NodeContext &n) {
  int32_t xdt = n.dtypeOf(0), sdt = n.dtypeOf(1);
  if (xdt == dtype::Int32 && isFloatDType(sdt) && sdt != dtype::Double)
    return int32DQ(n);
  Type element = storageElementType(n.getContext(), xdt);
  if (!element)
    return n.emitError() << "DequantizeLinear of " << dtypeName(xdt) << " is not supported";
  if (!isFloatDType(sdt) || sdt == dtype::Double)
    return n.emitError() << "scale must be FLOAT, FLOAT16 or BFLOAT16";
  bool hasZp = n.hasInput(2);
  if (hasZp && n.dtypeOf(2) != xdt)
    return n.emitError() << "zero point type differs from the input";
  const auto &shape = n.shapeOf(0);
  Type scaleElem = elementTypeOf(n.getContext(), sdt);
  if (hasZp && !isa<IntegerType>(element) && !n.constant(2))
    return floatZeroPointDQ(n, element, scaleElem);
  if (hasZp && failed(dropFloatZeroPoint(n, 2, element, hasZp)))
    return failure();
  FailureOr<QuantLayout> layout =
      layoutOf(n, shape, element, scaleElem, hasZp ? element : Type());
  if (failed(layout))
    return failure();
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  auto qType = RankedTensorType::get(shape, (*layout).format);
  Value codes = n.input(0);
  Value scales = gridOperand(n, 1, (*layout).scaleGrid, scaleElem);
  Value zps = hasZp ? gridOperand(n, 2, (*layout).scaleGrid, element) : Value();
  Value q = q::AssembleOp::create(b, loc, qType, codes, scales, zps, Value());
  Value r = q::DequantizeOp::create(b, loc, RankedTensorType::get(shape, scaleElem), q);
  int32_t outDT = int32_t(n.intAttr("output_dtype", 0));
  if (outDT && outDT != sdt) { // opset 23+: the result type may differ from the scale's
    if (!isFloatDType(outDT))
      return n.emitError() << "output_dtype " << dtypeName(outDT) << " is not a float type";
    r = buildElementwise(b, loc, {r}, shape, elementTypeOf(n.getContext(), outDT),
                         [&](OpBuilder &nb, Location l, ValueRange a) {
                           return convertScalar(nb, l, a[0], sdt, outDT);
                         });
    return n.setOutput(0, r, outDT);
  }
  return n.setOutput(0, r, sdt);
}

static LogicalResult importQuantizeLinear(NodeContext &n) {
  int32_t xdt = n.dtypeOf(0), sdt = n.dtypeOf(1);
  if (!isFloatDType(xdt) || xdt == dtype::Double)
    return n.emitError() << "input must be FLOAT, FLOAT16 or BFLOAT16";
  if (xdt != sdt && n.getOpset() < 19)
    return n.emitError() << "scale type differs from the input";
  int32_t attrDT = int32_t(n.intAttr("output_dtype", 0));
  int32_t ydt = n.hasInput(2) ? n.dtypeOf(2) : (attrDT ? attrDT : int32_t(dtype::UInt8));
  if (attrDT && n.hasInput(2) && attrDT != n.dtypeOf(2))
    return n.emitError() << "output_dtype " << dtypeName(attrDT) << " differs from the zero point's "
                         << dtypeName(n.dtypeOf(2));
  Type element = storageElementType(n.getContext(), ydt);
  if (!element)
    return n.emitError() << "QuantizeLinear to " << dtypeName(ydt) << " is not supported";
  if (n.intAttr("precision", 0) != 0)
    return n.emitError() << "the 'precision' attribute is not supported";
  const auto &shape = n.shapeOf(0);
  Type scaleElem = elementTypeOf(n.getContext(), sdt);
  bool hasZp = n.hasInput(2);
  if (hasZp && !isa<IntegerType>(element) && !n.constant(2))
    return floatZeroPointQ(n, element, ydt);
  if (hasZp && failed(dropFloatZeroPoint(n, 2, element, hasZp)))
    return failure();
  FailureOr<QuantLayout> layout =
      layoutOf(n, shape, element, scaleElem, hasZp ? element : Type());
  if (failed(layout))
    return failure();
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  Value x = n.input(0);
  if (ydt == dtype::Float4E2M1) // ONNX: cast(x / scale + zero_point): -0 becomes +0
    x = buildElementwise(b, loc, {x}, shape, elementTypeOf(n.getContext(), xdt),
                         [&](OpBuilder &nb, Location l, ValueRange a) {
                           return arith::AddFOp::create(
                                      nb, l, a[0], scalarConstant(nb, l, a[0].getType(), 0.0))
                               .getResult();
                         });
  if (xdt != sdt) // ONNX divides in the scale's precision (opset >= 19)
    x = buildElementwise(b, loc, {x}, shape, scaleElem,
                         [&](OpBuilder &nb, Location l, ValueRange a) {
                           return convertScalar(nb, l, a[0], xdt, sdt);
                         });
  auto qType = RankedTensorType::get(shape, (*layout).format);
  Value scales = gridOperand(n, 1, (*layout).scaleGrid, scaleElem);
  Value zps = hasZp ? gridOperand(n, 2, (*layout).scaleGrid, element) : Value();
  auto q = q::QuantizeOp::create(b, loc, qType, x, scales, zps, Value(),
                                    q::Rounding::nearest_even, q::ScaleMode::floor,
                                    n.intAttr("saturate", 1) != 0);
  Value codes = q::CodesOp::create(b, loc, q::getCodesType(qType), q);
  return n.setOutput(0, codes, ydt);
}

static LogicalResult importDynamicQuantizeLinear(NodeContext &n) {
  if (n.dtypeOf(0) != dtype::Float)
    return n.emitError() << "input must be FLOAT";
  MLIRContext *ctx = n.getContext();
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  const auto &shape = n.shapeOf(0);
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  auto format = q::FormatType::get(ctx, u8, b.getF32Type(), ArrayRef<int64_t>(),
                                   ArrayRef<int64_t>(), std::nullopt, Type(), u8);
  auto qType = RankedTensorType::get(shape, format);
  Value q = q::QuantizeOp::create(b, loc, qType, n.input(0));
  Value codes = q::CodesOp::create(b, loc, q::getCodesType(qType), q);
  Value scales = q::ScalesOp::create(b, loc, q::getScalesType(qType), q);
  Value zps = q::ZeroPointsOp::create(b, loc, q::getZeroPointsType(qType), q);
  Value scale = buildReshape(b, loc, scales, {});
  Value zp = buildReshape(b, loc, zps, {});
  zp = tensor::BitcastOp::create(b, loc, RankedTensorType::get({}, b.getI8Type()), zp);
  if (failed(n.setOutput(0, codes, dtype::UInt8)) || failed(n.setOutput(1, scale, dtype::Float)))
    return failure();
  return n.setOutput(2, zp, dtype::UInt8);
}

/// int32 matmul of (a - a_zp) x (b - b_zp): a [.., M, K], b [K, N]; zero
/// points scalar, per row of a (M) or per column of b (N).
static FailureOr<Value> integerMatmul(NodeContext &n, size_t ai, size_t azi, size_t bi, size_t bzi) {
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  MLIRContext *ctx = b.getContext();
  const auto &as = n.shapeOf(ai), &bs = n.shapeOf(bi);
  if (as.size() < 2 || bs.size() < 2 || as.back() != bs[bs.size() - 2])
    return n.emitError() << "expects A [..., M, K] and B [..., K, N] with matching K";
  int32_t adt = n.dtypeOf(ai), bdt = n.dtypeOf(bi);
  for (int32_t dt : {adt, bdt})
    if (dt != dtype::Int8 && dt != dtype::UInt8)
      return n.emitError() << "operands must be INT8 or UINT8, got " << dtypeName(dt);
  std::vector<int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  auto batch = broadcastShapes({ab, bb});
  if (!batch)
    return n.emitError() << "batch dimensions cannot be broadcast";
  int64_t nbatch = int64_t(batch->size());
  int64_t r = nbatch + 2;
  std::vector<int64_t> out = *batch;
  out.push_back(as[as.size() - 2]);
  out.push_back(bs.back());
  Type i32 = b.getI32Type();
  // Zero points broadcast: scalar, per-row (a) or per-column (b), as [M] / [N].
  auto zpOperand = [&](size_t i, int64_t along) -> FailureOr<Value> {
    if (!n.hasInput(i))
      return Value();
    const auto &zs = n.shapeOf(i);
    int64_t count = 1;
    for (int64_t d : zs)
      count *= d;
    if (count != 1 && count != along)
      return n.emitError() << "zero point " << i << " must be a scalar or have " << along
                           << " entries";
    return buildReshape(b, loc, n.input(i), {count});
  };
  FailureOr<Value> az = zpOperand(azi, as[as.size() - 2]), bz = zpOperand(bzi, bs.back());
  if (failed(az) || failed(bz))
    return failure();
  int64_t nd = r + 1; // batch..., m, n, k
  auto batchExprs = [&](const std::vector<int64_t> &opBatch) {
    SmallVector<AffineExpr> e;
    int64_t off = nbatch - int64_t(opBatch.size());
    for (size_t i = 0; i < opBatch.size(); ++i)
      e.push_back(opBatch[i] == 1 && (*batch)[off + i] != 1 ? getAffineConstantExpr(0, ctx)
                                                              : getAffineDimExpr(off + i, ctx));
    return e;
  };
  SmallVector<AffineExpr> ae = batchExprs(ab), be = batchExprs(bb), oe;
  for (int64_t d = 0; d < nbatch; ++d)
    oe.push_back(getAffineDimExpr(d, ctx));
  AffineExpr m = getAffineDimExpr(r - 2, ctx), nn = getAffineDimExpr(r - 1, ctx),
             k = getAffineDimExpr(r, ctx);
  ae.append({m, k});
  be.append({k, nn});
  oe.append({m, nn});
  SmallVector<Value> ins = {n.input(ai), n.input(bi)};
  SmallVector<AffineMap> maps = {AffineMap::get(nd, 0, ae, ctx), AffineMap::get(nd, 0, be, ctx)};
  auto zpMap = [&](Value z, AffineExpr along) {
    int64_t c = cast<RankedTensorType>(z.getType()).getDimSize(0);
    return AffineMap::get(nd, 0, {c == 1 ? getAffineConstantExpr(0, ctx) : along}, ctx);
  };
  if (*az) {
    ins.push_back(*az);
    maps.push_back(zpMap(*az, m));
  }
  if (*bz) {
    ins.push_back(*bz);
    maps.push_back(zpMap(*bz, nn));
  }
  maps.push_back(AffineMap::get(nd, 0, oe, ctx));
  Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
  Value init = linalg::FillOp::create(b, loc, zero, tensor::EmptyOp::create(b, loc, out, i32).getResult())
                   .getResult(0);
  SmallVector<utils::IteratorType> iters(nd, utils::IteratorType::parallel);
  iters.back() = utils::IteratorType::reduction;
  bool aU = adt == dtype::UInt8, bU = bdt == dtype::UInt8;
  bool azU = n.hasInput(azi) && n.dtypeOf(azi) == dtype::UInt8;
  bool bzU = n.hasInput(bzi) && n.dtypeOf(bzi) == dtype::UInt8;
  bool hasA = bool(*az), hasB = bool(*bz);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location l, ValueRange v) {
        auto ext = [&](Value x, bool u) -> Value {
          return u ? Value(arith::ExtUIOp::create(nb, l, i32, x)) : Value(arith::ExtSIOp::create(nb, l, i32, x));
        };
        Value x = ext(v[0], aU), y = ext(v[1], bU);
        size_t next = 2;
        if (hasA)
          x = arith::SubIOp::create(nb, l, x, ext(v[next++], azU));
        if (hasB)
          y = arith::SubIOp::create(nb, l, y, ext(v[next++], bzU));
        Value p = arith::MulIOp::create(nb, l, x, y);
        linalg::YieldOp::create(nb, l, arith::AddIOp::create(nb, l, v.back(), p).getResult());
      });
  return op.getResult(0);
}

static LogicalResult importMatMulInteger(NodeContext &n) {
  FailureOr<Value> r = integerMatmul(n, 0, 2, 1, 3);
  if (failed(r))
    return failure();
  return n.setOutput(0, *r, dtype::Int32);
}

/// QLinearMatMul: y = saturate(rne(acc * (a_scale * b_scale / y_scale)) + y_zp)
/// with acc the exact int32 product of (a - a_zp) and (b - b_zp).
static LogicalResult importQLinearMatMul(NodeContext &n) {
  if (n.numInputs() != 8)
    return n.emitError() << "expects 8 inputs";
  FailureOr<Value> acc = integerMatmul(n, 0, 2, 3, 5);
  if (failed(acc))
    return failure();
  int32_t ydt = n.dtypeOf(7);
  if (ydt != dtype::Int8 && ydt != dtype::UInt8)
    return n.emitError() << "output must be INT8 or UINT8";
  for (size_t i : {size_t(1), size_t(4), size_t(6)})
    if (!isFloatDType(n.dtypeOf(i)))
      return n.emitError() << "scale input " << i << " must be a float";
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  auto accType = cast<RankedTensorType>(acc->getType());
  std::vector<int64_t> out(accType.getShape().begin(), accType.getShape().end());
  int64_t r = int64_t(out.size());
  // Scales: a_scale scalar or per row [M]; b_scale scalar or per column [N].
  auto asVector = [&](size_t i, int64_t along, int64_t axis) -> FailureOr<Value> {
    int64_t c = 1;
    for (int64_t d : n.shapeOf(i))
      c *= d;
    if (c != 1 && c != along)
      return n.emitError() << "input " << i << " must be a scalar or have " << along << " entries";
    std::vector<int64_t> s(r, 1);
    if (c != 1)
      s[axis] = c;
    Value v = buildReshape(b, loc, n.input(i), s);
    if (n.dtypeOf(i) != dtype::Float)
      v = buildElementwise(b, loc, {v}, s, b.getF32Type(), [&](OpBuilder &nb, Location l, ValueRange a) {
        return convertScalar(nb, l, a[0], n.dtypeOf(i), dtype::Float);
      });
    return v;
  };
  FailureOr<Value> as = asVector(1, out[r - 2], r - 2), bsv = asVector(4, out[r - 1], r - 1),
                   ys = asVector(6, 1, r - 1);
  if (failed(as) || failed(bsv) || failed(ys))
    return failure();
  int64_t yzCount = 1;
  for (int64_t d : n.shapeOf(7))
    yzCount *= d;
  if (yzCount != 1)
    return n.emitError() << "y_zero_point must be a scalar";
  Value yzero = buildReshape(b, loc, n.input(7), std::vector<int64_t>(r, 1));
  bool yU = ydt == dtype::UInt8;
  Type yElem = b.getI8Type();
  Value y = buildElementwise(
      b, loc, {*acc, *as, *bsv, *ys, yzero}, out, yElem, [&](OpBuilder &nb, Location l, ValueRange v) {
        Value f = arith::SIToFPOp::create(nb, l, nb.getF32Type(), v[0]);
        Value mult = arith::DivFOp::create(nb, l, arith::MulFOp::create(nb, l, v[1], v[2]), v[3]);
        Value q = math::RoundEvenOp::create(nb, l, arith::MulFOp::create(nb, l, f, mult));
        Value z = yU ? Value(arith::UIToFPOp::create(nb, l, nb.getF32Type(), v[4]))
                     : Value(arith::SIToFPOp::create(nb, l, nb.getF32Type(), v[4]));
        q = arith::AddFOp::create(nb, l, q, z);
        double lo = yU ? 0 : -128, hi = yU ? 255 : 127;
        q = arith::MaximumFOp::create(nb, l, q, scalarConstant(nb, l, nb.getF32Type(), lo));
        q = arith::MinimumFOp::create(nb, l, q, scalarConstant(nb, l, nb.getF32Type(), hi));
        Value i = yU ? Value(arith::FPToUIOp::create(nb, l, nb.getI32Type(), q))
                     : Value(arith::FPToSIOp::create(nb, l, nb.getI32Type(), q));
        return arith::TruncIOp::create(nb, l, yElem, i).getResult();
      });
  return n.setOutput(0, y, ydt);
}

/// com.microsoft MatMulNBits: A [..., K] x dequantize(B)^T with B packed as
/// uint8 [N, K/block, block*bits/8], scales [N * K/block], optional packed
/// uint8 zero points (default 2^(bits-1)). The weight stays packed in the
/// model and is decoded by a qopt.dequantize of an assembled !qopt.format.
static LogicalResult importMatMulNBits(NodeContext &n) {
  int64_t k = n.intAttr("K", 0), nOut = n.intAttr("N", 0), bits = n.intAttr("bits", 4);
  int64_t bs = n.intAttr("block_size", 0);
  if (k <= 0 || nOut <= 0 || bs < 16 || (bs & (bs - 1)))
    return n.emitError() << "needs K, N and a power-of-two block_size >= 16";
  if (bits != 4 && bits != 8)
    return n.emitError() << "bits=" << bits << " is not supported (4 or 8)";
  if (n.dtypeOf(0) != dtype::Float || n.dtypeOf(2) != dtype::Float)
    return n.emitError() << "A and scales must be FLOAT";
  if (n.dtypeOf(1) != dtype::UInt8)
    return n.emitError() << "B must be packed UINT8";
  if (n.hasInput(3) && n.dtypeOf(3) != dtype::UInt8)
    return n.emitError() << "zero points must be packed UINT8 (float zero points are not supported)";
  for (size_t i = 4; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      return n.emitError() << "input " << i << " (g_idx / bias) is not supported";
  if (k % bs != 0)
    return n.emitError() << "K = " << k << " is not a multiple of block_size " << bs;
  int64_t blocks = k / bs, bytesPerBlock = bs * bits / 8;
  const auto &bsh = n.shapeOf(1);
  if (bsh != std::vector<int64_t>{nOut, blocks, bytesPerBlock})
    return n.emitError() << "B must have shape [" << nOut << ", " << blocks << ", "
                         << bytesPerBlock << "]";
  const auto &as = n.shapeOf(0);
  if (as.empty() || as.back() != k)
    return n.emitError() << "A's last dimension must be K = " << k;
  int64_t scaleCount = 1;
  for (int64_t d : n.shapeOf(2))
    scaleCount *= d;
  if (scaleCount != nOut * blocks)
    return n.emitError() << "scales must hold N * K / block_size = " << nOut * blocks << " values";
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  MLIRContext *ctx = b.getContext();
  Type codeType = b.getIntegerType(unsigned(bits));
  Type elem = IntegerType::get(ctx, unsigned(bits), IntegerType::Unsigned);
  // Unpack B into K x N codes (the layout qopt.matmul takes): code k of row n
  // is byte k*bits/8 of row n, low bits first. The packed bytes stay the
  // model's constant; the unpacking runs in the library.
  Value packed = buildReshape(b, loc, n.input(1), {nOut, blocks * bytesPerBlock});
  auto unpackTransposed = [&](Value bytes, int64_t rows, int64_t cols) -> Value {
    // bytes [rows, cols / perByte] -> codes [cols, rows]
    Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{cols, rows}, codeType);
    int64_t perByte = 8 / bits;
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()}, ValueRange{bytes}, ValueRange{init},
        SmallVector<AffineMap>{AffineMap::get(2, 0, {d1, d0.floorDiv(perByte)}, ctx),
                               AffineMap::getMultiDimIdentityMap(2, ctx)},
        SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value byte = a[0];
          if (perByte > 1) {
            Value col = linalg::IndexOp::create(nb, l, 0);
            Value sub = arith::RemUIOp::create(nb, l, col,
                                               arith::ConstantIndexOp::create(nb, l, perByte));
            Value shift = arith::IndexCastOp::create(
                nb, l, nb.getI8Type(),
                arith::MulIOp::create(nb, l, sub, arith::ConstantIndexOp::create(nb, l, bits)));
            byte = arith::ShRUIOp::create(nb, l, byte, shift);
          }
          Value code = bits == 8 ? byte : Value(arith::TruncIOp::create(nb, l, codeType, byte));
          linalg::YieldOp::create(nb, l, code);
        });
    return generic.getResult(0);
  };
  Value codes = unpackTransposed(packed, nOut, k);
  Value scales = buildTranspose(b, loc, buildReshape(b, loc, n.input(2), {nOut, blocks}), {1, 0});
  Value zps;
  if (n.hasInput(3)) {
    int64_t zpBytes = 1;
    for (int64_t d : n.shapeOf(3))
      zpBytes *= d;
    int64_t perRow = (blocks * bits + 7) / 8;
    if (zpBytes != nOut * perRow)
      return n.emitError() << "zero points must hold " << nOut * perRow << " packed bytes";
    Value zpPacked = buildReshape(b, loc, n.input(3), {nOut, perRow});
    zps = unpackTransposed(zpPacked, nOut, blocks);
  } else {
    // The default zero point 2^(bits-1) as a constant grid.
    zps = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(RankedTensorType::get({blocks, nOut}, codeType),
                                       APInt(unsigned(bits), uint64_t(1) << (bits - 1))));
  }
  zps = tensor::BitcastOp::create(b, loc, RankedTensorType::get({blocks, nOut}, elem), zps);
  auto format = q::FormatType::getChecked([&] { return n.emitError(); }, ctx, elem,
                                          Type(b.getF32Type()), ArrayRef<int64_t>{bs},
                                          ArrayRef<int64_t>{0}, std::optional<int64_t>(), Type(),
                                          elem);
  if (!format)
    return failure();
  auto qType = RankedTensorType::get({k, nOut}, format);
  Value q = q::AssembleOp::create(b, loc, qType, codes, scales, zps, Value());
  // A [..., K] x W [K, N] as a 2-D qopt.matmul; the dequantize folds into the
  // matmul operand (canonicalization), so W is decoded inside the product.
  Value w = q::DequantizeOp::create(b, loc, RankedTensorType::get({k, nOut}, b.getF32Type()), q);
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < as.size(); ++i)
    rows *= as[i];
  Value a2 = buildReshape(b, loc, n.input(0), {rows, k});
  Value y = q::MatmulOp::create(b, loc, RankedTensorType::get({rows, nOut}, b.getF32Type()), a2, w,
                                TypeAttr());
  std::vector<int64_t> out(as.begin(), as.end() - 1);
  out.push_back(nOut);
  return n.setOutput(0, buildReshape(b, loc, y, out), dtype::Float);
}

LogicalResult mlir::qopt::onnx_import::castLowPrecision(NodeContext &n, int32_t from, int32_t to) {
  MLIRContext *ctx = n.getContext();
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  const auto &shape = n.shapeOf(0);
  auto unitFormat = [&](int32_t dt) -> q::FormatType {
    Type elem = lowPrecisionFormatType(ctx, dt);
    if (!elem || isa<IntegerType>(elem))
      return nullptr;
    return q::FormatType::get(ctx, elem, b.getF32Type(), ArrayRef<int64_t>(), ArrayRef<int64_t>(),
                              std::optional<int64_t>(), Type(), Type());
  };
  std::vector<int64_t> ones(shape.size(), 1);
  auto unitScale = [&]() -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(RankedTensorType::get(ones, b.getF32Type()), 1.0f));
  };
  Value v = n.input(0);
  int32_t cur = from;
  if (lowPrecisionBits(from)) { // decode to f32
    q::FormatType f = unitFormat(from);
    if (!f)
      return n.emitError() << "cast from " << dtypeName(from) << " is not supported";
    auto qType = RankedTensorType::get(shape, f);
    Value parts = q::AssembleOp::create(b, loc, qType, v, unitScale(), Value(), Value());
    v = q::DequantizeOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), parts);
    cur = dtype::Float;
  }
  if (lowPrecisionBits(to)) { // encode from f32
    q::FormatType f = unitFormat(to);
    if (!f)
      return n.emitError() << "cast to " << dtypeName(to) << " is not supported";
    if (!isFloatDType(cur) && cur != dtype::Float)
      return n.emitError() << "cast from " << dtypeName(cur) << " to " << dtypeName(to)
                           << " is not supported (cast to FLOAT first)";
    if (cur != dtype::Float)
      v = buildElementwise(b, loc, {v}, shape, b.getF32Type(), [&](OpBuilder &nb, Location l, ValueRange a) {
        return convertScalar(nb, l, a[0], cur, dtype::Float);
      });
    q::Rounding rounding = q::Rounding::nearest_even;
    if (to == dtype::Float8E8M0) {
      std::string mode = n.stringAttr("round_mode", "up");
      if (mode == "up")
        rounding = q::Rounding::up;
      else if (mode == "down")
        rounding = q::Rounding::down;
      else if (mode == "nearest") // ONNX rounds a tie (mantissa .5) up: away from zero
        rounding = q::Rounding::nearest_away;
      else
        return n.emitError() << "round_mode '" << mode << "' is not up, down or nearest";
    }
    auto qType = RankedTensorType::get(shape, f);
    auto quant = q::QuantizeOp::create(b, loc, qType, v, unitScale(), Value(), Value(), rounding,
                                       q::ScaleMode::floor, n.intAttr("saturate", 1) != 0);
    return n.setOutput(0, q::CodesOp::create(b, loc, q::getCodesType(qType), quant), to);
  }
  if (cur != to)
    v = buildElementwise(b, loc, {v}, shape, elementTypeOf(ctx, to),
                         [&](OpBuilder &nb, Location l, ValueRange a) {
                           return convertScalar(nb, l, a[0], cur, to);
                         });
  return n.setOutput(0, v, to);
}

void mlir::qopt::onnx_import::addQuantOps(OpTable &t) {
  t.add("com.microsoft", "MatMulNBits", importMatMulNBits);
  t.add("", "DequantizeLinear", importDequantizeLinear);
  t.add("", "QuantizeLinear", importQuantizeLinear);
  t.add("", "DynamicQuantizeLinear", importDynamicQuantizeLinear);
  t.add("", "MatMulInteger", importMatMulInteger);
  t.add("", "QLinearMatMul", importQLinearMatMul);
}
