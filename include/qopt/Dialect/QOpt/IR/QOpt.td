//===- QOpt.td - qopt dialect umbrella ---------------------*- tablegen -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPT_TD
#define QOPT_DIALECT_QOPT_IR_QOPT_TD

include "qopt/Dialect/QOpt/IR/QOptDialect.td"
include "qopt/Dialect/QOpt/IR/QOptEnums.td"
include "qopt/Dialect/QOpt/IR/QOptTypes.td"
include "qopt/Dialect/QOpt/IR/QOptOps.td"

#endif // QOPT_DIALECT_QOPT_IR_QOPT_TD
