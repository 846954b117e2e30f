// RUN: qopt-opt %s -split-input-file -canonicalize | FileCheck %s
// Constant folding through lib/Format. Every expected byte and value below is
// worked out by hand from FORMATS.md (comments show the arithmetic); the blob
// is printed as "0x" + 4-byte alignment (08000000) + the serialized bytes
// (docs/Formats.md: packed codes | scales | zero points | tensor scale, each
// section 4-byte aligned).

// MXFP4, RNE. amax 6 -> floor(log2 6) - emax(E2M1) = 2 - 2 = 0 -> scale 2^0,
// E8M0 code 0x7F. 1.25 -> 1.0 (tie, even; code 2), 2.5 -> 2.0 (tie; code 4),
// -0.375 -> -0.5 (code 9), 6 -> code 7, -0.2 -> -0 (code 8, sign kept).
// Low nibble first: 0x42 0x79 0x08, then zeros; scale at byte 16.
// CHECK-LABEL: func.func @mxfp4_rne
// CHECK: qopt.constant dense_resource<[[BLOB:.+]]> : tensor<1x32x!mxfp4>
// CHECK: [[BLOB]]: "0x08000000427908000000000000000000000000007F000000"
func.func @mxfp4_rne() -> tensor<1x32x!qopt.mxfp4> {
  %c = arith.constant dense<[[1.25, 2.5, -0.375, 6.0, -0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x32xf32>
  %q = qopt.quantize %c : tensor<1x32xf32> to tensor<1x32x!qopt.mxfp4>
  return %q : tensor<1x32x!qopt.mxfp4>
}

// -----
// The same block decoded again, and its parts.
// CHECK-LABEL: func.func @mxfp4_parts
// CHECK-DAG: arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, -5.000000e-01, 6.000000e+00, -0.000000e+00, 0.000000e+00,
// CHECK-DAG: arith.constant dense<{{\[\[}}2, 4, -7, 7, -8, 0, 0, {{.*}}]]> : tensor<1x32xi4>
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<1x1xf8E8M0FNU>
// CHECK-NOT: qopt.{{quantize|dequantize|codes|scales}}
// CHECK: return
func.func @mxfp4_parts() -> (tensor<1x32xf32>, tensor<1x32xi4>, tensor<1x1xf8E8M0FNU>) {
  %c = arith.constant dense<[[1.25, 2.5, -0.375, 6.0, -0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x32xf32>
  %q = qopt.quantize %c : tensor<1x32xf32> to tensor<1x32x!qopt.mxfp4>
  %d = qopt.dequantize %q : tensor<1x32x!qopt.mxfp4> to tensor<1x32xf32>
  %k = qopt.codes %q : tensor<1x32x!qopt.mxfp4> -> tensor<1x32xi4>
  %s = qopt.scales %q : tensor<1x32x!qopt.mxfp4> -> tensor<1x1xf8E8M0FNU>
  return %d, %k, %s : tensor<1x32xf32>, tensor<1x32xi4>, tensor<1x1xf8E8M0FNU>
}

// -----
// Ties away from zero (the MX emulator's "nearest"): 1.25 -> 1.5 (code 3),
// 2.5 -> 3.0 (code 5): bytes 0x53 0x79 0x08.
// CHECK-LABEL: func.func @mxfp4_nearest_away
// CHECK: [[BLOB:.+]]: "0x08000000537908000000000000000000000000007F000000"
func.func @mxfp4_nearest_away() -> tensor<1x32x!qopt.mxfp4> {
  %c = arith.constant dense<[[1.25, 2.5, -0.375, 6.0, -0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x32xf32>
  %q = qopt.quantize %c {rounding = #qopt.rounding<nearest_away>} : tensor<1x32xf32> to tensor<1x32x!qopt.mxfp4>
  return %q : tensor<1x32x!qopt.mxfp4>
}

// -----
// FLOOR vs RCEIL on one E2M1 block with amax 7 (mantissa 1.75):
// FLOOR: 2 - 2 = 0 -> scale 1, 7 saturates to 6.
// RCEIL: ceil(log2(7 / 6)) = 1 -> scale 2, 7 / 2 = 3.5 -> 4 (tie, even).
// CHECK-LABEL: func.func @floor_vs_rceil
// CHECK-DAG: arith.constant dense<{{\[\[}}6.000000e+00, 0.000000e+00{{.*}}]]> : tensor<1x32xf32>
// CHECK-DAG: arith.constant dense<{{\[\[}}8.000000e+00, 0.000000e+00{{.*}}]]> : tensor<1x32xf32>
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<1x1xf8E8M0FNU>
// CHECK-DAG: arith.constant dense<2.000000e+00> : tensor<1x1xf8E8M0FNU>
func.func @floor_vs_rceil() -> (tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x1xf8E8M0FNU>, tensor<1x1xf8E8M0FNU>) {
  %c = arith.constant dense<[[7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x32xf32>
  %f = qopt.quantize %c : tensor<1x32xf32> to tensor<1x32x!qopt.mxfp4>
  %r = qopt.quantize %c {scale_mode = #qopt.scale_mode<rceil>} : tensor<1x32xf32> to tensor<1x32x!qopt.mxfp4>
  %df = qopt.dequantize %f : tensor<1x32x!qopt.mxfp4> to tensor<1x32xf32>
  %dr = qopt.dequantize %r : tensor<1x32x!qopt.mxfp4> to tensor<1x32xf32>
  %sf = qopt.scales %f : tensor<1x32x!qopt.mxfp4> -> tensor<1x1xf8E8M0FNU>
  %sr = qopt.scales %r : tensor<1x32x!qopt.mxfp4> -> tensor<1x1xf8E8M0FNU>
  return %df, %dr, %sf, %sr : tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x1xf8E8M0FNU>, tensor<1x1xf8E8M0FNU>
}

// -----
// NVFP4: s_tensor = 2688 / (448 * 6) = 1.0. Block 0 amax 2688: 2688/6/1 = 448
// -> E4M3 0x7E; 2688/448 = 6 (code 7), 1344/448 = 3 (code 5). Block 1 amax 12:
// 12/6 = 2 -> E4M3 0x40; 12/2 = 6 (7), 6/2 = 3 (5), -3/2 = -1.5 (0xB).
// Bytes: codes 57 00.. | 57 0B 00..; scales 7E 40 (+2 pad); tensor scale 1.0f.
// CHECK-LABEL: func.func @nvfp4
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: arith.constant dense<{{\[\[}}4.480000e+02, 2.000000e+00]]> : tensor<1x2xf8E4M3FN>
// CHECK-DAG: arith.constant dense<{{\[\[}}2.688000e+03, 1.344000e+03, 0.000000e+00{{.*}}, 1.200000e+01, 6.000000e+00, -3.000000e+00, 0.000000e+00
// CHECK: "0x080000005700000000000000570B0000000000007E4000000000803F"
func.func @nvfp4() -> (tensor<f32>, tensor<1x2xf8E4M3FN>, tensor<1x32xf32>, tensor<1x32x!qopt.nvfp4>) {
  %c = arith.constant dense<[[2688.0, 1344.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 12.0, 6.0, -3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x32xf32>
  %q = qopt.quantize %c : tensor<1x32xf32> to tensor<1x32x!qopt.nvfp4>
  %t = qopt.tensor_scale %q : tensor<1x32x!qopt.nvfp4> -> tensor<f32>
  %s = qopt.scales %q : tensor<1x32x!qopt.nvfp4> -> tensor<1x2xf8E4M3FN>
  %d = qopt.dequantize %q : tensor<1x32x!qopt.nvfp4> to tensor<1x32xf32>
  return %t, %s, %d, %q : tensor<f32>, tensor<1x2xf8E4M3FN>, tensor<1x32xf32>, tensor<1x32x!qopt.nvfp4>
}

// -----
// Integer per-channel (axis 0), symmetric absmax in FP32: row 0 amax 127 ->
// scale 1.0 (3F800000): 127, -63.5 -> -64 (tie, even), 1, 0; row 1 amax 63.5
// -> scale 0.5 (3F000000): 63.5/0.5 = 127, -10/0.5 = -20 (0xEC), 0.3/0.5 = 0.6 -> 1.
// CHECK-LABEL: func.func @int8_channel
// CHECK-DAG: arith.constant dense<{{\[\[}}127, -64, 1, 0], [127, -20, 1, 0]]> : tensor<2x4xi8>
// CHECK-DAG: "0x080000007FC001007FEC01000000803F0000003F"
func.func @int8_channel() -> (tensor<2x4xi8>, tensor<2x4x!qopt.format<i8, scale = f32, channel = 0>>) {
  %c = arith.constant dense<[[127.0, -63.5, 1.0, 0.0], [63.5, -10.0, 0.3, 0.0]]> : tensor<2x4xf32>
  %q = qopt.quantize %c : tensor<2x4xf32> to tensor<2x4x!qopt.format<i8, scale = f32, channel = 0>>
  %k = qopt.codes %q : tensor<2x4x!qopt.format<i8, scale = f32, channel = 0>> -> tensor<2x4xi8>
  return %k, %q : tensor<2x4xi8>, tensor<2x4x!qopt.format<i8, scale = f32, channel = 0>>
}

// -----
// Affine ui8 (ONNX DynamicQuantizeLinear rule): range [-1, 3] -> scale 4/255,
// zero point rne(0 - (-1) / (4/255)) = rne(63.75) = 64; codes
// -1 -> -63.75 -> -64 + 64 = 0, 0 -> 64, 1 -> 64 + 64 = 128, 3 -> 191 + 64 = 255.
// CHECK-LABEL: func.func @affine_ui8
// CHECK-DAG: arith.constant dense<[0, 64, -128, -1]> : tensor<4xi8>
// CHECK-DAG: arith.constant dense<64> : tensor<1xui8>
func.func @affine_ui8() -> (tensor<4xi8>, tensor<1xui8>) {
  %c = arith.constant dense<[-1.0, 0.0, 1.0, 3.0]> : tensor<4xf32>
  %q = qopt.quantize %c : tensor<4xf32> to tensor<4x!qopt.format<ui8, scale = f32, zero_point = ui8>>
  %k = qopt.codes %q : tensor<4x!qopt.format<ui8, scale = f32, zero_point = ui8>> -> tensor<4xi8>
  %z = qopt.zero_points %q : tensor<4x!qopt.format<ui8, scale = f32, zero_point = ui8>> -> tensor<1xui8>
  return %k, %z : tensor<4xi8>, tensor<1xui8>
}

// -----
// A block containing NaN gets the NaN scale (E8M0 0xFF) and decodes to NaN.
// CHECK-LABEL: func.func @nan_block
// CHECK-DAG: arith.constant dense<0xFF> : tensor<1x1xf8E8M0FNU>
// CHECK-DAG: arith.constant dense<0x7FC00000> : tensor<1x32xf32>
func.func @nan_block() -> (tensor<1x1xf8E8M0FNU>, tensor<1x32xf32>) {
  %c = arith.constant dense<[[0x7FC00000, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x32xf32>
  %q = qopt.quantize %c : tensor<1x32xf32> to tensor<1x32x!qopt.mxfp4>
  %s = qopt.scales %q : tensor<1x32x!qopt.mxfp4> -> tensor<1x1xf8E8M0FNU>
  %d = qopt.dequantize %q : tensor<1x32x!qopt.mxfp4> to tensor<1x32xf32>
  return %s, %d : tensor<1x1xf8E8M0FNU>, tensor<1x32xf32>
}

// -----
// All-zero block: E8M0 code 0x00 (2^-127; E8M0 has no zero) and zero codes.
// CHECK-LABEL: func.func @zero_block
// CHECK: "0x080000000000000000000000000000000000000000000000"
func.func @zero_block() -> tensor<1x32x!qopt.mxfp4> {
  %c = arith.constant dense<0.0> : tensor<1x32xf32>
  %q = qopt.quantize %c : tensor<1x32xf32> to tensor<1x32x!qopt.mxfp4>
  return %q : tensor<1x32x!qopt.mxfp4>
}

// -----
// What must be left alone: a quantize of a non-constant.
// CHECK-LABEL: func.func @not_constant
// CHECK: qopt.quantize %arg0
// CHECK: qopt.dequantize
func.func @not_constant(%x: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %q = qopt.quantize %x : tensor<1x32xf32> to tensor<1x32x!qopt.mxfp4>
  %d = qopt.dequantize %q : tensor<1x32x!qopt.mxfp4> to tensor<1x32xf32>
  return %d : tensor<1x32xf32>
}

// -----
// A decoded operand of qopt.matmul folds into the matmul when its format can
// be a matmul operand there (QDQ / MatMulNBits weights keep their format).
// CHECK-LABEL: func.func @fold_dequantize_into_matmul
// CHECK: %[[Q:.*]] = qopt.assemble
// CHECK-NOT: qopt.dequantize
// CHECK: qopt.matmul %arg0, %[[Q]] : tensor<2x64xf32>, tensor<64x8x!qopt.format<i4, scale = f32, block = [32], axes = [0]>>
func.func @fold_dequantize_into_matmul(%x: tensor<2x64xf32>, %c: tensor<64x8xi4>, %s: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %q = qopt.assemble codes(%c : tensor<64x8xi4>) scales(%s : tensor<2x8xf32>) -> tensor<64x8x!qopt.format<i4, scale = f32, block = [32], axes = [0]>>
  %w = qopt.dequantize %q : tensor<64x8x!qopt.format<i4, scale = f32, block = [32], axes = [0]>> to tensor<64x8xf32>
  %y = qopt.matmul %x, %w : tensor<2x64xf32>, tensor<64x8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----
// Blocks along N cannot be a matmul operand's scales: the dequantize stays.
// CHECK-LABEL: func.func @keep_dequantize_blocks_along_n
// CHECK: %[[W:.*]] = qopt.dequantize
// CHECK: qopt.matmul %arg0, %[[W]] : tensor<2x64xf32>, tensor<64x32xf32>
func.func @keep_dequantize_blocks_along_n(%x: tensor<2x64xf32>, %c: tensor<64x32xi4>, %s: tensor<64x1xf32>) -> tensor<2x32xf32> {
  %q = qopt.assemble codes(%c : tensor<64x32xi4>) scales(%s : tensor<64x1xf32>) -> tensor<64x32x!qopt.format<i4, scale = f32, block = [32], axes = [1]>>
  %w = qopt.dequantize %q : tensor<64x32x!qopt.format<i4, scale = f32, block = [32], axes = [1]>> to tensor<64x32xf32>
  %y = qopt.matmul %x, %w : tensor<2x64xf32>, tensor<64x32xf32> -> tensor<2x32xf32>
  return %y : tensor<2x32xf32>
}
