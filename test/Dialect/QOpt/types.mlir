// RUN: qopt-opt %s | FileCheck %s
// RUN: qopt-opt %s | qopt-opt | FileCheck %s
// RUN: qopt-opt %s --mlir-print-op-generic | qopt-opt | FileCheck %s

// Every preset parses as !qopt.<name> and prints as the alias !<name>.
// CHECK-DAG: !mxfp4 = !qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [-1]>
// CHECK-DAG: !mxfp6_e2m3 = !qopt.format<f6E2M3FN, scale = f8E8M0FNU, block = [32], axes = [-1]>
// CHECK-DAG: !mxfp6_e3m2 = !qopt.format<f6E3M2FN, scale = f8E8M0FNU, block = [32], axes = [-1]>
// CHECK-DAG: !mxfp8_e4m3 = !qopt.format<f8E4M3FN, scale = f8E8M0FNU, block = [32], axes = [-1]>
// CHECK-DAG: !mxfp8_e5m2 = !qopt.format<f8E5M2, scale = f8E8M0FNU, block = [32], axes = [-1]>
// CHECK-DAG: !mxint8 = !qopt.format<i8, scale = f8E8M0FNU, block = [32], axes = [-1]>
// CHECK-DAG: !nvfp4 = !qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], axes = [-1], tensor_scale = f32>
// CHECK-DAG: !nvint4 = !qopt.format<i4, scale = f8E4M3FN, block = [16], axes = [-1], tensor_scale = f32>
// CHECK-DAG: !fp8_e4m3 = !qopt.format<f8E4M3FN, scale = f32>
// CHECK-DAG: !fp8_e5m2 = !qopt.format<f8E5M2, scale = f32>
// CHECK-DAG: !int8 = !qopt.format<i8, scale = f32>
// CHECK-DAG: !int4 = !qopt.format<i4, scale = f32>
// CHECK-DAG: !int4_g32 = !qopt.format<i4, scale = f32, block = [32], axes = [-1]>
// CHECK-DAG: !int4_g128 = !qopt.format<i4, scale = f32, block = [128], axes = [-1]>
// CHECK-DAG: !int8_g64 = !qopt.format<i8, scale = f32, block = [64], axes = [-1]>
// CHECK-DAG: !nf4 = !qopt.format<!qopt.codebook<nf4>, scale = f32, block = [64], axes = [-1]>
// CHECK-DAG: !nf4_g32 = !qopt.format<!qopt.codebook<nf4>, scale = f32, block = [32], axes = [-1]>

// CHECK-LABEL: func.func @presets
// CHECK-SAME: tensor<4x64x!mxfp4>
// CHECK-SAME: tensor<4x64x!mxfp6_e2m3>
// CHECK-SAME: tensor<4x64x!mxfp6_e3m2>
// CHECK-SAME: tensor<4x64x!mxfp8_e4m3>
// CHECK-SAME: tensor<4x64x!mxfp8_e5m2>
// CHECK-SAME: tensor<4x64x!mxint8>
// CHECK-SAME: tensor<4x64x!nvfp4>
// CHECK-SAME: tensor<4x64x!nvint4>
// CHECK-SAME: tensor<4x64x!fp8_e4m3>
// CHECK-SAME: tensor<4x64x!fp8_e5m2>
// CHECK-SAME: tensor<4x64x!int8>
// CHECK-SAME: tensor<4x64x!int4>
// CHECK-SAME: tensor<4x64x!int4_g32>
// CHECK-SAME: tensor<4x128x!int4_g128>
// CHECK-SAME: tensor<4x128x!int8_g64>
// CHECK-SAME: tensor<4x128x!nf4>
// CHECK-SAME: tensor<4x128x!nf4_g32>
func.func @presets(%a: tensor<4x64x!qopt.mxfp4>, %b: tensor<4x64x!qopt.mxfp6_e2m3>,
                   %c: tensor<4x64x!qopt.mxfp6_e3m2>, %d: tensor<4x64x!qopt.mxfp8_e4m3>,
                   %e: tensor<4x64x!qopt.mxfp8_e5m2>, %f: tensor<4x64x!qopt.mxint8>,
                   %g: tensor<4x64x!qopt.nvfp4>, %h: tensor<4x64x!qopt.nvint4>,
                   %i: tensor<4x64x!qopt.fp8_e4m3>, %j: tensor<4x64x!qopt.fp8_e5m2>,
                   %k: tensor<4x64x!qopt.int8>, %l: tensor<4x64x!qopt.int4>,
                   %m: tensor<4x64x!qopt.int4_g32>, %n: tensor<4x128x!qopt.int4_g128>,
                   %o: tensor<4x128x!qopt.int8_g64>, %p: tensor<4x128x!qopt.nf4>,
                   %q: tensor<4x128x!qopt.nf4_g32>) {
  return
}

// The long form of a preset is the same type, so it prints as the alias.
// CHECK-LABEL: func.func @long_forms_of_presets
// CHECK-SAME: tensor<4x64x!mxfp4>, %{{.*}}: tensor<4x64x!nvfp4>, %{{.*}}: tensor<4x64x!mxfp4>, %{{.*}}: tensor<4x64x!int4_g32>
func.func @long_forms_of_presets(
    %a: tensor<4x64x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [-1]>>,
    %b: tensor<4x64x!qopt.format<f4E2M1FN, scale = f8E4M3FN, block = [16], tensor_scale = f32>>,
    %c: tensor<4x64x!qopt.format<"mxfp4">>,
    %d: tensor<4x64x!qopt.format<"element=i4,scale=f32,block=32">>) {
  return
}

// Formats that are no preset print in the long form.
// CHECK-LABEL: func.func @long_forms
// CHECK-SAME: tensor<64x16x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>>
// CHECK-SAME: tensor<4x128x!qopt.format<ui4, scale = f16, block = [128], axes = [-1], zero_point = ui4>>
// CHECK-SAME: tensor<4x64x!qopt.format<i8, scale = f32, channel = 0>>
// CHECK-SAME: tensor<4x64x!qopt.format<ui8, scale = f32, channel = 1, zero_point = ui8>>
// CHECK-SAME: tensor<64x64x!qopt.format<i8, scale = bf16, block = [16, 16], axes = [-2, -1]>>
// CHECK-SAME: tensor<4x64x!qopt.format<!qopt.float<"e3m4">, scale = !qopt.float<"ue5m3">, block = [16], axes = [-1]>>
// CHECK-SAME: tensor<4x64x!qopt.format<!qopt.float<"e2m2">, scale = f8E8M0FNU, block = [32], axes = [-1]>>
// CHECK-SAME: tensor<4x64x!qopt.format<!qopt.float<"e4m3_fnuz_b9">, scale = f32>>
// CHECK-SAME: tensor<4x64x!qopt.format<f8E4M3B11FNUZ, scale = f32>>
// CHECK-SAME: tensor<4x64x!qopt.format<i2, scale = f16, block = [32], axes = [-1]>>
// CHECK-SAME: tensor<4x64x!qopt.format<f8E5M2FNUZ, scale = !qopt.float<"ue4m3">, block = [32], axes = [-1], tensor_scale = bf16>>
// CHECK-SAME: tensor<4x64x!qopt.format<!qopt.codebook<[-1.000000e+00, -8.750000e-01, -7.500000e-01, -6.250000e-01, -5.000000e-01, -3.750000e-01, -2.500000e-01, -1.250000e-01, 0.000000e+00, 1.250000e-01, 2.500000e-01, 3.750000e-01, 5.000000e-01, 6.250000e-01, 7.500000e-01, 1.000000e+00]>, scale = f32, block = [32], axes = [-1]>>
func.func @long_forms(
    %a: tensor<64x16x!qopt.format<f4E2M1FN, scale = f8E8M0FNU, block = [32], axes = [0]>>,
    %b: tensor<4x128x!qopt.format<ui4, scale = f16, block = [128], zero_point = ui4>>,
    %c: tensor<4x64x!qopt.format<i8, scale = f32, channel = 0>>,
    %d: tensor<4x64x!qopt.format<ui8, scale = f32, channel = 1, zero_point = ui8>>,
    %e: tensor<64x64x!qopt.format<i8, scale = bf16, block = [16, 16]>>,
    %f: tensor<4x64x!qopt.format<!qopt.float<"e3m4">, scale = !qopt.float<"ue5m3">, block = [16]>>,
    %g: tensor<4x64x!qopt.format<!qopt.float<"e2m2">, scale = f8E8M0FNU, block = [32]>>,
    %h: tensor<4x64x!qopt.format<!qopt.float<"e4m3_fnuz_b9">, scale = f32>>,
    %i: tensor<4x64x!qopt.format<f8E4M3B11FNUZ, scale = f32>>,
    %j: tensor<4x64x!qopt.format<i2, scale = f16, block = [32]>>,
    %k: tensor<4x64x!qopt.format<f8E5M2FNUZ, scale = !qopt.float<"ue4m3">, block = [32], tensor_scale = bf16>>,
    %l: tensor<4x64x!qopt.format<!qopt.codebook<[-1.0, -0.875, -0.75, -0.625, -0.5, -0.375, -0.25, -0.125, 0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 1.0]>, scale = f32, block = [32]>>) {
  return
}
