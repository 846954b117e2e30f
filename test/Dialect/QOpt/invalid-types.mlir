// RUN: qopt-opt %s -split-input-file -verify-diagnostics

// expected-error@+1 {{element type 'f64' is not a quantized encoding (an integer of 2..16 bits, a minifloat or a codebook)}}
func.func private @f(tensor<4x!qopt.format<f64, scale = f32>>)

// -----
// expected-error@+1 {{element type 'i32' is not a quantized encoding}}
func.func private @f(tensor<4x!qopt.format<i32, scale = f32>>)

// -----
// expected-error@+1 {{scale type 'i8' is not a floating-point encoding}}
func.func private @f(tensor<4x!qopt.format<i8, scale = i8>>)

// -----
// expected-error@+1 {{scale format f4E2M1FN cannot hold the range of scales (needs at least 4 exponent bits, has 2)}}
func.func private @f(tensor<4x!qopt.format<i8, scale = f4E2M1FN>>)

// -----
// expected-error@+1 {{scale format f8E4M3FNUZ is not a scale encoding}}
func.func private @f(tensor<4x!qopt.format<i8, scale = f8E4M3FNUZ>>)

// -----
// expected-error@+1 {{zero point on a non-integer element f8E4M3FN}}
func.func private @f(tensor<4x!qopt.format<f8E4M3FN, scale = f32, zero_point = i8>>)

// -----
// expected-error@+1 {{zero point with an E8M0 (MX) scale}}
func.func private @f(tensor<32x!qopt.format<i8, scale = f8E8M0FNU, block = [32], zero_point = i8>>)

// -----
// expected-error@+1 {{zero point ui4 narrower than element ui8}}
func.func private @f(tensor<4x!qopt.format<ui8, scale = f32, zero_point = ui4>>)

// -----
// expected-error@+1 {{zero point type 'f32' is not an integer}}
func.func private @f(tensor<4x!qopt.format<i8, scale = f32, zero_point = f32>>)

// -----
// expected-error@+1 {{zero point with a two-level (tensor) scale}}
func.func private @f(tensor<16x!qopt.format<i4, scale = f8E4M3FN, block = [16], tensor_scale = f32, zero_point = i4>>)

// -----
// expected-error@+1 {{an E8M0 (MX) scale takes no tensor scale}}
func.func private @f(tensor<32x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], tensor_scale = f32>>)

// -----
// expected-error@+1 {{tensor scale must be f32, f16 or bf16, got f8E4M3FN}}
func.func private @f(tensor<16x!qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], tensor_scale = f8E4M3FN>>)

// -----
// expected-error@+1 {{tensor scale type 'i32' is not a floating-point encoding}}
func.func private @f(tensor<16x!qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], tensor_scale = i32>>)

// -----
// expected-error@+1 {{a tensor scale needs per-axis or block scales under it}}
func.func private @f(tensor<16x!qopt.format<f4E2M1FN, scale = f8E4M3FN, tensor_scale = f32>>)

// -----
// expected-error@+1 {{a two-level format needs an 8-bit block scale, got f16}}
func.func private @f(tensor<16x!qopt.format<f4E2M1FN, scale = f16, block = [16], tensor_scale = f32>>)

// -----
// expected-error@+1 {{codebook element nf4 takes an absmax scale (no E8M0 or tensor scale)}}
func.func private @f(tensor<32x!qopt.format<!qopt.codebook<nf4>, scale = f8E8M0FNU, block = [32]>>)

// -----
// expected-error@+1 {{a block has 1 or 2 dimensions, got 3}}
func.func private @f(tensor<4x4x4x!qopt.format<i8, scale = f32, block = [2, 2, 2]>>)

// -----
// expected-error@+1 {{block size must be positive, got 0}}
func.func private @f(tensor<4x!qopt.format<i8, scale = f32, block = [0]>>)

// -----
// expected-error@+1 {{block has 1 sizes but 2 axes}}
func.func private @f(tensor<4x4x!qopt.format<i8, scale = f32, block = [2], axes = [0, 1]>>)

// -----
// expected-error@+1 {{block axes must be distinct}}
func.func private @f(tensor<4x4x!qopt.format<i8, scale = f32, block = [2, 2], axes = [1, 1]>>)

// -----
// expected-error@+1 {{'channel' (per-axis scales) excludes 'block' and 'axes'}}
func.func private @f(tensor<4x4x!qopt.format<i8, scale = f32, channel = 0, block = [2]>>)

// -----
// expected-error@+1 {{unknown format parameter 'group' (expected block, axes, channel, tensor_scale, zero_point)}}
func.func private @f(tensor<4x!qopt.format<i8, scale = f32, group = [2]>>)

// -----
// expected-error@+1 {{unknown qopt type or format preset 'mxfp5'}}
func.func private @f(tensor<4x!qopt.mxfp5>)

// -----
// expected-error@+1 {{unknown format preset 'mxfp5'}}
func.func private @f(tensor<4x!qopt.format<"mxfp5">>)

// -----
// expected-error@+1 {{'x3' is not a minifloat format (expected [u]e<E>m<M>[_fn|_fnuz|_ieee|_finite][_b<bias>])}}
func.func private @f(tensor<4x!qopt.format<!qopt.float<"x3">, scale = f32>>)

// -----
// expected-error@+1 {{'e4m3_fn' has the builtin type f8E4M3FN; use it}}
func.func private @f(tensor<4x!qopt.format<!qopt.float<"e4m3_fn">, scale = f32>>)

// -----
// expected-error@+1 {{non-canonical minifloat spelling 'e3m4_fn'; write 'e3m4'}}
func.func private @f(tensor<4x!qopt.format<!qopt.float<"e3m4_fn">, scale = f32>>)

// -----
// expected-error@+1 {{a codebook needs exactly 16 values, got 3}}
func.func private @f(tensor<4x!qopt.format<!qopt.codebook<[-1.0, 0.0, 1.0]>, scale = f32>>)

// -----
// expected-error@+1 {{codebook values must be strictly increasing (entry 2)}}
func.func private @f(tensor<4x!qopt.format<!qopt.codebook<[-1.0, 0.5, 0.5, 0.6, 0.7, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 1.0]>, scale = f32>>)
