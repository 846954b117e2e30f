// A weight quantized at compile time: qopt-opt -canonicalize folds the
// quantize of a constant, through lib/Format, into packed MXFP4 bytes.
func.func @weight() -> (tensor<2x32x!qopt.mxfp4>, tensor<2x32xf32>) {
  %w = arith.constant dense<[
    [1.25, 2.5, -0.375, 6.0, -0.2, 0.1, 0.7, 3.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
     0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -5.0],
    [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16,
     -0.01, -0.02, -0.03, -0.04, -0.05, -0.06, -0.07, -0.08, -0.09, -0.10, -0.11, -0.12, -0.13, -0.14, -0.15, -0.16]]> : tensor<2x32xf32>
  %q = qopt.quantize %w : tensor<2x32xf32> to tensor<2x32x!qopt.mxfp4>
  %d = qopt.dequantize %q : tensor<2x32x!qopt.mxfp4> to tensor<2x32xf32>
  return %q, %d : tensor<2x32x!qopt.mxfp4>, tensor<2x32xf32>
}
