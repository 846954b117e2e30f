// A quantized weight never exists in float: after the x86 pipeline's
// bufferization the weight is its 4-bit codes (two per byte: rows 2r and 2r+1
// in the low and high nibble, 64x2 codes -> 32x2 bytes) and E8M0 scales
// (constant globals); qopt-fuse tiles the matmul along K (32) and decodes each 32-row
// tile of the weight inside the K loop into a 32x2 buffer that the tile's
// product reads (qopt-vectorize-matmuls: the decode row by row in vectors, the
// 4-bit code through a 16-entry table gather, then vector rows of the tile). No buffer holds the 64x2 weight in f32; the other buffers
// are activations (leading dim 16 = M > 8 rows, so the decode is tiled: the FWHT
// stages and the result).
// RUN: qopt-opt %s --qopt-x86-pipeline="scheme=w4a16-mxfp4 rotate=block" --mlir-print-ir-after=one-shot-bufferize -o /dev/null 2>&1 | FileCheck %s

// CHECK-LABEL: IR Dump After OneShotBufferizePass
// CHECK-DAG: memref.global "private" constant @{{.*}} : memref<32x2xi8>
// CHECK-DAG: memref.global "private" constant @{{.*}} : memref<2x2xf8E8M0FNU>
// CHECK-LABEL: func.func @linear
// CHECK-NOT: memref<64x2xf32>
// CHECK: scf.for %[[K:.*]] = %c0 to %c64 step %c32
// CHECK: %[[TILE:.*]] = memref.alloc() {alignment = 64 : i64} : memref<32x2xf32>
// CHECK: %[[DEC:.*]] = scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args(%{{.*}} = %[[TILE]])
// CHECK: vector.transfer_read %{{.*}} : memref<32x2xi8>, vector<1x2xi8>
// CHECK: vector.gather
// CHECK: vector.transfer_write %{{.*}} : vector<1x2xf32>, memref<32x2xf32>
// CHECK: vector.transfer_read %[[DEC]]{{.*}} : memref<32x2xf32>, vector<1x2xf32>
// CHECK-NOT: memref<64x2xf32>
// CHECK: return
func.func @linear(%x: tensor<16x64xf32>) -> tensor<16x2xf32> {
  %w = arith.constant dense<[[-1.463, 4.169], [1.055, -2.939], [-0.018, -0.606], [0.606, 3.465], [-1.625, -5.660], [1.343, -0.807], [1.049, -5.975], [-0.218, 2.658], [-1.085, 5.343], [1.606, -5.633], [-1.898, 0.497], [1.757, -1.426], [-1.134, -0.935], [-1.884, -3.340], [-0.248, -0.050], [-1.068, -3.230], [-1.125, -0.485], [-0.841, -5.742], [1.350, 0.677], [0.569, -3.769], [1.970, 4.319], [-1.516, -2.008], [0.886, 2.534], [1.746, -0.935], [1.320, 2.044], [-0.787, 1.051], [1.530, 4.154], [0.021, 1.068], [-1.862, -3.087], [1.190, -1.028], [-1.308, 0.586], [0.812, 2.094], [-10.024, -14.649], [0.674, 66.826], [1.675, -25.619], [-0.825, -112.902], [-36.521, 48.812], [38.655, 22.364], [-8.512, -79.116], [0.179, 115.698], [21.642, 9.508], [28.823, -64.278], [1.102, 108.592], [6.224, -9.808], [-18.458, 11.519], [36.569, -118.630], [22.692, 76.917], [30.894, 57.721], [24.731, 4.483], [4.909, -17.738], [-35.510, 88.802], [5.600, -72.039], [0.378, -3.618], [-11.457, -36.941], [3.078, 29.637], [8.996, -10.045], [-37.762, -64.895], [-25.823, 20.271], [28.881, 71.625], [23.768, 75.945], [-19.576, 82.019], [13.849, -100.024], [-38.665, -116.506], [20.447, -60.106]]> : tensor<64x2xf32>
  %y = qopt.matmul %x, %w : tensor<16x64xf32>, tensor<64x2xf32> -> tensor<16x2xf32>
  return %y : tensor<16x2xf32>
}
