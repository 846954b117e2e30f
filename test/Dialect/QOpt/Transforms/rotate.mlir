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
