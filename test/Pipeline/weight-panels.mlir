// Decode kernels read each column tile's weights as one contiguous panel: the
// codes and, for constant per-block scales, the scales too ([tiles, K / block,
// tile columns]), so a tile's block scales are one stream beside its codes
// instead of a row of N (a new page) per block. A 256 x 512 linear layer with
// seeded random weights, one row.
// RUN: %venv_python %S/Inputs/linear_model.py %t.onnx 1 256 512
// RUN: qopt-compile %t.onnx --emit=mlir --stop-after=import -o %t.mlir
//
// qopt-x86-gemv, int4 with f32 scales per 32: 8 tiles of 64 columns.
// RUN: qopt-opt %t.mlir --qopt-x86-pipeline="scheme=w4a16-int4-g32 avx512=1" --mlir-print-ir-after=qopt-x86-gemv -o /dev/null 2>&1 | FileCheck %s --check-prefix=GEMV
// GEMV-DAG: arith.constant dense_resource<nibble_codes> : tensor<8x128x64xi8>
// GEMV-DAG: arith.constant dense_resource<gemv_scales> : tensor<8x8x64xf32>
// GEMV: scf.forall (%[[T:.*]]) in (8)
// GEMV-DAG: tensor.extract_slice %{{.*}}[%[[T]], 0, 0] [1, 128, 64] [1, 1, 1] : tensor<8x128x64xi8> to tensor<128x64xi8>
// GEMV-DAG: tensor.extract_slice %{{.*}}[%[[T]], 0, 0] [1, 8, 64] [1, 1, 1] : tensor<8x8x64xf32> to tensor<8x64xf32>
// GEMV: vector.transfer_read %{{.*}} : tensor<8x64xf32>, vector<16xf32>
//
// E8M0 scales stay one byte each, in panels.
// RUN: qopt-opt %t.mlir --qopt-x86-pipeline="scheme=w4a16-mxfp4 avx512=1" --mlir-print-ir-after=qopt-x86-gemv -o /dev/null 2>&1 | FileCheck %s --check-prefix=E8M0
// E8M0: arith.constant dense_resource<gemv_scales> : tensor<8x8x64xf8E8M0FNU>
//
// qopt-x86-dot-kernels (w4a8: int4 weights x int8 activations on VNNI), one
// row: codes two per byte ([tiles, K / 8, 128 x 4]: a byte holds k and k + 4
// of a column's group of 4), the block scales folded to f32 panels of the
// 128-column tiles; each 64-byte load is split into low and high nibbles and
// mapped by a gather from the 16-byte u8 table (e + 128 for e = 0..7, -8..-1;
// vpshufb after qopt-x86-intrinsics).
// RUN: qopt-opt %t.mlir --qopt-x86-pipeline="scheme=w4a8-int4-g32 avx512=1 vnni=1" --mlir-print-ir-after=qopt-x86-dot-kernels -o /dev/null 2>&1 | FileCheck %s --check-prefix=DOT
// DOT-DAG: arith.constant dense_resource<vnni_nibbles> : tensor<4x32x512xi8>
// DOT-DAG: arith.constant dense_resource<vnni_scales> : tensor<4x8x128xf32>
// DOT-DAG: %[[LUT:.*]] = arith.constant dense<[-128, -127, -126, -125, -124, -123, -122, -121, 120, 121, 122, 123, 124, 125, 126, 127]> : tensor<16xi8>
// DOT: scf.forall
// DOT: vector.transfer_read {{.*}} : tensor<32x512xi8>, vector<64xi8>
// DOT: arith.andi
// DOT: vector.gather %[[LUT]]
// DOT: arith.shrui
// DOT: vector.gather %[[LUT]]
// RUN: qopt-opt %t.mlir --qopt-x86-pipeline="scheme=w4a8-int4-g32 avx512=1 vnni=1 nibble-weights=0" --mlir-print-ir-after=qopt-x86-dot-kernels -o /dev/null 2>&1 | FileCheck %s --check-prefix=BYTES
// BYTES: arith.constant dense_resource<vnni_weights> : tensor<4x64x512xi8>
// BYTES-NOT: vector.gather
