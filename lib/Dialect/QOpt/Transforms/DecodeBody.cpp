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

std::optional<SmallVector<float>> ElementDecode::table() const {
  unsigned width = cast<IntegerType>(code.getType()).getWidth();
  SmallVector<float> values;
  for (int64_t c = 0; c < (int64_t(1) << width); ++c) {
    llvm::DenseMap<Value, Attribute> env;
    env[code] = IntegerAttr::get(code.getType(), APInt(width, uint64_t(c)));
    auto attrOf = [&](Value v) -> Attribute {
      if (Attribute a = env.lookup(v))
        return a;
      Attribute a;
      matchPattern(v, m_Constant(&a));
      return a;
    };
    for (Operation *p : ops) {
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
    auto f = dyn_cast_or_null<FloatAttr>(env.lookup(decoded->getResult(0)));
    if (!f)
      return std::nullopt;
    values.push_back(f.getValue().convertToFloat());
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
