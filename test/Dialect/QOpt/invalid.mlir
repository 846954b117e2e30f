// RUN: qopt-opt %s -split-input-file -verify-diagnostics

func.func @block_does_not_divide(%arg0: tensor<4x30xf32>) {
  // expected-error@+1 {{block size 32 does not divide dimension 1 (30)}}
  %0 = qopt.quantize %arg0 : tensor<4x30xf32> to tensor<4x30x!qopt.mxfp4>
  return
}

// -----
func.func @axis_out_of_range(%arg0: tensor<4x32xf32>) {
  // expected-error@+1 {{axis 2 out of range for rank 2}}
  %0 = qopt.quantize %arg0 : tensor<4x32xf32> to tensor<4x32x!qopt.format<i8, scale = f32, channel = 2>>
  return
}

// -----
func.func @block_axes_alias(%arg0: tensor<4x32xf32>) {
  // expected-error@+1 {{block axes name the same dimension 1}}
  %0 = qopt.quantize %arg0 : tensor<4x32xf32> to tensor<4x32x!qopt.format<i8, scale = f32, block = [2, 2], axes = [1, -1]>>
  return
}

// -----
func.func @quantize_shape(%arg0: tensor<4x32xf32>) {
  // expected-error@+1 {{input and result shapes differ}}
  %0 = qopt.quantize %arg0 : tensor<4x32xf32> to tensor<8x32x!qopt.mxfp4>
  return
}

// -----
func.func @scale_mode_not_mx(%arg0: tensor<4x32xf32>) {
  // expected-error@+1 {{scale_mode applies to E8M0 (MX) scales only}}
  %0 = qopt.quantize %arg0 {scale_mode = #qopt.scale_mode<rceil>} : tensor<4x32xf32> to tensor<4x32x!qopt.int4_g32>
  return
}

// -----
func.func @quantize_int_input(%arg0: tensor<4x32xi32>) {
  // expected-error@+1 {{operand #0 must be statically shaped tensor of f32, f16 or bf16}}
  %0 = qopt.quantize %arg0 : tensor<4x32xi32> to tensor<4x32x!qopt.mxfp4>
  return
}

// -----
func.func @quantize_dynamic(%arg0: tensor<?x32xf32>) {
  // expected-error@+1 {{operand #0 must be statically shaped tensor of f32, f16 or bf16, but got 'tensor<?x32xf32>'}}
  %0 = qopt.quantize %arg0 : tensor<?x32xf32> to tensor<?x32x!qopt.mxfp4>
  return
}

// -----
func.func @dequantize_shape(%arg0: tensor<4x32x!qopt.mxfp4>) {
  // expected-error@+1 {{input and result shapes differ}}
  %0 = qopt.dequantize %arg0 : tensor<4x32x!qopt.mxfp4> to tensor<4x64xf32>
  return
}

// -----
func.func @dequantize_bad_block(%arg0: tensor<4x48x!qopt.mxfp4>) {
  // expected-error@+1 {{block size 32 does not divide dimension 1 (48)}}
  %0 = qopt.dequantize %arg0 : tensor<4x48x!qopt.mxfp4> to tensor<4x48xf32>
  return
}

// -----
func.func @codes_type(%arg0: tensor<4x32x!qopt.mxfp4>) {
  // expected-error@+1 {{codes type must be 'tensor<4x32xi4>', got 'tensor<4x32xi8>'}}
  %0 = qopt.codes %arg0 : tensor<4x32x!qopt.mxfp4> -> tensor<4x32xi8>
  return
}

// -----
func.func @scales_type(%arg0: tensor<4x64x!qopt.mxfp4>) {
  // expected-error@+1 {{scales type must be 'tensor<4x2xf8E8M0FNU>', got 'tensor<4x2xf32>'}}
  %0 = qopt.scales %arg0 : tensor<4x64x!qopt.mxfp4> -> tensor<4x2xf32>
  return
}

// -----
func.func @no_zero_point(%arg0: tensor<4x64x!qopt.mxfp4>) {
  // expected-error@+1 {{the format has no zero point}}
  %0 = qopt.zero_points %arg0 : tensor<4x64x!qopt.mxfp4> -> tensor<4x2xi8>
  return
}

// -----
func.func @no_tensor_scale(%arg0: tensor<4x64x!qopt.mxfp4>) {
  // expected-error@+1 {{the format has no tensor scale}}
  %0 = qopt.tensor_scale %arg0 : tensor<4x64x!qopt.mxfp4> -> tensor<f32>
  return
}

// -----
func.func @assemble_missing_tensor_scale(%c: tensor<4x32xi4>, %s: tensor<4x2xf8E4M3FN>) {
  // expected-error@+1 {{the format needs a tensor_scale of type 'tensor<f32>'}}
  %0 = qopt.assemble codes(%c : tensor<4x32xi4>) scales(%s : tensor<4x2xf8E4M3FN>) -> tensor<4x32x!qopt.nvfp4>
  return
}

// -----
func.func @assemble_extra_zero_point(%c: tensor<4x32xi4>, %s: tensor<4x1xf8E8M0FNU>, %z: tensor<4x1xi8>) {
  // expected-error@+1 {{the format has no zero point}}
  %0 = qopt.assemble codes(%c : tensor<4x32xi4>) scales(%s : tensor<4x1xf8E8M0FNU>) zero_points(%z : tensor<4x1xi8>) -> tensor<4x32x!qopt.mxfp4>
  return
}

// -----
func.func @assemble_scales(%c: tensor<4x32xi4>, %s: tensor<4x2xf8E8M0FNU>) {
  // expected-error@+1 {{scales type must be 'tensor<4x1xf8E8M0FNU>', got 'tensor<4x2xf8E8M0FNU>'}}
  %0 = qopt.assemble codes(%c : tensor<4x32xi4>) scales(%s : tensor<4x2xf8E8M0FNU>) -> tensor<4x32x!qopt.mxfp4>
  return
}

// -----
func.func @matmul_k(%x: tensor<8x64xf32>, %w: tensor<32x16x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>>) {
  // expected-error@+1 {{reduction dimensions differ: lhs has K = 64, rhs has K = 32}}
  %0 = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<32x16x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>> -> tensor<8x16xf32>
  return
}

// -----
func.func @matmul_blocks_along_n(%x: tensor<8x64xf32>, %w: tensor<64x32x!qopt.mxfp4>) {
  // expected-error@+1 {{rhs has blocks of 32 along axis -1; blocks may only span the reduction axis 0}}
  %0 = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x32x!qopt.mxfp4> -> tensor<8x32xf32>
  return
}

// -----
func.func @matmul_blocks_not_along_k(%x: tensor<8x64xf32>, %w: tensor<64x32x!qopt.format<i8, scale = f32, block = [1], axes = [1]>>) {
  // expected-error@+1 {{rhs is blocked but not along its reduction axis 0}}
  %0 = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x32x!qopt.format<i8, scale = f32, block = [1], axes = [1]>> -> tensor<8x32xf32>
  return
}

// -----
func.func @matmul_2d_block(%x: tensor<8x64xf32>, %w: tensor<64x32x!qopt.format<i8, scale = f32, block = [32, 16]>>) {
  // expected-error@+1 {{rhs has blocks of 16 along axis -1; blocks may only span the reduction axis 0}}
  %0 = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x32x!qopt.format<i8, scale = f32, block = [32, 16]>> -> tensor<8x32xf32>
  return
}

// -----
func.func @matmul_channel_on_k(%x: tensor<8x64xf32>, %w: tensor<64x32x!qopt.format<i8, scale = f32, channel = 0>>) {
  // expected-error@+1 {{rhs has per-channel scales on axis 0; they must lie on its non-reduction axis 1}}
  %0 = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x32x!qopt.format<i8, scale = f32, channel = 0>> -> tensor<8x32xf32>
  return
}

// -----
func.func @matmul_blocks_differ(%x: tensor<8x64x!qopt.mxfp4>, %w: tensor<64x32x!qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], axes = [0], tensor_scale = f32>>) {
  // expected-error@+1 {{operand formats cannot meet in one matmul: lhs blocks K by 32, rhs by 16}}
  %0 = qopt.matmul %x, %w : tensor<8x64x!qopt.mxfp4>, tensor<64x32x!qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], axes = [0], tensor_scale = f32>> -> tensor<8x32xf32>
  return
}

// -----
func.func @matmul_i32_float(%x: tensor<8x64xf32>, %w: tensor<64x32x!qopt.format<i8, scale = f32, channel = 1>>) {
  // expected-error@+1 {{i32 accumulation needs integer elements on both operands}}
  %0 = qopt.matmul %x, %w {accumulate = i32} : tensor<8x64xf32>, tensor<64x32x!qopt.format<i8, scale = f32, channel = 1>> -> tensor<8x32xf32>
  return
}

// -----
func.func @matmul_acc(%x: tensor<8x64xf32>, %w: tensor<64x32xf32>) {
  // expected-error@+1 {{accumulate must be f32 or i32, got 'f16'}}
  %0 = qopt.matmul %x, %w {accumulate = f16} : tensor<8x64xf32>, tensor<64x32xf32> -> tensor<8x32xf32>
  return
}

// -----
func.func @matmul_i32_result(%x: tensor<8x64xf32>, %w: tensor<64x32xf32>) {
  // expected-error@+1 {{an i32 result needs i32 accumulation}}
  %0 = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x32xf32> -> tensor<8x32xi32>
  return
}

// -----
func.func @matmul_rank(%x: tensor<64xf32>, %w: tensor<64x32xf32>) {
  // expected-error@+1 {{operands and result must have the same rank >= 2}}
  %0 = qopt.matmul %x, %w : tensor<64xf32>, tensor<64x32xf32> -> tensor<32xf32>
  return
}

// -----
func.func @matmul_batch(%x: tensor<2x8x64xf32>, %w: tensor<3x64x32xf32>) {
  // expected-error@+1 {{batch dimensions differ}}
  %0 = qopt.matmul %x, %w : tensor<2x8x64xf32>, tensor<3x64x32xf32> -> tensor<2x8x32xf32>
  return
}

// -----
func.func @matmul_result(%x: tensor<8x64xf32>, %w: tensor<64x32xf32>) {
  // expected-error@+1 {{result shape must be M x N = 8 x 32}}
  %0 = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x32xf32> -> tensor<8x16xf32>
  return
}

// -----
func.func @matmul_operand(%x: tensor<8x64xi8>, %w: tensor<64x32xf32>) {
  // expected-error@+1 {{operands must be float or !qopt.format tensors, got 'tensor<8x64xi8>'}}
  %0 = qopt.matmul %x, %w : tensor<8x64xi8>, tensor<64x32xf32> -> tensor<8x32xf32>
  return
}

// -----
func.func @hadamard_pow2(%x: tensor<8x48xf32>) {
  // expected-error@+1 {{block 24 is not a power of two}}
  %0 = qopt.hadamard %x {axis = -1 : i64, block = 24 : i64} : tensor<8x48xf32>
  return
}

// -----
func.func @hadamard_divide(%x: tensor<8x48xf32>) {
  // expected-error@+1 {{block 32 does not divide dimension 1 (48)}}
  %0 = qopt.hadamard %x {axis = -1 : i64, block = 32 : i64} : tensor<8x48xf32>
  return
}

// -----
func.func @hadamard_axis(%x: tensor<8x48xf32>) {
  // expected-error@+1 {{axis 2 out of range for rank 2}}
  %0 = qopt.hadamard %x {axis = 2 : i64, block = 16 : i64} : tensor<8x48xf32>
  return
}

// -----
func.func @constant_not_resource() {
  // expected-error@+1 {{value must be a dense_resource blob of packed bytes}}
  %0 = "qopt.constant"() {value = dense<0> : tensor<2x32xi8>} : () -> tensor<2x32x!qopt.int8>
  return
}

// -----
func.func @constant_type() {
  // expected-error@+1 {{value type 'tensor<2x64x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [-1]>>' differs from result type 'tensor<2x32x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [-1]>>'}}
  %0 = "qopt.constant"() {value = dense_resource<blob> : tensor<2x64x!qopt.mxfp4>} : () -> tensor<2x32x!qopt.mxfp4>
  return
}
{-#
  dialect_resources: {
    builtin: {
      blob: "0x0800000000000000"
    }
  }
#-}

// -----
func.func @constant_size() {
  // expected-error@+1 {{blob holds 4 bytes but the format needs 20}}
  %0 = qopt.constant dense_resource<blob> : tensor<1x32x!qopt.mxfp4>
  return
}
{-#
  dialect_resources: {
    builtin: {
      blob: "0x0800000000000000"
    }
  }
#-}

// -----
!u8 = !qopt.format<ui8, scale = f32, zero_point = ui8>
func.func @explicit_scales_type(%x: tensor<4x8xf32>, %s: tensor<4x1xf32>, %z: tensor<1x1xui8>) {
  // expected-error@+1 {{scales type must be 'tensor<1x1xf32>', got 'tensor<4x1xf32>'}}
  %0 = qopt.quantize %x scales(%s : tensor<4x1xf32>) zero_points(%z : tensor<1x1xui8>) : tensor<4x8xf32> to tensor<4x8x!u8>
  return
}

// -----
!u8 = !qopt.format<ui8, scale = f32, zero_point = ui8>
func.func @explicit_scales_missing_zp(%x: tensor<4x8xf32>, %s: tensor<1x1xf32>) {
  // expected-error@+1 {{the format needs zero_points of type 'tensor<1x1xui8>'}}
  %0 = qopt.quantize %x scales(%s : tensor<1x1xf32>) : tensor<4x8xf32> to tensor<4x8x!u8>
  return
}

// -----
func.func @zero_points_without_scales(%x: tensor<4x8xf32>, %z: tensor<1x1xui8>) {
  // expected-error@+1 {{zero_points and tensor_scale need explicit scales}}
  %0 = qopt.quantize %x zero_points(%z : tensor<1x1xui8>) : tensor<4x8xf32> to tensor<4x8x!qopt.format<ui8, scale = f32, zero_point = ui8>>
  return
}

// -----
func.func @explicit_scales_no_zp(%x: tensor<4x8xf32>, %s: tensor<1x1xf32>, %z: tensor<1x1xi8>) {
  // expected-error@+1 {{the format has no zero point}}
  %0 = qopt.quantize %x scales(%s : tensor<1x1xf32>) zero_points(%z : tensor<1x1xi8>) : tensor<4x8xf32> to tensor<4x8x!qopt.int8>
  return
}

// -----
func.func @explicit_scales_scale_mode(%x: tensor<4x32xf32>, %s: tensor<4x1xf8E8M0FNU>) {
  // expected-error@+1 {{scale_mode does not apply to explicit scales}}
  %0 = qopt.quantize %x scales(%s : tensor<4x1xf8E8M0FNU>) {scale_mode = #qopt.scale_mode<ceil>} : tensor<4x32xf32> to tensor<4x32x!qopt.mxfp4>
  return
}
