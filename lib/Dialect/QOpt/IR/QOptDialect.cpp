//===- QOptDialect.cpp - the qopt dialect ----------------------------------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qopt;

#include "qopt/Dialect/QOpt/IR/QOptDialect.cpp.inc"
#include "qopt/Dialect/QOpt/IR/QOptEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptAttrs.cpp.inc"

namespace {
/// Prints preset formats as aliases: !mxfp4 = !qopt.format<...>.
struct QOptOpAsmInterface : public OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;
  AliasResult getAlias(Type type, raw_ostream &os) const override {
    if (auto format = dyn_cast<FormatType>(type)) {
      if (auto name = format.getTensorFormat().getPresetName()) {
        os << *name;
        return AliasResult::FinalAlias;
      }
    }
    return AliasResult::NoAlias;
  }
};
} // namespace

void QOptDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qopt/Dialect/QOpt/IR/QOptAttrs.cpp.inc"
      >();
}

void QOptDialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "qopt/Dialect/QOpt/IR/QOpt.cpp.inc"
      >();
  addInterfaces<QOptOpAsmInterface>();
}

Operation *QOptDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                            Location loc) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!tensorType || !elements || elements.getType() != type)
    return nullptr;
  if (isa<FormatType>(tensorType.getElementType()))
    return ConstantOp::create(builder, loc, type, elements);
  return arith::ConstantOp::create(builder, loc, type, cast<TypedAttr>(value));
}
