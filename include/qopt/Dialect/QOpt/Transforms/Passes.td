//===- Passes.td - qopt transformation passes --------------*- tablegen -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
#define QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QuantizePass : Pass<"qopt-quantize", "ModuleOp"> {
  let summary = "Give the constant weights of qopt.matmul a quantization format";
  let description = [{
    For every `qopt.matmul` whose right operand is a constant weight W (K x N,
    or a transposed N x K constant), quantizes W at compile time into the
    scheme's weight format, blocked along the reduction axis K. The weight
    becomes a `qopt.quantize` of the constant, which folds (bit-exact, through
    lib/Format) into packed `qopt.constant` bytes. When K is not a multiple of
    the block, the tail block is zero-padded (zeros do not change a block's
    amax) and the padding is sliced away after decoding.

    Weight-only schemes (activations stay float): `w8a16-int8` (one scale
    per output channel), `w4a16-int4-g128`, `w4a16-int4-g32`, `w8a16-fp8`
    (one FP32 scale, amax/448), `w4a16-mxfp4`, `w6a16-mxfp6` (E2M3),
    `w8a16-mxfp8` (E4M3), `w8a16-mxint8`, `w4a16-nvfp4`, `w4a16-nf4`
    (block 64); or `w:<format>` with any preset or lib/Format spec, whose
    blocks along the last axis are taken along K. Schemes that quantize
    activations are refused with an error. `exclude` skips layers whose ONNX
    node name matches a glob; `report` writes a per-layer table ("-") or JSON.
    ```mlir
    %y = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x16xf32> -> tensor<8x16xf32>
    // qopt-quantize{scheme=w4a16-mxfp4}:
    %q = qopt.quantize %w : tensor<64x16xf32> to tensor<64x16x!qopt.format<f4E2M1FN,
        scale = f8E8M0FNU, block = [32], axes = [0]>>
    %y = qopt.matmul %x, %q : ...
    ```
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"none\"",
           "Quantization scheme (w8a16-int8, w4a16-mxfp4, ..., or w:<format>)">,
    ListOption<"exclude", "exclude", "std::string",
               "ONNX node-name globs of layers to keep in float">,
    Option<"report", "report", "std::string", "\"\"",
           "Per-layer report: '-' prints a table, a path writes JSON">,
  ];
  let dependentDialects = ["::mlir::qopt::QOptDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def MaterializeScalesPass : Pass<"qopt-materialize-scales"> {
  let summary = "Make every computed scale of qopt.quantize explicit IR";
  let description = [{
    Rewrites each `qopt.quantize` whose scales the format computes and whose
    input is not a constant (constants fold through lib/Format instead) into
    linalg/arith IR, one emitter per lib/Format rule:

    - block statistics: the input is viewed as [grid, block, grid, block, ...]
      with `tensor.expand_shape` and reduced per block (amax with NaN
      propagation; min/max skipping NaN for affine formats);
    - OCP MX: the E8M0 code from amax under `scale_mode` (FLOOR, CEIL, EVEN,
      RCEIL), elements divided by the power-of-two scale (MXINT: fixed point
      1.(bits-2));
    - NVFP4/NVINT4 two-level: FP32 tensor scale amax / (448 x 6), E4M3 block
      scales clamped to the scale range, elements clamped to the element range;
    - absmax: amax / max element in the scale format (zero blocks get the
      smallest positive scale);
    - affine: (max - min) / (qmax - qmin) over a range widened to 0, zero
      point round(qmin - min / scale), then an explicit-scale quantize.

    Symmetric results become `qopt.assemble codes(..) scales(..)
    [tensor_scale(..)]`; affine results a `qopt.quantize` with explicit
    scales and zero points. Formats without generated codecs are an error.
    ```mlir
    %q = qopt.quantize %x : tensor<4x64xf32> to tensor<4x64x!qopt.mxfp4>
    // becomes: amax per 1x32 block, E8M0 codes, encoded elements, and
    %q = qopt.assemble codes(%c : tensor<4x64xi4>) scales(%s : tensor<4x2xf8E8M0FNU>)
        -> tensor<4x64x!qopt.mxfp4>
    ```
  }];
  let dependentDialects = ["::mlir::qopt::QOptDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect"];
}

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
