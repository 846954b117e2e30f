// qopt-x86-gemv: few-row matmuls of quantized weights stream the codes (two
// per byte through a 16-entry table up to 4 bits; one per byte, decoded by the
// element ops on vectors, up to 8 bits), with block scales once per block,
// read in their stored format.
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w4a16-int4-g32 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-gemv | FileCheck %s --check-prefix=INT4
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w4a16-mxfp4 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-gemv | FileCheck %s --check-prefix=MXFP4
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w4a16-nvfp4 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-gemv | FileCheck %s --check-prefix=NVFP4
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w8a16-int8 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-gemv | FileCheck %s --check-prefix=INT8
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w8a16-fp8 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-gemv | FileCheck %s --check-prefix=FP8
// RUN: qopt-opt %s --split-input-file --qopt-quantize=scheme=w6a16-mxfp6 --canonicalize --qopt-materialize-scales --convert-qopt-to-linalg --canonicalize --qopt-x86-gemv | FileCheck %s --check-prefix=MXFP6

// 3 rows, K = 64, N = 128: two column tiles of 64 on threads.
func.func @gemv(%x: tensor<3x64xf32>) -> tensor<3x128xf32> {
  %w = arith.constant dense<0.75> : tensor<64x128xf32>
  %y = qopt.matmul %x, %w : tensor<3x64xf32>, tensor<64x128xf32> -> tensor<3x128xf32>
  return %y : tensor<3x128xf32>
}
// INT4-LABEL: func.func @gemv
// INT4: arith.constant dense_resource<nibble_codes> : tensor<2x32x64xi8>
// INT4: arith.constant dense<{{.*}}> : tensor<16xf32>
// INT4: scf.forall (%{{.*}}) in (2)
// INT4: tensor.extract_slice %{{.*}}[%{{.*}}, 0, 0] [1, 32, 64] [1, 1, 1] : tensor<2x32x64xi8> to tensor<32x64xi8>
// Fewer rows than a 4-row block: the 1-row loop only.
// INT4: scf.for %{{.*}} = %c0{{.*}} to %c3 step %c1
// INT4: vector.transfer_read {{.*}} : tensor<32x64xi8>, vector<16xi8>
// INT4: arith.extui {{.*}} : vector<16xi8> to vector<16xi32>
// INT4: arith.andi
// INT4: vector.gather {{.*}} : tensor<16xf32>, vector<16xindex>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// INT4: arith.shrui
// INT4: vector.gather
// INT4: vector.fma
// The f32 group scales are read where they are stored (no f32 copy).
// INT4: vector.transfer_read %{{.*}} : tensor<2x128xf32>, vector<16xf32>
// INT4: vector.fma
// INT4-NOT: qopt.matmul
// INT4-NOT: qopt.decode
//
// E8M0 block scales: the folded scale decode of every code the weights use is
// the code moved into an f32 exponent field (code << 23), so that move is the
// decode (no table gather).
// MXFP4-LABEL: func.func @gemv
// MXFP4-NOT: tensor<256xf32>
// MXFP4: vector.bitcast {{.*}} : vector<16xf8E8M0FNU> to vector<16xi8>
// MXFP4: arith.shli {{.*}} : vector<16xi32>
// MXFP4: arith.bitcast {{.*}} : vector<16xi32> to vector<16xf32>
// MXFP4-NOT: qopt.matmul
//
// For NVFP4, the E4M3 block scales times the FP32 tensor scale (a constant
// factor) decode by a bit-field move chosen from the codes the weights use
// (here a single code, so the exponent move; with real weights the half
// pattern, see test_gemv.py), never a table gather.
// NVFP4-LABEL: func.func @gemv
// NVFP4-NOT: tensor<256xf32>
// NVFP4: vector.bitcast {{.*}} : vector<16xf8E4M3FN> to vector<16xi8>
// NVFP4: arith.mulf
// NVFP4-NOT: qopt.matmul
//
// 8-bit codes: one per byte, decoded by the element ops rebuilt on vectors
// (sign extension and conversion for int8), the per-channel f32 scales read
// once per block (one block: K).
// INT8-LABEL: func.func @gemv
// INT8: arith.constant dense_resource<byte_codes> : tensor<2x64x64xi8>
// INT8: vector.transfer_read {{.*}} : tensor<64x64xi8>, vector<16xi8>
// INT8: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// INT8: vector.fma
// INT8: vector.transfer_read %{{.*}} : tensor<1x128xf32>, vector<16xf32>
// INT8-NOT: qopt.matmul
//
// FP8 E4M3 with one scale for the tensor: the codes decode as half bit
// patterns (sign-extended, shifted by 7, masked to sign | 7 bits: 0xBF80 =
// -16512) through extf, with no per-element multiply; their 2^8 joins the
// scale, a constant splat applied once.
// FP8-LABEL: func.func @gemv
// FP8: arith.constant dense_resource<byte_codes> : tensor<2x64x64xi8>
// FP8: %[[S:.*]] = arith.extsi {{.*}} : vector<16xi8> to vector<16xi16>
// FP8: %[[SH:.*]] = arith.shli %[[S]], {{.*}} : vector<16xi16>
// FP8: %[[M:.*]] = arith.andi %[[SH]], {{.*}} : vector<16xi16>
// FP8: arith.bitcast %[[M]] : vector<16xi16> to vector<16xf16>
// FP8: arith.extf {{.*}} : vector<16xf16> to vector<16xf32>
// FP8-NOT: arith.mulf
// FP8: vector.fma
// FP8: arith.constant dense<{{.*}}> : vector<16xf32>
// FP8-NOT: qopt.matmul
//
// 6-bit codes: each tile row a dense bit stream (64 columns in 48 bytes, 8
// bytes of padding after the last row), 32 columns per 32-byte read: 16-bit
// lane 2i holds column i, lane 2i + 1 column 16 + i; a lane gets the bytes
// 6c / 8 and 6c / 8 + 1 of its column c, shifted right by 6c % 8 and masked
// to 6 bits, then a 64-entry bfloat16 table gather; each dword's low half
// shifted up and its high half masked are the f32 values of columns i and
// 16 + i.
// MXFP6-LABEL: func.func @gemv
// MXFP6: arith.constant dense_resource<sextet_codes> : tensor<2x3080xi8>
// MXFP6: arith.constant dense<{{.*}}> : tensor<64xbf16>
// MXFP6: tensor.extract_slice %{{.*}}[%{{.*}}, 0] [1, 3080] [1, 1] : tensor<2x3080xi8> to tensor<3080xi8>
// MXFP6: vector.transfer_read {{.*}} : tensor<3080xi8>, vector<32xi8>
// MXFP6: vector.shuffle {{.*}} [0, 1, 12, 13, 0, 1, 12, 13, 1, 2, 13, 14, 2, 3, 14, 15, 3, 4, 15, 16, {{.*}}] : vector<32xi8>, vector<32xi8>
// MXFP6: vector.bitcast {{.*}} : vector<64xi8> to vector<32xi16>
// MXFP6: arith.constant dense<[0, 0, 6, 6, 4, 4, 2, 2, 0, 0, {{.*}}]> : vector<32xi16>
// MXFP6: arith.shrui
// MXFP6: arith.andi
// MXFP6: %[[V:.*]] = vector.gather {{.*}} : tensor<64xbf16>, vector<32xindex>, vector<32xi1>, vector<32xbf16> into vector<32xbf16>
// MXFP6: %[[D:.*]] = vector.bitcast %[[V]] : vector<32xbf16> to vector<16xi32>
// MXFP6: %[[E:.*]] = arith.shli %[[D]], %{{.*}} : vector<16xi32>
// MXFP6: %[[O:.*]] = arith.andi %[[D]], %{{.*}} : vector<16xi32>
// MXFP6: arith.bitcast %[[E]] : vector<16xi32> to vector<16xf32>
// MXFP6: arith.bitcast %[[O]] : vector<16xi32> to vector<16xf32>
// MXFP6: vector.fma
// MXFP6-NOT: qopt.matmul

// -----

// 9 rows: more than the 8-row limit, left to the tiled decode + FP32 kernel.
func.func @rows(%x: tensor<9x64xf32>) -> tensor<9x128xf32> {
  %w = arith.constant dense<0.75> : tensor<64x128xf32>
  %y = qopt.matmul %x, %w : tensor<9x64xf32>, tensor<64x128xf32> -> tensor<9x128xf32>
  return %y : tensor<9x128xf32>
}
// INT4-LABEL: func.func @rows
// INT4-NOT: nibble_codes
// INT4: qopt.matmul
// MXFP4-LABEL: func.func @rows
// MXFP4: qopt.matmul
// NVFP4-LABEL: func.func @rows
// NVFP4: qopt.matmul
// INT8-LABEL: func.func @rows
// INT8: qopt.matmul
// FP8-LABEL: func.func @rows
// FP8: qopt.matmul
// MXFP6-LABEL: func.func @rows
// MXFP6: qopt.matmul

// -----

// 6-bit codes with N = 48 (not a whole number of 32-column streams): one
// code per byte, decoded by the element ops.
func.func @narrow(%x: tensor<2x64xf32>) -> tensor<2x48xf32> {
  %w = arith.constant dense<0.75> : tensor<64x48xf32>
  %y = qopt.matmul %x, %w : tensor<2x64xf32>, tensor<64x48xf32> -> tensor<2x48xf32>
  return %y : tensor<2x48xf32>
}
// MXFP6-LABEL: func.func @narrow
// MXFP6-NOT: sextet_codes
// MXFP6: arith.constant dense_resource<byte_codes> : tensor<1x64x48xi8>
// MXFP6-NOT: tensor<64xbf16>
// MXFP6: vector.fma
