//===- QOptTypes.h - format-aware types -------------------------*- C++ -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTTYPES_H
#define QOPT_DIALECT_QOPT_IR_QOPTTYPES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Types.h"
#include "qopt/Format/TensorFormat.h"

#include <optional>

#define GET_TYPEDEF_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptTypes.h.inc"

#endif // QOPT_DIALECT_QOPT_IR_QOPTTYPES_H
