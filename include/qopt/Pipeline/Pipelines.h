//===- Pipelines.h - named qopt pass pipelines ------------------*- C++ -*-===//
//
// Part of qopt. `qopt-x86-pipeline` lowers an imported model (func over
// tensors in linalg/tensor/arith/math) to the LLVM dialect with a bare-pointer
// C ABI; qopt-compile, qopt-opt and mlir-opt (through the plugin) run the
// same pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_PIPELINE_PIPELINES_H
#define QOPT_PIPELINE_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::qopt {

struct X86PipelineOptions : public PassPipelineOptions<X86PipelineOptions> {
  PassOptions::Option<std::string> scheme{
      *this, "scheme",
      llvm::cl::desc("Quantization scheme (qopt-quantize): none, w8a16-int8, w4a16-mxfp4, "
                     "w4a4-nvfp4, ..., or w=FMT;a=FMT;rounding=..;scale_mode=.."),
      llvm::cl::init("none")};
  PassOptions::ListOption<std::string> layerSchemes{
      *this, "layer-scheme",
      llvm::cl::desc("Per-layer scheme overrides GLOB=SCHEME (ONNX node-name glob)")};
  PassOptions::Option<std::string> rotate{
      *this, "rotate",
      llvm::cl::desc("Hadamard rotation (qopt-rotate): none, block, block:N, global[,seed=S]"),
      llvm::cl::init("none")};
  PassOptions::Option<double> smooth{
      *this, "smooth",
      llvm::cl::desc("SmoothQuant alpha (qopt-smooth) for matmuls carrying qopt.act_absmax "
                     "statistics; negative = off"),
      llvm::cl::init(-1.0)};
  PassOptions::Option<bool> foldNorms{
      *this, "fold-norms",
      llvm::cl::desc("Fold norm gamma/beta into the following weights (qopt-fold-norms); "
                     "always on when rotate != none"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> reorder{
      *this, "reorder",
      llvm::cl::desc("Channel reordering (qopt-reorder-channels): none, magnitude"),
      llvm::cl::init("none")};
  PassOptions::ListOption<std::string> exclude{
      *this, "exclude", llvm::cl::desc("ONNX node-name globs of layers kept in float")};
  PassOptions::Option<std::string> report{
      *this, "report", llvm::cl::desc("Per-layer report: '-' for a table, a path for JSON"),
      llvm::cl::init("")};
  PassOptions::ListOption<std::string> reportSchemes{
      *this, "report-schemes",
      llvm::cl::desc("Schemes evaluated per layer in the report (weight SQNR table)")};
  PassOptions::Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("Fuse producer/consumer element-wise linalg ops before bufferizing"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> avx512{
      *this, "avx512",
      llvm::cl::desc("Target has AVX512F and AVX512BW (table decodes by vpermps, vpermi2w, "
                     "vpshufb; qopt-compile sets it from the target CPU)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vnni{
      *this, "vnni",
      llvm::cl::desc("Target has AVX512-VNNI: integer-element quantized matmuls use vpdpbusd "
                     "(qopt-x86-dot-kernels; qopt-compile sets it from the target CPU)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> bf16{
      *this, "bf16",
      llvm::cl::desc("Target has AVX512-BF16: quantized matmuls with BF16-exact elements use "
                     "vdpbf16ps (qopt-x86-dot-kernels; qopt-compile sets it from the target CPU)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> nibbleWeights{
      *this, "nibble-weights",
      llvm::cl::desc("VNNI matmuls of at most 8 rows keep <= 4-bit weight codes two per byte, "
                     "decoded in registers by vpshufb (qopt-x86-dot-kernels nibbles)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> gemvKernels{
      *this, "gemv-kernels",
      llvm::cl::desc("Few-row matmuls of quantized weights (up to 8 bits) use qopt-x86-gemv "
                     "kernels (AVX-512 targets)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuseEpilogues{
      *this, "fuse-epilogues",
      llvm::cl::desc("Fuse the consumers of column-parallel matmul loops into them (bias, "
                     "activation, residual, online rotation, per-block activation "
                     "quantization; qopt-fuse epilogues)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> parallelRest{
      *this, "parallel-rest",
      llvm::cl::desc("Run the linalg ops outside matmul loops (norms, softmax, element-wise, "
                     "graph-input quantization) on threads too (qopt-fuse parallel-rest)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> mathApproximations{
      *this, "math-approximations",
      llvm::cl::desc("erf and exp as polynomial approximations (vectorizable) instead of libm "
                     "calls"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorizeMatmuls{
      *this, "vectorize-matmuls",
      llvm::cl::desc("Register-tiled vector kernels for float matmuls (qopt-vectorize-matmuls)"),
      llvm::cl::init(true)};
};

/// After bufferization: vector.gather from constant tables of at most 16 f32
/// (qopt-vectorize-matmuls' table decodes) -> AVX-512 vpermps; with `vnni`,
/// u8 x s8 dot products in groups of 4 (qopt-x86-dot-kernels) -> vpdpbusd.
std::unique_ptr<Pass> createX86IntrinsicsPass(bool vnni);

/// Matmuls of run-time quantized activations x constant quantized weights ->
/// AVX512-VNNI (integer elements) or AVX512-BF16 (BF16-exact elements)
/// dot-product kernels with per-block scales (linalg on tensors, before
/// qopt-fuse).
std::unique_ptr<Pass> createX86DotKernelsPass(bool vnni, bool bf16, bool nibbles = true);

/// Matmuls of at most 8 rows x constant weights of <= 8-bit codes -> kernels
/// streaming the codes (two per byte with table decodes up to 4 bits) with
/// block scales once per block (linalg on tensors, before qopt-fuse;
/// AVX-512 targets).
std::unique_ptr<Pass> createX86GemvPass();

/// Appends the x86 lowering to `pm` (anchored on builtin.module).
void buildX86Pipeline(OpPassManager &pm, const X86PipelineOptions &options);

/// Registers every qopt pipeline with the global pass registry.
void registerQOptPipelines();

} // namespace mlir::qopt

#endif // QOPT_PIPELINE_PIPELINES_H
