// The x86 pipeline computes math.erf and math.exp with upstream's polynomial
// approximations (plain arith, so LLVM can vectorize the loops around them);
// math-approximations=false keeps the libm calls.
// RUN: qopt-opt %s --qopt-x86-pipeline | FileCheck %s
// RUN: qopt-opt %s --qopt-x86-pipeline=math-approximations=false | FileCheck %s --check-prefix=LIBM

// CHECK-LABEL: llvm.func @gelu_softmax_terms
// CHECK-NOT: llvm.call @erff
// CHECK-NOT: llvm.intr.exp
// CHECK-NOT: llvm.call @expf
// CHECK: llvm.return
// LIBM-LABEL: llvm.func @gelu_softmax_terms
// LIBM: llvm.call @erff
// LIBM: llvm.intr.exp
#id = affine_map<(d0) -> (d0)>
func.func @gelu_softmax_terms(%x: tensor<64xf32>) -> tensor<64xf32> {
  %e = tensor.empty() : tensor<64xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<64xf32>) outs(%e : tensor<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.erf %a : f32
    %p = math.exp %a : f32
    %s = arith.addf %r, %p : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %y : tensor<64xf32>
}
