// RUN: qopt-opt %s -split-input-file --convert-qopt-to-linalg --qopt-fuse | FileCheck %s
// RUN: qopt-opt %s -split-input-file --convert-qopt-to-linalg --qopt-fuse="tile-k=0" | FileCheck %s --check-prefix=NOTILE

!w = !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>

// Several rows (M = 4) and K = 128 > 32: the matmul is tiled along K (32)
// and N (128 -> whole, 64 here) and the weight decode is fused into the K
// loop: each 32 x 64 tile is decoded once, then multiplied.
// CHECK-LABEL: func.func @rows
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c32
// CHECK: tensor.extract_slice %arg1[%{{.*}}, 0] [32, 64] [1, 1] : tensor<128x64xi4> to tensor<32x64xi4>
// CHECK: %[[D:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x64xi4>, tensor<1x64xf8E8M0FNU>) outs(%{{.*}} : tensor<32x64xf32>) attrs = {qopt.decode}
// CHECK: linalg.generic {{.*}}"reduction"{{.*}} ins(%{{.*}}, %[[D]] : tensor<4x32xf32>, tensor<32x64xf32>)
// NOTILE-LABEL: func.func @rows
// NOTILE-NOT: scf.for
// NOTILE: linalg.generic {{.*}}"reduction"{{.*}}xi4>
func.func @rows(%x: tensor<4x128xf32>, %c: tensor<128x64xi4>, %s: tensor<4x64xf8E8M0FNU>) -> tensor<4x64xf32> {
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
