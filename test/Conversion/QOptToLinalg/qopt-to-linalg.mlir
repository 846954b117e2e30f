// RUN: qopt-opt %s -split-input-file --qopt-materialize-scales --convert-qopt-to-linalg --mlir-print-local-scope | FileCheck %s

// DequantizeLinear: dequantize(assemble(codes, per-channel scales, zero points))
// becomes one linalg.generic: (decode(code) - zp) * scale, zero points taken
// as signless bits and widened unsigned.
// CHECK-LABEL: func.func @dequantize_assembled
// CHECK-SAME: (%[[C:.+]]: tensor<4x8xi8>, %[[S:.+]]: tensor<1x8xf32>, %[[Z:.+]]: tensor<1x8xui8>)
// CHECK: %[[ZB:.+]] = tensor.bitcast %[[Z]] : tensor<1x8xui8> to tensor<1x8xi8>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[C]], %[[S]], %[[ZB]] : tensor<4x8xi8>, tensor<1x8xf32>, tensor<1x8xi8>)
// CHECK: arith.uitofp
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK-NOT: = qopt.
!u8c = !qopt.format<ui8, scale = f32, channel = 1, zero_point = ui8>
func.func @dequantize_assembled(%c: tensor<4x8xi8>, %s: tensor<1x8xf32>, %z: tensor<1x8xui8>) -> tensor<4x8xf32> {
  %q = qopt.assemble codes(%c : tensor<4x8xi8>) scales(%s : tensor<1x8xf32>) zero_points(%z : tensor<1x8xui8>) -> tensor<4x8x!u8c>
  %x = qopt.dequantize %q : tensor<4x8x!u8c> to tensor<4x8xf32>
  return %x : tensor<4x8xf32>
}

// -----
// QuantizeLinear with explicit scales: x / s, round to even, + zp, saturate.
// Blocked scales index the grid with floordiv.
// CHECK-LABEL: func.func @quantize_explicit
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1 floordiv 4)>, affine_map<(d0, d1) -> (d0, d1)>]
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.trunci {{.*}} to i8
// CHECK-NOT: = qopt.
func.func @quantize_explicit(%x: tensor<2x8xf32>, %s: tensor<2x2xf32>) -> tensor<2x8xi8> {
  %q = qopt.quantize %x scales(%s : tensor<2x2xf32>) : tensor<2x8xf32> to tensor<2x8x!qopt.format<i8, scale = f32, block = [4]>>
  %c = qopt.codes %q : tensor<2x8x!qopt.format<i8, scale = f32, block = [4]>> -> tensor<2x8xi8>
  return %c : tensor<2x8xi8>
}

// -----
// DynamicQuantizeLinear: per-tensor affine scales are materialised from the
// tensor's min and max (NaN-skipping), then quantized explicitly.
// CHECK-LABEL: func.func @dynamic_affine
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2, 3]] output_shape [1, 3, 1, 4]
// CHECK: arith.minnumf
// CHECK: arith.maxnumf
// CHECK: linalg.generic
// CHECK-NOT: = qopt.
!dyn = !qopt.format<ui8, scale = f32, zero_point = ui8>
func.func @dynamic_affine(%x: tensor<3x4xf32>) -> (tensor<3x4xi8>, tensor<1x1xf32>, tensor<1x1xui8>) {
  %q = qopt.quantize %x : tensor<3x4xf32> to tensor<3x4x!dyn>
  %c = qopt.codes %q : tensor<3x4x!dyn> -> tensor<3x4xi8>
  %s = qopt.scales %q : tensor<3x4x!dyn> -> tensor<1x1xf32>
  %z = qopt.zero_points %q : tensor<3x4x!dyn> -> tensor<1x1xui8>
  return %c, %s, %z : tensor<3x4xi8>, tensor<1x1xf32>, tensor<1x1xui8>
}

// -----
// A fake-quant pair (dequantize of an explicit quantize) splits into codes and
// a decode.
// CHECK-LABEL: func.func @fake_quant
// CHECK-COUNT-2: linalg.generic
// CHECK-NOT: = qopt.
func.func @fake_quant(%x: tensor<4xf32>, %s: tensor<1xf32>) -> tensor<4xf32> {
  %q = qopt.quantize %x scales(%s : tensor<1xf32>) : tensor<4xf32> to tensor<4x!qopt.int8>
  %d = qopt.dequantize %q : tensor<4x!qopt.int8> to tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----
// qopt.hadamard is a fast Walsh-Hadamard transform: log2(b) = 3 butterfly
// stages over [K/2h, 2, h] views, then one multiply by signs / sqrt(b); no
// K x K matrix anywhere. A stage is out[g, j, t] = sum_i s[j, i] x[g, i, t]
// (s = [[1, 1], [1, -1]]) from -0: a reduction over i (d3) read through
// projected permutations, so a column tile of x maps to a tile of out.
// CHECK-LABEL: func.func @hadamard_fwht
// CHECK-DAG: arith.constant dense<[{{-?}}0.353553385, {{.*}}]> : tensor<8xf32>
// CHECK-DAG: %[[NZ:.*]] = arith.constant -0.000000e+00 : f32
// CHECK: %[[V:.*]] = tensor.expand_shape %arg0 {{\[}}[0], [1, 2, 3]] output_shape [2, 8, 2, 1] : tensor<2x16xf32> into tensor<2x8x2x1xf32>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[NZ]] : f32)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>, affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%[[V]] : tensor<2x8x2x1xf32>) outs(%[[INIT]] : tensor<2x8x2x1xf32>)
// CHECK: linalg.index 2
// CHECK: linalg.index 3
// CHECK: arith.negf
// CHECK: arith.addf %out
// CHECK: output_shape [2, 4, 2, 2]
// CHECK: output_shape [2, 2, 2, 4]
// CHECK: output_shape [2, 2, 8]
// CHECK: arith.mulf
// CHECK-NOT: tensor<16x16xf32>
func.func @hadamard_fwht(%x: tensor<2x16xf32>) -> tensor<2x16xf32> {
  %r = qopt.hadamard %x {axis = 1 : i64, block = 8 : i64, seed = 1 : i64} : tensor<2x16xf32>
  return %r : tensor<2x16xf32>
}
