// RUN: qopt-opt %s -split-input-file --convert-qopt-to-linalg --qopt-fuse | FileCheck %s
// RUN: qopt-opt %s -split-input-file --convert-qopt-to-linalg --qopt-fuse="tile-k=0" | FileCheck %s --check-prefix=NOTILE
// RUN: qopt-opt %s -split-input-file --convert-qopt-to-linalg --qopt-fuse="parallel-n=2" | FileCheck %s --check-prefix=PAR

!w = !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>

// Several rows (M = 16 > 8) and K = 128 > 32: the matmul is tiled along K
// (32) and N (128 -> whole, 64 here) and the weight decode is fused into the
// K loop: each 32 x 64 tile is decoded once, then multiplied.
// CHECK-LABEL: func.func @rows
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c32
// CHECK: tensor.extract_slice %arg1[%{{.*}}, 0] [32, 64] [1, 1] : tensor<128x64xi4> to tensor<32x64xi4>
// CHECK: %[[D:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x64xi4>, tensor<1x64xf8E8M0FNU>) outs(%{{.*}} : tensor<32x64xf32>) attrs = {qopt.decode}
// CHECK: linalg.generic {{.*}}"reduction"{{.*}} ins(%{{.*}}, %[[D]] : tensor<16x32xf32>, tensor<32x64xf32>)
// Untiled (tile-k=0), the decode is not fused into the matmul either: it
// would be recomputed for each of the 16 rows.
// NOTILE-LABEL: func.func @rows
// NOTILE-NOT: scf.for
// NOTILE: linalg.generic {{.*}}"reduction"{{.*}} ins(%arg0, %{{.*}} : tensor<16x128xf32>, tensor<128x64xf32>)
func.func @rows(%x: tensor<16x128xf32>, %c: tensor<128x64xi4>, %s: tensor<4x64xf8E8M0FNU>) -> tensor<16x64xf32> {
  %q = qopt.assemble codes(%c : tensor<128x64xi4>) scales(%s : tensor<4x64xf8E8M0FNU>) -> tensor<128x64x!w>
  %y = qopt.matmul %x, %q : tensor<16x128xf32>, tensor<128x64x!w> -> tensor<16x64xf32>
  return %y : tensor<16x64xf32>
}

// -----
// Few rows (M = 4 <= 8): the decode stays fused in the matmul body, where
// qopt-vectorize-matmuls decodes each weight vector once for all rows.
// CHECK-LABEL: func.func @few_rows
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}}"reduction"{{.*}} ins(%arg0, %arg1, %arg2 : tensor<4x128xf32>, tensor<128x64xi4>, tensor<4x64xf8E8M0FNU>)
!w = !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>
func.func @few_rows(%x: tensor<4x128xf32>, %c: tensor<128x64xi4>, %s: tensor<4x64xf8E8M0FNU>) -> tensor<4x64xf32> {
  %q = qopt.assemble codes(%c : tensor<128x64xi4>) scales(%s : tensor<4x64xf8E8M0FNU>) -> tensor<128x64x!w>
  %y = qopt.matmul %x, %q : tensor<4x128xf32>, tensor<128x64x!w> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----
// One row (GEMV): every weight element is decoded once anyway; the decode is
// fused into the matmul loop nest, no tiling.
// CHECK-LABEL: func.func @one_row
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}}"reduction"{{.*}} ins(%arg0, %arg1, %arg2 : tensor<1x128xf32>, tensor<128x64xi4>, tensor<4x64xf8E8M0FNU>)
!w = !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>
func.func @one_row(%x: tensor<1x128xf32>, %c: tensor<128x64xi4>, %s: tensor<4x64xf8E8M0FNU>) -> tensor<1x64xf32> {
  %q = qopt.assemble codes(%c : tensor<128x64xi4>) scales(%s : tensor<4x64xf8E8M0FNU>) -> tensor<128x64x!w>
  %y = qopt.matmul %x, %q : tensor<1x128xf32>, tensor<128x64x!w> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----
// Threads and panels (parallel-n = 2 here, 128 by default): the matmul's 4
// columns are tiled by an scf.forall, and the constant weight is repacked at
// compile time into [N / 2, K, 2] column panels read by panel index.
// PAR-LABEL: func.func @column_tiles
// PAR: %[[P:.*]] = arith.constant dense<{{\[}}{{\[}}[1.000000e+00, 2.000000e+00], [5.000000e+00, 6.000000e+00]], {{\[}}[3.000000e+00, 4.000000e+00], [7.000000e+00, 8.000000e+00]]]> : tensor<2x2x2xf32>
// PAR: scf.forall (%[[N:.*]]) = (0) to (4) step (2)
// PAR: %[[I:.*]] = affine.apply #{{.*}}(%[[N]])
// PAR: tensor.extract_slice %[[P]][%[[I]], 0, 0] [1, 2, 2] [1, 1, 1] : tensor<2x2x2xf32> to tensor<2x2xf32>
// PAR: linalg.generic {{.*}}"reduction"
// PAR: scf.forall.in_parallel
func.func @column_tiles(%x: tensor<3x2xf32>) -> tensor<3x4xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %y = qopt.matmul %x, %w : tensor<3x2xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----
// 4-bit codes are stored two per byte along K (rows 2r, 2r+1 in the low and
// high nibble): [[1, 2], [3, 4], [5, 6], [7, -8]] -> bytes [[0x31, 0x42],
// [0x75, 0x86]]; the decode shifts by 4 * (k mod 2) and truncates.
// CHECK-LABEL: func.func @packed_codes
// CHECK: arith.constant dense<{{\[}}[49, 66], [117, -122]]> : tensor<2x2xi8>
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: %[[K:.*]] = linalg.index 1 : index
// CHECK: arith.remui %[[K]]
// CHECK: arith.shrui
// CHECK: arith.trunci %{{.*}} : i8 to i4
!w = !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [4], axes = [0]>
func.func @packed_codes(%x: tensor<1x4xf32>, %s: tensor<1x2xf8E8M0FNU>) -> tensor<1x2xf32> {
  %c = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, -8]]> : tensor<4x2xi4>
  %q = qopt.assemble codes(%c : tensor<4x2xi4>) scales(%s : tensor<1x2xf8E8M0FNU>) -> tensor<4x2x!w>
  %y = qopt.matmul %x, %q : tensor<1x4xf32>, tensor<4x2x!w> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----
// Epilogue: the element-wise consumer of the column-parallel matmul (bias +
// ReLU + residual) is fused into the scf.forall: each 64-column tile (4 to 16
// rows: one register block of the float kernel wide; 128 otherwise) is
// computed and then finished in the same iteration (same thread, in cache).
// The matmul's own output is no longer a loop result: each tile starts from
// a zero-filled tile of its own and only the finished tile is written.
// CHECK-LABEL: func.func @epilogue
// CHECK: scf.forall (%[[N:.*]]) = (0) to (256) step (64) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<4x256xf32>)
// CHECK: %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4x64xf32>)
// CHECK: %[[MM:.*]] = linalg.generic {{.*}}"reduction"{{.*}} outs(%[[ACC]]
// CHECK: %[[B:.*]] = tensor.extract_slice %arg1[%[[N]]] [64] [1] : tensor<256xf32> to tensor<64xf32>
// CHECK: linalg.generic {{.*}} ins(%[[MM]], %[[B]], %{{.*}} : tensor<4x64xf32>, tensor<64xf32>, tensor<4x64xf32>)
// CHECK: arith.maximumf
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.generic
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
#bc = affine_map<(d0, d1) -> (d1)>
func.func @epilogue(%x: tensor<4x64xf32>, %b: tensor<256xf32>, %r: tensor<4x256xf32>, %w: tensor<64x256xf32>) -> tensor<4x256xf32> {
  %y = qopt.matmul %x, %w : tensor<4x64xf32>, tensor<64x256xf32> -> tensor<4x256xf32>
  %e = tensor.empty() : tensor<4x256xf32>
  %z = linalg.generic {indexing_maps = [#id, #bc, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %b, %r : tensor<4x256xf32>, tensor<256xf32>, tensor<4x256xf32>) outs(%e : tensor<4x256xf32>) {
  ^bb0(%a: f32, %bb: f32, %rr: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    %c0 = arith.constant 0.0 : f32
    %m = arith.maximumf %s, %c0 : f32
    %t = arith.addf %m, %rr : f32
    linalg.yield %t : f32
  } -> tensor<4x256xf32>
  return %z : tensor<4x256xf32>
}
