//===- Norm.cpp - ONNX ops (being written) ----------------------------------===//
#include "../ImporterImpl.h"
void mlir::qopt::onnx_import::addNormOps(OpTable &) {}
