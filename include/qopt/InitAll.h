//===- InitAll.h - register every qopt dialect and pass ---------*- C++ -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_INITALL_H
#define QOPT_INITALL_H

#include "mlir/IR/DialectRegistry.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"

namespace mlir::qopt {

/// Adds every qopt dialect to `registry`.
inline void registerAllQOptDialects(DialectRegistry &registry) {
  registry.insert<QOptDialect>();
}

} // namespace mlir::qopt

#endif // QOPT_INITALL_H
