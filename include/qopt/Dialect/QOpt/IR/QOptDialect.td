//===- QOptDialect.td - the qopt dialect -------------------*- tablegen -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTDIALECT_TD
#define QOPT_DIALECT_QOPT_IR_QOPTDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def QOpt_Dialect : Dialect {
  let name = "qopt";
  let cppNamespace = "::mlir::qopt";
  let summary = "Format-aware quantization: element x scale x block in the type";
  let description = [{
    The `qopt` dialect carries quantized tensors through the compiler. A
    quantized value is a tensor whose element type is `!qopt.format<...>`:
    one parametric type for element format x scale format x block shape x
    optional second-level tensor scale x optional zero point. Every rule of
    what a format means lives in the pure C++ library `lib/Format`; the
    dialect's verifiers and folders call it and never re-derive a rule.
    Named presets (`!qopt.mxfp4`, `!qopt.nvfp4`, `!qopt.int4_g128`, ...)
    parse as types and print as aliases (`!mxfp4`).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let useDefaultTypePrinterParser = 0;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
    ::mlir::Type parseType(::mlir::DialectAsmParser &parser) const override;
    void printType(::mlir::Type type, ::mlir::DialectAsmPrinter &printer) const override;
  }];
}

class QOpt_Op<string mnemonic, list<Trait> traits = []>
    : Op<QOpt_Dialect, mnemonic, traits>;
class QOpt_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<QOpt_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

#endif // QOPT_DIALECT_QOPT_IR_QOPTDIALECT_TD
