// RUN: qopt-opt %s -split-input-file --qopt-reorder-channels | FileCheck %s

// Channels sorted by decreasing max |W[k, :]| (rows 2, 0, 3, 1): W's rows and
// the producer's columns (V) and per-channel bias are permuted at compile
// time; nothing is added at run time.
// CHECK-LABEL: func.func @mlp
// CHECK: %[[V:.*]] = arith.constant dense_resource<qopt_reordered{{.*}}> : tensor<8x4xf32>
// CHECK: %[[H:.*]] = qopt.matmul %arg0, %[[V]]
// CHECK: %[[B:.*]] = arith.constant dense<[3.000000e+00, 1.000000e+00, 4.000000e+00, 2.000000e+00]> : tensor<4xf32>
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[B]] :
// CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%[[A]] :
// CHECK: %[[W:.*]] = arith.constant dense_resource<qopt_reordered{{.*}}> : tensor<4x2xf32>
// CHECK: qopt.matmul %[[T]], %[[W]] {qopt.reordered}
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @mlp(%x: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %v = arith.constant dense<1.0> : tensor<8x4xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w = arith.constant dense<[[2.0, -1.0], [0.5, 0.1], [-9.0, 1.0], [1.0, 1.0]]> : tensor<4x2xf32>
  %h = qopt.matmul %x, %v : tensor<3x8xf32>, tensor<8x4xf32> -> tensor<3x4xf32>
  %e = tensor.empty() : tensor<3x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : tensor<3x4xf32>, tensor<4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<3x4xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.tanh %p : f32
    linalg.yield %s : f32
  } -> tensor<3x4xf32>
  %y = qopt.matmul %t, %w : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----
// Left alone: the activation is also returned (permuting its producer would
// change that result), and an argument has no producer to permute.
// CHECK-LABEL: func.func @other_user
// CHECK-NOT: qopt.reordered
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @other_user(%x: tensor<3x8xf32>) -> (tensor<3x2xf32>, tensor<3x4xf32>) {
  %v = arith.constant dense<1.0> : tensor<8x4xf32>
  %w = arith.constant dense<[[2.0, -1.0], [0.5, 0.1], [-9.0, 1.0], [1.0, 1.0]]> : tensor<4x2xf32>
  %h = qopt.matmul %x, %v : tensor<3x8xf32>, tensor<8x4xf32> -> tensor<3x4xf32>
  %y = qopt.matmul %h, %w : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
  return %y, %h : tensor<3x2xf32>, tensor<3x4xf32>
}
