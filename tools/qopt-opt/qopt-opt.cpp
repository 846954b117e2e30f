//===- qopt-opt.cpp - the mlir-opt of qopt ---------------------------------===//
//
// Part of qopt. Every upstream dialect, extension and pass, plus qopt's.
//
//===----------------------------------------------------------------------===//
#include "qopt/InitAll.h"
#include "qopt/Pipeline/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::qopt::registerQOptPipelines();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::qopt::registerAllQOptDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "qopt optimizer driver: upstream MLIR plus the qopt dialect\n", registry));
}
