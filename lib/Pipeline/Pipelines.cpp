//===- Pipelines.cpp - named qopt pass pipelines ---------------------------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Pipeline/Pipelines.h"

#include "qopt/Conversion/Passes.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
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
  if (options.fuseElementwise)
    pm.addNestedPass<func::FuncOp>(createFusePass());
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

  // Loops -> LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::qopt::registerQOptPipelines() {
  registerQOptConversionPasses();
  registerQOptPasses();
  PassPipelineRegistration<X86PipelineOptions>(
      "qopt-x86-pipeline",
      "Lower an imported qopt model (tensors in linalg/tensor/arith/math) to the LLVM "
      "dialect for x86 with a bare-pointer C ABI",
      buildX86Pipeline);
}
