//===- Passes.h - qopt transformation passes --------------------*- C++ -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_H
#define QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Format/Quantizer.h"
#include "qopt/Format/TensorFormat.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::qopt {

#define GEN_PASS_DECL
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"


/// A parsed quantization scheme: the weight format (for a weight stored
/// K x N: blocks along axis 0, per-channel scales on axis 1), the activation
/// format (for an M x K left operand: blocks along axis 1, per-row scales on
/// axis 0; none = activations stay float), and the rounding / MX scale mode
/// both use.
struct QuantScheme {
  std::optional<::qopt::format::TensorFormat> weight, activation;
  ::qopt::format::Rounding rounding = ::qopt::format::Rounding::NearestEven;
  ::qopt::format::ScaleMode scaleMode = ::qopt::format::ScaleMode::Floor;
};

/// Parses a scheme: a name (`none`, `w8a16-int8`, ..., `w4a4-nvfp4`) or the
/// general form `w=FMT[;a=FMT][;rounding=R][;scale_mode=M]` (FMT: a preset or
/// a lib/Format spec; `w:FMT` is short for `w=FMT`). nullopt with `error` set
/// when it does not parse.
std::optional<QuantScheme> parseQuantScheme(llvm::StringRef scheme, std::string &error);

/// A rotation request: none, block (the scheme's K block, or `block` when
/// given as block:N), or global (the largest power of two dividing K), with
/// optional random signs from `seed`.
struct RotateSpec {
  enum class Mode { None, Block, Global } mode = Mode::None;
  int64_t block = 0;
  std::optional<uint64_t> seed;
};
/// Parses `none | block | block:N | global` with an optional `,seed=S`.
LogicalResult parseRotateSpec(llvm::StringRef spec, RotateSpec &out, std::string &error);

/// The quantizable layers under `root` in walk order (every qopt.matmul, and
/// imported convolutions unless `matmulsOnly`), each with a unique name: the
/// ONNX node name, "#n" appended to repeats, "layerN" without one. Calibration
/// probes and their consumers agree on names through this one function.
llvm::SmallVector<std::pair<Operation *, std::string>> getNamedLayers(Operation *root,
                                                                      bool matmulsOnly);

/// The weight format's block along K (1 without K blocks).
int64_t getSchemeWeightKBlock(const QuantScheme &scheme);
/// The multiple K is zero-padded to: both operands' K blocks.
int64_t getSchemeKMultiple(const QuantScheme &scheme);

/// The scheme names `parseQuantScheme` knows.
std::vector<std::string> getQuantSchemeNames();

} // namespace mlir::qopt

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_H
