// qopt-fuse, epilogues: the next layer's activation quantization is fused
// into the producing layer's column-parallel loop wherever its statistics
// are per block along the produced columns (MX, NVFP4 block amax), so the
// float activation never exists as a whole: each 128-column tile is biased,
// activated, reduced to block amaxes, encoded to codes and block sums in the
// iteration that computed it. Statistics across tiles (a per-row or
// per-tensor amax) stay outside the loop. 32 rows: above 16 the kernels'
// column tiles are 128 wide (at most 16 rows they are one register block,
// 32 columns for MX: one block, nothing to fuse per tile).
// RUN: qopt-opt %s --qopt-quantize=scheme=w4a4-mxfp4 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels --qopt-fuse | FileCheck %s --check-prefix=MXFP4
// RUN: qopt-opt %s --qopt-quantize=scheme=w4a4-nvfp4 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels --qopt-fuse | FileCheck %s --check-prefix=NVFP4
// RUN: qopt-opt %s --qopt-quantize=scheme=w8a8-int8 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels --qopt-fuse | FileCheck %s --check-prefix=INT8
// RUN: qopt-opt %s --qopt-quantize=scheme=w4a4-mxfp4 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels --qopt-fuse=epilogues=false | FileCheck %s --check-prefix=OFF

// The first loop yields only the second layer's inputs: E2M1 codes (as the
// VNNI kernel's i8), block scales and block sums; no f32 32x512 activation.
// MXFP4-LABEL: func.func @mlp
// MXFP4: scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<32x1x16x32xi8>, tensor<32x16xf32>, tensor<32x1x16xi32>)
// MXFP4: arith.maximumf %{{.*}}, %cst
// MXFP4: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel", "reduction"]} ins(%{{.*}} : tensor<32x1x4x32xf32>) outs(%{{.*}} : tensor<32x4xf32>)
// MXFP4: arith.maximumf %out
// MXFP4: linalg.generic {{.*}} outs(%{{.*}} : tensor<32x4xf8E8M0FNU>)
// MXFP4: linalg.generic {{.*}} outs(%{{.*}} : tensor<32x1x4x32xi8>)
// MXFP4: scf.forall.in_parallel
// MXFP4-NEXT: tensor.parallel_insert_slice {{.*}} : tensor<32x1x4x32xi8> into tensor<32x1x16x32xi8>
// MXFP4-NEXT: tensor.parallel_insert_slice {{.*}} : tensor<32x4xf32> into tensor<32x16xf32>
// MXFP4-NEXT: tensor.parallel_insert_slice {{.*}} : tensor<32x1x4xi32> into tensor<32x1x16xi32>
// MXFP4-NOT: tensor<32x512xf32>
// MXFP4-NOT: tensor<32x1x16x32xf32>
// MXFP4: scf.forall (%{{.*}}) in (2)
// MXFP4: return

// For NVFP4 the per-block amax is fused; the FP32 tensor scale needs the amax of
// the whole tensor, so it and the encoding run after the loop.
// NVFP4-LABEL: func.func @mlp
// NVFP4: scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<32x1x32x16xf32>, tensor<32x32xf32>)
// NVFP4: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel", "reduction"]} ins(%{{.*}} : tensor<32x1x8x16xf32>) outs(%{{.*}} : tensor<32x8xf32>)
// NVFP4: scf.forall.in_parallel
// NVFP4: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]}
// NVFP4: scf.forall (%{{.*}}) in (2)

// Per-row int8 scales reduce over all 512 columns, so they stay outside;
// their [32, 1, 1, 512] view only adds unit dims to a tile, which is not folded
// into the loop (the reshaped tile would be copied), so the bias + ReLU
// epilogue stays after the loop too.
// INT8-LABEL: func.func @mlp
// INT8: scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<32x512xf32>)
// INT8: scf.forall.in_parallel
// INT8: tensor.expand_shape {{.*}} into tensor<32x1x1x512xf32>
// INT8: arith.maximumf %{{.*}}, %cst
// INT8: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel", "reduction"]} ins(%{{.*}} : tensor<4x1x1x512xf32>)
// INT8: scf.forall (%{{.*}}) in (2)

// epilogues=false: the loop yields the matmul's f32 output.
// OFF-LABEL: func.func @mlp
// OFF: scf.forall (%{{.*}}) in (4) shared_outs({{.*}}) -> (tensor<32x512xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#bc = affine_map<(d0, d1) -> (d1)>
func.func @mlp(%x: tensor<32x256xf32>) -> tensor<32x256xf32> {
  %w1 = arith.constant dense<0.01> : tensor<256x512xf32>
  %w2 = arith.constant dense<-0.02> : tensor<512x256xf32>
  %b1 = arith.constant dense<0.5> : tensor<512xf32>
  %h = qopt.matmul %x, %w1 : tensor<32x256xf32>, tensor<256x512xf32> -> tensor<32x512xf32>
  %e = tensor.empty() : tensor<32x512xf32>
  %g = linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b1 : tensor<32x512xf32>, tensor<512xf32>) outs(%e : tensor<32x512xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %c0 = arith.constant 0.0 : f32
    %r = arith.maximumf %s, %c0 : f32
    linalg.yield %r : f32
  } -> tensor<32x512xf32>
  %y = qopt.matmul %g, %w2 : tensor<32x512xf32>, tensor<512x256xf32> -> tensor<32x256xf32>
  return %y : tensor<32x256xf32>
}
