// RUN: qopt-opt %s -verify-diagnostics --qopt-rotate="rotate=block:32" -split-input-file
// RUN: not qopt-opt %s --qopt-rotate="rotate=block:12" 2>&1 | FileCheck %s --check-prefix=POW2
// RUN: not qopt-opt %s --qopt-rotate="rotate=diagonal" 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not qopt-opt %s --qopt-rotate="rotate=block,salt=3" 2>&1 | FileCheck %s --check-prefix=OPT
// POW2: error: qopt-rotate: rotation block '12' is not a power of two >= 2
// MODE: error: qopt-rotate: rotation 'diagonal' is not none, block, block:N or global
// OPT: error: qopt-rotate: rotation option 'salt=3' is not seed=N (N a non-negative integer)

// An explicit block that does not divide K is an error naming it.
func.func @f(%x: tensor<4x48xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<48x8xf32>
  // expected-error@+1 {{qopt-rotate: rotation block 32 does not divide K = 48}}
  %y = qopt.matmul %x, %w : tensor<4x48xf32>, tensor<48x8xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
