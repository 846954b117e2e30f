// qopt-x86-intrinsics: vector forms that are exactly one AVX-512 instruction.
// RUN: qopt-opt %s --qopt-x86-intrinsics | FileCheck %s
// RUN: qopt-opt %s --qopt-x86-intrinsics=vnni=false | FileCheck %s --check-prefix=NOVNNI

// acc + sum over groups of 4 of u8(w) * s8(a) -> vpdpbusd.
// CHECK-LABEL: func.func @u8s8
// CHECK-SAME: (%[[ACC:.*]]: vector<16xi32>, %[[W:.*]]: vector<64xi8>, %[[A:.*]]: vector<64xi8>)
// CHECK: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ACC]], %[[W]], %[[A]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK-NOT: vector.multi_reduction
// CHECK: return %[[R]]
// NOVNNI-LABEL: func.func @u8s8
// NOVNNI-NOT: call_intrinsic
// NOVNNI: vector.multi_reduction
func.func @u8s8(%acc: vector<16xi32>, %w: vector<64xi8>, %a: vector<64xi8>) -> vector<16xi32> {
  %wu = arith.extui %w : vector<64xi8> to vector<64xi32>
  %as = arith.extsi %a : vector<64xi8> to vector<64xi32>
  %p = arith.muli %wu, %as : vector<64xi32>
  %g = vector.shape_cast %p : vector<64xi32> to vector<16x4xi32>
  %r = vector.multi_reduction <add>, %g, %acc [1] : vector<16x4xi32> to vector<16xi32>
  return %r : vector<16xi32>
}

// Signed x signed is not vpdpbusd's u8 x s8: left alone.
// CHECK-LABEL: func.func @s8s8
// CHECK-NOT: call_intrinsic
// CHECK: vector.multi_reduction
func.func @s8s8(%acc: vector<16xi32>, %w: vector<64xi8>, %a: vector<64xi8>) -> vector<16xi32> {
  %ws = arith.extsi %w : vector<64xi8> to vector<64xi32>
  %as = arith.extsi %a : vector<64xi8> to vector<64xi32>
  %p = arith.muli %ws, %as : vector<64xi32>
  %g = vector.shape_cast %p : vector<64xi32> to vector<16x4xi32>
  %r = vector.multi_reduction <add>, %g, %acc [1] : vector<16x4xi32> to vector<16xi32>
  return %r : vector<16xi32>
}

// Groups of 2 (not a VNNI byte dot): left alone.
// CHECK-LABEL: func.func @pairs
// CHECK-NOT: call_intrinsic
func.func @pairs(%acc: vector<32xi32>, %w: vector<64xi8>, %a: vector<64xi8>) -> vector<32xi32> {
  %wu = arith.extui %w : vector<64xi8> to vector<64xi32>
  %as = arith.extsi %a : vector<64xi8> to vector<64xi32>
  %p = arith.muli %wu, %as : vector<64xi32>
  %g = vector.shape_cast %p : vector<64xi32> to vector<32x2xi32>
  %r = vector.multi_reduction <add>, %g, %acc [1] : vector<32x2xi32> to vector<32xi32>
  return %r : vector<32xi32>
}

// A table gather from a constant 16-entry f32 table -> vpermps.
// CHECK-LABEL: func.func @table
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"
// CHECK-NOT: vector.gather
func.func @table(%idx: vector<16xindex>) -> vector<16xf32> {
  %t = arith.constant dense<[0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0]> : tensor<16xf32>
  %c0 = arith.constant 0 : index
  %m = arith.constant dense<true> : vector<16xi1>
  %p = arith.constant dense<0.0> : vector<16xf32>
  %g = vector.gather %t[%c0][%idx], %m, %p : tensor<16xf32>, vector<16xindex>, vector<16xi1>, vector<16xf32> into vector<16xf32>
  return %g : vector<16xf32>
}

// A gather of bytes from a constant 16-byte table, indexed by bytes (widened
// by index_castui) -> vpshufb, the table repeated in each 128-bit lane; 128
// lanes take two.
// CHECK-LABEL: func.func @byte_table
// CHECK-SAME: (%[[CODES:.*]]: vector<128xi8>)
// CHECK: %[[LUT:.*]] = arith.constant dense<[10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 10, 11, {{.*}}, 24, 25]> : vector<64xi8>
// CHECK: %[[LO:.*]] = vector.extract_strided_slice %[[CODES]] {offsets = [0], sizes = [64], strides = [1]}
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"(%[[LUT]], %[[LO]]) : (vector<64xi8>, vector<64xi8>) -> vector<64xi8>
// CHECK: %[[HI:.*]] = vector.extract_strided_slice %[[CODES]] {offsets = [64], sizes = [64], strides = [1]}
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"(%[[LUT]], %[[HI]])
// CHECK-NOT: vector.gather
func.func @byte_table(%codes: vector<128xi8>) -> vector<128xi8> {
  %t = arith.constant dense<[10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]> : tensor<16xi8>
  %c0 = arith.constant 0 : index
  %idx = arith.index_castui %codes : vector<128xi8> to vector<128xindex>
  %m = arith.constant dense<true> : vector<128xi1>
  %p = arith.constant dense<0> : vector<128xi8>
  %g = vector.gather %t[%c0][%idx], %m, %p : tensor<16xi8>, vector<128xindex>, vector<128xi1>, vector<128xi8> into vector<128xi8>
  return %g : vector<128xi8>
}

// Byte gathers left alone: indices not widened from byte lanes (the pattern
// hands vpshufb those lanes as they are), and a partial mask.
// CHECK-LABEL: func.func @byte_table_left_alone
// CHECK-NOT: pshuf
// CHECK: vector.gather
// CHECK: vector.gather
func.func @byte_table_left_alone(%idx: vector<64xindex>, %codes: vector<64xi8>, %m: vector<64xi1>) -> (vector<64xi8>, vector<64xi8>) {
  %t = arith.constant dense<[10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]> : tensor<16xi8>
  %c0 = arith.constant 0 : index
  %all = arith.constant dense<true> : vector<64xi1>
  %p = arith.constant dense<0> : vector<64xi8>
  %g = vector.gather %t[%c0][%idx], %all, %p : tensor<16xi8>, vector<64xindex>, vector<64xi1>, vector<64xi8> into vector<64xi8>
  %wide = arith.index_castui %codes : vector<64xi8> to vector<64xindex>
  %h = vector.gather %t[%c0][%wide], %m, %p : tensor<16xi8>, vector<64xindex>, vector<64xi1>, vector<64xi8> into vector<64xi8>
  return %g, %h : vector<64xi8>, vector<64xi8>
}
