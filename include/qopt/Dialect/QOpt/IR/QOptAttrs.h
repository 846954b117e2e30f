//===- QOptAttrs.h - qopt enum attributes -----------------------*- C++ -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTATTRS_H
#define QOPT_DIALECT_QOPT_IR_QOPTATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "qopt/Dialect/QOpt/IR/QOptEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptAttrs.h.inc"

#endif // QOPT_DIALECT_QOPT_IR_QOPTATTRS_H
