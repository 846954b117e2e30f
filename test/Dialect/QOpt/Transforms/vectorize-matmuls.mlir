// RUN: qopt-opt %s -split-input-file --convert-qopt-to-linalg --qopt-fuse --qopt-vectorize-matmuls | FileCheck %s
// RUN: qopt-opt %s -split-input-file --convert-qopt-to-linalg --qopt-vectorize-matmuls="mr=8 nr=32 kc=16" | FileCheck %s --check-prefix=OPTS
// RUN: qopt-opt %s -split-input-file --convert-qopt-to-linalg --qopt-fuse --qopt-vectorize-matmuls="avx512=false" | FileCheck %s --check-prefix=NOLUT
// RUN: not qopt-opt %s -split-input-file --convert-qopt-to-linalg --qopt-vectorize-matmuls="mr=3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// A float matmul becomes a register-blocked kernel: K blocked by kc = 64,
// 4 x 64 output blocks whose accumulator is read before the k loop, carried
// in vector registers through it (iter_arg) and written after it; each k step
// is 4 broadcast FMAs on vector<64xf32>.
// 16 rows: qopt-fuse's column tiles are 64 wide (one block), so a tile
// reads its panel rows whole and in order.
// CHECK-LABEL: func.func @float_matmul
// CHECK: scf.forall {{.*}} = (0) to (128) step (64)
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c256{{(_[0-9]+)?}} step %c64{{(_[0-9]+)?}}
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c16{{(_[0-9]+)?}} step %c4{{(_[0-9]+)?}}
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<16x64xf32>, vector<4x64xf32>
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c64{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}} iter_args(%{{.*}} = %{{.*}}, %[[A:.*]] = %[[ACC]]) -> (tensor<16x64xf32>, vector<4x64xf32>)
// CHECK-COUNT-4: vector.fma {{.*}} : vector<64xf32>
// CHECK: scf.yield %{{.*}}, %{{.*}} : tensor<16x64xf32>, vector<4x64xf32>
// CHECK: vector.transfer_write {{.*}} : vector<4x64xf32>, tensor<16x64xf32>
// CHECK-NOT: linalg.generic
// OPTS-LABEL: func.func @float_matmul
// OPTS: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c256{{(_[0-9]+)?}} step %c16{{(_[0-9]+)?}}
// OPTS: vector.transfer_read {{.*}} : tensor<16x128xf32>, vector<8x32xf32>
// OPTS-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// BAD: qopt-vectorize-matmuls: mr and nr must be powers of two (got mr=3, nr=64)
func.func @float_matmul(%x: tensor<16x256xf32>, %w: tensor<256x128xf32>) -> tensor<16x128xf32> {
  %y = qopt.matmul %x, %w : tensor<16x256xf32>, tensor<256x128xf32> -> tensor<16x128xf32>
  return %y : tensor<16x128xf32>
}

// -----
// Shapes that do not divide the preferred block take the largest power of
// two that does: 6 rows -> blocks of 2, 24 columns -> blocks of 8, K = 48
// -> blocks of 16.
// CHECK-LABEL: func.func @odd_shapes
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c48{{(_[0-9]+)?}} step %c16{{(_[0-9]+)?}}
// CHECK: vector.transfer_read {{.*}} : tensor<6x24xf32>, vector<2x8xf32>
// CHECK-COUNT-2: vector.fma {{.*}} : vector<8xf32>
func.func @odd_shapes(%x: tensor<6x48xf32>, %w: tensor<48x24xf32>) -> tensor<6x24xf32> {
  %y = qopt.matmul %x, %w : tensor<6x48xf32>, tensor<48x24xf32> -> tensor<6x24xf32>
  return %y : tensor<6x24xf32>
}

// -----
// Fewer rows than mr (decode): one row keeps up to 4 x 64 / 16 = 16
// accumulators as a 1 x 256 block, here the whole 128-column tile of
// qopt-fuse, so each k step reads a whole weight row of the tile once (before:
// 1 x 64 blocks read it in two passes). Two rows: 2 x 128.
// CHECK-LABEL: func.func @one_row
// CHECK: scf.forall {{.*}} step (128)
// CHECK: vector.transfer_read {{.*}} : tensor<1x128xf32>, vector<1x128xf32>
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c64{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (tensor<1x128xf32>, vector<1x128xf32>)
// CHECK-COUNT-1: vector.fma {{.*}} : vector<128xf32>
// CHECK-NOT: vector.fma
// CHECK: scf.yield
// CHECK-LABEL: func.func @two_rows
// CHECK: vector.transfer_read {{.*}} : tensor<2x128xf32>, vector<2x128xf32>
// CHECK-COUNT-2: vector.fma {{.*}} : vector<128xf32>
// CHECK-NOT: vector.fma
// CHECK: scf.yield
// OPTS-LABEL: func.func @one_row
// OPTS: vector.transfer_read {{.*}} : tensor<1x512xf32>, vector<1x256xf32>
func.func @one_row(%x: tensor<1x256xf32>, %w: tensor<256x512xf32>) -> tensor<1x512xf32> {
  %y = qopt.matmul %x, %w : tensor<1x256xf32>, tensor<256x512xf32> -> tensor<1x512xf32>
  return %y : tensor<1x512xf32>
}
func.func @two_rows(%x: tensor<2x256xf32>, %w: tensor<256x512xf32>) -> tensor<2x512xf32> {
  %y = qopt.matmul %x, %w : tensor<2x256xf32>, tensor<256x512xf32> -> tensor<2x512xf32>
  return %y : tensor<2x512xf32>
}

// -----
// Left alone: linalg ops that are not lowered qopt.matmuls.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: vector.
// CHECK: linalg.matmul
func.func @left_alone(%x: tensor<4x64xf32>, %w: tensor<64x32xf32>, %o: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<4x64xf32>, tensor<64x32xf32>) outs(%o : tensor<4x32xf32>) -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----
// A product of two activations (attention's Q K^T, P V) is imported as an
// untagged generic with loops (batch..., m, k, n): it is blocked the same way
// (batch loops of extent 1 per block, then dropped), so it becomes FMAs on
// vector<32xf32> (N = 32) into accumulators kept in registers through the
// k loop, instead of scalar loops (qopt-fuse runs the batch on threads). A contraction in another
// loop order (k before m) is left alone.
#bA = affine_map<(b, h, m, k, n) -> (b, h, m, k)>
#bB = affine_map<(b, h, m, k, n) -> (b, h, k, n)>
#bC = affine_map<(b, h, m, k, n) -> (b, h, m, n)>
// CHECK-LABEL: func.func @attention_product
// CHECK: scf.forall
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c8{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}}
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<1x8x16x32xf32>, vector<4x32xf32>
// CHECK: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c32{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %[[ACC]]) -> (tensor<1x8x16x32xf32>, vector<4x32xf32>)
// CHECK-COUNT-4: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write {{.*}} : vector<4x32xf32>, tensor<1x8x16x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @attention_product(%q: tensor<2x8x16x32xf32>, %k: tensor<2x8x32x32xf32>) -> tensor<2x8x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x16x32xf32>
  %o = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8x16x32xf32>) -> tensor<2x8x16x32xf32>
  %y = linalg.generic {indexing_maps = [#bA, #bB, #bC],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%q, %k : tensor<2x8x16x32xf32>, tensor<2x8x32x32xf32>) outs(%o : tensor<2x8x16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x8x16x32xf32>
  return %y : tensor<2x8x16x32xf32>
}
#kA = affine_map<(k, m, n) -> (m, k)>
#kB = affine_map<(k, m, n) -> (k, n)>
#kC = affine_map<(k, m, n) -> (m, n)>
// CHECK-LABEL: func.func @other_loop_order
// CHECK-NOT: vector.
// CHECK: linalg.generic
func.func @other_loop_order(%x: tensor<4x64xf32>, %w: tensor<64x32xf32>, %o: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %y = linalg.generic {indexing_maps = [#kA, #kB, #kC], iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%x, %w : tensor<4x64xf32>, tensor<64x32xf32>) outs(%o : tensor<4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----
// A one-row matmul whose FP4 (E2M1) decode is fused into its body decodes by
// table: the 16 values folded from the codec at compile time are the E2M1
// values (OCP MX spec: 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives), read
// by a gather the pipeline turns into vpermps (x86-asm.mlir); the scale and
// the FMA into the register accumulator follow.
// CHECK-LABEL: func.func @table_decode
// CHECK: %[[T:.*]] = arith.constant dense<[0.000000e+00, 5.000000e-01, 1.000000e+00, 1.500000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 6.000000e+00, -0.000000e+00, -5.000000e-01, -1.000000e+00, -1.500000e+00, -2.000000e+00, -3.000000e+00, -4.000000e+00, -6.000000e+00]> : tensor<16xf32>
// CHECK: scf.for
// CHECK: vector.gather %[[T]]
// CHECK-NOT: arith.uitofp
// CHECK: scf.yield
// NOLUT-LABEL: func.func @table_decode
// NOLUT-NOT: vector.gather
// NOLUT: arith.uitofp
!w = !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>
func.func @table_decode(%x: tensor<1x32xf32>, %s: tensor<1x16xf8E8M0FNU>) -> tensor<1x16xf32> {
  %c = arith.constant dense<[[0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5], [7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4], [6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3], [5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2], [4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1], [3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0], [2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7], [1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6], [0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5], [7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4], [6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3], [5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2], [4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1], [3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0], [2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7], [1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6], [0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5], [7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4], [6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3], [5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2], [4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1], [3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0], [2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7], [1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6], [0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5], [7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4], [6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3], [5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2], [4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1], [3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0], [2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7], [1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6]]> : tensor<32x16xi4>
  %q = qopt.assemble codes(%c : tensor<32x16xi4>) scales(%s : tensor<1x16xf8E8M0FNU>) -> tensor<32x16x!w>
  %y = qopt.matmul %x, %q : tensor<1x32xf32>, tensor<32x16x!w> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}
