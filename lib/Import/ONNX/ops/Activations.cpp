//===- Activations.cpp - ONNX unary ops, Clip, Cast --------------------------===//
//
// Part of qopt. Sqrt Reciprocal Neg Abs Exp Log Erf Tanh Sigmoid HardSigmoid
// HardSwish Relu LeakyRelu Gelu Softplus Floor Ceil Round Sign Sin Cos Clip
// Cast CastLike Identity.
//
//===----------------------------------------------------------------------===//
#include "../ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qopt::onnx_import;

namespace {
using UnaryFn = std::function<Value(OpBuilder &, Location, Value, int32_t dt)>;
} // namespace

static Value cst(OpBuilder &b, Location l, Value like, double v) {
  return scalarConstant(b, l, like.getType(), v);
}

/// A unary op over float inputs (or any type when `anyType`).
static OpHandler unary(UnaryFn fn, bool anyType = false) {
  return [fn, anyType](NodeContext &n) -> LogicalResult {
    if (n.numInputs() < 1 || !n.hasInput(0))
      return n.emitError() << "expects an input";
    int32_t dt = n.dtypeOf(0);
    // Shape arithmetic (Neg/Abs of known integers) folds at import.
    const std::string &op = n.proto().op_type();
    if (const ConstTensor *c = n.constant(0); c && c->isInt() && (op == "Neg" || op == "Abs")) {
      ConstTensor r = *c;
      for (int64_t &v : r.ints)
        v = op == "Neg" ? -v : std::abs(v);
      return n.setConstOutput(0, std::move(r));
    }
    if (!anyType && !isFloatDType(dt))
      return n.emitError() << "input type " << dtypeName(dt) << " is not supported (float only)";
    Value r = buildElementwise(n.builder(), n.getLoc(), {n.input(0)}, n.shapeOf(0),
                               elementTypeOf(n.getContext(), dt),
                               [&](OpBuilder &b, Location l, ValueRange a) { return fn(b, l, a[0], dt); });
    return n.setOutput(0, r, dt);
  };
}

template <typename OpTy>
static OpHandler mathOp() {
  return unary([](OpBuilder &b, Location l, Value x, int32_t) -> Value { return OpTy::create(b, l, x); });
}

static Value sigmoid(OpBuilder &b, Location l, Value x) {
  Value one = cst(b, l, x, 1.0);
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
}

static Value clamp01(OpBuilder &b, Location l, Value v) {
  return arith::MinimumFOp::create(b, l, arith::MaximumFOp::create(b, l, v, cst(b, l, v, 0.0)),
                                   cst(b, l, v, 1.0));
}

static LogicalResult importClip(NodeContext &n) {
  int32_t dt = n.dtypeOf(0);
  std::optional<double> lo, hi;
  if (n.getOpset() < 11) {
    lo = n.floatAttr("min", -INFINITY);
    hi = n.floatAttr("max", INFINITY);
  }
  SmallVector<Value> operands = {n.input(0)};
  bool hasMin = n.getOpset() >= 11 && n.hasInput(1), hasMax = n.getOpset() >= 11 && n.hasInput(2);
  for (size_t i : {size_t(1), size_t(2)}) {
    if (!(i == 1 ? hasMin : hasMax))
      continue;
    int64_t count = 1;
    for (int64_t d : n.shapeOf(i))
      count *= d;
    if (count != 1)
      return n.emitError() << (i == 1 ? "min" : "max") << " must be a scalar";
    if (n.dtypeOf(i) != dt)
      return n.emitError() << (i == 1 ? "min" : "max") << " type differs from the input";
    // Some exporters give shape [1]: the bound broadcasts as a rank-0 value.
    operands.push_back(buildReshape(n.builder(), n.getLoc(), n.input(i), {}));
  }
  Value r = buildElementwise(
      n.builder(), n.getLoc(), operands, n.shapeOf(0), elementTypeOf(n.getContext(), dt),
      [&](OpBuilder &b, Location l, ValueRange a) -> Value {
        Value x = a[0];
        size_t next = 1;
        auto apply = [&](Value bound, bool isMin) -> Value {
          if (isFloatDType(dt))
            return isMin ? Value(arith::MaximumFOp::create(b, l, x, bound))
                         : Value(arith::MinimumFOp::create(b, l, x, bound));
          bool u = isUnsignedDType(dt);
          if (isMin)
            return u ? Value(arith::MaxUIOp::create(b, l, x, bound))
                     : Value(arith::MaxSIOp::create(b, l, x, bound));
          return u ? Value(arith::MinUIOp::create(b, l, x, bound))
                   : Value(arith::MinSIOp::create(b, l, x, bound));
        };
        if (hasMin)
          x = apply(a[next++], true);
        else if (lo && std::isfinite(*lo))
          x = apply(cst(b, l, x, *lo), true);
        if (hasMax)
          x = apply(a[next++], false);
        else if (hi && std::isfinite(*hi))
          x = apply(cst(b, l, x, *hi), false);
        return x;
      });
  return n.setOutput(0, r, dt);
}

static LogicalResult castTo(NodeContext &n, int32_t to) {
  int32_t from = n.dtypeOf(0);
  if (lowPrecisionBits(from) || lowPrecisionBits(to))
    return castLowPrecision(n, from, to);
  if (!elementTypeOf(n.getContext(), to))
    return n.emitError() << "cast to " << dtypeName(to) << " is not supported";
  if (!elementTypeOf(n.getContext(), from))
    return n.emitError() << "cast from " << dtypeName(from) << " is not supported";
  if (const ConstTensor *c = n.constant(0); c && !isFloatDType(to) && !isFloatDType(from)) {
    ConstTensor out = *c;
    out.dtype = to;
    return n.setConstOutput(0, std::move(out));
  }
  Value r = buildElementwise(n.builder(), n.getLoc(), {n.input(0)}, n.shapeOf(0),
                             elementTypeOf(n.getContext(), to),
                             [&](OpBuilder &b, Location l, ValueRange a) {
                               return convertScalar(b, l, a[0], from, to);
                             });
  return n.setOutput(0, r, to);
}

static LogicalResult importIdentity(NodeContext &n) {
  if (const ConstTensor *c = n.constant(0))
    return n.setConstOutput(0, *c);
  return n.setOutput(0, n.input(0), n.dtypeOf(0));
}

void mlir::qopt::onnx_import::addActivationOps(OpTable &t) {
  t.add("", "Sqrt", mathOp<math::SqrtOp>());
  t.add("", "Exp", mathOp<math::ExpOp>());
  t.add("", "Log", mathOp<math::LogOp>());
  t.add("", "Erf", mathOp<math::ErfOp>());
  t.add("", "Tanh", mathOp<math::TanhOp>());
  t.add("", "Floor", mathOp<math::FloorOp>());
  t.add("", "Ceil", mathOp<math::CeilOp>());
  t.add("", "Round", mathOp<math::RoundEvenOp>());
  t.add("", "Sin", mathOp<math::SinOp>());
  t.add("", "Cos", mathOp<math::CosOp>());
  t.add("", "Reciprocal", unary([](OpBuilder &b, Location l, Value x, int32_t) -> Value {
          return arith::DivFOp::create(b, l, cst(b, l, x, 1.0), x);
        }));
  t.add("", "Neg", unary([](OpBuilder &b, Location l, Value x, int32_t dt) -> Value {
          if (isFloatDType(dt))
            return arith::NegFOp::create(b, l, x);
          return arith::SubIOp::create(b, l, cst(b, l, x, 0), x);
        }, /*anyType=*/true));
  t.add("", "Abs", unary([](OpBuilder &b, Location l, Value x, int32_t dt) -> Value {
          if (isFloatDType(dt))
            return math::AbsFOp::create(b, l, x);
          if (isUnsignedDType(dt))
            return x;
          return math::AbsIOp::create(b, l, x);
        }, /*anyType=*/true));
  t.add("", "Sign", unary([](OpBuilder &b, Location l, Value x, int32_t) -> Value {
          Value pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, cst(b, l, x, 0));
          Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, cst(b, l, x, 0));
          Value r = arith::SelectOp::create(b, l, neg, cst(b, l, x, -1), cst(b, l, x, 0));
          return arith::SelectOp::create(b, l, pos, cst(b, l, x, 1), r);
        }));
  t.add("", "Sigmoid", unary([](OpBuilder &b, Location l, Value x, int32_t) { return sigmoid(b, l, x); }));
  t.add("", "Softplus", unary([](OpBuilder &b, Location l, Value x, int32_t) -> Value {
          return math::Log1pOp::create(b, l, math::ExpOp::create(b, l, x));
        }));
  t.add("", "Relu", unary([](OpBuilder &b, Location l, Value x, int32_t dt) -> Value {
          if (isFloatDType(dt))
            return arith::MaximumFOp::create(b, l, x, cst(b, l, x, 0));
          return arith::MaxSIOp::create(b, l, x, cst(b, l, x, 0));
        }, /*anyType=*/true));
  t.add("", "LeakyRelu", [](NodeContext &n) {
    double alpha = n.floatAttr("alpha", 0.01f);
    return unary([alpha](OpBuilder &b, Location l, Value x, int32_t) -> Value {
      Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, cst(b, l, x, 0));
      return arith::SelectOp::create(b, l, neg, arith::MulFOp::create(b, l, x, cst(b, l, x, alpha)), x);
    })(n);
  });
  t.add("", "HardSigmoid", [](NodeContext &n) {
    double alpha = n.floatAttr("alpha", 0.2f), beta = n.floatAttr("beta", 0.5f);
    return unary([=](OpBuilder &b, Location l, Value x, int32_t) -> Value {
      Value v = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, x, cst(b, l, x, alpha)),
                                      cst(b, l, x, beta));
      return clamp01(b, l, v);
    })(n);
  });
  t.add("", "HardSwish", unary([](OpBuilder &b, Location l, Value x, int32_t) -> Value {
          Value v = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, x, cst(b, l, x, 1.0 / 6.0)),
                                          cst(b, l, x, 0.5));
          return arith::MulFOp::create(b, l, x, clamp01(b, l, v));
        }));
  t.add("", "Gelu", [](NodeContext &n) -> LogicalResult {
    std::string approx = n.stringAttr("approximate", "none");
    if (approx != "none" && approx != "tanh")
      return n.emitError() << "approximate='" << approx << "' is not 'none' or 'tanh'";
    return unary([approx](OpBuilder &b, Location l, Value x, int32_t) -> Value {
      Value half = cst(b, l, x, 0.5), one = cst(b, l, x, 1.0);
      Value inner;
      if (approx == "none") {
        inner = math::ErfOp::create(b, l, arith::MulFOp::create(b, l, x, cst(b, l, x, M_SQRT1_2)));
      } else {
        Value x3 = arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, x, x), x);
        Value s = arith::AddFOp::create(b, l, x, arith::MulFOp::create(b, l, x3, cst(b, l, x, 0.044715)));
        inner = math::TanhOp::create(b, l, arith::MulFOp::create(b, l, s, cst(b, l, x, std::sqrt(2.0 / M_PI))));
      }
      return arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, half, x),
                                   arith::AddFOp::create(b, l, one, inner));
    })(n);
  });
  t.add("", "Clip", importClip);
  t.add("", "Cast", [](NodeContext &n) -> LogicalResult {
    if (!n.hasAttr("to"))
      return n.emitError() << "missing attribute 'to'";
    return castTo(n, int32_t(n.intAttr("to", 0)));
  });
  t.add("", "CastLike", [](NodeContext &n) -> LogicalResult {
    if (n.numInputs() != 2)
      return n.emitError() << "expects 2 inputs";
    return castTo(n, n.dtypeOf(1));
  });
  t.add("", "Identity", importIdentity);
}
