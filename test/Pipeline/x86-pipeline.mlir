// The same registered pipeline from qopt-opt and from stock mlir-opt (plugin).
// RUN: qopt-opt %s --qopt-x86-pipeline | FileCheck %s
// RUN: qopt-opt %s --pass-pipeline="builtin.module(qopt-x86-pipeline{fuse-elementwise=false})" | FileCheck %s
// RUN: mlir-opt %s --load-dialect-plugin=%qopt_libs/libQOptPlugin%shlibext --load-pass-plugin=%qopt_libs/libQOptPlugin%shlibext --pass-pipeline="builtin.module(qopt-x86-pipeline)" | FileCheck %s

// The end state: LLVM dialect only; results became caller-provided out
// pointers (bare-pointer C ABI: void f(const float *x, float *y)).
// CHECK-LABEL: llvm.func @add_relu(
// CHECK-SAME: %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr) {
// CHECK-NOT: func.func
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK: llvm.fadd
// CHECK: llvm.intr.maximum
// CHECK: llvm.return
#map = affine_map<(d0) -> (d0)>
func.func @add_relu(%x: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %a = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%x, %x : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %e2 = tensor.empty() : tensor<16xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%a : tensor<16xf32>) outs(%e2 : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %z : f32
    linalg.yield %m : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}
