//===- QOptToLinalg.cpp - qopt ops -> linalg + generated element codecs ----===//
//
// Part of qopt. Every element encode/decode comes from the scalar codec
// emitters (Conversion/Codecs), which match lib/Format bit for bit; every
// scale rule mirrors lib/Format's Quantizer (docs/Formats.md).
//
//===----------------------------------------------------------------------===//
#include "qopt/Conversion/Passes.h"

#include "qopt/Conversion/Codecs/ScalarCodecs.h"
#include "qopt/Conversion/Codecs/ScaleCodecs.h"
#include "qopt/Dialect/QOpt/IR/FormatBridge.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Format/Hadamard.h"
#include "qopt/Format/Quantizer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::qopt {
#define GEN_PASS_DEF_CONVERTQOPTTOLINALGPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;
namespace fmt = ::qopt::format;

namespace {

FormatType formatOf(Value quantized) {
  return cast<FormatType>(cast<RankedTensorType>(quantized.getType()).getElementType());
}

/// Whether generated codecs exist for the element and (8-bit) scale format;
/// `reason` says why not.
LogicalResult checkCodecs(const fmt::TensorFormat &tf, std::string *reason = nullptr) {
  if (failed(checkCodecSupport(tf.getElement(), reason)))
    return failure();
  const fmt::FloatFormat &s = tf.getScale();
  if (isScaleStorageSupported(s))
    return success();
  if (reason)
    *reason = "no generated codec for the scale format " + s.getName();
  return failure();
}

/// Element dims -> scale-grid dims: d floordiv (dim / grid), 0 where the
/// grid has one entry.
AffineMap scaleMap(ArrayRef<int64_t> shape, ArrayRef<int64_t> grid, MLIRContext *ctx) {
  SmallVector<AffineExpr> e;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t extent = shape[i] / grid[i];
    AffineExpr d = getAffineDimExpr(i, ctx);
    e.push_back(grid[i] == 1 && shape[i] != 1 ? getAffineConstantExpr(0, ctx)
                : extent == 1                 ? d
                                              : d.floorDiv(extent));
  }
  return AffineMap::get(shape.size(), 0, e, ctx);
}

/// Integer value of a (signless) zero-point element as f32 (exact for <= 16
/// bits); `zpType` says whether its bits are unsigned.
Value zeroPointAsFloat(OpBuilder &b, Location loc, Value z, Type zpType) {
  bool isUnsigned = cast<IntegerType>(zpType).isUnsigned();
  return isUnsigned ? Value(arith::UIToFPOp::create(b, loc, b.getF32Type(), z))
                    : Value(arith::SIToFPOp::create(b, loc, b.getF32Type(), z));
}

/// A zero-point tensor as signless integers (linalg bodies take no ui8).
Value signlessTensor(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  auto it = dyn_cast<IntegerType>(type.getElementType());
  if (!it || it.isSignless())
    return t;
  return tensor::BitcastOp::create(
      b, loc, RankedTensorType::get(type.getShape(), b.getIntegerType(it.getWidth())), t);
}

Value roundAs(OpBuilder &b, Location loc, Value v, fmt::Rounding r) {
  switch (r) {
  case fmt::Rounding::NearestEven: return math::RoundEvenOp::create(b, loc, v);
  case fmt::Rounding::NearestAway: return math::RoundOp::create(b, loc, v);
  case fmt::Rounding::TowardZero: return math::TruncOp::create(b, loc, v);
  case fmt::Rounding::Up: return math::CeilOp::create(b, loc, v);
  case fmt::Rounding::Down: return math::FloorOp::create(b, loc, v);
  }
  return v;
}

/// codes(quantize(x, scales, zero_points)) with explicit scales: ONNX
/// QuantizeLinear per element (lib/Format quantizeLinear).
struct LowerExplicitQuantizeCodes : OpRewritePattern<CodesOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CodesOp op, PatternRewriter &rewriter) const override {
    auto quantize = op.getInput().getDefiningOp<QuantizeOp>();
    if (!quantize || !quantize.getScales())
      return rewriter.notifyMatchFailure(op, "not a quantize with explicit scales");
    FormatType format = formatOf(quantize);
    fmt::TensorFormat tf = format.getTensorFormat();
    if (quantize.getTensorScale())
      return rewriter.notifyMatchFailure(op, "explicit two-level scales are not lowered");
    if (failed(checkCodecs(tf)))
      return rewriter.notifyMatchFailure(op, "no generated codec for this format");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto inType = cast<RankedTensorType>(quantize.getInput().getType());
    ArrayRef<int64_t> shape = inType.getShape();
    auto scaleType = cast<RankedTensorType>(quantize.getScales().getType());
    AffineMap id = AffineMap::getMultiDimIdentityMap(shape.size(), ctx);
    AffineMap sm = scaleMap(shape, scaleType.getShape(), ctx);
    SmallVector<Value> ins = {quantize.getInput(), quantize.getScales()};
    SmallVector<AffineMap> maps = {id, sm};
    if (quantize.getZeroPoints()) {
      ins.push_back(signlessTensor(rewriter, loc, quantize.getZeroPoints()));
      maps.push_back(sm);
    }
    maps.push_back(id);
    auto resultType = cast<RankedTensorType>(op.getType());
    Value init = tensor::EmptyOp::create(rewriter, loc, shape, resultType.getElementType());
    fmt::Rounding rounding = fmt::Rounding(static_cast<int>(quantize.getRounding()));
    fmt::Overflow overflow =
        quantize.getSaturate() ? fmt::Overflow::Saturate : fmt::Overflow::Special;
    const fmt::ElementFormat &element = tf.getElement();
    Type zpType = format.getZeroPoint();
    SmallVector<utils::IteratorType> iters(shape.size(), utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ins, ValueRange{init}, maps, iters,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value s = emitDecodeScale(b, l, a[1], tf.getScale());
          Value v = arith::DivFOp::create(b, l, emitExtendToF32(b, l, a[0]), s);
          // ONNX divides in the input's (= the scale's) precision: an f32
          // quotient rounded once to f16/bf16 is exactly the f16/bf16
          // division (24 >= 2p+2). An f32 input divides in f32.
          Type st = a[0].getType();
          if (st.isF16() || st.isBF16())
            v = arith::ExtFOp::create(b, l, b.getF32Type(),
                                      arith::TruncFOp::create(b, l, st, v).getResult());
          Value code;
          if (element.isInt()) {
            Value r = roundAs(b, l, v, rounding);
            if (zpType)
              r = arith::AddFOp::create(b, l, r, zeroPointAsFloat(b, l, a[2], zpType));
            const fmt::IntFormat &i = element.getInt();
            code = emitEncode(b, l, r, element, fmt::Rounding::TowardZero, overflow,
                              std::make_pair(i.getMin(), i.getMax()));
          } else {
            code = emitEncode(b, l, v, element, rounding, overflow);
          }
          Type ct = resultType.getElementType();
          if (code.getType() != ct)
            code = arith::TruncIOp::create(b, l, ct, code);
          linalg::YieldOp::create(b, l, code);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// dequantize(assemble(codes, scales, zero_points, tensor_scale)).
struct LowerDequantizeOfAssemble : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op, PatternRewriter &rewriter) const override {
    auto assemble = op.getInput().getDefiningOp<AssembleOp>();
    if (!assemble)
      return rewriter.notifyMatchFailure(op, "input is not assembled from parts");
    FormatType format = formatOf(assemble);
    fmt::TensorFormat tf = format.getTensorFormat();
    fmt::ScaleRule rule = tf.getScaleRule();
    if (failed(checkCodecs(tf)))
      return rewriter.notifyMatchFailure(op, "no generated codec for this format");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto codesType = cast<RankedTensorType>(assemble.getCodes().getType());
    ArrayRef<int64_t> shape = codesType.getShape();
    auto scaleType = cast<RankedTensorType>(assemble.getScales().getType());
    AffineMap id = AffineMap::getMultiDimIdentityMap(shape.size(), ctx);
    AffineMap sm = scaleMap(shape, scaleType.getShape(), ctx);
    SmallVector<Value> ins = {assemble.getCodes(), assemble.getScales()};
    SmallVector<AffineMap> maps = {id, sm};
    if (assemble.getZeroPoints()) {
      ins.push_back(signlessTensor(rewriter, loc, assemble.getZeroPoints()));
      maps.push_back(sm);
    }
    if (assemble.getTensorScale()) {
      ins.push_back(assemble.getTensorScale());
      maps.push_back(AffineMap::get(shape.size(), 0, {}, ctx));
    }
    maps.push_back(id);
    auto resultType = cast<RankedTensorType>(op.getType());
    Value init = tensor::EmptyOp::create(rewriter, loc, shape, resultType.getElementType());
    const fmt::ElementFormat &element = tf.getElement();
    Type zpType = format.getZeroPoint();
    bool hasZp = bool(assemble.getZeroPoints()), hasTs = bool(assemble.getTensorScale());
    double unit = rule == fmt::ScaleRule::MX ? fmt::mxElementUnit(element) : 1.0;
    SmallVector<utils::IteratorType> iters(shape.size(), utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ins, ValueRange{init}, maps, iters,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value q = emitDecode(b, l, a[0], element);
          Value s = emitDecodeScale(b, l, a[1], tf.getScale());
          size_t next = 2;
          if (hasZp)
            q = arith::SubFOp::create(b, l, q, zeroPointAsFloat(b, l, a[next++], zpType));
          if (unit != 1.0)
            q = arith::MulFOp::create(b, l, q,
                                      arith::ConstantOp::create(b, l, b.getF32FloatAttr(unit)));
          Value v = arith::MulFOp::create(b, l, q, s);
          if (hasTs)
            v = arith::MulFOp::create(b, l, v, emitExtendToF32(b, l, a[next++]));
          Type rt = resultType.getElementType();
          if (rt != v.getType())
            v = arith::TruncFOp::create(b, l, rt, v);
          linalg::YieldOp::create(b, l, v);
        });
    // qopt-fuse decodes weights per tile inside the matmul that reads them.
    generic->setAttr("qopt.decode", rewriter.getUnitAttr());
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// dequantize(quantize(x) with explicit scales) -> dequantize(assemble(codes, ...)).
struct SplitDequantizeOfQuantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op, PatternRewriter &rewriter) const override {
    auto quantize = op.getInput().getDefiningOp<QuantizeOp>();
    if (!quantize || !quantize.getScales())
      return rewriter.notifyMatchFailure(op, "not a quantize with explicit scales");
    auto qType = cast<RankedTensorType>(quantize.getType());
    Value codes = CodesOp::create(rewriter, op.getLoc(), getCodesType(qType), quantize);
    Value parts = AssembleOp::create(rewriter, op.getLoc(), qType, codes, quantize.getScales(),
                                     quantize.getZeroPoints(), quantize.getTensorScale());
    rewriter.modifyOpInPlace(op, [&] { op.getInputMutable().assign(parts); });
    return success();
  }
};

/// Parts of an assembled tensor are its operands.
template <typename PartOp>
struct ForwardAssembledPart : OpRewritePattern<PartOp> {
  using OpRewritePattern<PartOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(PartOp op, PatternRewriter &rewriter) const override {
    auto assemble = op.getInput().template getDefiningOp<AssembleOp>();
    if (!assemble)
      return failure();
    Value part;
    if constexpr (std::is_same_v<PartOp, CodesOp>)
      part = assemble.getCodes();
    else if constexpr (std::is_same_v<PartOp, ScalesOp>)
      part = assemble.getScales();
    else if constexpr (std::is_same_v<PartOp, ZeroPointsOp>)
      part = assemble.getZeroPoints();
    else
      part = assemble.getTensorScale();
    if (!part)
      return failure();
    rewriter.replaceOp(op, part);
    return success();
  }
};

/// Explicit scales/zero points of a quantize are its operands.
struct ForwardExplicitScales : OpRewritePattern<ScalesOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScalesOp op, PatternRewriter &rewriter) const override {
    auto quantize = op.getInput().getDefiningOp<QuantizeOp>();
    if (!quantize || !quantize.getScales())
      return failure();
    rewriter.replaceOp(op, quantize.getScales());
    return success();
  }
};
struct ForwardExplicitZeroPoints : OpRewritePattern<ZeroPointsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ZeroPointsOp op, PatternRewriter &rewriter) const override {
    auto quantize = op.getInput().getDefiningOp<QuantizeOp>();
    if (!quantize || !quantize.getZeroPoints())
      return failure();
    rewriter.replaceOp(op, quantize.getZeroPoints());
    return success();
  }
};

/// qopt.matmul -> dequantize the quantized operands, then one linalg.generic
/// with loops (batch..., m, k, n) (innermost N walks rows of B and C).
struct LowerMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rewriter) const override {
    if (!op.getAccumulateType().isF32())
      return rewriter.notifyMatchFailure(op, "integer accumulation is not lowered");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto toFloat = [&](Value v) -> Value {
      auto t = cast<RankedTensorType>(v.getType());
      if (!isa<FormatType>(t.getElementType()))
        return v;
      // From parts: a constant weight stays packed codes and scales (decoded
      // in the generated code), never a float constant.
      return buildDequantizeFromParts(rewriter, loc, v);
    };
    Value lhs = toFloat(op.getLhs()), rhs = toFloat(op.getRhs());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type acc = rewriter.getF32Type();
    int64_t rank = resultType.getRank(), nb = rank - 2, nd = rank + 1;
    SmallVector<AffineExpr> le, re, oe;
    for (int64_t d = 0; d < nb; ++d) {
      le.push_back(getAffineDimExpr(d, ctx));
      re.push_back(getAffineDimExpr(d, ctx));
      oe.push_back(getAffineDimExpr(d, ctx));
    }
    AffineExpr m = getAffineDimExpr(nb, ctx), k = getAffineDimExpr(nb + 1, ctx),
               n = getAffineDimExpr(nb + 2, ctx);
    le.append({m, k});
    re.append({k, n});
    oe.append({m, n});
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
    Value init = linalg::FillOp::create(
                     rewriter, loc, zero,
                     tensor::EmptyOp::create(rewriter, loc, resultType.getShape(), acc).getResult())
                     .getResult(0);
    SmallVector<utils::IteratorType> iters(nd, utils::IteratorType::parallel);
    iters[nb + 1] = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{init.getType()}, ValueRange{lhs, rhs}, ValueRange{init},
        SmallVector<AffineMap>{AffineMap::get(nd, 0, le, ctx), AffineMap::get(nd, 0, re, ctx),
                               AffineMap::get(nd, 0, oe, ctx)},
        iters, [&](OpBuilder &b, Location l, ValueRange a) {
          Value p = arith::MulFOp::create(b, l, emitExtendToF32(b, l, a[0]), emitExtendToF32(b, l, a[1]));
          linalg::YieldOp::create(b, l, arith::AddFOp::create(b, l, a[2], p).getResult());
        });
    generic->setAttr("qopt.matmul", rewriter.getUnitAttr()); // qopt-fuse tiles it
    Value r = generic.getResult(0);
    if (resultType.getElementType() != acc)
      r = linalg::GenericOp::create(
              rewriter, loc, TypeRange{resultType}, ValueRange{r},
              ValueRange{tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                                 resultType.getElementType())
                             .getResult()},
              SmallVector<AffineMap>(2, AffineMap::getMultiDimIdentityMap(rank, ctx)),
              SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
              [&](OpBuilder &b, Location l, ValueRange a) {
                linalg::YieldOp::create(
                    b, l,
                    arith::TruncFOp::create(b, l, resultType.getElementType(), a[0]).getResult());
              })
              .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// qopt.hadamard -> a fast Walsh-Hadamard transform: log2(b) butterfly
/// stages, each one linalg.generic over the axis viewed as [K/2h, 2, h]
/// (out[g, 0, t] = x[g, 0, t] + x[g, 1, t], out[g, 1, t] = x[g, 0, t] -
/// x[g, 1, t], as a 2-term reduction), then one multiply by signs / sqrt(b) (lib/Format
/// hadamardSigns). O(K log b) work per row, never a dense K x K product.
struct LowerHadamard : OpRewritePattern<HadamardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(HadamardOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank(), axisAttr = int64_t(op.getAxis());
    int64_t axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    int64_t k = type.getDimSize(axis), block = int64_t(op.getBlock());
    Type f32 = rewriter.getF32Type();
    SmallVector<int64_t> shape(type.getShape());
    auto mapGeneric = [&](Value in, ArrayRef<int64_t> viewShape, ArrayRef<AffineMap> inMaps,
                          ArrayRef<Value> extra, Type elem,
                          function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
      int64_t r = int64_t(viewShape.size());
      Value init = tensor::EmptyOp::create(rewriter, loc, viewShape, elem);
      SmallVector<Value> ins(inMaps.size() - extra.size(), in);
      ins.append(extra.begin(), extra.end());
      SmallVector<AffineMap> maps(inMaps);
      maps.push_back(AffineMap::getMultiDimIdentityMap(r, ctx));
      return linalg::GenericOp::create(
                 rewriter, loc, TypeRange{RankedTensorType::get(viewShape, elem)}, ins,
                 ValueRange{init}, maps,
                 SmallVector<utils::IteratorType>(r, utils::IteratorType::parallel),
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   linalg::YieldOp::create(b, l, body(b, l, a));
                 })
          .getResult(0);
    };
    // The axis split into `parts` (replacing dim `axis`).
    auto splitAxis = [&](ArrayRef<int64_t> parts) {
      SmallVector<int64_t> view(shape.begin(), shape.begin() + axis);
      view.append(parts.begin(), parts.end());
      view.append(shape.begin() + axis + 1, shape.end());
      SmallVector<ReassociationIndices> assoc;
      for (int64_t i = 0; i < axis; ++i)
        assoc.push_back({i});
      ReassociationIndices group;
      for (size_t i = 0; i < parts.size(); ++i)
        group.push_back(axis + int64_t(i));
      assoc.push_back(group);
      for (int64_t i = axis + 1; i < rank; ++i)
        assoc.push_back({i + int64_t(parts.size()) - 1});
      return std::make_pair(view, assoc);
    };
    Value x = op.getInput();
    if (!type.getElementType().isF32()) {
      int64_t r = rank;
      x = mapGeneric(x, shape, {AffineMap::getMultiDimIdentityMap(r, ctx)}, {}, f32,
                     [&](OpBuilder &b, Location l, ValueRange a) {
                       return emitExtendToF32(b, l, a[0]);
                     });
    }
    for (int64_t h = 1; h < block; h *= 2) {
      auto [view, assoc] = splitAxis({k / (2 * h), 2, h});
      int64_t r = int64_t(view.size());
      Value v = tensor::ExpandShapeOp::create(rewriter, loc, RankedTensorType::get(view, f32), x,
                                              assoc);
      // out[g, j, t] = sum_i s[j, i] x[g, i, t] with s = [[1, 1], [1, -1]]:
      // a reduction over i whose maps are projected permutations, so that a
      // column tile of x gives the tile of out (qopt-fuse fuses the stages
      // into the producer's column loop). From -0 (the additive identity),
      // x0 then x0 +/- x1: each output rounds once, as x0 + x1 / x0 - x1.
      int64_t j = axis + 1, i = axis + 2;
      SmallVector<AffineExpr> inE, outE;
      for (int64_t d = 0; d < r; ++d) {
        int64_t g = d <= j ? d : d + 1;
        inE.push_back(getAffineDimExpr(d == j ? i : g, ctx));
        outE.push_back(getAffineDimExpr(g, ctx));
      }
      SmallVector<utils::IteratorType> iters(r + 1, utils::IteratorType::parallel);
      iters[i] = utils::IteratorType::reduction;
      Value init = linalg::FillOp::create(
                       rewriter, loc,
                       arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(-0.0f))
                           .getResult(),
                       tensor::EmptyOp::create(rewriter, loc, view, f32).getResult())
                       .getResult(0);
      Value out =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{init.getType()}, ValueRange{v}, ValueRange{init},
              SmallVector<AffineMap>{AffineMap::get(r + 1, 0, inE, ctx),
                                     AffineMap::get(r + 1, 0, outE, ctx)},
              iters,
              [&](OpBuilder &b, Location l, ValueRange a) {
                Value one = arith::ConstantIndexOp::create(b, l, 1);
                auto isOne = [&](int64_t dim) {
                  return arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                               linalg::IndexOp::create(b, l, dim), one);
                };
                Value negate = arith::AndIOp::create(b, l, isOne(j), isOne(i));
                Value term = arith::SelectOp::create(
                    b, l, negate, arith::NegFOp::create(b, l, a[0]), a[0]);
                linalg::YieldOp::create(b, l, arith::AddFOp::create(b, l, a[1], term).getResult());
              })
              .getResult(0);
      x = tensor::CollapseShapeOp::create(rewriter, loc, RankedTensorType::get(shape, f32), out,
                                          assoc);
    }
    // Normalisation and signs: x[..., g, i] * signs[i] / sqrt(b).
    std::optional<uint64_t> seed;
    if (auto s = op.getSeed())
      seed = uint64_t(*s);
    std::vector<float> factors = fmt::hadamardSigns(seed, block);
    float norm = float(1.0 / std::sqrt(double(block)));
    for (float &f : factors)
      f *= norm;
    Value fc = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(RankedTensorType::get({block}, f32), ArrayRef<float>(factors)));
    auto [view, assoc] = splitAxis({k / block, block});
    int64_t r = int64_t(view.size());
    Value v = tensor::ExpandShapeOp::create(rewriter, loc, RankedTensorType::get(view, f32), x,
                                            assoc);
    Type elem = type.getElementType();
    Value out = mapGeneric(v, view,
                           {AffineMap::getMultiDimIdentityMap(r, ctx),
                            AffineMap::get(r, 0, {getAffineDimExpr(axis + 1, ctx)}, ctx)},
                           ArrayRef<Value>(fc), elem, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             Value m = arith::MulFOp::create(b, l, a[0], a[1]);
                             return elem.isF32() ? m
                                                 : Value(arith::TruncFOp::create(b, l, elem, m));
                           });
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, type, out, assoc);
    return success();
  }
};

/// Signedness-only tensor.bitcasts (ui8 <-> i8) have no bufferization:
/// bitcast(bitcast(x)) and bitcast(reshape(bitcast(x))) cancel out.
struct FoldSignednessBitcasts : OpRewritePattern<tensor::BitcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::BitcastOp op, PatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Value src = op.getSource();
    if (auto inner = src.getDefiningOp<tensor::BitcastOp>()) {
      Value x = inner.getSource();
      if (x.getType() == resultType)
        rewriter.replaceOp(op, x);
      else
        rewriter.replaceOpWithNewOp<tensor::BitcastOp>(op, resultType, x);
      return success();
    }
    Operation *reshape = src.getDefiningOp();
    if (!reshape || !isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(reshape))
      return failure();
    auto inner = reshape->getOperand(0).getDefiningOp<tensor::BitcastOp>();
    if (!inner || getElementTypeOrSelf(inner.getSource().getType()) != resultType.getElementType())
      return failure();
    Value x = inner.getSource();
    Value r;
    if (auto c = dyn_cast<tensor::CollapseShapeOp>(reshape))
      r = tensor::CollapseShapeOp::create(rewriter, op.getLoc(), resultType, x,
                                          c.getReassociationIndices());
    else
      r = tensor::ExpandShapeOp::create(rewriter, op.getLoc(), resultType, x,
                                        cast<tensor::ExpandShapeOp>(reshape).getReassociationIndices());
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct ConvertQOptToLinalgPass
    : public mlir::qopt::impl::ConvertQOptToLinalgPassBase<ConvertQOptToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<LowerExplicitQuantizeCodes, LowerDequantizeOfAssemble, SplitDequantizeOfQuantize,
                 ForwardAssembledPart<CodesOp>, ForwardAssembledPart<ScalesOp>,
                 ForwardAssembledPart<ZeroPointsOp>, ForwardAssembledPart<TensorScaleOp>,
                 ForwardExplicitScales, ForwardExplicitZeroPoints,
                 FoldSignednessBitcasts, LowerMatmul, LowerHadamard>(ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Dead quantized values are gone; whatever qopt op is left is unsupported.
    bool failedAny = false;
    getOperation()->walk([&](Operation *op) {
      if (op->getDialect() && isa<QOptDialect>(op->getDialect())) {
        failedAny = true;
        // Report the root cause once: users of an unlowered qopt value stay quiet.
        for (Value operand : op->getOperands())
          if (Operation *def = operand.getDefiningOp())
            if (def->getDialect() && isa<QOptDialect>(def->getDialect()))
              return;
        std::string reason;
        auto quantized = llvm::find_if(op->getOperandTypes(), [](Type t) {
          return isa<FormatType>(getElementTypeOrSelf(t));
        });
        Type qt = quantized != op->getOperandTypes().end() ? *quantized : op->getResultTypes()[0];
        if (auto f = dyn_cast<FormatType>(getElementTypeOrSelf(qt));
            f && failed(checkCodecs(f.getTensorFormat(), &reason)))
          op->emitOpError() << "cannot be lowered: " << reason;
        else if (auto q = dyn_cast<QuantizeOp>(op); q && !q.getScales())
          op->emitOpError() << "with computed scales for format " << q.getType()
                            << " is not lowered: run qopt-materialize-scales first";
        else if (auto q = dyn_cast<QuantizeOp>(op); q && q.getTensorScale())
          op->emitOpError() << "with explicit two-level scales is not lowered on x86 yet";
        else
          op->emitOpError() << "cannot be lowered to linalg: its quantized operand must come "
                               "from qopt.assemble or an explicit-scale qopt.quantize";
      }
    });
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
