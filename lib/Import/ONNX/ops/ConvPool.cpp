//===- ConvPool.cpp - ONNX convolution and pooling ops ----------------------===//
//
// Part of qopt. Conv MaxPool AveragePool GlobalAveragePool GlobalMaxPool, any
// number of spatial dims (NC + D1..Dk). Windows follow the ONNX formulas
// (opsets 11..22): auto_pad, explicit pads, strides, dilations, ceil_mode with
// the rule that the last window starts inside the input or the left padding.
// Padding is a tensor.pad, windows are linalg ops on static tensors; 2-D
// Conv is one linalg.generic (grouped convolutions on expanded group dims).
// Sums accumulate in f32 (f64 for double). MaxPool's optional Indices output
// follows storage_order.
//
//===----------------------------------------------------------------------===//
#include "../ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qopt::onnx_import;

namespace {
/// The sliding-window geometry of one node over the spatial dims.
struct Window {
  SmallVector<int64_t> input;     ///< spatial input sizes
  SmallVector<int64_t> kernel;    ///< kernel sizes
  SmallVector<int64_t> strides;
  SmallVector<int64_t> dilations;
  /// ONNX begin/end pads (explicit or from auto_pad). Pooling SAME pads may
  /// be negative (stride > window extent): windows then skip input elements.
  SmallVector<int64_t> padLo;
  SmallVector<int64_t> padHi;
  SmallVector<int64_t> out;       ///< spatial output sizes

  size_t rank() const { return input.size(); }
  int64_t extent(size_t i) const { return (kernel[i] - 1) * dilations[i] + 1; }
  /// Window taps sit at p = o*stride + r*dilation in "ONNX padded"
  /// coordinates (input element p - padLo). The padded tensor built for them
  /// has headPad pad elements in front, so p lives at its index p + shift.
  int64_t headPad(size_t i) const { return std::max<int64_t>(0, padLo[i]); }
  int64_t shift(size_t i) const { return headPad(i) - padLo[i]; }
  /// End padding that keeps every window in bounds: ceil_mode windows may
  /// reach past the ONNX end pad, and floor windows may never touch part of it.
  int64_t tailPad(size_t i) const {
    return std::max<int64_t>(0, (out[i] - 1) * strides[i] + extent(i) - input[i] - padLo[i]);
  }
  bool needsPadding() const {
    for (size_t i = 0; i < rank(); ++i)
      if (headPad(i) != 0 || tailPad(i) != 0)
        return true;
    return false;
  }
};
} // namespace

static int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

/// Reads a per-spatial-dim attribute of `rank` positive values (default 1).
static LogicalResult readPositive(NodeContext &n, StringRef name, size_t rank,
                                  SmallVector<int64_t> &values) {
  values.assign(rank, 1);
  auto attr = n.intsAttr(name);
  if (!attr)
    return success();
  if (attr->size() != rank)
    return n.emitError() << "'" << name << "' has " << attr->size() << " values but the input has "
                         << rank << " spatial dims";
  for (size_t i = 0; i < rank; ++i) {
    if ((*attr)[i] < 1)
      return n.emitError() << "'" << name << "'[" << i << "] is " << (*attr)[i]
                           << "; it must be positive";
    values[i] = (*attr)[i];
  }
  return success();
}

/// Computes the output size and pads of every spatial dim. `input` and
/// `kernel` must already be set in `w`. `ceilMode` only for pooling ops.
/// SAME pads: Conv clamps the total at 0 (ONNX reference, ONNX Runtime);
/// pooling keeps a negative total as ONNX Runtime does (`isPool`).
static LogicalResult computeWindow(NodeContext &n, Window &w, bool ceilMode, bool isPool) {
  size_t k = w.rank();
  if (failed(readPositive(n, "strides", k, w.strides)) ||
      failed(readPositive(n, "dilations", k, w.dilations)))
    return failure();
  std::string autoPad = n.stringAttr("auto_pad", "NOTSET");
  if (autoPad.empty())
    autoPad = "NOTSET";
  if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER" &&
      autoPad != "VALID")
    return n.emitError() << "auto_pad '" << autoPad
                         << "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID";
  w.padLo.assign(k, 0);
  w.padHi.assign(k, 0);
  w.out.assign(k, 0);
  if (autoPad == "NOTSET") {
    if (auto pads = n.intsAttr("pads")) {
      if (pads->size() != 2 * k)
        return n.emitError() << "'pads' has " << pads->size() << " values but needs " << 2 * k
                             << " (begin and end for " << k << " spatial dims)";
      for (size_t i = 0; i < 2 * k; ++i)
        if ((*pads)[i] < 0)
          return n.emitError() << "'pads'[" << i << "] is " << (*pads)[i]
                               << "; pads must be non-negative";
      for (size_t i = 0; i < k; ++i) {
        w.padLo[i] = (*pads)[i];
        w.padHi[i] = (*pads)[k + i];
      }
    }
  }
  // With auto_pad, `pads` must not be given; like ONNX Runtime, auto_pad wins.
  for (size_t i = 0; i < k; ++i) {
    int64_t in = w.input[i], s = w.strides[i], ext = w.extent(i);
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      // ceil(in / s) whatever ceil_mode; pads split with the odd one at the
      // end (SAME_UPPER) or the beginning (SAME_LOWER), rounding toward zero
      // when negative (as ONNX Runtime).
      w.out[i] = ceilDiv(in, s);
      int64_t total = (w.out[i] - 1) * s + ext - in;
      if (!isPool)
        total = std::max<int64_t>(0, total);
      w.padLo[i] = autoPad == "SAME_UPPER" ? total / 2 : (total + 1) / 2;
      w.padHi[i] = total - w.padLo[i];
    } else {
      // VALID is NOTSET with zero pads: floor((L - ext) / s) + 1 equals the
      // spec's ceil((in - ext + 1) / s) for either ceil_mode.
      int64_t span = in + w.padLo[i] + w.padHi[i] - ext;
      if (span < 0)
        return n.emitError() << "spatial dim " << i << ": the window extent " << ext
                             << " (kernel " << w.kernel[i] << ", dilation " << w.dilations[i]
                             << ") exceeds the padded input size "
                             << in + w.padLo[i] + w.padHi[i];
      if (ceilMode && autoPad == "NOTSET") {
        w.out[i] = ceilDiv(span, s) + 1;
        // The last window must start inside the input or the left padding.
        if ((w.out[i] - 1) * s >= in + w.padLo[i])
          --w.out[i];
      } else {
        w.out[i] = span / s + 1;
      }
    }
    if (w.out[i] < 1)
      return n.emitError() << "spatial dim " << i << ": output size " << w.out[i]
                           << " is not positive (input " << in << ")";
  }
  return success();
}

/// Pads the spatial dims of an [N, C, D...] tensor with `padValue` so that
/// every window of `w` is in bounds.
static Value padSpatial(OpBuilder &b, Location loc, Value x, const Window &w, Value padValue) {
  if (!w.needsPadding())
    return x;
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> lo(2, b.getIndexAttr(0)), hi(2, b.getIndexAttr(0));
  SmallVector<int64_t> shape(t.getShape().take_front(2));
  for (size_t i = 0; i < w.rank(); ++i) {
    lo.push_back(b.getIndexAttr(w.headPad(i)));
    hi.push_back(b.getIndexAttr(w.tailPad(i)));
    shape.push_back(w.input[i] + w.headPad(i) + w.tailPad(i));
  }
  auto type = RankedTensorType::get(shape, t.getElementType());
  return tensor::PadOp::create(b, loc, type, x, lo, hi, padValue);
}

static Value fillTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value scalar) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, scalar.getType());
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

/// The smallest value of an element type (-inf for floats).
static Value lowestValue(OpBuilder &b, Location loc, Type elem, int32_t dt) {
  if (auto ft = dyn_cast<FloatType>(elem))
    return arith::ConstantOp::create(
        b, loc, b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true)));
  unsigned width = elem.getIntOrFloatBitWidth();
  APInt v = isUnsignedDType(dt) ? APInt::getZero(width) : APInt::getSignedMinValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(elem, v));
}

/// The type sums are accumulated in: f64 for f64, f32 for narrower floats.
static int32_t accumulatorDType(int32_t dt) {
  return dt == dtype::Double ? dtype::Double : dtype::Float;
}

static bool isConvFloat(int32_t dt) {
  return dt == dtype::Float || dt == dtype::Float16 || dt == dtype::Double ||
         dt == dtype::BFloat16;
}

using WindowBody = std::function<SmallVector<Value>(OpBuilder &, Location, Value x,
                                                    ValueRange accs)>;

/// Loops (n, c, o_1..o_k, r_1..r_k) over `padded` ([N, C, P...]) reducing each
/// window element x = padded[n, c, o*stride + r*dilation + shift] into `inits`
/// ([N, C, out...] tensors) with `body(x, accs) -> new accs`.
static SmallVector<Value> buildWindowReduce(OpBuilder &b, Location loc, Value padded,
                                            const Window &w, ValueRange inits,
                                            const WindowBody &body) {
  MLIRContext *ctx = b.getContext();
  auto k = unsigned(w.rank());
  unsigned numLoops = 2 + 2 * k;
  SmallVector<AffineExpr> inExprs = {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> outExprs = inExprs, winExprs;
  for (unsigned i = 0; i < k; ++i) {
    AffineExpr o = getAffineDimExpr(2 + i, ctx), r = getAffineDimExpr(2 + k + i, ctx);
    inExprs.push_back(o * w.strides[i] + r * w.dilations[i] + w.shift(i));
    outExprs.push_back(o);
    winExprs.push_back(r);
  }
  // The window operand only carries the kernel sizes (as in linalg.pooling_*).
  Type elem = cast<RankedTensorType>(padded.getType()).getElementType();
  Value window = tensor::EmptyOp::create(b, loc, w.kernel, elem);
  AffineMap outMap = AffineMap::get(numLoops, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, inExprs, ctx),
                                 AffineMap::get(numLoops, 0, winExprs, ctx)};
  maps.append(inits.size(), outMap);
  SmallVector<utils::IteratorType> iters(2 + k, utils::IteratorType::parallel);
  iters.append(k, utils::IteratorType::reduction);
  auto op = linalg::GenericOp::create(
      b, loc, ValueRange(inits).getTypes(), ValueRange{padded, window}, inits, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, body(nb, nl, args[0], args.drop_front(2)));
      });
  return SmallVector<Value>(op.getResults());
}

/// Average of each window: sum in the accumulator type, divided by the
/// per-position element count (ONNX count_include_pad rules).
static Value buildAveragePool(OpBuilder &b, Location loc, Value x, int32_t dt, const Window &w,
                              bool countIncludePad) {
  auto xt = cast<RankedTensorType>(x.getType());
  int32_t accDT = accumulatorDType(dt);
  Type acc = elementTypeOf(b.getContext(), accDT);
  SmallVector<int64_t> outShape(xt.getShape().take_front(2));
  outShape.append(w.out.begin(), w.out.end());
  Value padded = padSpatial(b, loc, x, w, scalarConstant(b, loc, xt.getElementType(), 0));
  Value init = fillTensor(b, loc, outShape, scalarConstant(b, loc, acc, 0));
  Value sum = buildWindowReduce(b, loc, padded, w, {init},
                                [&](OpBuilder &nb, Location nl, Value v, ValueRange accs) {
                                  Value e = convertScalar(nb, nl, v, dt, accDT);
                                  return SmallVector<Value>{
                                      arith::AddFOp::create(nb, nl, accs[0], e)};
                                })[0];
  // Divisors per spatial dim, in padded coordinates p = o*stride + r*dilation:
  // with count_include_pad the taps before the end of the ONNX end pad (not
  // the ceil_mode overhang) count, without it only taps inside the input.
  // The count is a product of per-dim counts: a scalar for the dims where it
  // is the same everywhere, and an [O_i, 1, ...] constant (broadcast over the
  // trailing dims) for each other dim.
  double uniform = 1;
  SmallVector<Value> operands = {sum};
  for (size_t i = 0; i < w.rank(); ++i) {
    std::vector<double> counts;
    for (int64_t o = 0; o < w.out[i]; ++o) {
      int64_t c = 0;
      for (int64_t r = 0; r < w.kernel[i]; ++r) {
        int64_t p = o * w.strides[i] + r * w.dilations[i];
        bool inside = countIncludePad ? p < w.input[i] + w.padLo[i] + w.padHi[i]
                                      : p >= w.padLo[i] && p < w.padLo[i] + w.input[i];
        c += inside ? 1 : 0;
      }
      counts.push_back(double(c));
    }
    if (llvm::all_equal(counts)) {
      uniform *= counts.front();
      continue;
    }
    ConstTensor divisor;
    divisor.dtype = accDT;
    divisor.shape.assign(w.rank() - i, 1);
    divisor.shape[0] = w.out[i];
    divisor.floats = std::move(counts);
    operands.push_back(materializeConst(b, loc, divisor));
  }
  return buildElementwise(b, loc, operands, outShape, xt.getElementType(),
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            Value d = scalarConstant(nb, nl, acc, uniform);
                            for (Value c : a.drop_front())
                              d = arith::MulFOp::create(nb, nl, d, c);
                            Value q = arith::DivFOp::create(nb, nl, a[0], d);
                            return convertScalar(nb, nl, q, accDT, dt);
                          });
}

/// Max of each window; pads never win (they hold the lowest value).
static Value buildMaxPool(OpBuilder &b, Location loc, Value x, int32_t dt, const Window &w) {
  auto xt = cast<RankedTensorType>(x.getType());
  Type elem = xt.getElementType();
  SmallVector<int64_t> outShape(xt.getShape().take_front(2));
  outShape.append(w.out.begin(), w.out.end());
  Value padded = padSpatial(b, loc, x, w, lowestValue(b, loc, elem, dt));
  Value init = fillTensor(b, loc, outShape, lowestValue(b, loc, elem, dt));
  return buildWindowReduce(b, loc, padded, w, {init},
                           [&](OpBuilder &nb, Location nl, Value v, ValueRange accs) {
                             Value m;
                             if (isa<FloatType>(elem))
                               m = arith::MaximumFOp::create(nb, nl, accs[0], v);
                             else if (isUnsignedDType(dt))
                               m = arith::MaxUIOp::create(nb, nl, accs[0], v);
                             else
                               m = arith::MaxSIOp::create(nb, nl, accs[0], v);
                             return SmallVector<Value>{m};
                           })[0];
}

/// Max of each window and its flat index into X (row-major over the spatial
/// dims, or column-major with storage_order=1); ties pick the smallest index.
static std::pair<Value, Value> buildMaxPoolWithIndices(OpBuilder &b, Location loc, Value x,
                                                       int32_t dt, const Window &w,
                                                       bool columnMajor) {
  auto xt = cast<RankedTensorType>(x.getType());
  Type elem = xt.getElementType();
  Type i64 = b.getI64Type();
  int64_t channels = xt.getDimSize(1);
  SmallVector<int64_t> outShape(xt.getShape().take_front(2));
  outShape.append(w.out.begin(), w.out.end());
  auto k = unsigned(w.rank());
  int64_t spatialSize = 1;
  SmallVector<int64_t> spatialStride(k, 1);
  for (unsigned i = 0; i < k; ++i)
    spatialSize *= w.input[i];
  if (columnMajor) {
    for (unsigned i = 1; i < k; ++i)
      spatialStride[i] = spatialStride[i - 1] * w.input[i - 1];
  } else {
    for (unsigned i = k - 1; i-- > 0;)
      spatialStride[i] = spatialStride[i + 1] * w.input[i + 1];
  }
  Value padded = padSpatial(b, loc, x, w, lowestValue(b, loc, elem, dt));
  Value initV = fillTensor(b, loc, outShape, lowestValue(b, loc, elem, dt));
  Value initI = fillTensor(b, loc, outShape, arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(-1)));
  auto results = buildWindowReduce(
      b, loc, padded, w, {initV, initI},
      [&](OpBuilder &nb, Location nl, Value v, ValueRange accs) {
        auto cst = [&](int64_t c) -> Value {
          return arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(c));
        };
        auto loopIndex = [&](unsigned d) -> Value {
          Value idx = linalg::IndexOp::create(nb, nl, d);
          return arith::IndexCastOp::create(nb, nl, i64, idx);
        };
        using IP = arith::CmpIPredicate;
        Value nIdx = loopIndex(0), cIdx = loopIndex(1);
        Value flat = arith::MulIOp::create(
            nb, nl,
            arith::AddIOp::create(nb, nl, arith::MulIOp::create(nb, nl, nIdx, cst(channels)), cIdx),
            cst(spatialSize));
        Value valid = arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true));
        for (unsigned i = 0; i < k; ++i) {
          Value pos = arith::AddIOp::create(
              nb, nl, arith::MulIOp::create(nb, nl, loopIndex(2 + i), cst(w.strides[i])),
              arith::MulIOp::create(nb, nl, loopIndex(2 + k + i), cst(w.dilations[i])));
          pos = arith::SubIOp::create(nb, nl, pos, cst(w.padLo[i]));
          Value ge = arith::CmpIOp::create(nb, nl, IP::sge, pos, cst(0));
          Value lt = arith::CmpIOp::create(nb, nl, IP::slt, pos, cst(w.input[i]));
          valid = arith::AndIOp::create(nb, nl, valid, arith::AndIOp::create(nb, nl, ge, lt));
          flat = arith::AddIOp::create(nb, nl, flat,
                                       arith::MulIOp::create(nb, nl, pos, cst(spatialStride[i])));
        }
        Value cur = accs[0], curI = accs[1];
        Value greater, equal;
        if (isa<FloatType>(elem)) {
          greater = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, v, cur);
          equal = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, v, cur);
        } else {
          greater = arith::CmpIOp::create(nb, nl, isUnsignedDType(dt) ? IP::ugt : IP::sgt, v, cur);
          equal = arith::CmpIOp::create(nb, nl, IP::eq, v, cur);
        }
        Value none = arith::CmpIOp::create(nb, nl, IP::eq, curI, cst(-1));
        Value earlier = arith::AndIOp::create(
            nb, nl, equal, arith::CmpIOp::create(nb, nl, IP::slt, flat, curI));
        Value better = arith::OrIOp::create(
            nb, nl, none, arith::OrIOp::create(nb, nl, greater, earlier));
        Value take = arith::AndIOp::create(nb, nl, valid, better);
        return SmallVector<Value>{arith::SelectOp::create(nb, nl, take, v, cur),
                                  arith::SelectOp::create(nb, nl, take, flat, curI)};
      });
  return {results[0], results[1]};
}

/// Checks the data input of a pooling op: rank >= 3 (N, C, spatial...).
static LogicalResult checkPoolInput(NodeContext &n, size_t minRank) {
  if (n.numInputs() < 1 || !n.hasInput(0))
    return n.emitError() << "expects an input X";
  if (n.shapeOf(0).size() < minRank)
    return n.emitError() << "input X has rank " << n.shapeOf(0).size() << "; expected at least "
                         << minRank << " (N, C" << (minRank > 2 ? ", spatial dims" : "") << ")";
  return success();
}

/// Builds the window of a MaxPool/AveragePool node from its attributes.
static LogicalResult poolWindow(NodeContext &n, Window &w) {
  const std::vector<int64_t> &shape = n.shapeOf(0);
  size_t k = shape.size() - 2;
  w.input.assign(shape.begin() + 2, shape.end());
  auto kernel = n.intsAttr("kernel_shape");
  if (!kernel)
    return n.emitError() << "the 'kernel_shape' attribute is required";
  if (kernel->size() != k)
    return n.emitError() << "'kernel_shape' has " << kernel->size()
                         << " values but the input has " << k << " spatial dims";
  for (size_t i = 0; i < k; ++i)
    if ((*kernel)[i] < 1)
      return n.emitError() << "'kernel_shape'[" << i << "] is " << (*kernel)[i]
                           << "; it must be positive";
  w.kernel.assign(kernel->begin(), kernel->end());
  int64_t ceilMode = n.intAttr("ceil_mode", 0);
  if (ceilMode != 0 && ceilMode != 1)
    return n.emitError() << "'ceil_mode' is " << ceilMode << "; it must be 0 or 1";
  return computeWindow(n, w, ceilMode == 1, /*isPool=*/true);
}

static LogicalResult importMaxPool(NodeContext &n) {
  if (failed(checkPoolInput(n, 3)))
    return failure();
  int32_t dt = n.dtypeOf(0);
  Type elem = elementTypeOf(n.getContext(), dt);
  if (!elem || dt == dtype::Bool || dt == dtype::String)
    return n.emitError() << "input type " << dtypeName(dt) << " is not supported";
  if (isa<FloatType>(elem) && !isConvFloat(dt))
    return n.emitError() << "input type " << dtypeName(dt)
                         << " is not supported (float16, bfloat16, float, double or integers)";
  int64_t storageOrder = n.intAttr("storage_order", 0);
  if (storageOrder != 0 && storageOrder != 1)
    return n.emitError() << "'storage_order' is " << storageOrder << "; it must be 0 or 1";
  Window w;
  if (failed(poolWindow(n, w)))
    return failure();
  if (n.hasOutput(1)) {
    auto [values, indices] =
        buildMaxPoolWithIndices(n.builder(), n.getLoc(), n.input(0), dt, w, storageOrder == 1);
    if (failed(n.setOutput(0, values, dt)))
      return failure();
    return n.setOutput(1, indices, dtype::Int64);
  }
  return n.setOutput(0, buildMaxPool(n.builder(), n.getLoc(), n.input(0), dt, w), dt);
}

static LogicalResult importAveragePool(NodeContext &n) {
  if (failed(checkPoolInput(n, 3)))
    return failure();
  int32_t dt = n.dtypeOf(0);
  if (!isConvFloat(dt))
    return n.emitError() << "input type " << dtypeName(dt)
                         << " is not supported (float16, bfloat16, float or double)";
  int64_t include = n.intAttr("count_include_pad", 0);
  if (include != 0 && include != 1)
    return n.emitError() << "'count_include_pad' is " << include << "; it must be 0 or 1";
  Window w;
  if (failed(poolWindow(n, w)))
    return failure();
  return n.setOutput(0, buildAveragePool(n.builder(), n.getLoc(), n.input(0), dt, w, include == 1),
                     dt);
}

/// GlobalAveragePool / GlobalMaxPool: one window covering all spatial dims.
static LogicalResult importGlobalPool(NodeContext &n, bool isMax) {
  if (failed(checkPoolInput(n, 2)))
    return failure();
  int32_t dt = n.dtypeOf(0);
  Type elem = elementTypeOf(n.getContext(), dt);
  if (isMax ? (!elem || dt == dtype::Bool || dt == dtype::String ||
               (isa<FloatType>(elem) && !isConvFloat(dt)))
            : !isConvFloat(dt))
    return n.emitError() << "input type " << dtypeName(dt) << " is not supported";
  const std::vector<int64_t> &shape = n.shapeOf(0);
  Window w;
  w.input.assign(shape.begin() + 2, shape.end());
  for (size_t i = 0; i < w.rank(); ++i)
    if (w.input[i] < 1)
      return n.emitError() << "spatial dim " << i << " is empty";
  w.kernel = w.input;
  w.strides.assign(w.rank(), 1);
  w.dilations.assign(w.rank(), 1);
  w.padLo.assign(w.rank(), 0);
  w.padHi.assign(w.rank(), 0);
  w.out.assign(w.rank(), 1);
  Value r = isMax ? buildMaxPool(n.builder(), n.getLoc(), n.input(0), dt, w)
                  : buildAveragePool(n.builder(), n.getLoc(), n.input(0), dt, w, false);
  return n.setOutput(0, r, dt);
}

static LogicalResult importConv(NodeContext &n) {
  if (n.numInputs() < 2 || !n.hasInput(0) || !n.hasInput(1))
    return n.emitError() << "expects inputs X and W";
  if (n.numInputs() > 3)
    return n.emitError() << "expects at most 3 inputs (X, W, B), got " << n.numInputs();
  int32_t dt = n.dtypeOf(0);
  if (!isConvFloat(dt))
    return n.emitError() << "input type " << dtypeName(dt)
                         << " is not supported (float16, bfloat16, float or double)";
  bool hasBias = n.hasInput(2);
  for (size_t i = 1; i < (hasBias ? 3u : 2u); ++i)
    if (n.dtypeOf(i) != dt)
      return n.emitError() << (i == 1 ? "W" : "B") << " is " << dtypeName(n.dtypeOf(i))
                           << " but X is " << dtypeName(dt);
  const std::vector<int64_t> &xs = n.shapeOf(0), &ws = n.shapeOf(1);
  if (xs.size() < 3)
    return n.emitError() << "X has rank " << xs.size()
                         << "; expected at least 3 (N, C, spatial dims)";
  if (ws.size() != xs.size())
    return n.emitError() << "W has rank " << ws.size() << " but X has rank " << xs.size();
  size_t k = xs.size() - 2;
  int64_t batch = xs[0], channels = xs[1], filters = ws[0];
  int64_t group = n.intAttr("group", 1);
  if (group < 1)
    return n.emitError() << "'group' is " << group << "; it must be positive";
  if (channels % group != 0)
    return n.emitError() << "X has " << channels << " channels, not divisible by group "
                         << group;
  if (filters % group != 0)
    return n.emitError() << "W has " << filters << " output channels, not divisible by group "
                         << group;
  int64_t cPerGroup = channels / group, mPerGroup = filters / group;
  if (ws[1] != cPerGroup)
    return n.emitError() << "W dim 1 is " << ws[1] << " but X channels / group is "
                         << cPerGroup;
  if (hasBias && (n.shapeOf(2).size() != 1 || n.shapeOf(2)[0] != filters))
    return n.emitError() << "B must have shape [" << filters << "] (W's output channels)";
  Window w;
  w.input.assign(xs.begin() + 2, xs.end());
  w.kernel.assign(ws.begin() + 2, ws.end());
  if (auto kernel = n.intsAttr("kernel_shape")) {
    if (kernel->size() != k)
      return n.emitError() << "'kernel_shape' has " << kernel->size()
                           << " values but the input has " << k << " spatial dims";
    for (size_t i = 0; i < k; ++i)
      if ((*kernel)[i] != w.kernel[i])
        return n.emitError() << "'kernel_shape'[" << i << "] is " << (*kernel)[i]
                             << " but W's spatial dim " << i << " is " << w.kernel[i];
  }
  for (size_t i = 0; i < k; ++i)
    if (w.kernel[i] < 1)
      return n.emitError() << "W's spatial dim " << i << " is empty";
  if (failed(computeWindow(n, w, /*ceilMode=*/false, /*isPool=*/false)))
    return failure();

  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  MLIRContext *ctx = n.getContext();
  Type elem = elementTypeOf(ctx, dt);
  int32_t accDT = accumulatorDType(dt);
  Type acc = elementTypeOf(ctx, accDT);
  Value x = padSpatial(b, loc, n.input(0), w, scalarConstant(b, loc, elem, 0));
  Value weights = n.input(1);
  bool grouped = group != 1;

  // Loop dims: n, [g], m, c, r_1..r_k, o_1..o_k. The output positions are
  // innermost, so the scalar lowering walks rows of X and Y contiguously
  // (vectorizable) while the reduction order per output stays c, r.
  unsigned gOff = grouped ? 1 : 0;
  auto nk = unsigned(k);
  unsigned numLoops = 3 + gOff + 2 * nk;
  auto dim = [&](unsigned d) { return getAffineDimExpr(d, ctx); };
  unsigned mDim = 1 + gOff, cDim = 2 + gOff, rDim = 3 + gOff, oDim = 3 + gOff + nk;

  // The accumulator starts as the bias (or zero), broadcast over n and o.
  SmallVector<int64_t> accShape = {batch};
  if (grouped)
    accShape.append({group, mPerGroup});
  else
    accShape.push_back(filters);
  accShape.append(w.out.begin(), w.out.end());
  Value init;
  if (hasBias) {
    Value bias = n.input(2);
    unsigned accRank = unsigned(accShape.size());
    SmallVector<AffineExpr> biasExprs;
    if (grouped) {
      bias = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({group, mPerGroup}, elem), bias,
          SmallVector<ReassociationIndices>{{0, 1}});
      biasExprs = {dim(1), dim(2)};
    } else {
      biasExprs = {dim(1)};
    }
    Value empty = tensor::EmptyOp::create(b, loc, accShape, acc);
    SmallVector<AffineMap> maps = {AffineMap::get(accRank, 0, biasExprs, ctx),
                                   AffineMap::getMultiDimIdentityMap(accRank, ctx)};
    SmallVector<utils::IteratorType> iters(accRank, utils::IteratorType::parallel);
    init = linalg::GenericOp::create(b, loc, TypeRange{empty.getType()}, ValueRange{bias},
                                     ValueRange{empty}, maps, iters,
                                     [&](OpBuilder &nb, Location nl, ValueRange args) {
                                       linalg::YieldOp::create(
                                           nb, nl, convertScalar(nb, nl, args[0], dt, accDT));
                                     })
               .getResult(0);
  } else {
    init = fillTensor(b, loc, accShape, scalarConstant(b, loc, acc, 0));
  }

  Value result;
  {
    if (grouped) {
      // X: [N, C, P...] -> [N, G, C/G, P...]; W: [M, C/G, K...] -> [G, M/G, C/G, K...].
      auto xt = cast<RankedTensorType>(x.getType());
      SmallVector<int64_t> xShape = {batch, group, cPerGroup};
      xShape.append(xt.getShape().begin() + 2, xt.getShape().end());
      SmallVector<ReassociationIndices> xAssoc = {{0}, {1, 2}};
      for (unsigned i = 0; i < nk; ++i)
        xAssoc.push_back({int64_t(3 + i)});
      x = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(xShape, elem), x, xAssoc);
      SmallVector<int64_t> wShape = {group, mPerGroup, cPerGroup};
      wShape.append(ws.begin() + 2, ws.end());
      SmallVector<ReassociationIndices> wAssoc = {{0, 1}, {2}};
      for (unsigned i = 0; i < nk; ++i)
        wAssoc.push_back({int64_t(3 + i)});
      weights = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(wShape, elem),
                                              weights, wAssoc);
    }
    SmallVector<AffineExpr> xExprs = {dim(0)}, wExprs, yExprs = {dim(0)};
    if (grouped) {
      xExprs.push_back(dim(1));
      wExprs.push_back(dim(1));
      yExprs.push_back(dim(1));
    }
    xExprs.push_back(dim(cDim));
    wExprs.append({dim(mDim), dim(cDim)});
    yExprs.push_back(dim(mDim));
    for (unsigned i = 0; i < nk; ++i) {
      xExprs.push_back(dim(oDim + i) * w.strides[i] + dim(rDim + i) * w.dilations[i]);
      wExprs.push_back(dim(rDim + i));
      yExprs.push_back(dim(oDim + i));
    }
    SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, xExprs, ctx),
                                   AffineMap::get(numLoops, 0, wExprs, ctx),
                                   AffineMap::get(numLoops, 0, yExprs, ctx)};
    SmallVector<utils::IteratorType> iters(cDim, utils::IteratorType::parallel);
    iters.append(1 + nk, utils::IteratorType::reduction);
    iters.append(nk, utils::IteratorType::parallel);
    result = linalg::GenericOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{x, weights}, ValueRange{init}, maps,
                 iters,
                 [&](OpBuilder &nb, Location nl, ValueRange args) {
                   Value xv = convertScalar(nb, nl, args[0], dt, accDT);
                   Value wv = convertScalar(nb, nl, args[1], dt, accDT);
                   Value prod = arith::MulFOp::create(nb, nl, xv, wv);
                   linalg::YieldOp::create(nb, nl, Value(arith::AddFOp::create(nb, nl, args[2], prod)));
                 })
                 .getResult(0);
    // qopt-quantize finds convolution weights (input 1, [M, C/G, K...]) by this.
    result.getDefiningOp()->setAttr("qopt.conv_weight", b.getUnitAttr());
    if (grouped) {
      SmallVector<ReassociationIndices> yAssoc = {{0}, {1, 2}};
      for (unsigned i = 0; i < nk; ++i)
        yAssoc.push_back({int64_t(3 + i)});
      result = tensor::CollapseShapeOp::create(b, loc, result, yAssoc);
    }
  }
  if (accDT != dt) {
    auto shape = cast<RankedTensorType>(result.getType()).getShape();
    result = buildElementwise(b, loc, {result}, shape, elem,
                              [&](OpBuilder &nb, Location nl, ValueRange a) {
                                return convertScalar(nb, nl, a[0], accDT, dt);
                              });
  }
  return n.setOutput(0, result, dt);
}

void mlir::qopt::onnx_import::addConvPoolOps(OpTable &t) {
  t.add("", "Conv", importConv);
  t.add("", "MaxPool", importMaxPool);
  t.add("", "AveragePool", importAveragePool);
  t.add("", "GlobalAveragePool", [](NodeContext &n) { return importGlobalPool(n, false); });
  t.add("", "GlobalMaxPool", [](NodeContext &n) { return importGlobalPool(n, true); });
}
