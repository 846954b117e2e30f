//===- QOptPlugin.cpp - qopt as a plugin of stock mlir-opt -----------------===//
//
// Part of qopt. `mlir-opt --load-dialect-plugin=libQOptPlugin.so` parses,
// verifies, folds and prints qopt IR; `--load-pass-plugin=libQOptPlugin.so`
// adds qopt's passes and pipelines (qopt-x86-pipeline).
//
//===----------------------------------------------------------------------===//
#include "qopt/InitAll.h"
#include "qopt/Pipeline/Pipelines.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QOpt", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::qopt::registerAllQOptDialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "QOptPasses", LLVM_VERSION_STRING,
          [] { mlir::qopt::registerQOptPipelines(); }};
}
