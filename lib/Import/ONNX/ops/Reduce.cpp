//===- Reduce.cpp - ONNX reductions, ArgMax, ArgMin -----------------------===//
//
// Part of qopt. ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd
// ReduceSumSquare ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp (axes as an
// attribute or a constant input, keepdims, noop_with_empty_axes) and ArgMax
// ArgMin (INT64 indices, keepdims, select_last_index).
//
//===----------------------------------------------------------------------===//
#include "../ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qopt::onnx_import;

namespace {
enum class Kind { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LogSum, LogSumExp };
/// The start value of a reduction.
enum class Start { Zero, One, Lowest, Highest };
} // namespace

/// The opset from which `axes` is an input rather than an attribute.
static int64_t axesInputSince(Kind k) { return k == Kind::Sum ? 13 : 18; }

/// Reductions whose result over no axes is the input itself.
static bool isPlain(Kind k) {
  return k == Kind::Sum || k == Kind::Mean || k == Kind::Max || k == Kind::Min ||
         k == Kind::Prod;
}

static Start startOf(Kind k) {
  switch (k) {
  case Kind::Max:
    return Start::Lowest;
  case Kind::Min:
    return Start::Highest;
  case Kind::Prod:
    return Start::One;
  default:
    return Start::Zero;
  }
}

static bool isF(int32_t dt) { return isFloatDType(dt); }

/// Arithmetic type of a reduction: f16/bf16 sums and products accumulate in
/// f32; max/min stay exact in the input type.
static int32_t accumulatorDType(Kind k, int32_t dt) {
  if ((dt == dtype::Float16 || dt == dtype::BFloat16) && k != Kind::Max && k != Kind::Min)
    return dtype::Float;
  return dt;
}

static APInt intStart(Start s, unsigned width, bool isUnsigned) {
  switch (s) {
  case Start::Zero:
    return APInt(width, 0);
  case Start::One:
    return APInt(width, 1);
  case Start::Lowest:
    return isUnsigned ? APInt::getMinValue(width) : APInt::getSignedMinValue(width);
  case Start::Highest:
    return isUnsigned ? APInt::getMaxValue(width) : APInt::getSignedMaxValue(width);
  }
  llvm_unreachable("unknown start");
}

static double floatStart(Start s) {
  switch (s) {
  case Start::Zero:
    return 0.0;
  case Start::One:
    return 1.0;
  case Start::Lowest:
    return -std::numeric_limits<double>::infinity();
  case Start::Highest:
    return std::numeric_limits<double>::infinity();
  }
  llvm_unreachable("unknown start");
}

static TypedAttr startAttr(OpBuilder &b, Type elem, int32_t dt, Start s) {
  if (auto ft = dyn_cast<FloatType>(elem))
    return b.getFloatAttr(ft, floatStart(s));
  return b.getIntegerAttr(elem, intStart(s, elem.getIntOrFloatBitWidth(), isUnsignedDType(dt)));
}

static Value addV(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  if (isF(dt))
    return arith::AddFOp::create(b, l, x, y);
  return arith::AddIOp::create(b, l, x, y);
}
static Value mulV(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  if (isF(dt))
    return arith::MulFOp::create(b, l, x, y);
  return arith::MulIOp::create(b, l, x, y);
}
static Value maxV(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  if (isF(dt))
    return arith::MaximumFOp::create(b, l, x, y); // propagates NaN
  if (isUnsignedDType(dt))
    return arith::MaxUIOp::create(b, l, x, y);
  return arith::MaxSIOp::create(b, l, x, y);
}
static Value minV(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  if (isF(dt))
    return arith::MinimumFOp::create(b, l, x, y); // propagates NaN
  if (isUnsignedDType(dt))
    return arith::MinUIOp::create(b, l, x, y);
  return arith::MinSIOp::create(b, l, x, y);
}
static Value absV(OpBuilder &b, Location l, Value x, int32_t dt) {
  if (isF(dt))
    return math::AbsFOp::create(b, l, x);
  if (isUnsignedDType(dt))
    return x;
  return math::AbsIOp::create(b, l, x);
}

/// acc (+)= f(x) for every kind (LogSumExp sums exp(x - max) separately).
static Value combine(OpBuilder &b, Location l, Kind k, Value acc, Value x, int32_t dt) {
  switch (k) {
  case Kind::Sum:
  case Kind::Mean:
  case Kind::LogSum:
  case Kind::LogSumExp:
    return addV(b, l, acc, x, dt);
  case Kind::SumSquare:
  case Kind::L2:
    return addV(b, l, acc, mulV(b, l, x, x, dt), dt);
  case Kind::L1:
    return addV(b, l, acc, absV(b, l, x, dt), dt);
  case Kind::Prod:
    return mulV(b, l, acc, x, dt);
  case Kind::Max:
    return maxV(b, l, acc, x, dt);
  case Kind::Min:
    return minV(b, l, acc, x, dt);
  }
  llvm_unreachable("unknown reduction");
}

static int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// The node's reduction axes, sorted and non-negative. Sets `noop` when the
/// node is the identity (empty axes with noop_with_empty_axes=1).
static FailureOr<SmallVector<int64_t>> reductionAxes(NodeContext &n, Kind k, int64_t rank,
                                                     bool &noop) {
  noop = false;
  int64_t since = axesInputSince(k);
  bool fromInput = n.getOpset() >= since;
  std::vector<int64_t> raw;
  bool given = false;
  if (fromInput) {
    if (n.hasAttr("axes"))
      return n.emitError() << "'axes' is an input (input 1) since opset " << since
                           << ", not an attribute; this model imports opset " << n.getOpset();
    if (n.hasInput(1)) {
      const ConstTensor *c = n.constant(1);
      if (!c)
        return n.emitError() << "axes (input 1, '" << n.proto().input(1)
                             << "') is not a constant known at import time; qopt needs constant "
                                "reduction axes (an initializer or a folded Constant)";
      if (!c->isInt() || c->shape.size() > 1)
        return n.emitError() << "axes (input 1) must be a 1-D integer tensor, got "
                             << dtypeName(c->dtype) << " of rank " << c->shape.size();
      raw = c->ints;
      given = !raw.empty();
    }
    noop = !given && n.intAttr("noop_with_empty_axes", 0) != 0;
  } else {
    if (n.hasInput(1))
      return n.emitError() << "takes 'axes' as an attribute before opset " << since
                           << " (this model imports opset " << n.getOpset()
                           << ") but has a second input";
    if (auto a = n.intsAttr("axes")) {
      raw = *a;
      given = !raw.empty();
    }
  }
  SmallVector<int64_t> axes;
  if (noop)
    return axes;
  if (!given) {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
    return axes;
  }
  for (int64_t a : raw) {
    if (a < -rank || a >= rank)
      return n.emitError() << "axis " << a << " is out of range for a rank-" << rank << " input";
    int64_t norm = a < 0 ? a + rank : a;
    if (llvm::is_contained(axes, norm))
      return n.emitError() << "axis " << a << " appears more than once in axes (as dim " << norm
                           << ")";
    axes.push_back(norm);
  }
  llvm::sort(axes);
  return axes;
}

/// Whether `dt` is an input type the reduction accepts.
static bool acceptsType(Kind k, int32_t dt) {
  if (isF(dt))
    return true;
  if (k == Kind::LogSum || k == Kind::LogSumExp)
    return false;
  if (dt == dtype::Bool)
    return k == Kind::Max || k == Kind::Min;
  return true;
}

/// The result of reducing an empty set (ONNX reference semantics).
static ConstTensor emptyResult(Kind k, int32_t dt, unsigned width, std::vector<int64_t> shape) {
  ConstTensor t;
  t.dtype = dt;
  t.shape = std::move(shape);
  int64_t n = numElements(t.shape);
  if (isF(dt)) {
    double v;
    switch (k) {
    case Kind::Mean:
      v = std::numeric_limits<double>::quiet_NaN();
      break;
    case Kind::LogSum:
    case Kind::LogSumExp:
      v = -std::numeric_limits<double>::infinity();
      break;
    default:
      v = floatStart(startOf(k));
    }
    t.floats.assign(size_t(n), v);
  } else {
    bool u = isUnsignedDType(dt);
    APInt v = intStart(startOf(k), width, u);
    t.ints.assign(size_t(n), u ? int64_t(v.getZExtValue()) : v.getSExtValue());
  }
  return t;
}

/// Folds an integer reduction of an import-time constant (shape arithmetic).
static std::optional<ConstTensor> foldIntReduce(Kind k, const ConstTensor &in,
                                                ArrayRef<int64_t> axes, bool keepDims,
                                                unsigned width) {
  if (!in.isInt() || in.dtype == dtype::Bool || !isPlain(k))
    return std::nullopt;
  int64_t rank = int64_t(in.shape.size());
  std::vector<int64_t> outShape, keptShape;
  for (int64_t d = 0; d < rank; ++d) {
    bool r = llvm::is_contained(axes, d);
    keptShape.push_back(r ? 1 : in.shape[d]);
    if (!r || keepDims)
      outShape.push_back(r ? 1 : in.shape[d]);
  }
  int64_t outN = numElements(keptShape), inN = numElements(in.shape);
  if (inN == 0)
    return std::nullopt;
  bool u = isUnsignedDType(in.dtype);
  auto wrap = [&](int64_t v) {
    APInt a(width, uint64_t(v), /*isSigned=*/true, /*implicitTrunc=*/true);
    return u ? int64_t(a.getZExtValue()) : a.getSExtValue();
  };
  std::vector<int64_t> acc(static_cast<size_t>(outN), 0);
  std::vector<bool> seen(size_t(outN), false);
  std::vector<int64_t> idx(size_t(rank), 0);
  for (int64_t i = 0; i < inN; ++i) {
    int64_t o = 0;
    for (int64_t d = 0; d < rank; ++d)
      o = o * keptShape[d] + (keptShape[d] == 1 ? 0 : idx[d]);
    int64_t v = in.ints[size_t(i)];
    int64_t &a = acc[size_t(o)];
    if (!seen[size_t(o)]) {
      a = v;
      seen[size_t(o)] = true;
    } else {
      switch (k) {
      case Kind::Sum:
      case Kind::Mean:
        a = wrap(int64_t(uint64_t(a) + uint64_t(v)));
        break;
      case Kind::Prod:
        a = wrap(int64_t(uint64_t(a) * uint64_t(v)));
        break;
      case Kind::Max:
        a = u ? int64_t(std::max(uint64_t(a), uint64_t(v))) : std::max(a, v);
        break;
      case Kind::Min:
        a = u ? int64_t(std::min(uint64_t(a), uint64_t(v))) : std::min(a, v);
        break;
      default:
        return std::nullopt;
      }
    }
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[size_t(d)] < in.shape[size_t(d)])
        break;
      idx[size_t(d)] = 0;
    }
  }
  if (k == Kind::Mean) {
    int64_t count = inN / outN;
    for (int64_t &a : acc)
      a = u ? int64_t(uint64_t(a) / uint64_t(count)) : a / count;
  }
  ConstTensor out;
  out.dtype = in.dtype;
  out.shape = outShape;
  out.ints = std::move(acc);
  return out;
}

static LogicalResult importReduce(NodeContext &n, Kind k) {
  if (n.numInputs() < 1 || !n.hasInput(0))
    return n.emitError() << "expects a data input";
  int32_t dt = n.dtypeOf(0);
  Type elem = elementTypeOf(n.getContext(), dt);
  if (!elem || !acceptsType(k, dt))
    return n.emitError() << "input type " << dtypeName(dt) << " is not supported"
                         << (k == Kind::LogSum || k == Kind::LogSumExp ? " (float types only)"
                                                                       : "");
  const std::vector<int64_t> &shape = n.shapeOf(0);
  int64_t rank = int64_t(shape.size());
  bool keepDims = n.intAttr("keepdims", 1) != 0;
  bool noop = false;
  FailureOr<SmallVector<int64_t>> axesOr = reductionAxes(n, k, rank, noop);
  if (failed(axesOr))
    return failure();
  SmallVector<int64_t> axes = *axesOr;
  int64_t inCount = numElements(shape);

  // noop_with_empty_axes: no reduction. The plain kinds are the identity; the
  // others still apply their element map (x*x, |x|, sqrt(x*x), log x).
  if (noop && (isPlain(k) || k == Kind::LogSumExp || inCount == 0)) {
    if (const ConstTensor *c = n.constant(0))
      return n.setConstOutput(0, *c);
    return n.setOutput(0, n.input(0), dt);
  }

  std::vector<int64_t> outShape;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    bool r = llvm::is_contained(axes, d);
    if (r)
      count *= shape[d];
    if (!r || keepDims)
      outShape.push_back(r ? 1 : shape[d]);
  }
  unsigned width = elem.getIntOrFloatBitWidth();

  if (const ConstTensor *c = n.constant(0))
    if (auto folded = foldIntReduce(k, *c, axes, keepDims, width))
      return n.setConstOutput(0, std::move(*folded));

  // Reducing an empty set gives the start value (or NaN / -inf) everywhere.
  if (inCount == 0)
    return n.setConstOutput(0, emptyResult(k, dt, width, outShape));

  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  int32_t adt = accumulatorDType(k, dt);
  Type aelem = elementTypeOf(n.getContext(), adt);
  Value x = n.input(0);
  if (adt != dt)
    x = buildElementwise(b, loc, {x}, shape, aelem, [&](OpBuilder &nb, Location l, ValueRange a) {
      return convertScalar(nb, l, a[0], dt, adt);
    });

  Value r;
  if (k == Kind::LogSumExp) {
    // log(sum(exp(x - m))) + m with m the max over the axes, taken as 0 when
    // it is infinite (all -inf or an +inf present), like the reference.
    Value m = buildReduction(b, loc, x, axes, /*keepDims=*/true,
                             startAttr(b, aelem, adt, Start::Lowest),
                             [&](OpBuilder &nb, Location l, ValueRange a) {
                               return maxV(nb, l, a[0], a[1], adt);
                             });
    auto safe = [](OpBuilder &nb, Location l, Value v) -> Value {
      Value inf = scalarConstant(nb, l, v.getType(), std::numeric_limits<double>::infinity());
      Value finite = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT,
                                           math::AbsFOp::create(nb, l, v), inf);
      return arith::SelectOp::create(nb, l, finite, v, scalarConstant(nb, l, v.getType(), 0));
    };
    Value e = buildElementwise(b, loc, {x, m}, shape, aelem,
                               [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                 Value d = arith::SubFOp::create(nb, l, a[0], safe(nb, l, a[1]));
                                 return math::ExpOp::create(nb, l, d);
                               });
    Value s = buildReduction(b, loc, e, axes, keepDims, startAttr(b, aelem, adt, Start::Zero),
                             [&](OpBuilder &nb, Location l, ValueRange a) {
                               return addV(nb, l, a[0], a[1], adt);
                             });
    Value mOut = buildReshape(b, loc, m, outShape);
    r = buildElementwise(b, loc, {s, mOut}, outShape, elem,
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           Value lg = math::LogOp::create(nb, l, a[0]);
                           Value v = arith::AddFOp::create(nb, l, lg, safe(nb, l, a[1]));
                           return convertScalar(nb, l, v, adt, dt);
                         });
    return n.setOutput(0, r, dt);
  }

  r = buildReduction(b, loc, x, axes, keepDims, startAttr(b, aelem, adt, startOf(k)),
                     [&](OpBuilder &nb, Location l, ValueRange a) {
                       return combine(nb, l, k, a[0], a[1], adt);
                     });

  // Finishing map: mean's division, L2's root, LogSum's log, the f32 -> f16
  // conversion.
  bool finish = adt != dt || k == Kind::Mean || k == Kind::L2 || k == Kind::LogSum;
  if (!finish)
    return n.setOutput(0, r, dt);
  r = buildElementwise(
      b, loc, {r}, outShape, elem, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = a[0];
        switch (k) {
        case Kind::Mean: {
          Value c = scalarConstant(nb, l, v.getType(), double(count));
          if (isF(adt))
            v = arith::DivFOp::create(nb, l, v, c);
          else if (count == 0)
            break;
          else if (isUnsignedDType(adt))
            v = arith::DivUIOp::create(nb, l, v, c);
          else
            v = arith::DivSIOp::create(nb, l, v, c); // truncates, like numpy's int mean
          break;
        }
        case Kind::L2:
          if (isF(adt)) {
            v = math::SqrtOp::create(nb, l, v);
          } else { // integer L2: the root truncated back to the integer type
            Value f = convertScalar(nb, l, v, adt, dtype::Double);
            v = convertScalar(nb, l, math::SqrtOp::create(nb, l, f), dtype::Double, adt);
          }
          break;
        case Kind::LogSum:
          v = math::LogOp::create(nb, l, v);
          break;
        default:
          break;
        }
        return convertScalar(nb, l, v, adt, dt);
      });
  return n.setOutput(0, r, dt);
}

/// ArgMax / ArgMin: one linalg.generic carrying (best value, its index).
static LogicalResult importArg(NodeContext &n, bool isMax) {
  if (n.numInputs() < 1 || !n.hasInput(0))
    return n.emitError() << "expects a data input";
  int32_t dt = n.dtypeOf(0);
  MLIRContext *ctx = n.getContext();
  Type elem = elementTypeOf(ctx, dt);
  if (!elem || dt == dtype::Bool)
    return n.emitError() << "input type " << dtypeName(dt) << " is not supported";
  const std::vector<int64_t> &shape = n.shapeOf(0);
  int64_t rank = int64_t(shape.size());
  if (rank == 0)
    return n.emitError() << "expects an input of rank >= 1, got a scalar";
  int64_t axisAttr = n.intAttr("axis", 0);
  if (axisAttr < -rank || axisAttr >= rank)
    return n.emitError() << "axis " << axisAttr << " is out of range for a rank-" << rank
                         << " input";
  int64_t axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  bool keepDims = n.intAttr("keepdims", 1) != 0;
  bool last = n.getOpset() >= 12 && n.intAttr("select_last_index", 0) != 0;
  if (shape[axis] == 0)
    return n.emitError() << "axis " << axisAttr << " has size 0: there is no element to select";

  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  SmallVector<int64_t> outShape, keptShape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    bool r = d == axis;
    iters.push_back(r ? utils::IteratorType::reduction : utils::IteratorType::parallel);
    keptShape.push_back(r ? 1 : shape[d]);
    if (!r) {
      outShape.push_back(shape[d]);
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
  }
  Type i64 = b.getI64Type();
  Value startV = arith::ConstantOp::create(
      b, loc, startAttr(b, elem, dt, isMax ? Start::Lowest : Start::Highest));
  Value startI = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
  Value vals = linalg::FillOp::create(b, loc, startV,
                                      Value(tensor::EmptyOp::create(b, loc, outShape, elem)))
                   .getResult(0);
  Value idxs = linalg::FillOp::create(b, loc, startI,
                                      Value(tensor::EmptyOp::create(b, loc, outShape, i64)))
                   .getResult(0);
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx), outMap, outMap};
  bool u = isUnsignedDType(dt);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{vals.getType(), idxs.getType()}, ValueRange{n.input(0)},
      ValueRange{vals, idxs}, maps, iters, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value x = args[0], best = args[1], bestIdx = args[2];
        Value pos = linalg::IndexOp::create(nb, l, uint64_t(axis));
        Value idx = arith::IndexCastOp::create(nb, l, i64, pos);
        Value take;
        if (isF(dt)) {
          // NaN counts as the extreme (numpy): the first NaN, or the last
          // with select_last_index.
          using P = arith::CmpFPredicate;
          P strict = isMax ? P::OGT : P::OLT, loose = isMax ? P::OGE : P::OLE;
          Value xNaN = arith::CmpFOp::create(nb, l, P::UNO, x, x);
          Value better = arith::CmpFOp::create(nb, l, last ? loose : strict, x, best);
          if (last) {
            take = arith::OrIOp::create(nb, l, better, xNaN);
          } else {
            Value bestNum = arith::CmpFOp::create(nb, l, P::ORD, best, best);
            take = arith::OrIOp::create(nb, l, better, arith::AndIOp::create(nb, l, xNaN, bestNum));
          }
        } else {
          using P = arith::CmpIPredicate;
          P pred = isMax ? (last ? (u ? P::uge : P::sge) : (u ? P::ugt : P::sgt))
                         : (last ? (u ? P::ule : P::sle) : (u ? P::ult : P::slt));
          take = arith::CmpIOp::create(nb, l, pred, x, best);
        }
        Value newBest = arith::SelectOp::create(nb, l, take, x, best);
        Value newIdx = arith::SelectOp::create(nb, l, take, idx, bestIdx);
        linalg::YieldOp::create(nb, l, ValueRange{newBest, newIdx});
      });
  Value r = op.getResult(1);
  if (keepDims)
    r = buildReshape(b, loc, r, keptShape);
  return n.setOutput(0, r, dtype::Int64);
}

void mlir::qopt::onnx_import::addReduceOps(OpTable &t) {
  auto reduce = [](Kind k) { return [k](NodeContext &n) { return importReduce(n, k); }; };
  t.add("", "ReduceSum", reduce(Kind::Sum));
  t.add("", "ReduceMean", reduce(Kind::Mean));
  t.add("", "ReduceMax", reduce(Kind::Max));
  t.add("", "ReduceMin", reduce(Kind::Min));
  t.add("", "ReduceProd", reduce(Kind::Prod));
  t.add("", "ReduceSumSquare", reduce(Kind::SumSquare));
  t.add("", "ReduceL1", reduce(Kind::L1));
  t.add("", "ReduceL2", reduce(Kind::L2));
  t.add("", "ReduceLogSum", reduce(Kind::LogSum));
  t.add("", "ReduceLogSumExp", reduce(Kind::LogSumExp));
  t.add("", "ArgMax", [](NodeContext &n) { return importArg(n, /*isMax=*/true); });
  t.add("", "ArgMin", [](NodeContext &n) { return importArg(n, /*isMax=*/false); });
}
