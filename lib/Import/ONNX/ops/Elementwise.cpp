//===- Elementwise.cpp - ONNX binary/variadic element-wise ops -------------===//
//
// Part of qopt. Add Sub Mul Div Pow Min Max Sum Mean Equal Less Greater
// LessOrEqual GreaterOrEqual And Or Xor Not Where, with numpy broadcasting.
//
//===----------------------------------------------------------------------===//
#include "../ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::qopt::onnx_import;

namespace {
/// Scalar function of (lhs, rhs) given the operand data type.
using BinaryFn = std::function<Value(OpBuilder &, Location, Value, Value, int32_t dt)>;
} // namespace

/// Import-time evaluation of an integer/bool element-wise node whose inputs
/// are all known (shape arithmetic: Shape -> Gather -> Sub -> Concat ...).
static std::optional<ConstTensor> foldIntegers(NodeContext &n, ArrayRef<int64_t> outShape,
                                               int32_t outDT) {
  int32_t dt = n.dtypeOf(0);
  if (isFloatDType(dt))
    return std::nullopt;
  std::vector<const ConstTensor *> cs;
  for (size_t i = 0; i < n.numInputs(); ++i) {
    const ConstTensor *c = n.constant(i);
    if (!c)
      return std::nullopt;
    cs.push_back(c);
  }
  const std::string &op = n.proto().op_type();
  auto eval = [&](int64_t a, int64_t b) -> std::optional<int64_t> {
    if (op == "Add" || op == "Sum") return a + b;
    if (op == "Sub") return a - b;
    if (op == "Mul") return a * b;
    if (op == "Div") return b == 0 ? std::nullopt : std::optional<int64_t>(a / b);
    if (op == "Min") return std::min(a, b);
    if (op == "Max") return std::max(a, b);
    if (op == "Equal") return int64_t(a == b);
    if (op == "Less") return int64_t(a < b);
    if (op == "LessOrEqual") return int64_t(a <= b);
    if (op == "Greater") return int64_t(a > b);
    if (op == "GreaterOrEqual") return int64_t(a >= b);
    if (op == "And") return int64_t(a && b);
    if (op == "Or") return int64_t(a || b);
    if (op == "Xor") return int64_t(bool(a) != bool(b));
    return std::nullopt;
  };
  ConstTensor r;
  r.dtype = outDT;
  r.shape.assign(outShape.begin(), outShape.end());
  int64_t count = r.numElements();
  std::vector<int64_t> idx(outShape.size(), 0);
  for (int64_t e = 0; e < count; ++e) {
    std::optional<int64_t> acc;
    for (const ConstTensor *c : cs) {
      int64_t lin = 0, stride = 1;
      size_t off = outShape.size() - c->shape.size();
      for (int64_t d = int64_t(c->shape.size()) - 1; d >= 0; --d) {
        lin += (c->shape[d] == 1 ? 0 : idx[off + d]) * stride;
        stride *= c->shape[d];
      }
      int64_t v = c->ints[lin];
      if (!acc)
        acc = v;
      else if (!(acc = eval(*acc, v)))
        return std::nullopt;
    }
    r.ints.push_back(*acc);
    for (int64_t d = int64_t(outShape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
  return r;
}

/// Broadcasts all inputs of `n` (which must share one data type) and applies
/// `fn` pairwise left to right. `resultDT` overrides the output type.
static LogicalResult variadic(NodeContext &n, const BinaryFn &fn,
                              std::optional<int32_t> resultDT = std::nullopt) {
  if (n.numInputs() < 1)
    return n.emitError() << "expects at least one input";
  std::vector<std::vector<int64_t>> shapes;
  SmallVector<Value> operands;
  int32_t dt = n.dtypeOf(0);
  for (size_t i = 0; i < n.numInputs(); ++i) {
    if (!n.hasInput(i))
      return n.emitError() << "input " << i << " is missing";
    if (n.dtypeOf(i) != dt)
      return n.emitError() << "input " << i << " is " << dtypeName(n.dtypeOf(i))
                           << " but input 0 is " << dtypeName(dt);
    shapes.push_back(n.shapeOf(i));
  }
  auto shape = broadcastShapes(shapes);
  if (!shape)
    return n.emitError() << "input shapes cannot be broadcast together";
  int32_t outDT = resultDT.value_or(dt);
  if (std::optional<ConstTensor> folded = foldIntegers(n, *shape, outDT))
    return n.setConstOutput(0, std::move(*folded));
  for (size_t i = 0; i < n.numInputs(); ++i)
    operands.push_back(n.input(i));
  Type elem = elementTypeOf(n.getContext(), outDT);
  Value r = buildElementwise(n.builder(), n.getLoc(), operands, *shape, elem,
                             [&](OpBuilder &b, Location loc, ValueRange a) {
                               Value acc = a[0];
                               for (size_t i = 1; i < a.size(); ++i)
                                 acc = fn(b, loc, acc, a[i], dt);
                               return acc;
                             });
  return n.setOutput(0, r, outDT);
}

static bool isF(int32_t dt) { return isFloatDType(dt); }

static Value add(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  return isF(dt) ? Value(arith::AddFOp::create(b, l, x, y)) : Value(arith::AddIOp::create(b, l, x, y));
}
static Value sub(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  return isF(dt) ? Value(arith::SubFOp::create(b, l, x, y)) : Value(arith::SubIOp::create(b, l, x, y));
}
static Value mul(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  return isF(dt) ? Value(arith::MulFOp::create(b, l, x, y)) : Value(arith::MulIOp::create(b, l, x, y));
}
static Value divide(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  if (isF(dt))
    return arith::DivFOp::create(b, l, x, y);
  if (isUnsignedDType(dt))
    return arith::DivUIOp::create(b, l, x, y);
  return arith::DivSIOp::create(b, l, x, y);
}
static Value minimum(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  if (isF(dt))
    return arith::MinimumFOp::create(b, l, x, y);
  if (isUnsignedDType(dt))
    return arith::MinUIOp::create(b, l, x, y);
  return arith::MinSIOp::create(b, l, x, y);
}
static Value maximum(OpBuilder &b, Location l, Value x, Value y, int32_t dt) {
  if (isF(dt))
    return arith::MaximumFOp::create(b, l, x, y);
  if (isUnsignedDType(dt))
    return arith::MaxUIOp::create(b, l, x, y);
  return arith::MaxSIOp::create(b, l, x, y);
}

static BinaryFn compare(arith::CmpFPredicate fp, arith::CmpIPredicate sp, arith::CmpIPredicate up) {
  return [=](OpBuilder &b, Location l, Value x, Value y, int32_t dt) -> Value {
    if (isF(dt))
      return arith::CmpFOp::create(b, l, fp, x, y);
    return arith::CmpIOp::create(b, l, isUnsignedDType(dt) ? up : sp, x, y);
  };
}

/// Pow: computed in the base's float type (f32 for integer bases).
static LogicalResult importPow(NodeContext &n) {
  if (n.numInputs() != 2)
    return n.emitError() << "expects 2 inputs";
  int32_t bdt = n.dtypeOf(0), edt = n.dtypeOf(1);
  auto shape = broadcastShapes({n.shapeOf(0), n.shapeOf(1)});
  if (!shape)
    return n.emitError() << "input shapes cannot be broadcast together";
  int32_t work = isF(bdt) ? bdt : dtype::Double;
  Value r = buildElementwise(
      n.builder(), n.getLoc(), {n.input(0), n.input(1)}, *shape,
      elementTypeOf(n.getContext(), bdt), [&](OpBuilder &b, Location l, ValueRange a) {
        Value x = convertScalar(b, l, a[0], bdt, work);
        Value y = convertScalar(b, l, a[1], edt, work);
        Value p = math::PowFOp::create(b, l, x, y);
        if (isF(bdt))
          return p;
        // Integer results: the exact power rounded (powf of integers is exact
        // in double for the ranges ONNX tests; truncation would lose 0.9999).
        return convertScalar(b, l, math::RoundEvenOp::create(b, l, p), work, bdt);
      });
  return n.setOutput(0, r, bdt);
}

static LogicalResult importWhere(NodeContext &n) {
  if (n.numInputs() != 3)
    return n.emitError() << "expects 3 inputs (condition, X, Y)";
  if (n.dtypeOf(0) != dtype::Bool)
    return n.emitError() << "condition must be BOOL, got " << dtypeName(n.dtypeOf(0));
  if (n.dtypeOf(1) != n.dtypeOf(2))
    return n.emitError() << "X is " << dtypeName(n.dtypeOf(1)) << " but Y is "
                         << dtypeName(n.dtypeOf(2));
  auto shape = broadcastShapes({n.shapeOf(0), n.shapeOf(1), n.shapeOf(2)});
  if (!shape)
    return n.emitError() << "input shapes cannot be broadcast together";
  Value r = buildElementwise(n.builder(), n.getLoc(), {n.input(0), n.input(1), n.input(2)}, *shape,
                             elementTypeOf(n.getContext(), n.dtypeOf(1)),
                             [](OpBuilder &b, Location l, ValueRange a) {
                               return arith::SelectOp::create(b, l, a[0], a[1], a[2]);
                             });
  return n.setOutput(0, r, n.dtypeOf(1));
}

static LogicalResult importNot(NodeContext &n) {
  if (n.dtypeOf(0) != dtype::Bool)
    return n.emitError() << "expects a BOOL input";
  Value r = buildElementwise(n.builder(), n.getLoc(), {n.input(0)}, n.shapeOf(0),
                             n.builder().getI1Type(), [](OpBuilder &b, Location l, ValueRange a) {
                               Value t = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
                               return arith::XOrIOp::create(b, l, a[0], t);
                             });
  return n.setOutput(0, r, dtype::Bool);
}

/// Mean: the sum of all inputs divided by their count (floats).
static LogicalResult importMean(NodeContext &n) {
  if (!isF(n.dtypeOf(0)))
    return n.emitError() << "Mean needs float inputs";
  double count = double(n.numInputs());
  std::vector<std::vector<int64_t>> shapes;
  SmallVector<Value> operands;
  for (size_t i = 0; i < n.numInputs(); ++i) {
    if (n.dtypeOf(i) != n.dtypeOf(0))
      return n.emitError() << "input " << i << " type differs from input 0";
    shapes.push_back(n.shapeOf(i));
    operands.push_back(n.input(i));
  }
  auto shape = broadcastShapes(shapes);
  if (!shape)
    return n.emitError() << "input shapes cannot be broadcast together";
  int32_t dt = n.dtypeOf(0);
  Value r = buildElementwise(n.builder(), n.getLoc(), operands, *shape,
                             elementTypeOf(n.getContext(), dt),
                             [&](OpBuilder &b, Location l, ValueRange a) {
                               Value acc = a[0];
                               for (size_t i = 1; i < a.size(); ++i)
                                 acc = add(b, l, acc, a[i], dt);
                               return arith::DivFOp::create(
                                          b, l, acc, scalarConstant(b, l, acc.getType(), count))
                                   .getResult();
                             });
  return n.setOutput(0, r, dt);
}

void mlir::qopt::onnx_import::addElementwiseOps(OpTable &t) {
  t.add("", "Mean", importMean);
  t.add("", "Add", [](NodeContext &n) { return variadic(n, add); });
  t.add("", "Sub", [](NodeContext &n) { return variadic(n, sub); });
  t.add("", "Mul", [](NodeContext &n) { return variadic(n, mul); });
  t.add("", "Div", [](NodeContext &n) { return variadic(n, divide); });
  t.add("", "Sum", [](NodeContext &n) { return variadic(n, add); });
  t.add("", "Min", [](NodeContext &n) { return variadic(n, minimum); });
  t.add("", "Max", [](NodeContext &n) { return variadic(n, maximum); });
  t.add("", "Pow", importPow);
  t.add("", "Where", importWhere);
  t.add("", "Not", importNot);
  using FP = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  t.add("", "Equal", [](NodeContext &n) {
    return variadic(n, compare(FP::OEQ, IP::eq, IP::eq), dtype::Bool);
  });
  t.add("", "Less", [](NodeContext &n) {
    return variadic(n, compare(FP::OLT, IP::slt, IP::ult), dtype::Bool);
  });
  t.add("", "LessOrEqual", [](NodeContext &n) {
    return variadic(n, compare(FP::OLE, IP::sle, IP::ule), dtype::Bool);
  });
  t.add("", "Greater", [](NodeContext &n) {
    return variadic(n, compare(FP::OGT, IP::sgt, IP::ugt), dtype::Bool);
  });
  t.add("", "GreaterOrEqual", [](NodeContext &n) {
    return variadic(n, compare(FP::OGE, IP::sge, IP::uge), dtype::Bool);
  });
  auto logical = [](auto opTag) {
    return [](NodeContext &n) -> LogicalResult {
      if (n.dtypeOf(0) != dtype::Bool)
        return n.emitError() << "expects BOOL inputs";
      return variadic(n, [](OpBuilder &b, Location l, Value x, Value y, int32_t) -> Value {
        return decltype(opTag)::create(b, l, x, y);
      });
    };
  };
  t.add("", "And", logical(arith::AndIOp()));
  t.add("", "Or", logical(arith::OrIOp()));
  t.add("", "Xor", logical(arith::XOrIOp()));
}
