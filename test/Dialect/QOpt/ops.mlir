// RUN: qopt-opt %s | FileCheck %s
// RUN: qopt-opt %s | qopt-opt | FileCheck %s
// RUN: qopt-opt %s --mlir-print-op-generic | qopt-opt | FileCheck %s

// CHECK-LABEL: func.func @quantize_roundtrip
// CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>)
// CHECK: %[[Q:.+]] = qopt.quantize %[[X]] : tensor<8x64xf32> to tensor<8x64x!mxfp4>
// CHECK: %[[R:.+]] = qopt.quantize %[[X]] {rounding = #qopt.rounding<nearest_away>, saturate = false, scale_mode = #qopt.scale_mode<rceil>} : tensor<8x64xf32> to tensor<8x64x!mxfp4>
// CHECK: qopt.dequantize %[[Q]] : tensor<8x64x!mxfp4> to tensor<8x64xf32>
// CHECK: qopt.dequantize %[[R]] : tensor<8x64x!mxfp4> to tensor<8x64xbf16>
func.func @quantize_roundtrip(%x: tensor<8x64xf32>) -> (tensor<8x64xf32>, tensor<8x64xbf16>) {
  %q = qopt.quantize %x : tensor<8x64xf32> to tensor<8x64x!qopt.mxfp4>
  %r = qopt.quantize %x {rounding = #qopt.rounding<nearest_away>, scale_mode = #qopt.scale_mode<rceil>, saturate = false} : tensor<8x64xf32> to tensor<8x64x!qopt.mxfp4>
  %d = qopt.dequantize %q : tensor<8x64x!qopt.mxfp4> to tensor<8x64xf32>
  %e = qopt.dequantize %r : tensor<8x64x!qopt.mxfp4> to tensor<8x64xbf16>
  return %d, %e : tensor<8x64xf32>, tensor<8x64xbf16>
}

// CHECK-LABEL: func.func @explicit_scales
// CHECK: qopt.quantize %{{.+}} scales(%{{.+}} : tensor<1x8xf32>) zero_points(%{{.+}} : tensor<1x8xui8>) : tensor<4x8xf32> to tensor<4x8x!qopt.format<ui8, scale = f32, channel = 1, zero_point = ui8>>
func.func @explicit_scales(%x: tensor<4x8xf32>, %s: tensor<1x8xf32>, %z: tensor<1x8xui8>) -> tensor<4x8x!qopt.format<ui8, scale = f32, channel = 1, zero_point = ui8>> {
  %q = qopt.quantize %x scales(%s : tensor<1x8xf32>) zero_points(%z : tensor<1x8xui8>) : tensor<4x8xf32> to tensor<4x8x!qopt.format<ui8, scale = f32, channel = 1, zero_point = ui8>>
  return %q : tensor<4x8x!qopt.format<ui8, scale = f32, channel = 1, zero_point = ui8>>
}

// CHECK-LABEL: func.func @parts
// CHECK: %[[C:.+]] = qopt.codes %{{.+}} : tensor<8x64x!nvfp4> -> tensor<8x64xi4>
// CHECK: %[[S:.+]] = qopt.scales %{{.+}} : tensor<8x64x!nvfp4> -> tensor<8x4xf8E4M3FN>
// CHECK: %[[T:.+]] = qopt.tensor_scale %{{.+}} : tensor<8x64x!nvfp4> -> tensor<f32>
// CHECK: qopt.assemble codes(%[[C]] : tensor<8x64xi4>) scales(%[[S]] : tensor<8x4xf8E4M3FN>) tensor_scale(%[[T]] : tensor<f32>) -> tensor<8x64x!nvfp4>
func.func @parts(%q: tensor<8x64x!qopt.nvfp4>) -> tensor<8x64x!qopt.nvfp4> {
  %c = qopt.codes %q : tensor<8x64x!qopt.nvfp4> -> tensor<8x64xi4>
  %s = qopt.scales %q : tensor<8x64x!qopt.nvfp4> -> tensor<8x4xf8E4M3FN>
  %t = qopt.tensor_scale %q : tensor<8x64x!qopt.nvfp4> -> tensor<f32>
  %r = qopt.assemble codes(%c : tensor<8x64xi4>) scales(%s : tensor<8x4xf8E4M3FN>) tensor_scale(%t : tensor<f32>) -> tensor<8x64x!qopt.nvfp4>
  return %r : tensor<8x64x!qopt.nvfp4>
}

!u4g = !qopt.format<ui4, scale = f16, block = [32], zero_point = ui4>
!e5 = !qopt.format<!qopt.float<"e3m4">, scale = !qopt.float<"ue5m3">, block = [16]>
// CHECK-LABEL: func.func @affine_and_minifloat_parts
// CHECK: qopt.zero_points %{{.+}} -> tensor<4x2xui4>
// CHECK: qopt.scales %{{.+}} -> tensor<4x2xf16>
// CHECK: qopt.scales %{{.+}} -> tensor<4x4xi8>
// CHECK: qopt.codes %{{.+}} -> tensor<4x64xi8>
func.func @affine_and_minifloat_parts(%a: tensor<4x64x!u4g>, %b: tensor<4x64x!e5>) {
  %z = qopt.zero_points %a : tensor<4x64x!u4g> -> tensor<4x2xui4>
  %s = qopt.scales %a : tensor<4x64x!u4g> -> tensor<4x2xf16>
  %t = qopt.scales %b : tensor<4x64x!e5> -> tensor<4x4xi8>
  %c = qopt.codes %b : tensor<4x64x!e5> -> tensor<4x64xi8>
  return
}

!wk = !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>
!i8ch = !qopt.format<i8, scale = f32, channel = 1>
!i8row = !qopt.format<i8, scale = f32, channel = 0>
// CHECK-LABEL: func.func @matmuls
// CHECK: qopt.matmul %{{.+}}, %{{.+}} : tensor<8x64xf32>, tensor<64x16x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>> -> tensor<8x16xf32>
// CHECK: qopt.matmul %{{.+}}, %{{.+}} : tensor<8x64x!mxfp4>, tensor<64x16x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>> -> tensor<8x16xf32>
// CHECK: qopt.matmul %{{.+}}, %{{.+}} {accumulate = i32} : tensor<8x64x!qopt.format<i8, scale = f32, channel = 0>>, tensor<64x16x!qopt.format<i8, scale = f32, channel = 1>> -> tensor<8x16xf32>
// CHECK: qopt.matmul %{{.+}}, %{{.+}} : tensor<2x8x64xf32>, tensor<2x64x16xf32> -> tensor<2x8x16xf32>
func.func @matmuls(%x: tensor<8x64xf32>, %xq: tensor<8x64x!qopt.mxfp4>, %w: tensor<64x16x!wk>,
                   %a: tensor<8x64x!i8row>, %b: tensor<64x16x!i8ch>,
                   %bx: tensor<2x8x64xf32>, %bw: tensor<2x64x16xf32>) {
  %0 = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x16x!wk> -> tensor<8x16xf32>
  %1 = qopt.matmul %xq, %w : tensor<8x64x!qopt.mxfp4>, tensor<64x16x!wk> -> tensor<8x16xf32>
  %2 = qopt.matmul %a, %b {accumulate = i32} : tensor<8x64x!i8row>, tensor<64x16x!i8ch> -> tensor<8x16xf32>
  %3 = qopt.matmul %bx, %bw : tensor<2x8x64xf32>, tensor<2x64x16xf32> -> tensor<2x8x16xf32>
  return
}

// CHECK-LABEL: func.func @hadamard
// CHECK: qopt.hadamard %{{.+}} {axis = -1 : i64, block = 32 : i64} : tensor<8x64xf32>
// CHECK: qopt.hadamard %{{.+}} {axis = 0 : i64, block = 8 : i64, seed = 7 : i64} : tensor<8x64xf32>
func.func @hadamard(%x: tensor<8x64xf32>) -> (tensor<8x64xf32>, tensor<8x64xf32>) {
  %0 = qopt.hadamard %x {axis = -1 : i64, block = 32 : i64} : tensor<8x64xf32>
  %1 = qopt.hadamard %x {axis = 0 : i64, block = 8 : i64, seed = 7 : i64} : tensor<8x64xf32>
  return %0, %1 : tensor<8x64xf32>, tensor<8x64xf32>
}
