//===- Emit.cpp - LLVM IR, assembly and object emission --------------------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Target/Emit.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

static std::unique_ptr<llvm::TargetMachine> createTargetMachine(const qopt::CodegenOptions &o,
                                                                std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = o.cpu.empty() ? llvm::sys::getHostCPUName().str() : o.cpu;
  std::string features = o.features;
  if (features.empty() && o.cpu.empty()) {
    llvm::SubtargetFeatures f;
    for (auto &[name, on] : llvm::sys::getHostCPUFeatures())
      f.AddFeature(name, on);
    features = f.getString();
  }
  llvm::TargetOptions options;
  auto level = o.optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive
               : o.optLevel == 0 ? llvm::CodeGenOptLevel::None
                                 : llvm::CodeGenOptLevel::Default;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt, level));
  if (!tm)
    error = "cannot create a target machine for " + triple.str() + " / " + cpu;
  return tm;
}

bool qopt::targetHasFeature(const CodegenOptions &options, llvm::StringRef feature) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  if (!tm)
    return false;
  const llvm::MCSubtargetInfo *sti = tm->getMCSubtargetInfo();
  return sti && sti->checkFeatures(("+" + feature).str());
}

bool qopt::targetHasAvx512Kernels(const CodegenOptions &options) {
  return targetHasFeature(options, "avx512f") && targetHasFeature(options, "avx512bw");
}

std::unique_ptr<llvm::Module> qopt::translateAndOptimize(ModuleOp module, llvm::LLVMContext &ctx,
                                                         const CodegenOptions &options,
                                                         std::string &error) {
  registerBuiltinDialectTranslation(*module->getContext());
  registerLLVMDialectTranslation(*module->getContext());
  registerOpenMPDialectTranslation(*module->getContext());
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, ctx);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return nullptr;
  }
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  if (!tm)
    return nullptr;
  llvmModule->setDataLayout(tm->createDataLayout());
  llvmModule->setTargetTriple(tm->getTargetTriple());
  if (options.optLevel > 0) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::OptimizationLevel level = options.optLevel >= 3 ? llvm::OptimizationLevel::O3
                                    : options.optLevel == 2 ? llvm::OptimizationLevel::O2
                                                            : llvm::OptimizationLevel::O1;
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(level);
    mpm.run(*llvmModule, mam);
  }
  return llvmModule;
}

LogicalResult qopt::emit(llvm::Module &module, EmitKind kind, const CodegenOptions &options,
                         llvm::raw_pwrite_stream &os, std::string &error) {
  if (kind == EmitKind::LLVMIR) {
    module.print(os, nullptr);
    return success();
  }
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  if (!tm)
    return failure();
  llvm::legacy::PassManager pm;
  auto fileType = kind == EmitKind::Assembly ? llvm::CodeGenFileType::AssemblyFile
                                             : llvm::CodeGenFileType::ObjectFile;
  if (tm->addPassesToEmitFile(pm, os, nullptr, fileType)) {
    error = "the target cannot emit this file type";
    return failure();
  }
  pm.run(module);
  return success();
}
