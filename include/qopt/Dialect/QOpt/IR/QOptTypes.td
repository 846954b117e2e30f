//===- QOptTypes.td - format-aware types -------------------*- tablegen -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTTYPES_TD
#define QOPT_DIALECT_QOPT_IR_QOPTTYPES_TD

include "qopt/Dialect/QOpt/IR/QOptDialect.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

def QOpt_MiniFloatType : QOpt_Type<"MiniFloat", "float"> {
  let summary = "A minifloat without an MLIR builtin type (any eXmY, UE4M3, UE5M3)";
  let description = [{
    Names a floating-point encoding by its `lib/Format` name: `e3m4` (no
    Inf/NaN below 8 bits), `e4m3_fn`, `e5m2_fnuz`, `e3m3_ieee`, unsigned
    `ue4m3` / `ue5m3`, an explicit bias `_b<N>`. Formats that have an MLIR
    builtin type (f8E4M3FN, f4E2M1FN, ...) must use the builtin.
    ```mlir
    !qopt.float<"e3m4">
    ```
  }];
  let parameters = (ins StringRefParameter<"lib/Format name">:$spec);
  let assemblyFormat = "`<` $spec `>`";
  let genVerifyDecl = 1;
}

def QOpt_CodebookType : QOpt_Type<"Codebook", "codebook"> {
  let summary = "A 4-bit code indexing 16 values (NF4 or a user table)";
  let description = [{
    ```mlir
    !qopt.codebook<nf4>
    !qopt.codebook<[-1.0, -0.75, ..., 1.0]>   // exactly 16 increasing values
    ```
  }];
  let parameters = (ins "::mlir::DenseF32ArrayAttr":$values);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def QOpt_FormatType : QOpt_Type<"Format", "format"> {
  let summary = "Element x scale x block quantization format";
  let description = [{
    The element type of a quantized tensor. Parameters: the element encoding
    (builtin `i4`/`ui4`/`i8`/`f4E2M1FN`/`f8E4M3FN`/..., `!qopt.float`,
    `!qopt.codebook`), the scale encoding (`f32`, `f16`, `bf16`,
    `f8E8M0FNU`, `f8E4M3FN`, `!qopt.float<"ue5m3">`, ...), the granularity
    (per tensor when neither `block` nor `channel` is given; `channel = A`
    for one scale per index of axis A; `block = [B]` / `[B0, B1]` along
    `axes` (default: the trailing axes), axes may be negative), an optional
    second-level `tensor_scale` and an optional integer `zero_point`.
    The verifier asks `lib/Format` (TensorFormat::verify); the block sizes
    are checked against the tensor shape by the ops using the type.
    ```mlir
    !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [-1]>
    !qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], axes = [-1], tensor_scale = f32>
    !qopt.format<ui4, scale = f16, block = [128], axes = [-1], zero_point = ui4>
    !qopt.format<i8, scale = f32, channel = 0>
    !qopt.mxfp4          // a preset; printed as the alias !mxfp4
    ```
  }];
  let parameters = (ins "::mlir::Type":$element, "::mlir::Type":$scale,
                        ArrayRefParameter<"int64_t">:$block,
                        ArrayRefParameter<"int64_t">:$axes,
                        OptionalParameter<"std::optional<int64_t>">:$channel,
                        OptionalParameter<"::mlir::Type">:$tensor_scale,
                        OptionalParameter<"::mlir::Type">:$zero_point);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The lib/Format description of this type (always valid for a verified type).
    ::qopt::format::TensorFormat getTensorFormat() const;
    /// The type of a tensor format; nullptr if an encoding has no MLIR type.
    static FormatType get(::mlir::MLIRContext *context,
                          const ::qopt::format::TensorFormat &format);
    /// Checks this format against a tensor shape (axes, block divisibility).
    ::mlir::LogicalResult verifyShape(::llvm::ArrayRef<int64_t> shape,
                                      ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError) const;
    /// Shape of the scale grid for a value of `shape`.
    ::llvm::SmallVector<int64_t> getScaleShape(::llvm::ArrayRef<int64_t> shape) const;
    /// Bit width of one element code.
    unsigned getElementBitWidth() const;
  }];
}

#endif // QOPT_DIALECT_QOPT_IR_QOPTTYPES_TD
