//===- Pipelines.cpp - named qopt pass pipelines ---------------------------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Pipeline/Pipelines.h"

#include "qopt/Conversion/Passes.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
/// Every result of a public function gets a buffer of its own: a value
/// returned twice, a returned argument and a returned constant are copied into
/// a fresh allocation first. (Upstream buffer-results-to-out-params crashes on
/// a value returned twice, and out-parameters need distinct buffers anyway.)
struct DistinctResultsPass : PassWrapper<DistinctResultsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DistinctResultsPass)
  StringRef getArgument() const final { return "qopt-distinct-results"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<bufferization::BufferizationDialect, linalg::LinalgDialect>();
  }
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func.isPublic() || func.isExternal())
      return;
    func.walk([&](func::ReturnOp ret) {
      llvm::SmallPtrSet<Value, 8> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        bool shared = !seen.insert(v).second || isa<BlockArgument>(v) ||
                      matchPattern(v, m_Constant());
        if (!type || !type.hasStaticShape() || !shared)
          continue;
        Value dest = bufferization::AllocTensorOp::create(b, ret.getLoc(), type, ValueRange{});
        operand.set(linalg::CopyOp::create(b, ret.getLoc(), v, dest).getResult(0));
      }
    });
  }
};
/// Finishes the OpenMP regions convert-scf-to-openmp made: inlines their
/// alloca-free memref.alloca_scope wrappers, and makes each omp.parallel ask
/// the library for its thread count: a call of
/// `qopt_num_threads()` (defined by the generated C wrapper: QOPT_NUM_THREADS,
/// else OpenMP's default), so the setting never leaks into the caller's
/// OpenMP state.
/// math.erf and math.exp (GELU, softmax, SiLU) as upstream's polynomial
/// approximations in plain arith instead of libm calls, so that LLVM
/// vectorizes the loops around them. Their error is a few ulp, within the
/// tolerances the model tests hold (an ONNX graph does not fix its libm).
struct MathApproximationsPass
    : PassWrapper<MathApproximationsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MathApproximationsPass)
  StringRef getArgument() const final { return "qopt-math-approximations"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, math::MathDialect, vector::VectorDialect>();
  }
  void runOnOperation() override {
    auto selected = [](StringRef name) {
      return name == math::ErfOp::getOperationName() || name == math::ExpOp::getOperationName();
    };
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, selected);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

struct OmpRegionsPass : PassWrapper<OmpRegionsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(OmpRegionsPass)
  StringRef getArgument() const final { return "qopt-omp-regions"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<func::FuncDialect, omp::OpenMPDialect, memref::MemRefDialect>();
  }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // convert-scf-to-openmp wraps each loop body in memref.alloca_scope,
    // whose single-block region cannot hold the control flow of the loops
    // inside once lowered; without an alloca inside it is a no-op: inline it.
    SmallVector<memref::AllocaScopeOp> scopes;
    module.walk([&](memref::AllocaScopeOp scope) {
      bool hasAlloca = false;
      scope.walk([&](memref::AllocaOp) { hasAlloca = true; });
      if (!hasAlloca)
        scopes.push_back(scope);
    });
    for (memref::AllocaScopeOp scope : scopes) {
      Block &body = scope.getBodyRegion().front();
      auto ret = cast<memref::AllocaScopeReturnOp>(body.getTerminator());
      SmallVector<Value> results(ret.getResults());
      ret.erase();
      scope->getBlock()->getOperations().splice(Block::iterator(scope), body.getOperations());
      scope.replaceAllUsesWith(results);
      scope.erase();
    }
    SmallVector<omp::ParallelOp> regions;
    module.walk([&](omp::ParallelOp op) {
      if (!op.getNumThreads())
        regions.push_back(op);
    });
    if (regions.empty())
      return;
    OpBuilder b(module.getBodyRegion());
    auto i32 = b.getI32Type();
    auto fnType = b.getFunctionType({}, {i32});
    if (!module.lookupSymbol<func::FuncOp>("qopt_num_threads")) {
      auto decl = func::FuncOp::create(b, module.getLoc(), "qopt_num_threads", fnType);
      decl.setPrivate();
    }
    for (omp::ParallelOp op : regions) {
      b.setInsertionPoint(op);
      Value n = func::CallOp::create(b, op.getLoc(), "qopt_num_threads", TypeRange{i32},
                                     ValueRange{})
                    .getResult(0);
      op.getNumThreadsMutable().assign(n);
    }
  }
};
} // namespace

void mlir::qopt::buildX86Pipeline(OpPassManager &pm, const X86PipelineOptions &options) {
  if (options.smooth >= 0) {
    SmoothPassOptions smooth;
    smooth.alpha = options.smooth;
    pm.addPass(createSmoothPass(smooth));
  }
  if (options.foldNorms || options.rotate != "none")
    pm.addPass(createFoldNormsPass());
  if (options.reorder != "none") {
    ReorderChannelsPassOptions reorder;
    reorder.reorder = options.reorder;
    pm.addPass(createReorderChannelsPass(reorder));
  }
  if (options.rotate != "none") {
    RotatePassOptions rotate;
    rotate.rotate = options.rotate;
    rotate.scheme = options.scheme;
    rotate.exclude.assign(options.exclude.begin(), options.exclude.end());
    pm.addPass(createRotatePass(rotate));
  }
  if (options.scheme != "none" || !options.report.empty() || !options.layerSchemes.empty() ||
      !options.reportSchemes.empty()) {
    QuantizePassOptions quantize;
    quantize.scheme = options.scheme;
    quantize.layerSchemes.assign(options.layerSchemes.begin(), options.layerSchemes.end());
    quantize.exclude.assign(options.exclude.begin(), options.exclude.end());
    quantize.report = options.report;
    quantize.reportSchemes.assign(options.reportSchemes.begin(), options.reportSchemes.end());
    pm.addPass(createQuantizePass(quantize));
  }
  pm.addPass(createCanonicalizerPass()); // folds quantize/dequantize of constants
  pm.addPass(createMaterializeScalesPass());
  pm.addPass(createConvertQOptToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  if (options.vnni || options.bf16)
    pm.addNestedPass<func::FuncOp>(createX86DotKernelsPass(options.vnni, options.bf16, options.nibbleWeights));
  if (options.avx512 && options.gemvKernels && options.vectorizeMatmuls)
    pm.addNestedPass<func::FuncOp>(createX86GemvPass());
  if (options.fuseElementwise) {
    FusePassOptions fuse;
    fuse.fuseEpilogues = options.fuseEpilogues;
    fuse.parallelRest = options.parallelRest;
    pm.addNestedPass<func::FuncOp>(createFusePass(fuse));
  }
  if (options.vectorizeMatmuls) {
    VectorizeMatmulsPassOptions vectorize;
    vectorize.avx512 = options.avx512;
    pm.addNestedPass<func::FuncOp>(createVectorizeMatmulsPass(vectorize));
  }
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(std::make_unique<DistinctResultsPass>());

  // Tensors -> buffers; results become caller-provided out-parameters so the
  // entry point is `void f(const T *in..., T *out...)`.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true; // the entry point is public
  outParams.hoistStaticAllocs = true;     // write results straight into them
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  // Per-tile buffers (qopt-fuse's decoded weight tiles) out of their loops.
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createCSEPass()); // identical subviews meet, so self-copies fold away
  pm.addPass(createCanonicalizerPass());

  if (options.avx512)
    pm.addNestedPass<func::FuncOp>(createX86IntrinsicsPass(options.vnni));
  // Parallel column tiles -> OpenMP work-sharing loops.
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  pm.addPass(std::make_unique<OmpRegionsPass>());

  // Loops -> LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (options.mathApproximations)
    pm.addPass(std::make_unique<MathApproximationsPass>());
  pm.addNestedPass<func::FuncOp>(
      createConvertVectorToSCFPass(VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Buffers come from the library's own allocation functions (a cache of
  // large blocks reused across calls: CInterface.cpp, generateWrapper).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.x86Vector = true; // x86vector.avx512.dot (vdpbf16ps)
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::qopt::registerQOptPipelines() {
  registerQOptConversionPasses();
  registerQOptPasses();
  registerPass([] { return createX86DotKernelsPass(true, true); });
  registerPass([] { return createX86IntrinsicsPass(true); });
  registerPass([] { return createX86GemvPass(); });
  PassPipelineRegistration<X86PipelineOptions>(
      "qopt-x86-pipeline",
      "Lower an imported qopt model (tensors in linalg/tensor/arith/math) to the LLVM "
      "dialect for x86 with a bare-pointer C ABI",
      buildX86Pipeline);
}
