// RUN: qopt-opt %s -split-input-file --convert-qopt-to-linalg -verify-diagnostics

// Computed block scales are qopt-materialize-scales' job: reported, not dropped.
func.func @computed_mx(%x: tensor<2x32xf32>) -> tensor<2x32xf32> {
  // expected-error@+1 {{'qopt.quantize' op with computed scales for format 'tensor<2x32x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [-1]>>' is not lowered: run qopt-materialize-scales first}}
  %q = qopt.quantize %x : tensor<2x32xf32> to tensor<2x32x!qopt.mxfp4>
  %d = qopt.dequantize %q : tensor<2x32x!qopt.mxfp4> to tensor<2x32xf32>
  return %d : tensor<2x32xf32>
}

// -----
func.func @opaque_input(%q: tensor<2x32x!qopt.mxfp4>) -> tensor<2x32xf32> {
  // expected-error@+1 {{'qopt.dequantize' op cannot be lowered to linalg: its quantized operand must come from qopt.assemble or an explicit-scale qopt.quantize}}
  %d = qopt.dequantize %q : tensor<2x32x!qopt.mxfp4> to tensor<2x32xf32>
  return %d : tensor<2x32xf32>
}
