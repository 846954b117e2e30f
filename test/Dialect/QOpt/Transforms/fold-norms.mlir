// RUN: qopt-opt %s -split-input-file --qopt-fold-norms | FileCheck %s

// An imported LayerNormalization's final generic (marked by the importer):
// gamma/beta become 1/0, the consumer's weight becomes diag(gamma) W (a new
// constant) and beta W is added after the matmul.
// CHECK-LABEL: func.func @layernorm_scale_bias
// CHECK-NOT: dense<[1.000000e+00, 2.000000e+00
// CHECK-DAG: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1, %[[ONE]], %[[ZERO]] :
// CHECK-NOT: qopt.norm_scale
// CHECK: %[[W:.*]] = arith.constant dense_resource<qopt_norm_folded> : tensor<4x2xf32>
// CHECK: %[[M:.*]] = qopt.matmul %[[Y]], %[[W]] {qopt.folded_norm}
// CHECK: %[[SHIFT:.*]] = arith.constant dense<6.000000e+00> : tensor<2xf32>
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[SHIFT]] : tensor<3x2xf32>, tensor<2xf32>)
// CHECK: return %[[S]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @layernorm_scale_bias(%d: tensor<3x4xf32>, %inv: tensor<3x1xf32>) -> tensor<3x2xf32> {
  %g = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %b = arith.constant dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>
  %w = arith.constant dense<1.5> : tensor<4x2xf32>
  %e = tensor.empty() : tensor<3x4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #ch, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%d, %inv, %g, %b : tensor<3x4xf32>, tensor<3x1xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<3x4xf32>)
      attrs = {qopt.norm_scale = 2 : i64, qopt.norm_bias = 3 : i64} {
  ^bb0(%a0: f32, %a1: f32, %a2: f32, %a3: f32, %o: f32):
    %m = arith.mulf %a0, %a1 : f32
    %s = arith.mulf %m, %a2 : f32
    %t = arith.addf %s, %a3 : f32
    linalg.yield %t : f32
  } -> tensor<3x4xf32>
  %r = qopt.matmul %y, %w : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----
// A decomposed RMSNorm's "* g" (element-wise multiply by a channel constant)
// disappears into the weights of the matmuls it feeds through a reshape.
// CHECK-LABEL: func.func @plain_mul
// CHECK-NOT: arith.mulf
// CHECK: %[[C:.*]] = tensor.collapse_shape %arg0
// CHECK: qopt.matmul %[[C]], %{{.*}} {qopt.folded_norm}
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#ch3 = affine_map<(d0, d1, d2) -> (d2)>
func.func @plain_mul(%x: tensor<1x3x4xf32>) -> tensor<3x2xf32> {
  %g = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w = arith.constant dense<1.5> : tensor<4x2xf32>
  %e = tensor.empty() : tensor<1x3x4xf32>
  %y = linalg.generic {indexing_maps = [#id3, #ch3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %g : tensor<1x3x4xf32>, tensor<4xf32>) outs(%e : tensor<1x3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x3x4xf32>
  %c = tensor.collapse_shape %y [[0, 1], [2]] : tensor<1x3x4xf32> into tensor<3x4xf32>
  %r = qopt.matmul %c, %w : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----
// Left alone: the scaled value has a non-matmul user (the residual).
// CHECK-LABEL: func.func @other_user
// CHECK: arith.mulf
// CHECK-NOT: qopt.folded_norm
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#ch2 = affine_map<(d0, d1) -> (d1)>
func.func @other_user(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x4xf32>) {
  %g = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w = arith.constant dense<1.5> : tensor<4x2xf32>
  %e = tensor.empty() : tensor<3x4xf32>
  %y = linalg.generic {indexing_maps = [#id2, #ch2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %g : tensor<3x4xf32>, tensor<4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<3x4xf32>
  %r = qopt.matmul %y, %w : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %r, %y : tensor<3x2xf32>, tensor<3x4xf32>
}
