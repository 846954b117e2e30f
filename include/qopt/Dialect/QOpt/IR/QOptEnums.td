//===- QOptEnums.td - rounding and scale-mode attributes ---*- tablegen -*-===//
//
// Part of qopt. The enum values mirror qopt::format::Rounding / ScaleMode.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTENUMS_TD
#define QOPT_DIALECT_QOPT_IR_QOPTENUMS_TD

include "qopt/Dialect/QOpt/IR/QOptDialect.td"
include "mlir/IR/EnumAttr.td"

def QOpt_Rounding : I32EnumAttr<"Rounding", "element rounding", [
    I32EnumAttrCase<"nearest_even", 0>, I32EnumAttrCase<"nearest_away", 1>,
    I32EnumAttrCase<"toward_zero", 2>, I32EnumAttrCase<"up", 3>,
    I32EnumAttrCase<"down", 4>]> {
  let cppNamespace = "::mlir::qopt";
  let genSpecializedAttr = 0;
}
def QOpt_RoundingAttr : EnumAttr<QOpt_Dialect, QOpt_Rounding, "rounding"> {
  let assemblyFormat = "`<` $value `>`";
}

def QOpt_ScaleMode : I32EnumAttr<"ScaleMode", "OCP MX scale rounding", [
    I32EnumAttrCase<"floor", 0>, I32EnumAttrCase<"ceil", 1>,
    I32EnumAttrCase<"even", 2>, I32EnumAttrCase<"rceil", 3>]> {
  let cppNamespace = "::mlir::qopt";
  let genSpecializedAttr = 0;
}
def QOpt_ScaleModeAttr : EnumAttr<QOpt_Dialect, QOpt_ScaleMode, "scale_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // QOPT_DIALECT_QOPT_IR_QOPTENUMS_TD
