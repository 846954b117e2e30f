//===- QOptOps.cpp - qopt operations: verifiers ----------------------------===//
//
// Part of qopt. Folders live in QOptFolders.cpp.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"
#include "qopt/Format/Packing.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::qopt;
namespace fmt = ::qopt::format;

#define GET_OP_CLASSES
#include "qopt/Dialect/QOpt/IR/QOpt.cpp.inc"

static FormatType formatOf(RankedTensorType t) {
  return cast<FormatType>(t.getElementType());
}

RankedTensorType mlir::qopt::getCodesType(RankedTensorType q) {
  FormatType f = formatOf(q);
  return RankedTensorType::get(q.getShape(), getCodeType(q.getContext(), f.getElementBitWidth()));
}

RankedTensorType mlir::qopt::getScalesType(RankedTensorType q) {
  FormatType f = formatOf(q);
  Type element = f.getScale();
  if (!isa<FloatType>(element))
    element = getCodeType(q.getContext(), getElementFormat(element)->getBitWidth());
  return RankedTensorType::get(f.getScaleShape(q.getShape()), element);
}

RankedTensorType mlir::qopt::getZeroPointsType(RankedTensorType q) {
  FormatType f = formatOf(q);
  if (!f.getZeroPoint())
    return nullptr;
  return RankedTensorType::get(f.getScaleShape(q.getShape()), f.getZeroPoint());
}

RankedTensorType mlir::qopt::getTensorScaleType(RankedTensorType q) {
  FormatType f = formatOf(q);
  if (!f.getTensorScale())
    return nullptr;
  return RankedTensorType::get({}, f.getTensorScale());
}

/// Checks a quantized type's format against its own shape.
static LogicalResult verifyQuantizedShape(Operation *op, RankedTensorType q) {
  return formatOf(q).verifyShape(q.getShape(), [op] { return op->emitOpError(); });
}

static LogicalResult verifySameShape(Operation *op, ShapedType a, ShapedType b) {
  if (a.getShape() != b.getShape())
    return op->emitOpError() << "input and result shapes differ: " << a << " vs " << b;
  return success();
}

static LogicalResult verifyPartType(Operation *op, StringRef part, Type actual,
                                    RankedTensorType expected) {
  if (!expected)
    return op->emitOpError() << "the format has no " << part;
  if (actual != expected)
    return op->emitOpError() << part << " type must be " << expected << ", got " << actual;
  return success();
}

/// Explicit scale/zero-point/tensor-scale operands against a quantized type
/// (qopt.quantize with explicit scales and qopt.assemble).
static LogicalResult verifyParts(Operation *op, RankedTensorType q, Value scales, Value zps,
                                 Value tensorScale) {
  if (failed(verifyPartType(op, "scales", scales.getType(), getScalesType(q))))
    return failure();
  if (RankedTensorType zp = getZeroPointsType(q)) {
    if (!zps)
      return op->emitOpError() << "the format needs zero_points of type " << zp;
    if (failed(verifyPartType(op, "zero point", zps.getType(), zp)))
      return failure();
  } else if (zps) {
    return op->emitOpError() << "the format has no zero point";
  }
  if (RankedTensorType ts = getTensorScaleType(q)) {
    if (!tensorScale)
      return op->emitOpError() << "the format needs a tensor_scale of type " << ts;
    if (failed(verifyPartType(op, "tensor scale", tensorScale.getType(), ts)))
      return failure();
  } else if (tensorScale) {
    return op->emitOpError() << "the format has no tensor scale";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  Attribute value;
  if (parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseAttribute(value, "value", result.attributes))
    return failure();
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements)
    return parser.emitError(parser.getNameLoc(), "expected a typed elements attribute");
  result.addTypes(elements.getType());
  return success();
}

void ConstantOp::print(OpAsmPrinter &printer) {
  printer.printOptionalAttrDict((*this)->getAttrs(), {"value"});
  printer << " ";
  printer.printAttribute(getValue());
}

LogicalResult ConstantOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  auto resource = dyn_cast<DenseResourceElementsAttr>(getValue());
  if (!resource)
    return emitOpError() << "value must be a dense_resource blob of packed bytes";
  if (getValue().getType() != type)
    return emitOpError() << "value type " << getValue().getType()
                         << " differs from result type " << type;
  if (failed(verifyQuantizedShape(*this, type)))
    return failure();
  if (AsmResourceBlob *blob = resource.getRawHandle().getBlob()) {
    size_t expected = fmt::serializedSize(formatOf(type).getTensorFormat(),
                                          std::vector<int64_t>(type.getShape().begin(),
                                                               type.getShape().end()));
    if (blob->getData().size() != expected)
      return emitOpError() << "blob holds " << blob->getData().size()
                           << " bytes but the format needs " << expected;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (failed(verifySameShape(*this, in, out)) || failed(verifyQuantizedShape(*this, out)))
    return failure();
  if (getScaleMode() != ScaleMode::floor &&
      formatOf(out).getTensorFormat().getScaleRule() != fmt::ScaleRule::MX)
    return emitOpError() << "scale_mode applies to E8M0 (MX) scales only";
  if (!getScales()) {
    if (getZeroPoints() || getTensorScale())
      return emitOpError() << "zero_points and tensor_scale need explicit scales";
    return success();
  }
  if (getScaleMode() != ScaleMode::floor)
    return emitOpError() << "scale_mode does not apply to explicit scales";
  fmt::TensorFormat tf = formatOf(out).getTensorFormat();
  if (tf.getScaleRule() == fmt::ScaleRule::MX && tf.getElement().isInt())
    return emitOpError() << "explicit scales on an MX integer format (fixed-point elements) "
                            "are not supported";
  return verifyParts(*this, out, getScales(), getZeroPoints(), getTensorScale());
}

LogicalResult DequantizeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (failed(verifySameShape(*this, in, out)))
    return failure();
  return verifyQuantizedShape(*this, in);
}

//===----------------------------------------------------------------------===//
// Part accessors and AssembleOp
//===----------------------------------------------------------------------===//

LogicalResult CodesOp::verify() {
  auto q = cast<RankedTensorType>(getInput().getType());
  if (failed(verifyQuantizedShape(*this, q)))
    return failure();
  return verifyPartType(*this, "codes", getType(), getCodesType(q));
}

LogicalResult ScalesOp::verify() {
  auto q = cast<RankedTensorType>(getInput().getType());
  if (failed(verifyQuantizedShape(*this, q)))
    return failure();
  return verifyPartType(*this, "scales", getType(), getScalesType(q));
}

LogicalResult ZeroPointsOp::verify() {
  auto q = cast<RankedTensorType>(getInput().getType());
  if (failed(verifyQuantizedShape(*this, q)))
    return failure();
  return verifyPartType(*this, "zero point", getType(), getZeroPointsType(q));
}

LogicalResult TensorScaleOp::verify() {
  auto q = cast<RankedTensorType>(getInput().getType());
  if (failed(verifyQuantizedShape(*this, q)))
    return failure();
  return verifyPartType(*this, "tensor scale", getType(), getTensorScaleType(q));
}

LogicalResult AssembleOp::verify() {
  auto q = cast<RankedTensorType>(getType());
  if (failed(verifyQuantizedShape(*this, q)) ||
      failed(verifyPartType(*this, "codes", getCodes().getType(), getCodesType(q))))
    return failure();
  return verifyParts(*this, q, getScales(), getZeroPoints(), getTensorScale());
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// Checks that an operand's scales factor out of the K reduction: blocks only
/// along K, per-channel scales only along the free axis. Returns the K block
/// size (0 when the operand has no K blocks).
static FailureOr<int64_t> checkOperandFormat(MatmulOp op, StringRef name, RankedTensorType t,
                                             int64_t kAxis, int64_t freeAxis) {
  auto format = dyn_cast<FormatType>(t.getElementType());
  if (!format)
    return int64_t(0);
  if (failed(verifyQuantizedShape(op, t)))
    return failure();
  int64_t rank = t.getRank();
  auto norm = [&](int64_t a) { return a < 0 ? a + rank : a; };
  if (std::optional<int64_t> channel = format.getChannel()) {
    if (norm(*channel) != freeAxis)
      return op.emitOpError() << name << " has per-channel scales on axis " << *channel
                              << "; they must lie on its non-reduction axis " << freeAxis;
    return int64_t(0);
  }
  int64_t kBlock = 0;
  for (auto [axis, size] : llvm::zip(format.getAxes(), format.getBlock())) {
    if (norm(axis) == kAxis) {
      kBlock = size;
    } else if (size != 1) {
      return op.emitOpError() << name << " has blocks of " << size << " along axis " << axis
                              << "; blocks may only span the reduction axis " << kAxis;
    }
  }
  if (!format.getBlock().empty() && kBlock == 0)
    return op.emitOpError() << name << " is blocked but not along its reduction axis " << kAxis;
  return kBlock;
}

LogicalResult MatmulOp::verify() {
  auto lhs = cast<RankedTensorType>(getLhs().getType());
  auto rhs = cast<RankedTensorType>(getRhs().getType());
  auto res = cast<RankedTensorType>(getType());
  if (lhs.getRank() < 2 || lhs.getRank() != rhs.getRank() || res.getRank() != lhs.getRank())
    return emitOpError() << "operands and result must have the same rank >= 2";
  int64_t r = lhs.getRank();
  if (lhs.getShape().drop_back(2) != rhs.getShape().drop_back(2) ||
      lhs.getShape().drop_back(2) != res.getShape().drop_back(2))
    return emitOpError() << "batch dimensions differ";
  int64_t k = lhs.getDimSize(r - 1);
  if (k != rhs.getDimSize(r - 2))
    return emitOpError() << "reduction dimensions differ: lhs has K = " << k
                         << ", rhs has K = " << rhs.getDimSize(r - 2);
  if (res.getDimSize(r - 2) != lhs.getDimSize(r - 2) ||
      res.getDimSize(r - 1) != rhs.getDimSize(r - 1))
    return emitOpError() << "result shape must be M x N = " << lhs.getDimSize(r - 2) << " x "
                         << rhs.getDimSize(r - 1);
  for (RankedTensorType t : {lhs, rhs}) {
    Type e = t.getElementType();
    if (!isa<FormatType, Float32Type, Float16Type, BFloat16Type>(e))
      return emitOpError() << "operands must be float or !qopt.format tensors, got " << t;
  }
  FailureOr<int64_t> lhsBlock = checkOperandFormat(*this, "lhs", lhs, r - 1, r - 2);
  FailureOr<int64_t> rhsBlock = checkOperandFormat(*this, "rhs", rhs, r - 2, r - 1);
  if (failed(lhsBlock) || failed(rhsBlock))
    return failure();
  if (*lhsBlock && *rhsBlock && *lhsBlock != *rhsBlock)
    return emitOpError() << "operand formats cannot meet in one matmul: lhs blocks K by "
                         << *lhsBlock << ", rhs by " << *rhsBlock;
  Type acc = getAccumulateType();
  if (acc.isInteger(32)) {
    for (RankedTensorType t : {lhs, rhs}) {
      auto f = dyn_cast<FormatType>(t.getElementType());
      if (!f || !isa<IntegerType>(f.getElement()))
        return emitOpError() << "i32 accumulation needs integer elements on both operands";
    }
    if (!res.getElementType().isInteger(32) && !isa<FloatType>(res.getElementType()))
      return emitOpError() << "bad result type for i32 accumulation";
  } else if (!acc.isF32()) {
    return emitOpError() << "accumulate must be f32 or i32, got " << acc;
  }
  if (res.getElementType().isInteger(32) && !acc.isInteger(32))
    return emitOpError() << "an i32 result needs i32 accumulation";
  return success();
}

//===----------------------------------------------------------------------===//
// HadamardOp
//===----------------------------------------------------------------------===//

LogicalResult HadamardOp::verify() {
  auto t = cast<RankedTensorType>(getInput().getType());
  int64_t rank = t.getRank(), axis = getAxis(), block = getBlock();
  if (axis < -rank || axis >= rank)
    return emitOpError() << "axis " << axis << " out of range for rank " << rank;
  int64_t dim = t.getDimSize(axis < 0 ? axis + rank : axis);
  if (block < 1 || !llvm::isPowerOf2_64(uint64_t(block)))
    return emitOpError() << "block " << block << " is not a power of two";
  if (dim % block != 0)
    return emitOpError() << "block " << block << " does not divide dimension "
                         << (axis < 0 ? axis + rank : axis) << " (" << dim << ")";
  return success();
}
