//===- DecodeBody.cpp - element and scale halves of a decode body ---------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/DecodeBody.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

#include <numeric>

using namespace mlir;
using namespace mlir::qopt;

std::optional<ElementDecode> mlir::qopt::analyzeElementDecode(Block &body,
                                                              unsigned maxCodeBits) {
  ElementDecode d;
  for (Value a : body.getArguments())
    if (auto it = dyn_cast<IntegerType>(a.getType()); it && it.getWidth() <= maxCodeBits) {
      d.code = a;
      break;
    }
  if (!d.code)
    for (Operation &inner : body.without_terminator())
      if (inner.getNumResults() == 1)
        if (auto it = dyn_cast<IntegerType>(inner.getResult(0).getType());
            it && it.getWidth() <= maxCodeBits) {
          d.code = inner.getResult(0);
          break;
        }
  if (!d.code)
    return std::nullopt;
  // Ops that are functions of the code (and constants) alone.
  llvm::SmallSetVector<Operation *, 16> pure;
  llvm::DenseSet<Value> known = {d.code};
  for (Operation &inner : body.without_terminator()) {
    if (inner.getNumResults() != 1 || !isa<arith::ArithDialect>(inner.getDialect()) ||
        inner.getNumRegions() != 0 || isa<arith::ConstantOp>(inner) ||
        inner.getNumOperands() == 0)
      continue;
    bool ok = true;
    for (Value v : inner.getOperands())
      ok &= known.contains(v) || matchPattern(v, m_Constant());
    if (!ok)
      continue;
    pure.insert(&inner);
    known.insert(inner.getResult(0));
  }
  for (Operation *p : pure)
    if (p->getResult(0).getType().isF32() &&
        llvm::any_of(p->getUsers(), [&](Operation *u) { return !pure.contains(u); }))
      d.decoded = p;
  if (!d.decoded)
    return std::nullopt;
  d.ops.assign(pure.begin(), pure.end());
  return d;
}

/// Folds `ops` in order, each operand taken from `env` (which receives the
/// results) or a constant, and returns `result` as a float; nothing if some op
/// does not fold to a constant. The one evaluator of decode bodies at compile
/// time.
static std::optional<float> foldInOrder(ArrayRef<Operation *> ops,
                                        llvm::DenseMap<Value, Attribute> &env, Value result) {
  auto attrOf = [&](Value v) -> Attribute {
    if (Attribute a = env.lookup(v))
      return a;
    Attribute a;
    matchPattern(v, m_Constant(&a));
    return a;
  };
  for (Operation *p : ops) {
    if (p->getNumResults() != 1 || p->getNumRegions() != 0)
      return std::nullopt;
    SmallVector<Attribute> operands;
    for (Value v : p->getOperands())
      operands.push_back(attrOf(v));
    SmallVector<OpFoldResult> folded;
    if (failed(p->fold(operands, folded)) || folded.size() != 1)
      return std::nullopt;
    Attribute a = isa<Attribute>(folded[0]) ? cast<Attribute>(folded[0])
                                            : attrOf(cast<Value>(folded[0]));
    if (!a)
      return std::nullopt;
    env[p->getResult(0)] = a;
  }
  auto f = dyn_cast_or_null<FloatAttr>(attrOf(result));
  if (!f)
    return std::nullopt;
  return f.getValue().convertToFloat();
}

std::optional<SmallVector<float>> ElementDecode::table() const {
  unsigned width = cast<IntegerType>(code.getType()).getWidth();
  SmallVector<float> values;
  for (int64_t c = 0; c < (int64_t(1) << width); ++c) {
    llvm::DenseMap<Value, Attribute> env;
    env[code] = IntegerAttr::get(code.getType(), APInt(width, uint64_t(c)));
    std::optional<float> v = foldInOrder(ops, env, decoded->getResult(0));
    if (!v)
      return std::nullopt;
    values.push_back(*v);
  }
  return values;
}

std::optional<ScaledDecode> mlir::qopt::matchScaledDecode(linalg::GenericOp op) {
  if (!op->hasAttr("qopt.decode") || op.getNumDpsInits() != 1 || op.getNumResults() != 1 ||
      !op.hasPureTensorSemantics() || op.getNumReductionLoops() != 0 ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() ||
      !cast<RankedTensorType>(op.getResult(0).getType()).getElementType().isF32())
    return std::nullopt;
  Block &body = op.getRegion().front();
  if (!body.getOps<linalg::IndexOp>().empty())
    return std::nullopt;
  std::optional<ElementDecode> element = analyzeElementDecode(body, 8);
  if (!element)
    return std::nullopt;
  auto arg = dyn_cast<BlockArgument>(element->code);
  if (!arg || arg.getOwner() != &body)
    return std::nullopt;
  ScaledDecode d{op, *element, op.getMatchingOpOperand(arg)};
  if (!d.codes || !op.isDpsInput(d.codes) ||
      !op.getMatchingIndexingMap(d.codes).isIdentity())
    return std::nullopt;
  // The yielded value: element * s_1 * ... (one mulf chain from the element).
  Value elem = element->decoded->getResult(0);
  llvm::DenseSet<Value> dependent = {element->code};
  for (Operation &inner : body.without_terminator())
    if (llvm::any_of(inner.getOperands(), [&](Value v) { return dependent.contains(v); }))
      for (Value r : inner.getResults())
        dependent.insert(r);
  llvm::DenseSet<Operation *> chain;
  Value v = body.getTerminator()->getOperand(0);
  while (v != elem) {
    auto mul = v.getDefiningOp<arith::MulFOp>();
    if (!mul || mul->getBlock() != &body)
      return std::nullopt;
    bool l = dependent.contains(mul.getLhs()), r = dependent.contains(mul.getRhs());
    if (l == r)
      return std::nullopt;
    chain.insert(mul);
    v = l ? mul.getLhs() : mul.getRhs();
  }
  // No other op outside the element half may see the code.
  llvm::DenseSet<Operation *> elementOps(element->ops.begin(), element->ops.end());
  for (Operation &inner : body.without_terminator())
    if (!elementOps.contains(&inner) && !chain.contains(&inner) &&
        llvm::any_of(inner.getOperands(), [&](Value x) { return dependent.contains(x); }))
      return std::nullopt;
  return d;
}

int64_t ScaledDecode::scaleBlock(unsigned dim, int64_t extent) const {
  linalg::GenericOp op = this->op;
  int64_t block = extent;
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (in == codes)
      continue;
    for (AffineExpr e : op.getMatchingIndexingMap(in).getResults()) {
      if (!e.isFunctionOfDim(dim))
        continue;
      auto bin = dyn_cast<AffineBinaryOpExpr>(e);
      auto lhs = bin ? dyn_cast<AffineDimExpr>(bin.getLHS()) : nullptr;
      auto rhs = bin ? dyn_cast<AffineConstantExpr>(bin.getRHS()) : nullptr;
      if (!bin || bin.getKind() != AffineExprKind::FloorDiv || !lhs ||
          lhs.getPosition() != dim || !rhs || rhs.getValue() <= 0)
        return 0;
      block = std::gcd(block, rhs.getValue());
    }
  }
  return block;
}

Value ScaledDecode::buildScales(OpBuilder &b, Location loc, unsigned dim, int64_t block,
                                float unit) const {
  linalg::GenericOp op = this->op;
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape = op.getStaticLoopRanges();
  shape[dim] /= block;
  unsigned rank = shape.size();
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  SmallVector<AffineExpr> subst;
  for (unsigned i = 0; i < rank; ++i)
    subst.push_back(i == dim ? getAffineDimExpr(i, ctx) * block : getAffineDimExpr(i, ctx));
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (in == codes)
      continue;
    inputs.push_back(in->get());
    maps.push_back(op.getMatchingIndexingMap(in).replaceDimsAndSymbols(subst, {}, rank, 0));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  Value init = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Block &body = op.getRegion().front();
  llvm::DenseSet<Operation *> elementOps(element.ops.begin(), element.ops.end());
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        IRMapping map;
        unsigned next = 0;
        for (OpOperand *in : op.getDpsInputOperands())
          if (in != codes)
            map.map(op.getMatchingBlockArgument(in), args[next++]);
        map.map(element.decoded->getResult(0),
                arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(unit)).getResult());
        for (Operation &inner : body.without_terminator())
          if (!elementOps.contains(&inner))
            nb.clone(inner, map);
        linalg::YieldOp::create(nb, nl, map.lookup(body.getTerminator()->getOperand(0)));
      });
  return generic.getResult(0);
}

/// Folds the scale half of `d` with the varying operand's block argument set
/// to `x` and the element to 1; nothing if some op does not fold.
static std::optional<float> foldScaleHalf(const ScaledDecode &d, BlockArgument varying,
                                          Attribute x) {
  linalg::GenericOp op = d.op;
  Block &body = op.getRegion().front();
  llvm::DenseSet<Operation *> elementOps(d.element.ops.begin(), d.element.ops.end());
  llvm::DenseMap<Value, Attribute> env;
  if (varying)
    env[varying] = x;
  env[d.element.decoded->getResult(0)] = FloatAttr::get(Float32Type::get(op.getContext()), 1.0);
  for (OpOperand *in : op.getDpsInputOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(in);
    if (in == d.codes || arg == varying)
      continue;
    DenseElementsAttr cst;
    if (!matchPattern(in->get(), m_Constant(&cst)) || !cst.isSplat())
      return std::nullopt;
    env[arg] = cst.getSplatValue<Attribute>();
  }
  SmallVector<Operation *> scaleOps;
  for (Operation &inner : body.without_terminator())
    if (!elementOps.contains(&inner))
      scaleOps.push_back(&inner);
  return foldInOrder(scaleOps, env, body.getTerminator()->getOperand(0));
}

std::optional<ScaleTable> mlir::qopt::foldScaleTable(const ScaledDecode &d) {
  linalg::GenericOp op = d.op;
  ScaleTable t;
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (in == d.codes)
      continue;
    auto type = dyn_cast<RankedTensorType>(in->get().getType());
    if (type && type.getNumElements() == 1)
      continue; // a scalar (e.g. NVFP4's tensor scale)
    if (t.operand)
      return std::nullopt; // two varying scale operands
    t.operand = in;
  }
  if (!t.operand) { // one scale for the whole tensor
    std::optional<float> v = foldScaleHalf(d, BlockArgument(), Attribute());
    if (!v)
      return std::nullopt;
    t.multiplier = *v;
    return t;
  }
  BlockArgument arg = op.getMatchingBlockArgument(t.operand);
  Type et = arg.getType();
  unsigned width = et.getIntOrFloatBitWidth();
  if (et.isF32()) {
    auto at = [&](float v) { return FloatAttr::get(et, v); };
    std::optional<float> one = foldScaleHalf(d, arg, at(1.0f));
    std::optional<float> two = foldScaleHalf(d, arg, at(2.0f));
    if (!one || !two || *two != 2 * *one)
      return std::nullopt;
    t.multiplier = *one;
    return t;
  }
  if (width > 8)
    return std::nullopt;
  for (uint64_t c = 0; c < (uint64_t(1) << width); ++c) {
    Attribute x;
    if (auto ft = dyn_cast<FloatType>(et))
      x = FloatAttr::get(ft, APFloat(ft.getFloatSemantics(), APInt(width, c)));
    else if (isa<IntegerType>(et))
      x = IntegerAttr::get(et, APInt(width, c));
    else
      return std::nullopt;
    std::optional<float> v = foldScaleHalf(d, arg, x);
    if (!v)
      return std::nullopt;
    t.table.push_back(*v);
  }
  return t;
}
