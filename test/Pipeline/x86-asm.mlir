// The x86 code qopt-compile emits for an AVX-512 CPU (x86-64-v4, fixed so the
// test does not depend on the host): the instructions each kernel is built
// from appear in the assembly of a 256 x 512 linear layer.
// RUN: %venv_python %S/Inputs/linear_model.py %t-m1.onnx 1 256 512
// RUN: %venv_python %S/Inputs/linear_model.py %t-m16.onnx 16 256 512
//
// FP32, 16 rows: the weight's column tiles run on OpenMP threads, each a
// register-blocked kernel of broadcast FMAs on zmm registers.
// RUN: qopt-compile %t-m16.onnx --mcpu=x86-64-v4 --emit=asm -o - | FileCheck %s --check-prefix=FP32
// FP32: __kmpc_fork_call
// FP32: vbroadcastss
// FP32: vfmadd231ps %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
//
// int8 weights, one row (GEMV): codes sign-extended and converted in zmm
// registers, scaled and accumulated in zmm registers; no scalar conversion.
// RUN: qopt-compile %t-m1.onnx --mcpu=x86-64-v4 --scheme=w8a16-int8 --emit=asm -o - | FileCheck %s --check-prefix=INT8
// INT8: vpmovsxbd {{.*}}%zmm
// INT8: vcvtdq2ps %zmm
// INT8: vfmadd{{[0-9]+}}ps {{.*}}%zmm
// INT8-NOT: vcvtsi2ss
//
// FP8 E4M3 weights, one row: codes shifted into half bit patterns and
// converted with vcvtph2ps (the half route), no scalar conversion.
// RUN: qopt-compile %t-m1.onnx --mcpu=x86-64-v4 --scheme=w8a16-fp8 --emit=asm -o - | FileCheck %s --check-prefix=FP8
// FP8: vpsllw $7
// FP8: vcvtph2ps {{.*}}%zmm
// FP8: vfmadd231ps {{.*}}%zmm
// FP8-NOT: vcvtsi2ss
//
// MXFP6 weights, one row, on an AVX512-VBMI CPU: 6-bit codes four per three
// bytes; 32 codes are a byte permute (vpermb) into 16-bit lanes, a per-lane
// shift (vpsrlvw) and a 64-entry bfloat16 table permute (vpermi2w), made
// f32 by a shift (vpslld $16) and a mask. No gather, no conversion.
// RUN: qopt-compile %t-m1.onnx --mcpu=znver5 --scheme=w6a16-mxfp6 --emit=asm -o - | FileCheck %s --check-prefix=FP6
// FP6: vpermb {{.*}}%zmm
// FP6: vpsrlvw {{.*}}%zmm
// FP6: vpermi2w {{.*}}%zmm
// FP6: vpslld $16, {{.*}}%zmm
// FP6: vfmadd{{[0-9]+}}ps {{.*}}%zmm
// FP6-NOT: vcvtsi2ss
// FP6-NOT: vpgather
// FP6-NOT: vgather
// FP6-NOT: vcvtph2ps
//
// 4-bit weights, one row (qopt-x86-gemv): 16 bytes of codes (two rows
// of K per byte) zero-extended to dwords, the high nibble shifted down, and
// each code decoded by a 16-entry table permute (vpermps/vpermd: the table
// folded at compile time from the format's decode) in zmm registers, for
// integer, minifloat and codebook formats alike; FMAs into block sums. No
// per-element conversion and no gather: f32 group scales are read as they
// are, E8M0 block scales decode by an exponent-field shift.
// RUN: qopt-compile %t-m1.onnx --mcpu=x86-64-v4 --scheme=w4a16-int4-g32 --emit=asm -o - | FileCheck %s --check-prefixes=LUT,NOGATHER
// RUN: qopt-compile %t-m1.onnx --mcpu=x86-64-v4 --scheme=w4a16-nf4 --emit=asm -o - | FileCheck %s --check-prefixes=LUT,NOGATHER
// RUN: qopt-compile %t-m1.onnx --mcpu=x86-64-v4 --scheme=w4a16-mxfp4 --emit=asm -o - | FileCheck %s --check-prefixes=LUT,NOGATHER,E8M0
// LUT: vpmovzxbd {{.*}}%zmm
// LUT: vperm{{d|ps}} %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// LUT: vpsrld $4, %zmm
// LUT: vfmadd231ps {{.*}}%zmm
// LUT-NOT: vcvtsi2ss
// NOGATHER-NOT: vgather
// E8M0: vpslld $23, %zmm
//
// The generic decoding kernel (--gemv-kernels=false) decodes through the same
// table permutes.
// RUN: qopt-compile %t-m1.onnx --mcpu=x86-64-v4 --scheme=w4a16-int4-g32 --gemv-kernels=false --emit=asm -o - | FileCheck %s --check-prefix=GENERIC
// GENERIC: vpsrlw {{.*}}%zmm
// GENERIC: vperm{{d|ps}} %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// GENERIC-NOT: vgather
//
// Without AVX-512 (x86-64-v3) the table decode is not used: no zmm permutes.
// RUN: qopt-compile %t-m1.onnx --mcpu=x86-64-v3 --scheme=w4a16-nf4 --emit=asm -o - | FileCheck %s --check-prefix=AVX2
// AVX2-NOT: zmm
// AVX2: vmulps {{.*}}%ymm
//
// Activation-quantized schemes on a CPU with AVX512-VNNI and AVX512-BF16
// (znver5): integer elements (int8, MXINT8, and E2M1 as half-integers) run
// on vpdpbusd with zmm registers, by default; FP8 runs on vdpbf16ps with
// --bf16-dot (off by default), and decodes to FP32 FMAs without it.
// RUN: qopt-compile %t-m16.onnx --mcpu=znver5 --scheme=w8a8-int8 --emit=asm -o - | FileCheck %s --check-prefix=VNNI
// RUN: qopt-compile %t-m16.onnx --mcpu=znver5 --scheme=w8a8-mxint8 --emit=asm -o - | FileCheck %s --check-prefix=VNNI
// RUN: qopt-compile %t-m16.onnx --mcpu=znver5 --scheme=w4a4-mxfp4 --emit=asm -o - | FileCheck %s --check-prefix=VNNI
// RUN: qopt-compile %t-m1.onnx --mcpu=znver5 --scheme=w4a4-nvfp4 --emit=asm -o - | FileCheck %s --check-prefix=VNNI
// VNNI: vpbroadcastd
// VNNI: vpdpbusd %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// VNNI: vcvtdq2ps %zmm
// VNNI: vfmadd{{[0-9]+}}ps {{.*}}%zmm
//
// One row of 4-bit weights x int8 activations (decode): the codes stay two
// per byte; each 64-byte load gives two k-groups, the low nibbles by an AND
// and the high ones by a byte shift (GFNI's affine form on znver5), each
// mapped to its VNNI byte by a 16-entry vpshufb table. --nibble-weights=false
// streams one byte per weight (no vpshufb).
// RUN: qopt-compile %t-m1.onnx --mcpu=znver5 --scheme=w4a8-int4-g32 --emit=asm -o - | FileCheck %s --check-prefixes=NIBBLE
// RUN: qopt-compile %t-m1.onnx --mcpu=znver5 --scheme=w4a4-mxfp4 --emit=asm -o - | FileCheck %s --check-prefixes=NIBBLE
// RUN: qopt-compile %t-m1.onnx --mcpu=znver5 --scheme=w4a8-int4-g32 --nibble-weights=false --emit=asm -o - | FileCheck %s --check-prefixes=BYTES
// NIBBLE: vpandq {{.*}}%zmm
// NIBBLE: vgf2p8affineqb {{.*}}%zmm
// NIBBLE: vpshufb %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// NIBBLE: vpdpbusd %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// BYTES-NOT: vpshufb
// BYTES: vpdpbusd %zmm
// BYTES-NOT: vpshufb
// RUN: qopt-compile %t-m16.onnx --mcpu=znver5 --scheme=w8a8-fp8 --bf16-dot --emit=asm -o - | FileCheck %s --check-prefix=BF16
// RUN: qopt-compile %t-m16.onnx --mcpu=znver5 --scheme=w8a8-mxfp8 --bf16-dot --emit=asm -o - | FileCheck %s --check-prefix=BF16
// BF16: vcvtneps2bf16
// BF16: vdpbf16ps %zmm{{[0-9]+}}, %zmm{{[0-9]+}}, %zmm{{[0-9]+}}
// RUN: qopt-compile %t-m16.onnx --mcpu=znver5 --scheme=w8a8-fp8 --emit=asm -o - | FileCheck %s --check-prefix=NOBF16
// NOBF16-NOT: vdpbf16ps
// NOBF16: vfmadd231ps
// NOBF16-NOT: vdpbf16ps
