// RUN: qopt-opt %s -split-input-file -verify-diagnostics --qopt-materialize-scales --mlir-print-local-scope | FileCheck %s

// MX: block amax over a [rows, 1, blocks, 32] view, the E8M0 code from the
// f32 exponent field (FLOOR: ilogb(amax) - emax), elements divided by the
// decoded power of two.
// CHECK-LABEL: func.func @mx
// CHECK: %[[V:.*]] = tensor.expand_shape %arg0 {{\[}}[0, 1], [2, 3]] output_shape [4, 1, 2, 32] : tensor<4x64xf32> into tensor<4x1x2x32xf32>
// CHECK: %[[AMAX:.*]] = linalg.generic {{{.*}}iterator_types = ["parallel", "reduction", "parallel", "reduction"]} ins(%[[V]] : tensor<4x1x2x32xf32>) outs(%{{.*}} : tensor<4x2xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[AMAX]] : tensor<4x2xf32>) outs(%{{.*}} : tensor<4x2xf8E8M0FNU>)
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.shrui
// CHECK: arith.bitcast %{{.*}} : i8 to f8E8M0FNU
// CHECK: %[[C:.*]] = linalg.generic {{.*}} ins(%[[V]], %[[S]] : tensor<4x1x2x32xf32>, tensor<4x2xf8E8M0FNU>) outs(%{{.*}} : tensor<4x1x2x32xi4>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[C]] {{\[}}[0, 1], [2, 3]] : tensor<4x1x2x32xi4> into tensor<4x64xi4>
// CHECK: qopt.assemble codes(%[[F]] : tensor<4x64xi4>) scales(%[[S]] : tensor<4x2xf8E8M0FNU>) -> tensor<4x64x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [-1]>>
// CHECK-NOT: qopt.quantize
func.func @mx(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %q = qopt.quantize %x : tensor<4x64xf32> to tensor<4x64x!qopt.mxfp4>
  %d = qopt.dequantize %q : tensor<4x64x!qopt.mxfp4> to tensor<4x64xf32>
  return %d : tensor<4x64xf32>
}

// -----
// RCEIL divides amax by the largest element (6 for E2M1) before rounding up.
// CHECK-LABEL: func.func @mx_rceil
// CHECK: arith.constant 6.000000e+00 : f32
// CHECK: arith.divf
// CHECK: qopt.assemble
func.func @mx_rceil(%x: tensor<2x32xf32>) -> tensor<2x32xf32> {
  %q = qopt.quantize %x {scale_mode = #qopt.scale_mode<rceil>} : tensor<2x32xf32> to tensor<2x32x!qopt.mxfp4>
  %d = qopt.dequantize %q : tensor<2x32x!qopt.mxfp4> to tensor<2x32xf32>
  return %d : tensor<2x32xf32>
}

// -----
// NVFP4: the FP32 tensor scale amax / (448 * 6) from the block amaxes, E4M3
// block scales clamped to [2^-9, 448], and a tensor_scale part.
// CHECK-LABEL: func.func @nvfp4
// CHECK: %[[AMAX:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: %[[TAMAX:.*]] = linalg.generic {{{.*}}iterator_types = ["reduction", "reduction"]} ins(%[[AMAX]] : tensor<2x4xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: %[[TS:.*]] = linalg.generic {{.*}} ins(%[[TAMAX]] : tensor<f32>)
// CHECK: arith.constant 2.688000e+03 : f32
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[AMAX]], %[[TS]] : tensor<2x4xf32>, tensor<f32>) outs(%{{.*}} : tensor<2x4xf8E4M3FN>)
// CHECK: arith.constant 0.001953125 : f32
// CHECK: arith.constant 4.480000e+02 : f32
// CHECK: qopt.assemble codes(%{{.*}} : tensor<2x64xi4>) scales(%[[S]] : tensor<2x4xf8E4M3FN>) tensor_scale(%[[TS]] : tensor<f32>)
func.func @nvfp4(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %q = qopt.quantize %x : tensor<2x64xf32> to tensor<2x64x!qopt.nvfp4>
  %d = qopt.dequantize %q : tensor<2x64x!qopt.nvfp4> to tensor<2x64xf32>
  return %d : tensor<2x64xf32>
}

// -----
// Per-row absmax int8 (an activation per token): one f32 scale per row,
// elements clamped to [-127, 127].
// CHECK-LABEL: func.func @per_row_int8
// CHECK: tensor.expand_shape %arg0 {{\[}}[0, 1], [2, 3]] output_shape [3, 1, 1, 16]
// CHECK: %[[AMAX:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3x1xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[AMAX]] : tensor<3x1xf32>) outs(%{{.*}} : tensor<3x1xf32>)
// CHECK: arith.constant 1.270000e+02 : f32
// CHECK: qopt.assemble codes(%{{.*}} : tensor<3x16xi8>) scales(%[[S]] : tensor<3x1xf32>)
func.func @per_row_int8(%x: tensor<3x16xf32>) -> tensor<3x16xf32> {
  %q = qopt.quantize %x : tensor<3x16xf32> to tensor<3x16x!qopt.format<i8, scale = f32, channel = 0>>
  %d = qopt.dequantize %q : tensor<3x16x!qopt.format<i8, scale = f32, channel = 0>> to tensor<3x16xf32>
  return %d : tensor<3x16xf32>
}

// -----
// Affine: per-block min and max (NaN skipped), scale and zero point, then an
// explicit-scale quantize (ONNX QuantizeLinear).
// CHECK-LABEL: func.func @affine_blocks
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<2x2xf32>, tensor<2x2xf32>)
// CHECK: arith.minnumf
// CHECK: arith.maxnumf
// CHECK: %[[P:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<2x2xf32>, tensor<2x2xi8>)
// CHECK: %[[Z:.*]] = tensor.bitcast %[[P]]#1 : tensor<2x2xi8> to tensor<2x2xui8>
// CHECK: qopt.quantize %arg0 scales(%[[P]]#0 : tensor<2x2xf32>) zero_points(%[[Z]] : tensor<2x2xui8>)
!a = !qopt.format<ui8, scale = f32, block = [16], axes = [-1], zero_point = ui8>
func.func @affine_blocks(%x: tensor<2x32xf32>) -> tensor<2x32xf32> {
  %q = qopt.quantize %x : tensor<2x32xf32> to tensor<2x32x!a>
  %d = qopt.dequantize %q : tensor<2x32x!a> to tensor<2x32xf32>
  return %d : tensor<2x32xf32>
}

// -----
// A constant is left to the quantize folder (lib/Format at compile time).
// CHECK-LABEL: func.func @constant_left_alone
// CHECK: qopt.quantize %cst : tensor<2x32xf32> to tensor<2x32x!qopt.format<f4E2M1FN
// CHECK-NOT: linalg.generic
func.func @constant_left_alone() -> tensor<2x32xf32> {
  %c = arith.constant dense<1.5> : tensor<2x32xf32>
  %q = qopt.quantize %c : tensor<2x32xf32> to tensor<2x32x!qopt.mxfp4>
  %d = qopt.dequantize %q : tensor<2x32x!qopt.mxfp4> to tensor<2x32xf32>
  return %d : tensor<2x32xf32>
}

// -----
// A scale format without a generated codec is an error naming the format.
!e = !qopt.format<i8, scale = !qopt.float<"e9m6">, block = [32], axes = [-1]>
func.func @no_codec(%x: tensor<2x32xf32>) -> tensor<2x32xf32> {
  // expected-error@+1 {{'qopt.quantize' op cannot materialize the scales of 'tensor<2x32x!qopt.format<i8, scale = !qopt.float<"e9m6">, block = [32], axes = [-1]>>': scale format e9m6 has no generated codec}}
  %q = qopt.quantize %x : tensor<2x32xf32> to tensor<2x32x!e>
  %d = qopt.dequantize %q : tensor<2x32x!e> to tensor<2x32xf32>
  return %d : tensor<2x32xf32>
}
