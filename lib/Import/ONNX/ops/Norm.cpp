//===- Norm.cpp - ONNX softmax and normalisation ops ----------------------===//
//
// Part of qopt. Softmax LogSoftmax (both axis conventions), LayerNormalization,
// RMSNormalization, SimplifiedLayerNormalization, SkipLayerNormalization,
// SkipSimplifiedLayerNormalization (com.microsoft), BatchNormalization
// (inference) and InstanceNormalization. f16/bf16 inputs compute in f32.
//
//===----------------------------------------------------------------------===//
#include "../ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace mlir::qopt::onnx_import;

/// The type arithmetic runs in for a float data type: f32 for f16/bf16.
static int32_t computeDType(int32_t dt) {
  return dt == dtype::Float16 || dt == dtype::BFloat16 ? dtype::Float : dt;
}

static std::vector<int64_t> shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return std::vector<int64_t>(t.getShape().begin(), t.getShape().end());
}

/// `shape` with the dims in `axes` set to 1.
static std::vector<int64_t> keptShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> axes) {
  std::vector<int64_t> s(shape.begin(), shape.end());
  for (int64_t a : axes)
    s[size_t(a)] = 1;
  return s;
}

static TypedAttr floatAttr(OpBuilder &b, Type elem, double v) {
  return b.getFloatAttr(elem, v);
}

/// Sum (or sum of squares) over `axes`, keeping them as size 1.
static Value sumKeep(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes, bool squares) {
  Type elem = cast<RankedTensorType>(v.getType()).getElementType();
  return buildReduction(b, loc, v, axes, /*keepDims=*/true, floatAttr(b, elem, 0.0),
                        [squares](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          Value x = a[1];
                          if (squares)
                            x = arith::MulFOp::create(nb, l, x, x);
                          return arith::AddFOp::create(nb, l, a[0], x);
                        });
}

/// An element-wise conversion of a whole tensor (the value itself if equal).
static Value convertTensor(OpBuilder &b, Location loc, Value v, int32_t from, int32_t to) {
  if (from == to)
    return v;
  return buildElementwise(b, loc, {v}, shapeOf(v), elementTypeOf(b.getContext(), to),
                          [&](OpBuilder &nb, Location l, ValueRange a) {
                            return convertScalar(nb, l, a[0], from, to);
                          });
}

/// Checks the node's first input is a float tensor.
static LogicalResult checkFloatInput(NodeContext &n) {
  if (n.numInputs() < 1 || !n.hasInput(0))
    return n.emitError() << "expects an input";
  if (!isFloatDType(n.dtypeOf(0)))
    return n.emitError() << "input type " << dtypeName(n.dtypeOf(0))
                         << " is not supported (float types only)";
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax
//===----------------------------------------------------------------------===//

/// y = exp(x - max) / sum(exp(x - max)) over the axes, or its log.
static LogicalResult importSoftmax(NodeContext &n, bool isLog) {
  if (failed(checkFloatInput(n)))
    return failure();
  int32_t dt = n.dtypeOf(0);
  const std::vector<int64_t> &shape = n.shapeOf(0);
  int64_t rank = int64_t(shape.size());
  SmallVector<int64_t> axes;
  if (n.getOpset() >= 13) {
    int64_t axis = n.intAttr("axis", -1);
    if (axis < -rank || axis >= rank)
      return n.emitError() << "axis " << axis << " is out of range for a rank-" << rank
                           << " input";
    axes.push_back(axis < 0 ? axis + rank : axis);
  } else {
    // Before opset 13 the input is coerced to 2-D [d0*..*d(axis-1), d(axis)*..]
    // and normalised per row: the same as reducing over dims axis..rank-1.
    int64_t axis = n.intAttr("axis", 1);
    if (axis < -rank || axis > rank)
      return n.emitError() << "axis " << axis << " is out of range for a rank-" << rank
                           << " input";
    for (int64_t d = axis < 0 ? axis + rank : axis; d < rank; ++d)
      axes.push_back(d);
  }
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  int32_t cdt = computeDType(dt);
  Type elem = elementTypeOf(n.getContext(), dt), celem = elementTypeOf(n.getContext(), cdt);
  Value x = n.input(0);
  // The max is exact in the input type; NaN propagates.
  Value m = buildReduction(b, loc, x, axes, /*keepDims=*/true,
                           floatAttr(b, elem, -std::numeric_limits<double>::infinity()),
                           [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                             return arith::MaximumFOp::create(nb, l, a[0], a[1]);
                           });
  auto shifted = [&](OpBuilder &nb, Location l, Value xv, Value mv) -> Value {
    return arith::SubFOp::create(nb, l, convertScalar(nb, l, xv, dt, cdt),
                                 convertScalar(nb, l, mv, dt, cdt));
  };
  Value e = buildElementwise(b, loc, {x, m}, shape, celem,
                             [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                               return math::ExpOp::create(nb, l, shifted(nb, l, a[0], a[1]));
                             });
  Value s = sumKeep(b, loc, e, axes, /*squares=*/false);
  Value y;
  if (!isLog)
    y = buildElementwise(b, loc, {e, s}, shape, elem,
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           Value q = arith::DivFOp::create(nb, l, a[0], a[1]);
                           return convertScalar(nb, l, q, cdt, dt);
                         });
  else
    y = buildElementwise(b, loc, {x, m, s}, shape, elem,
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           Value v = arith::SubFOp::create(nb, l, shifted(nb, l, a[0], a[1]),
                                                           math::LogOp::create(nb, l, a[2]));
                           return convertScalar(nb, l, v, cdt, dt);
                         });
  return n.setOutput(0, y, dt);
}

//===----------------------------------------------------------------------===//
// The normalisation core
//===----------------------------------------------------------------------===//

namespace {
/// An optional operand broadcast against the normalised tensor.
struct Operand {
  Value value;
  int32_t dtype = dtype::Undefined;
};

struct Normalized {
  Value y;      ///< output type, input shape
  Value mean;   ///< compute type, input shape with the axes as 1 (null for RMS)
  Value invStd; ///< compute type, input shape with the axes as 1
};
} // namespace

/// (x - mean) / sqrt(var + eps) * scale + bias over `axes` (without the mean
/// when !center: x / sqrt(mean(x^2) + eps) * scale + bias). `x` is in `xdt`;
/// arithmetic runs in `cdt`; y is produced in `ydt`.
static Normalized normalize(OpBuilder &b, Location loc, Value x, int32_t xdt, int32_t cdt,
                            int32_t ydt, ArrayRef<int64_t> axes, double eps, bool center,
                            Operand scale, Operand bias) {
  std::vector<int64_t> shape = shapeOf(x);
  std::vector<int64_t> kept = keptShape(shape, axes);
  MLIRContext *ctx = b.getContext();
  Type celem = elementTypeOf(ctx, cdt);
  double count = 1;
  for (int64_t a : axes)
    count *= double(shape[size_t(a)]);
  Value xc = convertTensor(b, loc, x, xdt, cdt);
  Normalized r;
  Value d = xc;
  if (center) {
    Value sum = sumKeep(b, loc, xc, axes, /*squares=*/false);
    r.mean = buildElementwise(b, loc, {sum}, kept, celem,
                              [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                return arith::DivFOp::create(
                                    nb, l, a[0], scalarConstant(nb, l, celem, count));
                              });
    d = buildElementwise(b, loc, {xc, r.mean}, shape, celem,
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::SubFOp::create(nb, l, a[0], a[1]);
                         });
  }
  Value ss = sumKeep(b, loc, d, axes, /*squares=*/true);
  r.invStd = buildElementwise(b, loc, {ss}, kept, celem,
                              [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                Value var = arith::DivFOp::create(
                                    nb, l, a[0], scalarConstant(nb, l, celem, count));
                                Value ve = arith::AddFOp::create(
                                    nb, l, var, scalarConstant(nb, l, celem, eps));
                                Value one = scalarConstant(nb, l, celem, 1.0);
                                return arith::DivFOp::create(nb, l, one,
                                                             math::SqrtOp::create(nb, l, ve));
                              });
  SmallVector<Value> operands = {d, r.invStd};
  if (scale.value)
    operands.push_back(scale.value);
  if (bias.value)
    operands.push_back(bias.value);
  r.y = buildElementwise(b, loc, operands, shape, elementTypeOf(ctx, ydt),
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           Value v = arith::MulFOp::create(nb, l, a[0], a[1]);
                           size_t next = 2;
                           if (scale.value)
                             v = arith::MulFOp::create(
                                 nb, l, v, convertScalar(nb, l, a[next++], scale.dtype, cdt));
                           if (bias.value)
                             v = arith::AddFOp::create(
                                 nb, l, v, convertScalar(nb, l, a[next++], bias.dtype, cdt));
                           return convertScalar(nb, l, v, cdt, ydt);
                         });
  // qopt-fold-norms moves a constant per-channel scale / bias of a norm over
  // the last axis into the following weights; mark where they are.
  if (scale.value && axes.size() == 1 && axes[0] == int64_t(shape.size()) - 1) {
    Operation *op = r.y.getDefiningOp();
    op->setAttr("qopt.norm_scale", b.getI64IntegerAttr(2));
    if (bias.value)
      op->setAttr("qopt.norm_bias", b.getI64IntegerAttr(3));
  }
  return r;
}

/// Input `i` as an operand that must broadcast (numpy-style) onto `shape`.
static FailureOr<Operand> broadcastOperand(NodeContext &n, size_t i, llvm::StringRef what,
                                           ArrayRef<int64_t> shape) {
  if (!isFloatDType(n.dtypeOf(i)))
    return n.emitError() << what << " (input " << i << ") is " << dtypeName(n.dtypeOf(i))
                         << ", expected a float type";
  auto bs = broadcastShapes({std::vector<int64_t>(shape.begin(), shape.end()), n.shapeOf(i)});
  if (!bs || *bs != std::vector<int64_t>(shape.begin(), shape.end())) {
    auto diag = n.emitError() << what << " (input " << i << ") of shape [";
    llvm::interleave(n.shapeOf(i), [&](int64_t d) { diag << d; }, [&] { diag << ","; });
    diag << "] does not broadcast to the input shape [";
    llvm::interleave(shape, [&](int64_t d) { diag << d; }, [&] { diag << ","; });
    return diag << "]";
  }
  return Operand{n.input(i), n.dtypeOf(i)};
}

/// The validated stash_type of a LayerNormalization-style node: the type of
/// its Mean / InvStdDev outputs.
static FailureOr<int32_t> stashDType(NodeContext &n) {
  int64_t stash = n.intAttr("stash_type", dtype::Float);
  if (!isFloatDType(int32_t(stash)))
    return n.emitError() << "stash_type " << stash << " (" << dtypeName(int32_t(stash))
                         << ") is not a float type";
  return int32_t(stash);
}

/// Arithmetic runs in f32, or f64 when the input or the stash type is f64:
/// never below the input's precision nor the stash type's.
static int32_t stashComputeDType(int32_t dt, int32_t stash) {
  return dt == dtype::Double || stash == dtype::Double ? int32_t(dtype::Double)
                                                       : int32_t(dtype::Float);
}

/// Axes axis..rank-1 for a LayerNormalization-style `axis` attribute.
static FailureOr<SmallVector<int64_t>> trailingAxes(NodeContext &n, int64_t rank) {
  int64_t axis = n.intAttr("axis", -1);
  if (axis < -rank || axis >= rank)
    return n.emitError() << "axis " << axis << " is out of range for a rank-" << rank << " input";
  SmallVector<int64_t> axes;
  for (int64_t d = axis < 0 ? axis + rank : axis; d < rank; ++d)
    axes.push_back(d);
  return axes;
}

//===----------------------------------------------------------------------===//
// LayerNormalization family
//===----------------------------------------------------------------------===//

/// LayerNormalization (center) / RMSNormalization / SimplifiedLayerNormalization:
/// X, Scale, [B]; outputs Y, [Mean], [InvStdDev] as `meanOut` / `invStdOut`.
static LogicalResult importLayerNormLike(NodeContext &n, bool center, bool hasBias,
                                         std::optional<size_t> meanOut,
                                         std::optional<size_t> invStdOut) {
  if (failed(checkFloatInput(n)))
    return failure();
  if (!n.hasInput(1))
    return n.emitError() << "expects a Scale input (input 1)";
  if (!hasBias && n.hasInput(2))
    return n.emitError() << "takes no bias input, got " << n.numInputs() << " inputs";
  int32_t dt = n.dtypeOf(0);
  const std::vector<int64_t> &shape = n.shapeOf(0);
  auto axes = trailingAxes(n, int64_t(shape.size()));
  if (failed(axes))
    return failure();
  auto stash = stashDType(n);
  if (failed(stash))
    return failure();
  int32_t cdt = stashComputeDType(dt, *stash);
  auto scale = broadcastOperand(n, 1, "Scale", shape);
  if (failed(scale))
    return failure();
  Operand bias;
  if (hasBias && n.hasInput(2)) {
    auto b = broadcastOperand(n, 2, "B", shape);
    if (failed(b))
      return failure();
    bias = *b;
  }
  double eps = n.floatAttr("epsilon", 1e-5f);
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  Normalized r = normalize(b, loc, n.input(0), dt, cdt, dt, *axes, eps, center, *scale, bias);
  if (failed(n.setOutput(0, r.y, dt)))
    return failure();
  // Mean and InvStdDev are of the stash type (U).
  if (meanOut && n.hasOutput(*meanOut)) {
    if (!r.mean)
      return n.emitError() << "has no mean output";
    if (failed(n.setOutput(*meanOut, convertTensor(b, loc, r.mean, cdt, *stash), *stash)))
      return failure();
  }
  if (invStdOut && n.hasOutput(*invStdOut) &&
      failed(n.setOutput(*invStdOut, convertTensor(b, loc, r.invStd, cdt, *stash), *stash)))
    return failure();
  return success();
}

/// com.microsoft SkipLayerNormalization / SkipSimplifiedLayerNormalization:
/// input, skip, gamma, [beta], [bias] -> output, [mean], [inv_std_var],
/// [input_skip_bias_sum], normalising the last dim.
static LogicalResult importSkipLayerNorm(NodeContext &n, bool center) {
  if (failed(checkFloatInput(n)))
    return failure();
  size_t gammaIdx = 2, betaIdx = 3, biasIdx = center ? 4 : 3;
  if (!n.hasInput(1) || !n.hasInput(gammaIdx))
    return n.emitError() << "expects input, skip and gamma inputs";
  int32_t dt = n.dtypeOf(0);
  const std::vector<int64_t> &shape = n.shapeOf(0);
  if (shape.empty())
    return n.emitError() << "expects an input of rank >= 1";
  if (n.dtypeOf(1) != dt)
    return n.emitError() << "skip is " << dtypeName(n.dtypeOf(1)) << " but input is "
                         << dtypeName(dt);
  SmallVector<Value> parts = {n.input(0)};
  SmallVector<int32_t> partTypes = {dt};
  for (size_t i : {size_t(1), biasIdx}) {
    if (!n.hasInput(i))
      continue;
    auto o = broadcastOperand(n, i, i == 1 ? "skip" : "bias", shape);
    if (failed(o))
      return failure();
    parts.push_back(o->value);
    partTypes.push_back(o->dtype);
  }
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  int32_t cdt = computeDType(dt);
  Value sum = buildElementwise(b, loc, parts, shape, elementTypeOf(n.getContext(), dt),
                               [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                 Value v = convertScalar(nb, l, a[0], partTypes[0], cdt);
                                 for (size_t i = 1; i < a.size(); ++i)
                                   v = arith::AddFOp::create(
                                       nb, l, v, convertScalar(nb, l, a[i], partTypes[i], cdt));
                                 return convertScalar(nb, l, v, cdt, dt);
                               });
  auto gamma = broadcastOperand(n, gammaIdx, "gamma", shape);
  if (failed(gamma))
    return failure();
  Operand beta;
  if (center && n.hasInput(betaIdx)) {
    auto o = broadcastOperand(n, betaIdx, "beta", shape);
    if (failed(o))
      return failure();
    beta = *o;
  }
  double eps = n.floatAttr("epsilon", 1e-12f);
  int64_t last = int64_t(shape.size()) - 1;
  Normalized r = normalize(b, loc, sum, dt, cdt, dt, {last}, eps, center, *gamma, beta);
  if (failed(n.setOutput(0, r.y, dt)))
    return failure();
  if (n.hasOutput(1) && r.mean && failed(n.setOutput(1, r.mean, cdt)))
    return failure();
  if (n.hasOutput(1) && !r.mean)
    return n.emitError() << "output 1 (mean) is not produced by the simplified (RMS) form";
  if (failed(n.setOutput(2, r.invStd, cdt)))
    return failure();
  return n.setOutput(3, sum, dt);
}

//===----------------------------------------------------------------------===//
// BatchNormalization, InstanceNormalization
//===----------------------------------------------------------------------===//

/// A per-channel parameter of an [N, C, D1, ...] input as [C, 1, ...] (or, for
/// BatchNormalization's spatial=0, [C, D1, ...] as given).
static FailureOr<Value> channelParam(NodeContext &n, size_t i, llvm::StringRef what,
                                     ArrayRef<int64_t> xShape, bool allowPerActivation) {
  if (!n.hasInput(i))
    return n.emitError() << "missing input " << i << " (" << what << ")";
  if (!isFloatDType(n.dtypeOf(i)))
    return n.emitError() << what << " (input " << i << ") is " << dtypeName(n.dtypeOf(i))
                         << ", expected a float type";
  const std::vector<int64_t> &s = n.shapeOf(i);
  int64_t c = xShape[1];
  std::vector<int64_t> target(xShape.begin() + 1, xShape.end());
  if (s.size() == 1 && (s[0] == c || s[0] == 1)) {
    for (size_t d = 1; d < target.size(); ++d)
      target[d] = 1;
    target[0] = s[0];
    return buildReshape(n.builder(), n.getLoc(), n.input(i), target);
  }
  if (allowPerActivation && s.size() == target.size()) {
    auto bs = broadcastShapes({target, s});
    if (bs && *bs == target)
      return n.input(i);
  }
  auto diag = n.emitError() << what << " (input " << i << ") has shape [";
  llvm::interleave(s, [&](int64_t d) { diag << d; }, [&] { diag << ","; });
  return diag << "], expected [" << c << "] for " << c << " channels";
}

static LogicalResult importBatchNorm(NodeContext &n) {
  if (failed(checkFloatInput(n)))
    return failure();
  int64_t opset = n.getOpset();
  if (opset >= 14 && n.intAttr("training_mode", 0) != 0)
    return n.emitError() << "training_mode=1 is not supported (inference only)";
  for (size_t i = 1; i < n.numOutputs(); ++i)
    if (n.hasOutput(i))
      return n.emitError() << "output " << i
                           << " (running or saved statistics) is only produced in training "
                              "mode, which is not supported (inference only)";
  if (opset < 7 && n.hasAttr("is_test") && n.intAttr("is_test", 0) == 0)
    return n.emitError() << "is_test=0 (training) is not supported (inference only)";
  int32_t dt = n.dtypeOf(0);
  const std::vector<int64_t> &shape = n.shapeOf(0);
  if (shape.size() < 2)
    return n.emitError() << "expects an input of rank >= 2 ([N, C, ...]), got rank "
                         << shape.size();
  if (n.numInputs() != 5)
    return n.emitError() << "expects 5 inputs (X, scale, B, input_mean, input_var), got "
                         << n.numInputs();
  bool perActivation = opset < 9 && n.intAttr("spatial", 1) == 0;
  static const char *names[] = {"", "scale", "B", "input_mean", "input_var"};
  SmallVector<Value> p(5);
  for (size_t i = 1; i < 5; ++i) {
    auto v = channelParam(n, i, names[i], shape, perActivation);
    if (failed(v))
      return failure();
    p[i] = *v;
  }
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  int32_t cdt = computeDType(dt);
  Type celem = elementTypeOf(n.getContext(), cdt);
  double eps = n.floatAttr("epsilon", 1e-5f);
  int32_t sdt = n.dtypeOf(1), bdt = n.dtypeOf(2), mdt = n.dtypeOf(3), vdt = n.dtypeOf(4);
  // Per channel: a = scale / sqrt(var + eps); then y = (x - mean) * a + B.
  auto ps = broadcastShapes({shapeOf(p[1]), shapeOf(p[4])});
  if (!ps)
    return n.emitError() << "scale and input_var shapes cannot be broadcast together";
  Value a = buildElementwise(b, loc, {p[1], p[4]}, *ps, celem,
                             [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
                               Value var = convertScalar(nb, l, v[1], vdt, cdt);
                               Value ve = arith::AddFOp::create(
                                   nb, l, var, scalarConstant(nb, l, celem, eps));
                               return arith::DivFOp::create(nb, l,
                                                            convertScalar(nb, l, v[0], sdt, cdt),
                                                            math::SqrtOp::create(nb, l, ve));
                             });
  Value y = buildElementwise(
      b, loc, {n.input(0), p[3], a, p[2]}, shape, elementTypeOf(n.getContext(), dt),
      [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
        Value d = arith::SubFOp::create(nb, l, convertScalar(nb, l, v[0], dt, cdt),
                                        convertScalar(nb, l, v[1], mdt, cdt));
        Value r = arith::AddFOp::create(nb, l, arith::MulFOp::create(nb, l, d, v[2]),
                                        convertScalar(nb, l, v[3], bdt, cdt));
        return convertScalar(nb, l, r, cdt, dt);
      });
  return n.setOutput(0, y, dt);
}

static LogicalResult importInstanceNorm(NodeContext &n) {
  if (failed(checkFloatInput(n)))
    return failure();
  if (n.numInputs() != 3)
    return n.emitError() << "expects 3 inputs (input, scale, B), got " << n.numInputs();
  int32_t dt = n.dtypeOf(0);
  const std::vector<int64_t> &shape = n.shapeOf(0);
  if (shape.size() < 2)
    return n.emitError() << "expects an input of rank >= 2 ([N, C, ...]), got rank "
                         << shape.size();
  auto scale = channelParam(n, 1, "scale", shape, false);
  if (failed(scale))
    return failure();
  auto bias = channelParam(n, 2, "B", shape, false);
  if (failed(bias))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < int64_t(shape.size()); ++d)
    axes.push_back(d);
  double eps = n.floatAttr("epsilon", 1e-5f);
  Normalized r = normalize(n.builder(), n.getLoc(), n.input(0), dt, computeDType(dt), dt, axes,
                           eps, /*center=*/true, Operand{*scale, n.dtypeOf(1)},
                           Operand{*bias, n.dtypeOf(2)});
  return n.setOutput(0, r.y, dt);
}

void mlir::qopt::onnx_import::addNormOps(OpTable &t) {
  t.add("", "Softmax", [](NodeContext &n) { return importSoftmax(n, /*isLog=*/false); });
  t.add("", "LogSoftmax", [](NodeContext &n) { return importSoftmax(n, /*isLog=*/true); });
  t.add("", "LayerNormalization", [](NodeContext &n) {
    return importLayerNormLike(n, /*center=*/true, /*hasBias=*/true, 1, 2);
  });
  t.add("", "RMSNormalization", [](NodeContext &n) {
    return importLayerNormLike(n, /*center=*/false, /*hasBias=*/false, std::nullopt,
                               std::nullopt);
  });
  // ONNX Runtime registers SimplifiedLayerNormalization in both domains.
  auto simplified = [](NodeContext &n) {
    return importLayerNormLike(n, /*center=*/false, /*hasBias=*/false, std::nullopt, 1);
  };
  t.add("", "SimplifiedLayerNormalization", simplified);
  t.add("com.microsoft", "SimplifiedLayerNormalization", simplified);
  t.add("com.microsoft", "SkipLayerNormalization",
        [](NodeContext &n) { return importSkipLayerNorm(n, /*center=*/true); });
  t.add("com.microsoft", "SkipSimplifiedLayerNormalization",
        [](NodeContext &n) { return importSkipLayerNorm(n, /*center=*/false); });
  t.add("", "BatchNormalization", importBatchNorm);
  t.add("", "InstanceNormalization", importInstanceNorm);
}
