// RUN: qopt-opt %s -split-input-file --qopt-smooth="alpha=0.5" | FileCheck %s
// RUN: not qopt-opt %s --qopt-smooth="alpha=1.5" 2>&1 | FileCheck %s --check-prefix=ALPHA
// ALPHA: error: qopt-smooth: alpha 1.5{{0*e\+00}} is not in [0, 1]

// s = sqrt(max|x|) / sqrt(max|W row|): max|x| = [4, 1], max|W| = [1, 4] -> s = [2, 0.5].
// W' = diag(s) W; 1/s = [0.5, 2] folds into the producing "* g" (g = [1, 1] ->
// [0.5, 2]); no online work remains.
// CHECK-LABEL: func.func @folded_into_scale
// CHECK: %[[G:.*]] = arith.constant dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[G]] :
// CHECK: %[[W:.*]] = arith.constant dense_resource<qopt_smoothed> : tensor<2x3xf32>
// CHECK: qopt.matmul %{{.*}}, %[[W]] {qopt.act_absmax = {{.*}}, qopt.smoothed = "folded"}
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @folded_into_scale(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %g = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %w = arith.constant dense<[[1.0, -1.0, 0.5], [4.0, 2.0, -3.0]]> : tensor<2x3xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %n = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %g : tensor<4x2xf32>, tensor<2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x2xf32>
  %y = qopt.matmul %n, %w {qopt.act_absmax = dense<[4.0, 1.0]> : tensor<2xf32>}
      : tensor<4x2xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----
// No producer to fold into (a function argument): x * (1/s) runs online.
// CHECK-LABEL: func.func @online
// CHECK: %[[INV:.*]] = arith.constant dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%arg0, %[[INV]] :
// CHECK: qopt.matmul %[[S]], %{{.*}} {qopt.act_absmax = {{.*}}, qopt.smoothed = "online"}
func.func @online(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[1.0, -1.0, 0.5], [4.0, 2.0, -3.0]]> : tensor<2x3xf32>
  %y = qopt.matmul %x, %w {qopt.act_absmax = dense<[4.0, 1.0]> : tensor<2xf32>}
      : tensor<4x2xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----
// Without statistics a matmul is left alone.
// CHECK-LABEL: func.func @no_stats
// CHECK-NOT: qopt.smoothed
func.func @no_stats(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[1.0, -1.0, 0.5], [4.0, 2.0, -3.0]]> : tensor<2x3xf32>
  %y = qopt.matmul %x, %w : tensor<4x2xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}
