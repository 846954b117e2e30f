// qopt-x86-dot-kernels: a lowered matmul of run-time quantized activations x
// constant quantized weights becomes a packed dot-product kernel on the
// element values, with the block scales applied once per block.
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w8a8-int8 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels | FileCheck %s --check-prefix=INT8
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w4a4-mxfp4 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels | FileCheck %s --check-prefix=MXFP4
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w8a8-fp8 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels | FileCheck %s --check-prefix=BF16
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w8a8-fp8 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels=bf16=false | FileCheck %s --check-prefix=NOBF16
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w8a8-int8 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels=vnni=false | FileCheck %s --check-prefix=NOVNNI
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w8a16-int8 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-dot-kernels | FileCheck %s --check-prefix=WONLY

// 5 rows (a 4-row register block and a 1-row tail), K = 64, N = 32 (one
// column tile, 32-column blocks).
func.func @small(%x: tensor<5x64xf32>) -> tensor<5x32xf32> {
  %w = arith.constant dense<0.25> : tensor<64x32xf32>
  %y = qopt.matmul %x, %w : tensor<5x64xf32>, tensor<64x32xf32> -> tensor<5x32xf32>
  return %y : tensor<5x32xf32>
}
// int8 x int8: weights repacked [tiles, K/4, N*4] as u8 (e + 128); the
// activation's per-row sums (x -128) start the i32 sums (the offset); groups of 4 u8 x s8
// products reduce into i32 lanes (vpdpbusd after bufferization); one scale
// multiply-add per output vector per block.
// INT8-LABEL: func.func @small
// INT8: arith.constant dense_resource<vnni_weights> : tensor<1x16x128xi8>
// INT8: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// INT8: arith.muli %{{.*}}, %c-128_i32 : i32
// INT8: scf.for {{.*}} -> (tensor<5x32xf32>)
// INT8: scf.for {{.*}} step %c4{{(_[0-9]+)?}} iter_args({{.*}}) -> (tensor<5x32xf32>)
// INT8: vector.transfer_read {{.*}} : tensor<16x128xi8>, vector<64xi8>
// INT8: vector.bitcast {{.*}} : vector<4xi8> to vector<1xi32>
// INT8: arith.extsi {{.*}} : vector<64xi8> to vector<64xi32>
// INT8: arith.extui {{.*}} : vector<64xi8> to vector<64xi32>
// INT8: vector.multi_reduction <add>, {{.*}} [1] : vector<16x4xi32> to vector<16xi32>
// INT8: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// INT8: vector.fma
// INT8: scf.for %{{.*}} = %c4{{(_[0-9]+)?}} to %c5 step %c1
// INT8-NOT: qopt.matmul
// The original decodes and matmul are gone.
// INT8-NOT: qopt.decode
//
// MXFP4 elements (E2M1) are half-integers: unit 0.5, so they run as integers;
// two blocks of 32 along K, each summed, then scaled by its E8M0 scales. At
// most 8 rows: the 4-bit codes stay two per byte ([1, K / 8, 32 x 4]) and map
// to u8 elements (2e + 128: the E2M1 values 0, 0.5, 1, 1.5, 2, 3, 4, 6 and
// their negatives) by a 16-byte table gather, vpshufb after bufferization.
// MXFP4-LABEL: func.func @small
// MXFP4: arith.constant dense_resource<vnni_nibbles> : tensor<1x8x128xi8>
// MXFP4: %[[LUT:.*]] = arith.constant dense<[-128, -127, -126, -125, -124, -122, -120, -116, -128, 127, 126, 125, 124, 122, 120, 116]> : tensor<16xi8>
// MXFP4: arith.andi {{.*}} : vector<64xi8>
// MXFP4: vector.gather %[[LUT]]
// MXFP4: arith.shrui {{.*}} : vector<64xi8>
// MXFP4: vector.gather %[[LUT]]
// MXFP4: vector.multi_reduction <add>
// MXFP4-NOT: qopt.matmul
//
// FP8 E4M3 elements are exact in bf16, so pairs along K use x86vector.avx512.dot.
// BF16-LABEL: func.func @small
// BF16: arith.constant dense_resource<bf16_weights> : tensor<1x32x64xbf16>
// BF16: arith.truncf {{.*}} : f32 to bf16
// BF16: vector.bitcast {{.*}} : vector<2xbf16> to vector<1xi32>
// BF16: x86vector.avx512.dot {{.*}} : vector<32xbf16> -> vector<16xf32>
// BF16-NOT: qopt.matmul
//
// Left alone: BF16 not available, VNNI not available, weight-only schemes
// (float activations are not exact in BF16 nor integers).
// NOBF16-LABEL: func.func @small
// NOBF16-NOT: x86vector
// NOBF16: qopt.matmul
// NOVNNI-LABEL: func.func @small
// NOVNNI-NOT: vector.multi_reduction
// NOVNNI: x86vector.avx512.dot
// WONLY-LABEL: func.func @small
// WONLY-NOT: vector.multi_reduction
// WONLY-NOT: x86vector
// WONLY: qopt.matmul

// -----

// N = 256, 17 rows (more than 16: compute bound, the panel serves many row
// blocks): two column tiles of 128 on threads (scf.forall), one weight panel
// each.
func.func @wide(%x: tensor<17x64xf32>) -> tensor<17x256xf32> {
  %w = arith.constant dense<-0.5> : tensor<64x256xf32>
  %y = qopt.matmul %x, %w : tensor<17x64xf32>, tensor<64x256xf32> -> tensor<17x256xf32>
  return %y : tensor<17x256xf32>
}
// INT8-LABEL: func.func @wide
// INT8: arith.constant dense_resource<vnni_weights> : tensor<2x16x512xi8>
// INT8: scf.forall (%[[T:.*]]) in (2)
// INT8: tensor.extract_slice %{{.*}}[%[[T]], 0, 0] [1, 16, 512] [1, 1, 1] : tensor<2x16x512xi8> to tensor<16x512xi8>
// INT8: vector.multi_reduction
// INT8: tensor.parallel_insert_slice {{.*}} [17, 128] [1, 1] : tensor<17x128xf32> into tensor<17x256xf32>
// MXFP4-LABEL: func.func @wide
// MXFP4: arith.constant dense_resource<vnni_weights> : tensor<2x16x512xi8>
// MXFP4: scf.forall (%{{.*}}) in (2)

// -----

// At most 16 rows the weight stream bounds the time: column tiles are one
// register block wide (4 x 64 for one block along K, 4 x 32 for several), so
// a tile reads its panel as one sequential stream, each k step a whole
// panel row, instead of strided passes over parts of each 512-byte row.
func.func @six_rows(%x: tensor<6x64xf32>) -> tensor<6x256xf32> {
  %w = arith.constant dense<-0.5> : tensor<64x256xf32>
  %y = qopt.matmul %x, %w : tensor<6x64xf32>, tensor<64x256xf32> -> tensor<6x256xf32>
  return %y : tensor<6x256xf32>
}
// INT8-LABEL: func.func @six_rows
// INT8: arith.constant dense_resource<vnni_weights> : tensor<4x16x256xi8>
// INT8: scf.forall (%{{.*}}) in (4)
// INT8: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c64{{(_[0-9]+)?}} step %c64
// INT8: tensor.parallel_insert_slice {{.*}} [6, 64] [1, 1] : tensor<6x64xf32> into tensor<6x256xf32>
// MXFP4-LABEL: func.func @six_rows
// MXFP4: arith.constant dense_resource<vnni_nibbles> : tensor<8x8x128xi8>
// MXFP4: scf.forall (%{{.*}}) in (8)
// MXFP4: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c32{{(_[0-9]+)?}} step %c32

// -----

// One row (decode): the register block is one row x the whole 128-column
// panel row (8 accumulators, up to 16), so each k step reads the panel row
// once; with 6 rows it is 4 x 64 (@six_rows). MXFP4 has several blocks along K:
// one row x 128 as well (4 x 32 for more rows).
func.func @one_row(%x: tensor<1x64xf32>) -> tensor<1x256xf32> {
  %w = arith.constant dense<-0.5> : tensor<64x256xf32>
  %y = qopt.matmul %x, %w : tensor<1x64xf32>, tensor<64x256xf32> -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}
// INT8-LABEL: func.func @one_row
// INT8: scf.forall
// INT8: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c128{{(_[0-9]+)?}} step %c128
// INT8-COUNT-8: vector.multi_reduction
// INT8-NOT: vector.multi_reduction
// INT8: scf.forall.in_parallel
// MXFP4-LABEL: func.func @one_row
// MXFP4: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c128{{(_[0-9]+)?}} step %c128

// -----

// Two rows: one block of both rows x 128 columns (16 accumulators), so each
// weight load serves both rows and a k step reads the whole panel row.
func.func @two_rows(%x: tensor<2x64xf32>) -> tensor<2x256xf32> {
  %w = arith.constant dense<-0.5> : tensor<64x256xf32>
  %y = qopt.matmul %x, %w : tensor<2x64xf32>, tensor<64x256xf32> -> tensor<2x256xf32>
  return %y : tensor<2x256xf32>
}
// INT8-LABEL: func.func @two_rows
// INT8: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c128{{(_[0-9]+)?}} step %c128
// INT8: scf.for %{{.*}} = %c0{{(_[0-9]+)?}} to %c2{{(_[0-9]+)?}} step %c2
// INT8-COUNT-16: vector.multi_reduction
// INT8-NOT: vector.multi_reduction
// INT8: scf.forall.in_parallel
