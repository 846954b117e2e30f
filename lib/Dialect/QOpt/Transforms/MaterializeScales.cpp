//===- MaterializeScales.cpp - qopt-materialize-scales ---------------------===//
//
// Part of qopt. Rewrites every qopt.quantize whose scales the format computes
// (a runtime tensor, e.g. a dynamically quantized activation) into explicit
// IR: per-block statistics (linalg reductions over an expanded block view),
// one scale rule per lib/Format rule (MX FLOOR/CEIL/EVEN/RCEIL E8M0,
// NVFP4/NVINT4 two-level, absmax, affine with zero point), and the element
// encoding, all in f32 arith with the generated codecs. Constants are left to
// the quantize folder, which calls lib/Format directly.
//
// Each emitter below mirrors the lib/Format function named in its comment;
// the constants it needs (emax, element maxima, minimum positive scales) are
// asked from lib/Format when the IR is built.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "qopt/Conversion/Codecs/ScalarCodecs.h"
#include "qopt/Conversion/Codecs/ScaleCodecs.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Format/Quantizer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace mlir::qopt {
#define GEN_PASS_DEF_MATERIALIZESCALESPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;
namespace fmt = ::qopt::format;

namespace {

using BodyFn = function_ref<void(OpBuilder &, Location, ValueRange)>;

Value f32c(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v)));
}
Value i32c(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(int32_t(v)));
}
Value cmpf(OpBuilder &b, Location loc, arith::CmpFPredicate p, Value x, Value y) {
  return arith::CmpFOp::create(b, loc, p, x, y);
}
Value select(OpBuilder &b, Location loc, Value c, Value t, Value f) {
  return arith::SelectOp::create(b, loc, c, t, f);
}

/// The tensor seen as blocks: [S0, S1, ...] expanded to [G0, E0, G1, E1, ...]
/// (grid entries x elements per block); block statistics reduce the odd dims.
struct BlockView {
  SmallVector<int64_t> grid, expanded;
  SmallVector<ReassociationIndices> reassociation;
  AffineMap identity, toGrid, toScalar;

  BlockView(ArrayRef<int64_t> shape, ArrayRef<int64_t> scaleGrid, MLIRContext *ctx)
      : grid(scaleGrid) {
    SmallVector<AffineExpr> g;
    for (size_t d = 0; d < shape.size(); ++d) {
      expanded.append({grid[d], shape[d] / grid[d]});
      reassociation.push_back({int64_t(2 * d), int64_t(2 * d + 1)});
      g.push_back(getAffineDimExpr(2 * d, ctx));
    }
    identity = AffineMap::getMultiDimIdentityMap(expanded.size(), ctx);
    toGrid = AffineMap::get(expanded.size(), 0, g, ctx);
    toScalar = AffineMap::get(expanded.size(), 0, {}, ctx);
  }
  SmallVector<utils::IteratorType> reductionIterators() const {
    SmallVector<utils::IteratorType> it;
    for (size_t d = 0; d < grid.size(); ++d)
      it.append({utils::IteratorType::parallel, utils::IteratorType::reduction});
    return it;
  }
  SmallVector<utils::IteratorType> parallelIterators() const {
    return SmallVector<utils::IteratorType>(expanded.size(), utils::IteratorType::parallel);
  }
};

Value filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, double init) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
  return linalg::FillOp::create(b, loc, f32c(b, loc, init), empty).getResult(0);
}

/// Elementwise map over same-shaped grid tensors into `resultTypes`.
SmallVector<Value> mapGrid(OpBuilder &b, Location loc, ValueRange ins, TypeRange resultTypes,
                           ArrayRef<int64_t> shape, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> inits;
  for (Type t : resultTypes)
    inits.push_back(tensor::EmptyOp::create(b, loc, shape, t));
  SmallVector<AffineMap> maps;
  for (Value in : ins) {
    auto t = cast<RankedTensorType>(in.getType());
    maps.push_back(t.getRank() == 0 ? AffineMap::get(shape.size(), 0, {}, ctx)
                                    : AffineMap::getMultiDimIdentityMap(shape.size(), ctx));
  }
  maps.append(inits.size(), AffineMap::getMultiDimIdentityMap(shape.size(), ctx));
  SmallVector<Type> types;
  for (Value v : inits)
    types.push_back(v.getType());
  auto g = linalg::GenericOp::create(
      b, loc, types, ins, inits, maps,
      SmallVector<utils::IteratorType>(shape.size(), utils::IteratorType::parallel), body);
  return SmallVector<Value>(g.getResults());
}

/// ilogb and the 23-bit fraction field of a finite positive f32 `a`
/// (subnormals are normalised by 2^64 first).
std::pair<Value, Value> emitIlogb(OpBuilder &b, Location loc, Value a) {
  Value tiny = cmpf(b, loc, arith::CmpFPredicate::OLT, a, f32c(b, loc, std::ldexp(1.0, -126)));
  Value n = select(b, loc, tiny, arith::MulFOp::create(b, loc, a, f32c(b, loc, std::ldexp(1.0, 64))), a);
  Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), n);
  Value expField = arith::ShRUIOp::create(b, loc, bits, i32c(b, loc, 23));
  Value bias = select(b, loc, tiny, i32c(b, loc, 127 + 64), i32c(b, loc, 127));
  Value e = arith::SubIOp::create(b, loc, expField, bias);
  Value frac = arith::AndIOp::create(b, loc, bits, i32c(b, loc, 0x7FFFFF));
  return {e, frac};
}

/// ceil(log2(a)) for a finite positive f32.
Value emitCeilLog2(OpBuilder &b, Location loc, Value a) {
  auto [e, frac] = emitIlogb(b, loc, a);
  Value inexact = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, frac, i32c(b, loc, 0));
  return arith::AddIOp::create(b, loc, e, arith::ExtUIOp::create(b, loc, b.getI32Type(), inexact));
}

/// lib/Format mxScaleCode: the E8M0 code (i32) of a block with amax `amax`.
Value emitMXScaleCode(OpBuilder &b, Location loc, Value amax, const fmt::ElementFormat &element,
                      fmt::ScaleMode mode) {
  using P = arith::CmpFPredicate;
  Value a = math::AbsFOp::create(b, loc, amax);
  Value bad = cmpf(b, loc, P::UGE, a, f32c(b, loc, INFINITY)); // NaN or Inf
  Value zero = cmpf(b, loc, P::OEQ, a, f32c(b, loc, 0.0));
  Value safe = select(b, loc, arith::OrIOp::create(b, loc, bad, zero), f32c(b, loc, 1.0), a);
  int emax = fmt::mxEmax(element);
  Value e, descaleZero, descaleHuge;
  switch (mode) {
  case fmt::ScaleMode::Floor:
    e = emitIlogb(b, loc, safe).first;
    break;
  case fmt::ScaleMode::Ceil:
    e = emitCeilLog2(b, loc, safe);
    break;
  case fmt::ScaleMode::Even: {
    // amax rounded half away to `man` mantissa bits reaches the next power
    // of two exactly when its top man+1 fraction bits are all ones.
    int man = fmt::mxRoundingBits(element);
    auto [il, frac] = emitIlogb(b, loc, safe);
    Value carry = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, frac,
                                        i32c(b, loc, (1 << 23) - (1 << (22 - man))));
    e = arith::AddIOp::create(b, loc, il, arith::ExtUIOp::create(b, loc, b.getI32Type(), carry));
    break;
  }
  case fmt::ScaleMode::RCeil: {
    Value d = arith::DivFOp::create(b, loc, safe, f32c(b, loc, fmt::mxMaxElement(element)));
    descaleZero = cmpf(b, loc, P::OEQ, d, f32c(b, loc, 0.0));
    descaleHuge = cmpf(b, loc, P::UGE, d, f32c(b, loc, INFINITY));
    Value dSafe = select(b, loc, arith::OrIOp::create(b, loc, descaleZero, descaleHuge),
                         f32c(b, loc, 1.0), d);
    e = emitCeilLog2(b, loc, dSafe);
    emax = 0;
    break;
  }
  }
  if (emax != 0)
    e = arith::SubIOp::create(b, loc, e, i32c(b, loc, emax));
  Value over = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, e, i32c(b, loc, 127));
  Value code = arith::AddIOp::create(
      b, loc, arith::MaxSIOp::create(b, loc, e, i32c(b, loc, -127)), i32c(b, loc, 127));
  Value all = i32c(b, loc, 0xFF), none = i32c(b, loc, 0);
  code = select(b, loc, over, all, code);
  if (descaleZero) {
    code = select(b, loc, descaleHuge, all, code);
    code = select(b, loc, descaleZero, none, code);
  }
  code = select(b, loc, zero, none, code);
  return select(b, loc, bad, all, code);
}

/// lib/Format twoLevelTensorScale: amax_tensor / (max block scale x max
/// element) in f32; an all-zero tensor gets 1.
Value emitTwoLevelTensorScale(OpBuilder &b, Location loc, Value tensorAmax,
                              const fmt::TensorFormat &tf) {
  float denom = float(tf.getScale().getMaxFinite() * tf.getElement().getMaxAbs());
  Value s = arith::DivFOp::create(b, loc, math::AbsFOp::create(b, loc, tensorAmax),
                                  f32c(b, loc, denom));
  return select(b, loc, cmpf(b, loc, arith::CmpFPredicate::OEQ, s, f32c(b, loc, 0.0)),
                f32c(b, loc, 1.0), s);
}

/// lib/Format twoLevelBlockScaleCode: the stored block scale
/// clamp(amax / max element / tensor scale, min positive, max finite).
Value emitTwoLevelBlockScale(OpBuilder &b, Location loc, Value amax, Value tensorScale,
                             const fmt::TensorFormat &tf, Type storage) {
  const fmt::FloatFormat &sf = tf.getScale();
  Value r = arith::DivFOp::create(
      b, loc,
      arith::DivFOp::create(b, loc, math::AbsFOp::create(b, loc, amax),
                            f32c(b, loc, float(tf.getElement().getMaxAbs()))),
      tensorScale);
  Value c = arith::MinimumFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, r, f32c(b, loc, sf.getMinPositive())),
      f32c(b, loc, sf.getMaxFinite()));
  return emitEncodeScale(b, loc, c, sf, storage);
}

/// lib/Format absMaxScaleCode: amax / max element in the scale format; an
/// all-zero block gets the smallest positive scale.
Value emitAbsMaxScale(OpBuilder &b, Location loc, Value amax, const fmt::TensorFormat &tf,
                      Type storage) {
  const fmt::FloatFormat &sf = tf.getScale();
  Value s = arith::DivFOp::create(b, loc, math::AbsFOp::create(b, loc, amax),
                                  f32c(b, loc, float(tf.getElement().getMaxAbs())));
  Value stored = emitEncodeScale(b, loc, s, sf, storage);
  Value isZero = cmpf(b, loc, arith::CmpFPredicate::OEQ, emitDecodeScale(b, loc, stored, sf),
                      f32c(b, loc, 0.0));
  Value minPos = emitEncodeScale(b, loc, f32c(b, loc, sf.getMinPositive()), sf, storage);
  return select(b, loc, isZero, minPos, stored);
}

/// The element code (i32) of x / divisor under the format's symmetric
/// element rule (lib/Format quantize: integers clamp to [-qmax, qmax]; a NaN
/// divisor gives code 0).
Value emitScaledElement(OpBuilder &b, Location loc, Value x, Value divisor,
                        const fmt::TensorFormat &tf, fmt::Rounding rounding,
                        fmt::Overflow overflow) {
  const fmt::ElementFormat &element = tf.getElement();
  Value v = arith::DivFOp::create(b, loc, x, divisor);
  if (tf.getScaleRule() == fmt::ScaleRule::TwoLevel) {
    double m = element.getMaxAbs();
    v = arith::MaximumFOp::create(b, loc, arith::MinimumFOp::create(b, loc, v, f32c(b, loc, m)),
                                  f32c(b, loc, -m));
  }
  Value code;
  if (element.isInt()) {
    const fmt::IntFormat &i = element.getInt();
    code = emitEncode(b, loc, v, element, rounding, overflow,
                      std::make_pair(i.isSigned() ? -i.getMax() : int64_t(0), i.getMax()));
  } else {
    code = emitEncode(b, loc, v, element, rounding, overflow);
  }
  Value nanDivisor = cmpf(b, loc, arith::CmpFPredicate::UNO, divisor, divisor);
  return select(b, loc, nanDivisor, i32c(b, loc, 0), code);
}

/// Why `op` cannot be materialized, or "" when it can.
std::string unsupportedReason(QuantizeOp op) {
  fmt::TensorFormat tf = cast<FormatType>(op.getType().getElementType()).getTensorFormat();
  std::string reason;
  if (failed(checkCodecSupport(tf.getElement(), &reason)))
    return reason;
  if (!isScaleStorageSupported(tf.getScale()))
    return "scale format " + tf.getScale().getName() + " has no generated codec";
  if (tf.getTensorScale() && tf.getTensorScale()->getBitWidth() != 32)
    return "only an f32 tensor scale is materialized";
  return "";
}

struct Materializer {
  IRRewriter &rewriter;
  QuantizeOp op;

  LogicalResult run() {
    OpBuilder &b = rewriter;
    rewriter.setInsertionPoint(op);
    Location loc = op.getLoc();
    auto qType = cast<RankedTensorType>(op.getType());
    fmt::TensorFormat tf = cast<FormatType>(qType.getElementType()).getTensorFormat();
    RankedTensorType scalesType = getScalesType(qType);
    BlockView view(qType.getShape(), scalesType.getShape(), b.getContext());
    Value x = op.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    Value xe = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(view.expanded, xType.getElementType()), x,
        view.reassociation);

    if (tf.getScaleRule() == fmt::ScaleRule::Affine)
      return affine(xe, view, tf, qType);

    // Block amax (NaN propagates, as lib/Format's NaN blocks).
    Value amax = reduceBlocks(xe, view, {0.0}, [](OpBuilder &nb, Location l, ValueRange a) {
      Value v = math::AbsFOp::create(nb, l, emitExtendToF32(nb, l, a[0]));
      linalg::YieldOp::create(nb, l, ValueRange{arith::MaximumFOp::create(nb, l, a[1], v)});
    })[0];

    Type storage = scalesType.getElementType();
    Value tensorScale;
    SmallVector<Value> scaleIns = {amax};
    fmt::Rounding rounding = fmt::Rounding(static_cast<int>(op.getRounding()));
    fmt::ScaleMode mode = fmt::ScaleMode(static_cast<int>(op.getScaleMode()));
    fmt::Overflow overflow = op.getSaturate() ? fmt::Overflow::Saturate : fmt::Overflow::Special;
    if (tf.getScaleRule() == fmt::ScaleRule::TwoLevel) {
      Value tensorAmax = reduceToScalar(amax);
      tensorScale = mapGrid(b, loc, {tensorAmax}, {b.getF32Type()}, {},
                            [&](OpBuilder &nb, Location l, ValueRange a) {
                              linalg::YieldOp::create(
                                  nb, l, emitTwoLevelTensorScale(nb, l, a[0], tf));
                            })[0];
      scaleIns.push_back(tensorScale);
    }
    Value scales = mapGrid(b, loc, scaleIns, {storage}, view.grid,
                           [&](OpBuilder &nb, Location l, ValueRange a) {
                             Value s;
                             switch (tf.getScaleRule()) {
                             case fmt::ScaleRule::MX: {
                               Value code = emitMXScaleCode(nb, l, a[0], tf.getElement(), mode);
                               Value bits = arith::TruncIOp::create(nb, l, nb.getI8Type(), code);
                               s = isa<FloatType>(storage)
                                       ? Value(arith::BitcastOp::create(nb, l, storage, bits))
                                       : bits;
                               break;
                             }
                             case fmt::ScaleRule::TwoLevel:
                               s = emitTwoLevelBlockScale(nb, l, a[0], a[1], tf, storage);
                               break;
                             default:
                               s = emitAbsMaxScale(nb, l, a[0], tf, storage);
                               break;
                             }
                             linalg::YieldOp::create(nb, l, s);
                           })[0];

    // Elements.
    RankedTensorType codesType = getCodesType(qType);
    SmallVector<Value> ins = {xe, scales};
    SmallVector<AffineMap> maps = {view.identity, view.toGrid};
    if (tensorScale) {
      ins.push_back(tensorScale);
      maps.push_back(view.toScalar);
    }
    maps.push_back(view.identity);
    Value init = tensor::EmptyOp::create(b, loc, view.expanded, codesType.getElementType());
    double unit = tf.getScaleRule() == fmt::ScaleRule::MX ? fmt::mxElementUnit(tf.getElement())
                                                          : 1.0;
    auto codes = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps,
        view.parallelIterators(), [&](OpBuilder &nb, Location l, ValueRange a) {
          Value divisor = emitDecodeScale(nb, l, a[1], tf.getScale());
          if (unit != 1.0)
            divisor = arith::MulFOp::create(nb, l, divisor, f32c(nb, l, unit));
          if (tensorScale)
            divisor = arith::MulFOp::create(nb, l, a[2], divisor);
          Value code = emitScaledElement(nb, l, emitExtendToF32(nb, l, a[0]), divisor, tf,
                                         rounding, overflow);
          if (code.getType() != codesType.getElementType())
            code = arith::TruncIOp::create(nb, l, codesType.getElementType(), code);
          linalg::YieldOp::create(nb, l, code);
        });
    Value flat = tensor::CollapseShapeOp::create(b, loc, codesType, codes.getResult(0),
                                                 view.reassociation);
    rewriter.replaceOpWithNewOp<AssembleOp>(op, qType, flat, scales, Value(), tensorScale);
    return success();
  }

  /// Reduction over the odd (within-block) dims of `xe` into grid tensors.
  SmallVector<Value> reduceBlocks(Value xe, const BlockView &view, ArrayRef<double> inits,
                                  BodyFn body) {
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    SmallVector<Value> outs;
    SmallVector<AffineMap> maps = {view.identity};
    for (double init : inits) {
      outs.push_back(filled(b, loc, view.grid, init));
      maps.push_back(view.toGrid);
    }
    SmallVector<Type> types;
    for (Value v : outs)
      types.push_back(v.getType());
    auto g = linalg::GenericOp::create(b, loc, types, ValueRange{xe}, outs, maps,
                                       view.reductionIterators(), body);
    return SmallVector<Value>(g.getResults());
  }

  /// max over a whole grid tensor (NaN propagates), as a 0-d tensor.
  Value reduceToScalar(Value grid) {
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    auto t = cast<RankedTensorType>(grid.getType());
    int64_t rank = t.getRank();
    Value out = filled(b, loc, {}, 0.0);
    auto g = linalg::GenericOp::create(
        b, loc, TypeRange{out.getType()}, ValueRange{grid}, ValueRange{out},
        SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, b.getContext()),
                               AffineMap::get(rank, 0, {}, b.getContext())},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::reduction),
        [](OpBuilder &nb, Location l, ValueRange a) {
          linalg::YieldOp::create(nb, l, ValueRange{arith::MaximumFOp::create(nb, l, a[1], a[0])});
        });
    return g.getResult(0);
  }

  /// lib/Format affineParams per group (min/max skip NaN), then an
  /// explicit-scale quantize (ONNX QuantizeLinear, lowered elsewhere).
  LogicalResult affine(Value xe, const BlockView &view, const fmt::TensorFormat &tf,
                       RankedTensorType qType) {
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    SmallVector<Value> mm =
        reduceBlocks(xe, view, {INFINITY, -INFINITY}, [](OpBuilder &nb, Location l, ValueRange a) {
          Value v = emitExtendToF32(nb, l, a[0]);
          linalg::YieldOp::create(nb, l,
                                  ValueRange{arith::MinNumFOp::create(nb, l, a[1], v),
                                             arith::MaxNumFOp::create(nb, l, a[2], v)});
        });
    const fmt::IntFormat &elem = tf.getElement().getInt();
    const fmt::IntFormat &zpf = *tf.getZeroPoint();
    const fmt::FloatFormat &sf = tf.getScale();
    RankedTensorType scalesType = getScalesType(qType), zpType = getZeroPointsType(qType);
    Type zpStorage = b.getIntegerType(zpType.getElementType().getIntOrFloatBitWidth());
    SmallVector<Value> params = mapGrid(
        b, loc, mm, {scalesType.getElementType(), zpStorage}, view.grid,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value zero = f32c(nb, l, 0.0);
          Value lo = arith::MinimumFOp::create(nb, l, a[0], zero);
          Value hi = arith::MaximumFOp::create(nb, l, a[1], zero);
          Value s = arith::DivFOp::create(nb, l, arith::SubFOp::create(nb, l, hi, lo),
                                          f32c(nb, l, double(elem.getMax() - elem.getMin())));
          Type st = scalesType.getElementType();
          Value stored = emitEncodeScale(nb, l, s, sf, st);
          Value sd = emitDecodeScale(nb, l, stored, sf);
          // A zero or non-finite scale becomes 1.
          Value ok = arith::AndIOp::create(
              nb, l, cmpf(nb, l, arith::CmpFPredicate::ONE, sd, zero),
              cmpf(nb, l, arith::CmpFPredicate::OLT, math::AbsFOp::create(nb, l, sd),
                   f32c(nb, l, INFINITY)));
          Value one = f32c(nb, l, 1.0);
          stored = select(nb, l, ok, stored, emitEncodeScale(nb, l, one, sf, st));
          sd = select(nb, l, ok, sd, one);
          Value zp = arith::SubFOp::create(nb, l, f32c(nb, l, double(elem.getMin())),
                                           arith::DivFOp::create(nb, l, lo, sd));
          Value zpCode = emitEncode(nb, l, zp, fmt::ElementFormat(zpf), fmt::Rounding::NearestEven,
                                    fmt::Overflow::Saturate,
                                    std::make_pair(elem.getMin(), elem.getMax()));
          zpCode = arith::TruncIOp::create(nb, l, zpStorage, zpCode);
          linalg::YieldOp::create(nb, l, ValueRange{stored, zpCode});
        });
    Value zps = params[1];
    if (zpStorage != zpType.getElementType())
      zps = tensor::BitcastOp::create(b, loc, zpType, zps);
    rewriter.replaceOpWithNewOp<QuantizeOp>(op, qType, op.getInput(), params[0], zps, Value(),
                                            op.getRounding(), op.getScaleMode(), op.getSaturate());
    return success();
  }
};

struct MaterializeScalesPass
    : public mlir::qopt::impl::MaterializeScalesPassBase<MaterializeScalesPass> {
  void runOnOperation() override {
    SmallVector<QuantizeOp> pending;
    getOperation()->walk([&](QuantizeOp op) {
      if (!op.getScales() && !op.getTensorScale() && !matchPattern(op.getInput(), m_Constant()))
        pending.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    bool failedAny = false;
    for (QuantizeOp op : pending) {
      std::string why = unsupportedReason(op);
      if (!why.empty()) {
        op.emitOpError() << "cannot materialize the scales of " << op.getType() << ": " << why;
        failedAny = true;
        continue;
      }
      if (failed(Materializer{rewriter, op}.run()))
        failedAny = true;
    }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
