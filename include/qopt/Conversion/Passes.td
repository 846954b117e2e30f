//===- Passes.td - qopt conversion passes ------------------*- tablegen -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_CONVERSION_PASSES_TD
#define QOPT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQOptToLinalgPass : Pass<"convert-qopt-to-linalg", "ModuleOp"> {
  let summary = "Lower qopt quantize/dequantize/parts to linalg + arith element codecs";
  let description = [{
    Rewrites quantized values into explicit integer code tensors and scale
    tensors, with every encode/decode generated as arith/math code (bit-exact
    with lib/Format; no upstream f8/f6/f4 conversions): `qopt.codes` of a
    `qopt.quantize` with explicit scales becomes a linalg.generic that
    divides, rounds, adds the zero point and saturates; `qopt.dequantize` of a
    `qopt.assemble` a linalg.generic that decodes and scales; `qopt.matmul` a
    linalg.generic over (batch..., m, k, n) on the decoded operands. Quantize
    ops with computed scales must have gone through `qopt-materialize-scales`.
    Anything else that stays in qopt is reported as an error naming the op.
    ```mlir
    %q = qopt.assemble codes(%c : tensor<4x8xi8>) scales(%s : tensor<1x1xf32>) -> tensor<4x8x!qopt.int8>
    %x = qopt.dequantize %q : tensor<4x8x!qopt.int8> to tensor<4x8xf32>
    // becomes
    %x = linalg.generic ... ins(%c, %s : tensor<4x8xi8>, tensor<1x1xf32>) { sitofp; mulf } ...
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"];
}

#endif // QOPT_CONVERSION_PASSES_TD
