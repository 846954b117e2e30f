// Debian's stock mlir-opt parses, verifies, folds and prints qopt IR through
// the dialect plugin.
// RUN: mlir-opt %s --load-dialect-plugin=%qopt_libs/libQOptPlugin%shlibext | FileCheck %s
// RUN: mlir-opt %s --load-dialect-plugin=%qopt_libs/libQOptPlugin%shlibext -canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: not mlir-opt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN

// CHECK: !mxfp4 = !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [-1]>
// CHECK-LABEL: func.func @fold
// CHECK: qopt.quantize %{{.+}} : tensor<1x32xf32> to tensor<1x32x!mxfp4>
// FOLD-LABEL: func.func @fold
// FOLD: qopt.constant dense_resource<[[BLOB:.+]]> : tensor<1x32x!mxfp4>
// FOLD: [[BLOB]]: "0x08000000427908000000000000000000000000007F000000"
// NOPLUGIN: error
func.func @fold() -> tensor<1x32x!qopt.mxfp4> {
  %c = arith.constant dense<[[1.25, 2.5, -0.375, 6.0, -0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<1x32xf32>
  %q = qopt.quantize %c : tensor<1x32xf32> to tensor<1x32x!qopt.mxfp4>
  return %q : tensor<1x32x!qopt.mxfp4>
}
