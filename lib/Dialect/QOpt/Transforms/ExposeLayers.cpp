//===- ExposeLayers.cpp - qopt-expose-layers -------------------------------===//
//
// Part of qopt. Appends the output of every quantizable layer (qopt.matmul,
// imported convolutions) to the results of the public functions, named
// "layer:<ONNX node name>", so a calibration run can compare layer outputs
// of a float and a quantized build of the same model.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_EXPOSELAYERSPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

SmallVector<std::pair<Operation *, std::string>> mlir::qopt::getNamedLayers(Operation *root,
                                                                          bool matmulsOnly) {
  SmallVector<std::pair<Operation *, std::string>> layers;
  llvm::StringSet<> seen;
  root->walk([&](Operation *op) {
    if (!isa<MatmulOp>(op) && (matmulsOnly || !op->hasAttr("qopt.conv_weight")))
      return;
    std::string name;
    if (auto n = dyn_cast<NameLoc>(op->getLoc()))
      name = n.getName().str();
    else
      name = "layer" + std::to_string(layers.size());
    std::string unique = name;
    for (int i = 1; !seen.insert(unique).second; ++i)
      unique = name + "#" + std::to_string(i);
    layers.push_back({op, unique});
  });
  return layers;
}

namespace {
struct ExposeLayersPass : public mlir::qopt::impl::ExposeLayersPassBase<ExposeLayersPass> {
  using ExposeLayersPassBase::ExposeLayersPassBase;
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp func) {
      if (!func.isPublic() || func.isExternal())
        return;
      SmallVector<Value> values;
      SmallVector<std::string> names;
      for (auto &[op, name] : getNamedLayers(func, inputs)) {
        values.push_back(inputs ? op->getOperand(0) : op->getResult(0));
        names.push_back((inputs ? "act:" : "layer:") + name);
      }
      if (values.empty())
        return;
      Builder b(func.getContext());
      for (auto [v, name] : llvm::zip(values, names))
        (void)func.insertResult(func.getNumResults(), v.getType(),
                          b.getDictionaryAttr(b.getNamedAttr("onnx.name", b.getStringAttr(name))));
      func.walk([&](func::ReturnOp ret) {
        SmallVector<Value> operands(ret.getOperands());
        operands.append(values.begin(), values.end());
        ret->setOperands(operands);
      });
    });
  }
};
} // namespace
