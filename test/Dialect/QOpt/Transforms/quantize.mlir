// RUN: qopt-opt %s -split-input-file --qopt-quantize="scheme=w4a16-mxfp4" | FileCheck %s --check-prefix=W4
// RUN: qopt-opt %s -split-input-file --qopt-quantize="scheme=w4a4-nvfp4" | FileCheck %s --check-prefix=A4
// RUN: qopt-opt %s -split-input-file --qopt-quantize="scheme=w8a16-int8 exclude=fc_*" | FileCheck %s --check-prefix=EXCL
// RUN: qopt-opt %s -split-input-file --qopt-quantize="scheme=w=int4_g32;a=mxint8;rounding=away;scale_mode=rceil" | FileCheck %s --check-prefix=GEN
// RUN: qopt-opt %s -split-input-file --qopt-quantize="scheme=none layer-scheme=lm_*=w8a8-fp8" | FileCheck %s --check-prefix=LAYER
// RUN: qopt-opt %s -split-input-file --qopt-quantize="scheme=w8a8-mxint8 report=-" | FileCheck %s --check-prefix=REPORT

// A constant K x N weight: quantized along K; an activation scheme also
// quantizes the left operand at run time.
// W4-LABEL: func.func @linear
// W4: %[[W:.*]] = arith.constant dense_resource<qopt_weight{{.*}}> : tensor<64x16xf32>
// W4: %[[Q:.*]] = qopt.quantize %[[W]] : tensor<64x16xf32> to tensor<64x16x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>>
// W4: qopt.matmul %arg0, %[[Q]]
// A4-LABEL: func.func @linear
// A4: %[[Q:.*]] = qopt.quantize %{{.*}} : tensor<64x16xf32> to tensor<64x16x!qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], axes = [0], tensor_scale = f32>>
// A4: %[[X:.*]] = qopt.quantize %arg0 : tensor<8x64xf32> to tensor<8x64x!qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], axes = [1], tensor_scale = f32>>
// A4: qopt.matmul %[[X]], %[[Q]]
// GEN-LABEL: func.func @linear
// GEN: qopt.quantize %{{.*}} {rounding = #qopt.rounding<nearest_away>} : tensor<64x16xf32> to tensor<64x16x!qopt.format<i4, scale = f32, block = [32], axes = [0]>>
// GEN: qopt.quantize %arg0 {rounding = #qopt.rounding<nearest_away>, scale_mode = #qopt.scale_mode<rceil>} : tensor<8x64xf32> to tensor<8x64x!qopt.format<i8, scale = f8E8M0FNU, block = [32], axes = [1]>>
// LAYER-LABEL: func.func @linear
// LAYER-NOT: qopt.quantize
// A constant weight quantizes exactly (SQNR inf, error 0); MXINT8 costs 8 + 8/32 bits.
// REPORT: layer op weight weight format activations bits/w SQNR dB max |err|
// REPORT-NEXT: fc_1 MatMul 64x16 mxint8 mxint8 8.250 inf 0
// REPORT-NEXT: total: 1 quantized layers, 1056 bytes of weights vs 4096 in FP32 (3.88x smaller)
func.func @linear(%x: tensor<8x64xf32>) -> tensor<8x16xf32> {
  %w = arith.constant dense<0.5> : tensor<64x16xf32>
  %y = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x16xf32> -> tensor<8x16xf32> loc("fc_1")
  return %y : tensor<8x16xf32>
}

// -----
// An activation x activation matmul is left alone.
// W4-LABEL: func.func @act_act
// W4-NOT: qopt.quantize
// A4-LABEL: func.func @act_act
// A4-NOT: qopt.quantize
func.func @act_act(%x: tensor<8x64xf32>, %w: tensor<64x16xf32>) -> tensor<8x16xf32> {
  %y = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x16xf32> -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----
// A transposed N x K constant (Gemm transB) becomes a K x N quantized weight;
// K = 40 is zero-padded to whole blocks and the activation padded to match.
// W4-LABEL: func.func @transposed_padded
// W4-NOT: linalg.transpose
// W4: qopt.quantize %{{.*}} : tensor<64x16xf32> to tensor<64x16x
// W4: %[[P:.*]] = tensor.pad %arg0 low[0, 0] high[0, 24]
// W4: qopt.matmul %[[P]], %{{.*}} : tensor<8x64xf32>, tensor<64x16x
// LAYER-LABEL: func.func @transposed_padded
// A4-LABEL: func.func @transposed_padded
// LAYER: qopt.quantize %{{.*}} : tensor<40x16xf32> to tensor<40x16x!fp8_e4m3>
// LAYER: qopt.quantize %arg0 : tensor<8x40xf32> to tensor<8x40x!qopt.format<f8E4M3FN, scale = f32, channel = 0>>
func.func @transposed_padded(%x: tensor<8x40xf32>) -> tensor<8x16xf32> {
  %w = arith.constant dense<0.25> : tensor<16x40xf32>
  %e = tensor.empty() : tensor<40x16xf32>
  %t = linalg.transpose ins(%w : tensor<16x40xf32>) outs(%e : tensor<40x16xf32>) permutation = [1, 0]
  %y = qopt.matmul %x, %t : tensor<8x40xf32>, tensor<40x16xf32> -> tensor<8x16xf32> loc("lm_head")
  return %y : tensor<8x16xf32>
}

// -----
// Excluded layers stay float; others are quantized.
// EXCL-LABEL: func.func @excluded
// EXCL: %[[H:.*]] = qopt.matmul %arg0, %cst : tensor<2x32xf32>, tensor<32x32xf32>
// EXCL: %[[Q:.*]] = qopt.quantize %{{.*}} : tensor<32x4xf32> to tensor<32x4x!qopt.format<i8, scale = f32, channel = 1>>
// EXCL: qopt.matmul %[[H]], %[[Q]]
func.func @excluded(%x: tensor<2x32xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<1.0> : tensor<32x32xf32>
  %w2 = arith.constant dense<2.0> : tensor<32x4xf32>
  %h = qopt.matmul %x, %w1 : tensor<2x32xf32>, tensor<32x32xf32> -> tensor<2x32xf32> loc("fc_in")
  %y = qopt.matmul %h, %w2 : tensor<2x32xf32>, tensor<32x4xf32> -> tensor<2x4xf32> loc("out")
  return %y : tensor<2x4xf32>
}

// -----
// A convolution weight [M, C, kh, kw] is quantized as M rows of K = C*kh*kw
// (here 1*5*5 = 25, padded to 32), decoded, sliced and reshaped back.
// W4-LABEL: func.func @conv
// W4: %[[Q:.*]] = qopt.quantize %{{.*}} : tensor<2x32xf32> to tensor<2x32x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [1]>>
// W4: %[[C:.*]] = qopt.codes %[[Q]]
// W4: %[[SC:.*]] = qopt.scales %[[Q]]
// W4: %[[A:.*]] = qopt.assemble codes(%[[C]] : tensor<2x32xi4>) scales(%[[SC]] : tensor<2x1xf8E8M0FNU>)
// W4: %[[D:.*]] = qopt.dequantize %[[A]]
// W4: %[[S:.*]] = tensor.extract_slice %[[D]][0, 0] [2, 25] [1, 1]
// W4: %[[E:.*]] = tensor.expand_shape %[[S]] {{\[}}[0], [1, 2, 3]] output_shape [2, 1, 5, 5]
// W4: linalg.generic {{.*}} ins(%arg0, %[[E]] :
func.func @conv(%x: tensor<1x1x5x5xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<0.5> : tensor<2x1x5x5xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, m, c, i, j) -> (n, c, i, j)>,
                                        affine_map<(n, m, c, i, j) -> (m, c, i, j)>,
                                        affine_map<(n, m, c, i, j) -> (n, m)>],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x5x5xf32>, tensor<2x1x5x5xf32>) outs(%f : tensor<1x2xf32>)
      attrs = {qopt.conv_weight} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----
// Under an activation scheme an imported convolution (loops n, m, c, r..., o...)
// becomes a quantized GEMM: im2col [positions, C*kh*kw], zero-padded K,
// quantized activations, qopt.matmul, back to [N, M, OH, OW] plus the init.
// A4-LABEL: func.func @conv_gemm
// A4: %[[COL:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x1x4x4xf32>) outs(%{{.*}} : tensor<1x2x2x1x3x3xf32>)
// A4: %[[ROWS:.*]] = tensor.collapse_shape %[[COL]] {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<1x2x2x1x3x3xf32> into tensor<4x9xf32>
// A4: %[[PAD:.*]] = tensor.pad %[[ROWS]] low[0, 0] high[0, 7]
// A4: %[[QX:.*]] = qopt.quantize %[[PAD]] : tensor<4x16xf32> to tensor<4x16x!qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], axes = [1], tensor_scale = f32>>
// A4: %[[QW:.*]] = qopt.quantize %{{.*}} : tensor<16x3xf32> to tensor<16x3x!qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], axes = [0], tensor_scale = f32>>
// A4: %[[Y:.*]] = qopt.matmul %[[QX]], %[[QW]] {{.*}} -> tensor<4x3xf32>
// A4: %[[E:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1, 2], [3]] output_shape [1, 2, 2, 3]
// A4: linalg.generic {{.*}} ins(%{{.*}}, %[[E]] : tensor<1x3x2x2xf32>, tensor<1x2x2x3xf32>)
// A4-NOT: qopt.conv_weight
// W4-LABEL: func.func @conv_gemm
// W4-NOT: qopt.matmul
// W4: attrs = {qopt.conv_weight}
func.func @conv_gemm(%x: tensor<1x1x4x4xf32>) -> tensor<1x3x2x2xf32> {
  %w = arith.constant dense<0.5> : tensor<3x1x3x3xf32>
  %b = arith.constant 0.25 : f32
  %e = tensor.empty() : tensor<1x3x2x2xf32>
  %f = linalg.fill ins(%b : f32) outs(%e : tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, m, c, r1, r2, o1, o2) -> (n, c, o1 + r1, o2 + r2)>,
                                        affine_map<(n, m, c, r1, r2, o1, o2) -> (m, c, r1, r2)>,
                                        affine_map<(n, m, c, r1, r2, o1, o2) -> (n, m, o1, o2)>],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
      ins(%x, %w : tensor<1x1x4x4xf32>, tensor<3x1x3x3xf32>) outs(%f : tensor<1x3x2x2xf32>)
      attrs = {qopt.conv_weight} {
  ^bb0(%a: f32, %v: f32, %acc: f32):
    %p = arith.mulf %a, %v : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x3x2x2xf32>
  return %y : tensor<1x3x2x2xf32>
}
