// RUN: qopt-opt %s -split-input-file -verify-diagnostics --qopt-rotate="rotate=block scheme=w4a16-nvfp4" | FileCheck %s --check-prefix=BLOCK
// RUN: qopt-opt %s -split-input-file --qopt-rotate="rotate=global,seed=7" 2>/dev/null | FileCheck %s --check-prefix=GLOBAL
// RUN: qopt-opt %s -split-input-file --qopt-rotate="rotate=none" | FileCheck %s --check-prefix=NONE

// The weight is rotated at compile time (a new constant); the activation gets
// an online qopt.hadamard with the format's block (16 for NVFP4) or, for
// global, all of K (a power of two) with the seed's signs.
// BLOCK-LABEL: func.func @online
// BLOCK: %[[W:.*]] = arith.constant dense_resource<qopt_rotated_weight> : tensor<64x8xf32>
// BLOCK: %[[R:.*]] = qopt.hadamard %arg0 {axis = -1 : i64, block = 16 : i64} : tensor<4x64xf32>
// BLOCK: qopt.matmul %[[R]], %[[W]] {qopt.rotated = "online", qopt.rotation_block = 16 : i64}
// GLOBAL-LABEL: func.func @online
// GLOBAL: qopt.hadamard %arg0 {axis = -1 : i64, block = 64 : i64, seed = 7 : i64} : tensor<4x64xf32>
// NONE-LABEL: func.func @online
// NONE-NOT: qopt.hadamard
// NONE: qopt.matmul %arg0, %cst : tensor<4x64xf32>, tensor<64x8xf32>
func.func @online(%x: tensor<4x64xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<64x8xf32>
  %y = qopt.matmul %x, %w : tensor<4x64xf32>, tensor<64x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----
// x = z V with a constant V and no other use of x: the second layer's R folds
// into V's columns (no online transform for it); the first layer is rotated
// online as usual. The original constants are gone.
// BLOCK-LABEL: func.func @folded_into_producer
// BLOCK-NOT: dense<2.5
// BLOCK: %[[R:.*]] = qopt.hadamard %arg0
// BLOCK: %[[X:.*]] = qopt.matmul %[[R]], %{{.*}} {qopt.rotated = "online", qopt.rotation_block = 16 : i64} : tensor<4x32xf32>, tensor<32x32xf32>
// BLOCK-NOT: qopt.hadamard
// BLOCK: qopt.matmul %[[X]], %{{.*}} {qopt.rotated = "folded", qopt.rotation_block = 16 : i64}
func.func @folded_into_producer(%z: tensor<4x32xf32>) -> tensor<4x8xf32> {
  %v = arith.constant dense<0.25> : tensor<32x32xf32>
  %w = arith.constant dense<0.5> : tensor<32x8xf32>
  %x = qopt.matmul %z, %v : tensor<4x32xf32>, tensor<32x32xf32> -> tensor<4x32xf32>
  %y = qopt.matmul %x, %w : tensor<4x32xf32>, tensor<32x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----
// A non-constant weight (activation x activation) is left alone.
// BLOCK-LABEL: func.func @act_act
// BLOCK-NOT: qopt.hadamard
// BLOCK-NOT: qopt.rotated
func.func @act_act(%x: tensor<4x64xf32>, %w: tensor<64x8xf32>) -> tensor<4x8xf32> {
  %y = qopt.matmul %x, %w : tensor<4x64xf32>, tensor<64x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----
// K = 24 is not a multiple of the format block 16: left unrotated, with a
// warning. Global takes the largest power of two dividing K (8).
// BLOCK-LABEL: func.func @odd_k
// BLOCK-NOT: qopt.hadamard
// GLOBAL-LABEL: func.func @odd_k
// GLOBAL: qopt.hadamard %arg0 {axis = -1 : i64, block = 8 : i64, seed = 7 : i64} : tensor<4x24xf32>
func.func @odd_k(%x: tensor<4x24xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<24x8xf32>
  // expected-warning@+1 {{qopt-rotate: K = 24 is not a multiple of the rotation block 16; layer left unrotated}}
  %y = qopt.matmul %x, %w : tensor<4x24xf32>, tensor<24x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----
// x = reshape(z V + c) (a 3-D activation with a bias, as ONNX MatMul + Add
// import): R still folds into V's columns and the bias, through the
// last-axis-keeping reshapes; no online transform for the second layer.
// BLOCK-LABEL: func.func @folded_through_bias_and_reshapes
// BLOCK-NOT: dense<2.5
// BLOCK-NOT: dense<7.500000e-01> : tensor<32xf32>
// BLOCK: %[[R:.*]] = qopt.hadamard %arg0
// BLOCK: qopt.matmul %[[R]], %{{.*}} {qopt.rotated = "online", qopt.rotation_block = 16 : i64}
// BLOCK-NOT: qopt.hadamard
// BLOCK: qopt.matmul %{{.*}}, %{{.*}} {qopt.rotated = "folded", qopt.rotation_block = 16 : i64}
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#ch3 = affine_map<(d0, d1, d2) -> (d2)>
func.func @folded_through_bias_and_reshapes(%z: tensor<4x32xf32>) -> tensor<4x8xf32> {
  %v = arith.constant dense<2.5> : tensor<32x32xf32>
  %bias = arith.constant dense<0.75> : tensor<32xf32>
  %w = arith.constant dense<0.5> : tensor<32x8xf32>
  %h = qopt.matmul %z, %v : tensor<4x32xf32>, tensor<32x32xf32> -> tensor<4x32xf32>
  %h3 = tensor.expand_shape %h [[0, 1], [2]] output_shape [1, 4, 32] : tensor<4x32xf32> into tensor<1x4x32xf32>
  %e = tensor.empty() : tensor<1x4x32xf32>
  %x3 = linalg.generic {indexing_maps = [#id3, #ch3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h3, %bias : tensor<1x4x32xf32>, tensor<32xf32>) outs(%e : tensor<1x4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<1x4x32xf32>
  %x = tensor.collapse_shape %x3 [[0, 1], [2]] : tensor<1x4x32xf32> into tensor<4x32xf32>
  %y = qopt.matmul %x, %w : tensor<4x32xf32>, tensor<32x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----
// A gamma-free RMS norm (y = x / sqrt(mean(x * x) + eps), the decomposed
// ONNX form) commutes with R: the second layer's R moves in front of it into
// the first layer's columns and bias (new constants, the 2.5 / 0.75 splats are
// gone); only the first layer's own rotation runs online.
// BLOCK-LABEL: func.func @across_rms_norm
// BLOCK-NOT: dense<2.5
// BLOCK-NOT: dense<7.500000e-01> : tensor<32xf32>
// BLOCK: %[[R:.*]] = qopt.hadamard %arg0
// BLOCK: qopt.matmul %[[R]], %{{.*}} {qopt.rotated = "online", qopt.rotation_block = 16 : i64}
// BLOCK-NOT: qopt.hadamard
// BLOCK: qopt.matmul %{{.*}}, %{{.*}} {qopt.rotated = "folded", qopt.rotated_across = "rms_norm", qopt.rotation_block = 16 : i64}
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @across_rms_norm(%z: tensor<4x32xf32>) -> tensor<4x8xf32> {
  %v = arith.constant dense<2.5> : tensor<32x32xf32>
  %bias = arith.constant dense<0.75> : tensor<32xf32>
  %w = arith.constant dense<0.5> : tensor<32x8xf32>
  %h = qopt.matmul %z, %v : tensor<4x32xf32>, tensor<32x32xf32> -> tensor<4x32xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %x = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %bias : tensor<4x32xf32>, tensor<32xf32>) outs(%e : tensor<4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4x32xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %x : tensor<4x32xf32>, tensor<4x32xf32>) outs(%e : tensor<4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %p = arith.mulf %a, %c : f32
    linalg.yield %p : f32
  } -> tensor<4x32xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%sq : tensor<4x32xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %rms = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%sum : tensor<4xf32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 32.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    %m = arith.divf %a, %n : f32
    %me = arith.addf %m, %eps : f32
    %r = math.sqrt %me : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %rms : tensor<4x32xf32>, tensor<4xf32>) outs(%e : tensor<4x32xf32>) {
  ^bb0(%a: f32, %r: f32, %o: f32):
    %q = arith.divf %a, %r : f32
    linalg.yield %q : f32
  } -> tensor<4x32xf32>
  %out = qopt.matmul %y, %w : tensor<4x32xf32>, tensor<32x8xf32> -> tensor<4x8xf32>
  return %out : tensor<4x8xf32>
}

// -----
// Left online: the norm still applies a per-channel gamma (which does not
// commute with R), so R cannot cross it.
// BLOCK-LABEL: func.func @gamma_norm_stays_online
// BLOCK-NOT: rotated_across
// BLOCK: qopt.hadamard
// BLOCK: qopt.matmul {{.*}}qopt.rotated = "online"
// BLOCK-NOT: rotated_across
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @gamma_norm_stays_online(%z: tensor<4x32xf32>, %g: tensor<32xf32>) -> tensor<4x8xf32> {
  %v = arith.constant dense<2.5> : tensor<32x32xf32>
  %w = arith.constant dense<0.5> : tensor<32x8xf32>
  %x = qopt.matmul %z, %v : tensor<4x32xf32>, tensor<32x32xf32> -> tensor<4x32xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x32xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %p = arith.mulf %a, %a : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum, %g : tensor<4x32xf32>, tensor<4xf32>, tensor<32xf32>) outs(%e : tensor<4x32xf32>) {
  ^bb0(%a: f32, %r: f32, %gg: f32, %o: f32):
    %q = arith.divf %a, %r : f32
    %t = arith.mulf %q, %gg : f32
    linalg.yield %t : f32
  } -> tensor<4x32xf32>
  %out = qopt.matmul %y, %w : tensor<4x32xf32>, tensor<32x8xf32> -> tensor<4x8xf32>
  return %out : tensor<4x8xf32>
}

// -----
// Left online: x also feeds a residual add (the pre-norm residual stream),
// which would need R undone; the transform stays after the norm.
// BLOCK-LABEL: func.func @residual_norm_stays_online
// BLOCK-NOT: rotated_across
// BLOCK: qopt.hadamard
// BLOCK: qopt.matmul {{.*}}qopt.rotated = "online"
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @residual_norm_stays_online(%z: tensor<4x32xf32>) -> (tensor<4x8xf32>, tensor<4x32xf32>) {
  %v = arith.constant dense<2.5> : tensor<32x32xf32>
  %w = arith.constant dense<0.5> : tensor<32x8xf32>
  %x = qopt.matmul %z, %v : tensor<4x32xf32>, tensor<32x32xf32> -> tensor<4x32xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x32xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %p = arith.mulf %a, %a : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : tensor<4x32xf32>, tensor<4xf32>) outs(%e : tensor<4x32xf32>) {
  ^bb0(%a: f32, %r: f32, %o: f32):
    %q = arith.divf %a, %r : f32
    linalg.yield %q : f32
  } -> tensor<4x32xf32>
  %res = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %z : tensor<4x32xf32>, tensor<4x32xf32>) outs(%e : tensor<4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<4x32xf32>
  %out = qopt.matmul %y, %w : tensor<4x32xf32>, tensor<32x8xf32> -> tensor<4x8xf32>
  return %out, %res : tensor<4x8xf32>, tensor<4x32xf32>
}
