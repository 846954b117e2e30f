//===- QOptOps.td - qopt operations ------------------------*- tablegen -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTOPS_TD
#define QOPT_DIALECT_QOPT_IR_QOPTOPS_TD

include "qopt/Dialect/QOpt/IR/QOptDialect.td"
include "qopt/Dialect/QOpt/IR/QOptEnums.td"
include "qopt/Dialect/QOpt/IR/QOptTypes.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def QOpt_QuantizedTensor : Type<
    And<[IsTensorTypePred, HasStaticShapePred,
         CPred<"::llvm::isa<::mlir::qopt::FormatType>("
               "::llvm::cast<::mlir::ShapedType>($_self).getElementType())">]>,
    "statically shaped tensor of !qopt.format", "::mlir::RankedTensorType">;

def QOpt_FloatTensor : Type<
    And<[IsTensorTypePred, HasStaticShapePred,
         CPred<"::llvm::isa<::mlir::Float32Type, ::mlir::Float16Type, "
               "::mlir::BFloat16Type>(::llvm::cast<::mlir::ShapedType>($_self)"
               ".getElementType())">]>,
    "statically shaped tensor of f32, f16 or bf16", "::mlir::RankedTensorType">;

def QOpt_ConstantOp : QOpt_Op<"constant", [ConstantLike, Pure]> {
  let summary = "A constant quantized tensor (packed codes and scales)";
  let description = [{
    Holds the serialized bytes of a quantized tensor (layout in
    docs/Formats.md: packed codes, scales, zero points, tensor scale), as a
    `dense_resource` blob typed with the quantized tensor type. Folding a
    `qopt.quantize` of a constant produces one.
    ```mlir
    %w = qopt.constant dense_resource<w> : tensor<64x128x!mxfp4>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs QOpt_QuantizedTensor:$result);
  let hasCustomAssemblyFormat = 1;
  let hasFolder = 1;
  let hasVerifier = 1;
}

def QOpt_QuantizeOp : QOpt_Op<"quantize", [Pure, AttrSizedOperandSegments]> {
  let summary = "Quantize a float tensor into a format";
  let description = [{
    Without explicit scales, computes the scales the result format prescribes
    (OCP MX E8M0 from the block amax under `scale_mode`, NVFP4 two-level,
    absmax, affine with zero point) and encodes every element with
    `rounding`; magnitudes beyond the element range saturate unless
    `saturate = false` (FP8: Inf/NaN). A quantize of a constant folds
    (through lib/Format, bit-exact) into a `qopt.constant` holding the packed
    bytes.

    With explicit `scales` (and `zero_points` / `tensor_scale` where the
    format has them) it encodes with those, as ONNX QuantizeLinear does:
    integers saturate(round(x / scale) + zero_point) over the full storage
    range, floats encode(x / scale).
    ```mlir
    %q = qopt.quantize %x : tensor<64x128xf32> to tensor<64x128x!mxfp4>
    %r = qopt.quantize %x {rounding = #qopt.rounding<nearest_away>,
                           scale_mode = #qopt.scale_mode<rceil>}
        : tensor<64x128xf32> to tensor<64x128x!mxfp4>
    %s = qopt.quantize %x scales(%sc : tensor<1x1xf32>) zero_points(%zp : tensor<1x1xui8>)
        : tensor<4x8xf32> to tensor<4x8x!qopt.format<ui8, scale = f32, zero_point = ui8>>
    ```
  }];
  let arguments = (ins QOpt_FloatTensor:$input,
                       Optional<AnyStaticShapeTensor>:$scales,
                       Optional<AnyStaticShapeTensor>:$zero_points,
                       Optional<0DTensorOf<[F32, F16, BF16]>>:$tensor_scale,
                       DefaultValuedAttr<QOpt_RoundingAttr, "Rounding::nearest_even">:$rounding,
                       DefaultValuedAttr<QOpt_ScaleModeAttr, "ScaleMode::floor">:$scale_mode,
                       DefaultValuedAttr<BoolAttr, "true">:$saturate);
  let results = (outs QOpt_QuantizedTensor:$result);
  let assemblyFormat = [{
    $input (`scales` `(` $scales^ `:` type($scales) `)`)?
    (`zero_points` `(` $zero_points^ `:` type($zero_points) `)`)?
    (`tensor_scale` `(` $tensor_scale^ `:` type($tensor_scale) `)`)?
    attr-dict `:` type($input) `to` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input), [{
      build($_builder, $_state, result, input, nullptr, nullptr, nullptr);
    }]>
  ];
}

def QOpt_DequantizeOp : QOpt_Op<"dequantize", [Pure]> {
  let summary = "Decode a quantized tensor to float";
  let description = [{
    value = decode(code) x block scale (x tensor scale), or
    (code - zero point) x scale for affine integers. A dequantize of a
    constant folds into a float constant.
    ```mlir
    %x = qopt.dequantize %q : tensor<64x128x!mxfp4> to tensor<64x128xf32>
    ```
  }];
  let arguments = (ins QOpt_QuantizedTensor:$input);
  let results = (outs QOpt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QOpt_CodesOp : QOpt_Op<"codes", [Pure]> {
  let summary = "The element codes of a quantized tensor, as integers";
  let description = [{
    One signless integer of the element's bit width per element.
    ```mlir
    %c = qopt.codes %q : tensor<64x128x!mxfp4> -> tensor<64x128xi4>
    ```
  }];
  let arguments = (ins QOpt_QuantizedTensor:$input);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QOpt_ScalesOp : QOpt_Op<"scales", [Pure]> {
  let summary = "The scale grid of a quantized tensor";
  let description = [{
    One scale per block, same rank as the input; the element type is the
    format's scale type when it is a builtin float, else its raw code as a
    signless integer.
    ```mlir
    %s = qopt.scales %q : tensor<64x128x!mxfp4> -> tensor<64x4xf8E8M0FNU>
    ```
  }];
  let arguments = (ins QOpt_QuantizedTensor:$input);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QOpt_ZeroPointsOp : QOpt_Op<"zero_points", [Pure]> {
  let summary = "The zero points of an affine quantized tensor";
  let arguments = (ins QOpt_QuantizedTensor:$input);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QOpt_TensorScaleOp : QOpt_Op<"tensor_scale", [Pure]> {
  let summary = "The second-level (per tensor) scale of a two-level format";
  let arguments = (ins QOpt_QuantizedTensor:$input);
  let results = (outs 0DTensorOf<[F32, F16, BF16]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QOpt_AssembleOp : QOpt_Op<"assemble", [Pure, AttrSizedOperandSegments]> {
  let summary = "Build a quantized tensor from codes and explicit scales";
  let description = [{
    The inverse of `qopt.codes` / `qopt.scales` / `qopt.zero_points` /
    `qopt.tensor_scale`: the operand types must be exactly what those ops
    return for the result type.
    ```mlir
    %q = qopt.assemble codes(%c : tensor<64x128xi4>) scales(%s : tensor<64x4xf8E8M0FNU>)
        -> tensor<64x128x!mxfp4>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$codes, AnyStaticShapeTensor:$scales,
                       Optional<AnyStaticShapeTensor>:$zero_points,
                       Optional<0DTensorOf<[F32, F16, BF16]>>:$tensor_scale);
  let results = (outs QOpt_QuantizedTensor:$result);
  let assemblyFormat = [{
    `codes` `(` $codes `:` type($codes) `)` `scales` `(` $scales `:` type($scales) `)`
    (`zero_points` `(` $zero_points^ `:` type($zero_points) `)`)?
    (`tensor_scale` `(` $tensor_scale^ `:` type($tensor_scale) `)`)?
    attr-dict `->` type($result)
  }];
  let hasVerifier = 1;
}

def QOpt_MatmulOp : QOpt_Op<"matmul", [Pure]> {
  let summary = "Matrix product whose operand types carry their formats";
  let description = [{
    `lhs` (M x K, optionally batched) times `rhs` (K x N, same batch dims),
    each a float tensor or a quantized tensor. Block scales of a quantized
    operand must lie along K (lhs axis -1, rhs axis -2), per-channel scales
    along the non-K axis (lhs M, rhs N); when both operands have K blocks
    their block sizes agree. `accumulate` is f32 (default) or i32; i32
    needs integer elements on both sides without scales of different K
    blocks.
    ```mlir
    %y = qopt.matmul %x, %w : tensor<8x128xf32>, tensor<128x64x!qopt.format<
        f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>> -> tensor<8x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs,
                       OptionalAttr<TypeAttr>:$accumulate);
  let results = (outs RankedTensorOf<[F32, F16, BF16, I32]>:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The accumulation type: `accumulate` when given, else f32.
    ::mlir::Type getAccumulateType() {
      if (auto acc = getAccumulate())
        return *acc;
      return ::mlir::Float32Type::get(getContext());
    }
  }];
}

def QOpt_HadamardOp : QOpt_Op<"hadamard", [Pure, SameOperandsAndResultType]> {
  let summary = "Block Walsh-Hadamard transform along one axis";
  let description = [{
    Multiplies every contiguous block of `block` values along `axis` by the
    normalised Walsh-Hadamard matrix H_b (times diag of random signs drawn
    from `seed` when given): x R with R = diag(H_b D, ..., H_b D). `block`
    is a power of two dividing the axis. H_b is orthogonal and symmetric.
    ```mlir
    %r = qopt.hadamard %x {axis = -1 : i64, block = 32 : i64} : tensor<8x128xf32>
    ```
  }];
  let arguments = (ins QOpt_FloatTensor:$input, I64Attr:$axis, I64Attr:$block,
                       OptionalAttr<I64Attr>:$seed);
  let results = (outs QOpt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

#endif // QOPT_DIALECT_QOPT_IR_QOPTOPS_TD
