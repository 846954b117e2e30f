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

// A gather of 64 lanes from a constant 64-entry f16 table -> two vpermi2w
// (the table as two registers of 32 halves as i16: 1.0 = 15360, 2.0 =
// 16384, ...; entry 32 = 32.0 = 20480). vpermi2w reads the low 6 bits of
// each index, so the `andi 63` that keeps the gather in bounds is dropped.
// CHECK-LABEL: func.func @half_table
// CHECK-SAME: (%[[CODES:.*]]: vector<64xi16>)
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<[0, 15360, 16384, 16896, {{.*}}]> : vector<32xi16>
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<[20480, {{.*}}]> : vector<32xi16>
// CHECK: %[[P0:.*]] = vector.extract_strided_slice %[[CODES]] {offsets = [0], sizes = [32], strides = [1]}
// CHECK: %[[W0:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.hi.512"(%[[LO]], %[[P0]], %[[HI]]) : (vector<32xi16>, vector<32xi16>, vector<32xi16>) -> vector<32xi16>
// CHECK: vector.bitcast %[[W0]] : vector<32xi16> to vector<32xf16>
// CHECK: %[[P1:.*]] = vector.extract_strided_slice %[[CODES]] {offsets = [32], sizes = [32], strides = [1]}
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.hi.512"(%[[LO]], %[[P1]], %[[HI]])
// CHECK-NOT: vector.gather
func.func @half_table(%codes: vector<64xi16>) -> vector<64xf16> {
  %t = arith.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0]> : tensor<64xf16>
  %c0 = arith.constant 0 : index
  %c63 = arith.constant dense<63> : vector<64xi16>
  %in = arith.andi %codes, %c63 : vector<64xi16>
  %idx = arith.index_cast %in : vector<64xi16> to vector<64xindex>
  %m = arith.constant dense<true> : vector<64xi1>
  %p = arith.constant dense<0.0> : vector<64xf16>
  %g = vector.gather %t[%c0][%idx], %m, %p : tensor<64xf16>, vector<64xindex>, vector<64xi1>, vector<64xf16> into vector<64xf16>
  return %g : vector<64xf16>
}

// Indices not masked by 63: narrowed to i16 as they are (an in-bounds
// gather has them in [0, 64)). Left alone: a table of more than 64 halves,
// and a partial mask.
// CHECK-LABEL: func.func @half_table_unmasked
// CHECK: %[[I:.*]] = arith.index_cast %{{.*}} : vector<32xindex> to vector<32xi16>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.hi.512"(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT: llvm.call_intrinsic
// CHECK: vector.gather
// CHECK: vector.gather
func.func @half_table_unmasked(%idx: vector<32xindex>, %m: vector<32xi1>) -> (vector<32xf16>, vector<32xf16>, vector<32xf16>) {
  %t = arith.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0]> : tensor<64xf16>
  %big = arith.constant dense<1.0> : tensor<65xf16>
  %c0 = arith.constant 0 : index
  %all = arith.constant dense<true> : vector<32xi1>
  %p = arith.constant dense<0.0> : vector<32xf16>
  %g = vector.gather %t[%c0][%idx], %all, %p : tensor<64xf16>, vector<32xindex>, vector<32xi1>, vector<32xf16> into vector<32xf16>
  %h = vector.gather %big[%c0][%idx], %all, %p : tensor<65xf16>, vector<32xindex>, vector<32xi1>, vector<32xf16> into vector<32xf16>
  %k = vector.gather %t[%c0][%idx], %m, %p : tensor<64xf16>, vector<32xindex>, vector<32xi1>, vector<32xf16> into vector<32xf16>
  return %g, %h, %k : vector<32xf16>, vector<32xf16>, vector<32xf16>
}

// bfloat16 tables alike (1.0 = 16256, 2.0 = 16384 as i16).
// CHECK-LABEL: func.func @bf16_table
// CHECK: arith.constant dense<[0, 16256, 16384, {{.*}}]> : vector<32xi16>
// CHECK: %[[W:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.hi.512"
// CHECK: vector.bitcast %[[W]] : vector<32xi16> to vector<32xbf16>
// CHECK-NOT: vector.gather
func.func @bf16_table(%idx: vector<32xindex>) -> vector<32xbf16> {
  %t = arith.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0]> : tensor<64xbf16>
  %c0 = arith.constant 0 : index
  %all = arith.constant dense<true> : vector<32xi1>
  %p = arith.constant dense<0.0> : vector<32xbf16>
  %g = vector.gather %t[%c0][%idx], %all, %p : tensor<64xbf16>, vector<32xindex>, vector<32xi1>, vector<32xbf16> into vector<32xbf16>
  return %g : vector<32xbf16>
}
