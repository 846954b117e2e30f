// A function with both a VNNI dot-product kernel (w8a8-int8 layer) and a
// float product of two activations (attention): qopt-vectorize-matmuls
// rewrites only the loop nests it builds, so the dot kernel keeps its
// u8 x s8 group reduction (vector.multi_reduction over vector<16x4xi32>),
// which qopt-x86-intrinsics turns into vpdpbusd. Before, the pass's lowering
// patterns ran over the whole function and unrolled that reduction into
// vpmaddwd/shuffle code (a 32 x 256 w8a8-int8 block 0.22 -> 1.94 ms).
// RUN: qopt-opt %s --qopt-quantize=scheme=w8a8-int8 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels --qopt-vectorize-matmuls | FileCheck %s

#bA = affine_map<(b, m, k, n) -> (b, m, k)>
#bB = affine_map<(b, m, k, n) -> (b, k, n)>
#bC = affine_map<(b, m, k, n) -> (b, m, n)>
// CHECK-LABEL: func.func @layer_and_attention
// CHECK: vector.multi_reduction <add>, {{.*}} [1] : vector<16x4xi32> to vector<16xi32>
// CHECK: vector.fma {{.*}} : vector<32xf32>
func.func @layer_and_attention(%x: tensor<8x64xf32>, %q: tensor<2x8x32xf32>, %k: tensor<2x32x32xf32>)
    -> (tensor<8x64xf32>, tensor<2x8x32xf32>) {
  %w = arith.constant dense<0.25> : tensor<64x64xf32>
  %y = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x64xf32> -> tensor<8x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x32xf32>
  %o = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  %s = linalg.generic {indexing_maps = [#bA, #bB, #bC],
                       iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%q, %k : tensor<2x8x32xf32>, tensor<2x32x32xf32>) outs(%o : tensor<2x8x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %c, %p : f32
    linalg.yield %r : f32
  } -> tensor<2x8x32xf32>
  return %y, %s : tensor<8x64xf32>, tensor<2x8x32xf32>
}
