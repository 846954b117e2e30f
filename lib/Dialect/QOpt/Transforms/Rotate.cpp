//===- Rotate.cpp - qopt-rotate: Hadamard rotations folded into weights ----===//
//
// Part of qopt. For y = x W (qopt.matmul, constant W: K x N) rewrites
// y = (x R)(R^T W) with R = diag(H_b D, ...) (lib/Format Hadamard.h): R^T W
// is computed at compile time (a new constant, quantized later by
// qopt-quantize); x R becomes a qopt.hadamard (an online fast Walsh-Hadamard
// transform), or folds into the producer's weights when x = z V comes
// straight from another constant-weight qopt.matmul.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "NormMatch.h"
#include "Weights.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Format/Hadamard.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/GlobPattern.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_ROTATEPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;
namespace fmt = ::qopt::format;

LogicalResult mlir::qopt::parseRotateSpec(llvm::StringRef spec, RotateSpec &out,
                                          std::string &error) {
  out = RotateSpec();
  llvm::SmallVector<llvm::StringRef> parts;
  spec.split(parts, ',');
  llvm::StringRef mode = parts[0].trim();
  if (mode == "none") {
    out.mode = RotateSpec::Mode::None;
  } else if (mode == "block") {
    out.mode = RotateSpec::Mode::Block;
  } else if (mode.consume_front("block:")) {
    out.mode = RotateSpec::Mode::Block;
    int64_t b = 0;
    if (mode.getAsInteger(10, b) || b < 2 || (b & (b - 1))) {
      error = "rotation block '" + mode.str() + "' is not a power of two >= 2";
      return failure();
    }
    out.block = b;
  } else if (mode == "global") {
    out.mode = RotateSpec::Mode::Global;
  } else {
    error = "rotation '" + mode.str() + "' is not none, block, block:N or global";
    return failure();
  }
  for (llvm::StringRef p : llvm::ArrayRef(parts).drop_front()) {
    p = p.trim();
    llvm::StringRef value = p;
    uint64_t seed = 0;
    if (!value.consume_front("seed=") || value.getAsInteger(10, seed)) {
      error = "rotation option '" + p.str() + "' is not seed=N (N a non-negative integer)";
      return failure();
    }
    out.seed = seed;
  }
  return success();
}

namespace {

struct RotatePass : public mlir::qopt::impl::RotatePassBase<RotatePass> {
  using RotatePassBase::RotatePassBase;

  void runOnOperation() override {
    RotateSpec spec;
    std::string error;
    if (failed(parseRotateSpec(rotate, spec, error))) {
      getOperation().emitError() << "qopt-rotate: " << error;
      return signalPassFailure();
    }
    if (spec.mode == RotateSpec::Mode::None)
      return;
    // Block of the "block" mode: the scheme's weight K block (32 without one).
    int64_t schemeBlock = 32;
    if (!spec.block && spec.mode == RotateSpec::Mode::Block) {
      std::optional<QuantScheme> s = parseQuantScheme(scheme, error);
      if (!s) {
        getOperation().emitError() << "qopt-rotate: " << error;
        return signalPassFailure();
      }
      if (int64_t kb = getSchemeWeightKBlock(*s); kb > 1)
        schemeBlock = kb;
    }
    std::vector<llvm::GlobPattern> globs;
    for (const std::string &e : exclude)
      if (auto g = llvm::GlobPattern::create(e))
        globs.push_back(std::move(*g));
    auto excluded = [&](MatmulOp op) {
      std::string name;
      if (auto n = dyn_cast<NameLoc>(op.getLoc()))
        name = n.getName().str();
      return llvm::any_of(globs, [&](const llvm::GlobPattern &g) { return g.match(name); });
    };
    llvm::DenseSet<Operation *> folded = foldAcrossRmsNorms(spec, schemeBlock, excluded);
    SmallVector<MatmulOp> matmuls;
    getOperation().walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls) {
      if (excluded(op) || folded.contains(op))
        continue;
      if (failed(rotateMatmul(op, spec, schemeBlock)))
        return signalPassFailure();
    }
  }

  /// Weight side of a rotation: W becomes R^T W, at compile time.
  static void rotateWeightRows(MatmulOp op, int64_t b, const std::vector<float> &signs) {
    std::vector<float> w = *getMatmulWeightKxN(op);
    auto t = cast<RankedTensorType>(op.getRhs().getType());
    int64_t k = t.getDimSize(0), n = t.getDimSize(1);
    fmt::rotateMatrixRows(w.data(), k, n, b, signs);
    OpBuilder builder(op);
    replaceMatmulWeight(op, createWeightConstant(builder, op.getLoc(), {k, n}, w,
                                                 "qopt_rotated_weight"));
  }

  /// The rotation block of a layer with K input channels.
  static int64_t blockFor(const RotateSpec &spec, int64_t schemeBlock, int64_t k) {
    if (spec.mode == RotateSpec::Mode::Global)
      return fmt::largestPowerOfTwoDividing(k);
    return spec.block ? spec.block : schemeBlock;
  }

  /// R across a gamma-free RMS norm: y = x * f(sum_k x_k^2) commutes with an
  /// orthogonal R (y(x R) = y(x) R), so the consumers' activation rotation
  /// y R moves in front of the norm, into x's linear producer: x R = z (V R)
  /// (+ b R for a bias), computed at compile time; nothing runs online.
  /// Applies when every user of y is a constant-weight matmul (rotated here,
  /// R^T W) and x feeds only the norm (not a residual stream, whose other
  /// users would need R undone). Returns the matmuls it rotated.
  llvm::DenseSet<Operation *> foldAcrossRmsNorms(const RotateSpec &spec, int64_t schemeBlock,
                                                 function_ref<bool(MatmulOp)> excluded) {
    llvm::DenseSet<Operation *> done;
    SmallVector<RmsNorm> norms;
    getOperation().walk([&](linalg::GenericOp g) {
      if (g->getNumResults() == 1)
        if (std::optional<RmsNorm> n = matchRmsNorm(g->getResult(0)))
          norms.push_back(std::move(*n));
    });
    for (RmsNorm &norm : norms) {
      Value y = norm.output->getResult(0);
      int64_t d = cast<RankedTensorType>(y.getType()).getShape().back();
      std::optional<SmallVector<MatmulOp>> consumers = getConsumingMatmuls(y, d);
      if (!consumers || llvm::any_of(*consumers, excluded))
        continue;
      int64_t b = blockFor(spec, schemeBlock, d);
      if (b < 2 || d % b != 0)
        continue; // the per-layer path reports it
      if (!llvm::all_of(norm.input.getUsers(),
                        [&](Operation *u) { return norm.ops.contains(u); }))
        continue; // x also feeds a residual add (or anything else)
      std::optional<LinearProducer> producer = findLinearProducer(norm.input, d);
      if (!producer)
        continue;
      std::vector<float> signs = fmt::hadamardSigns(spec.seed, b);
      foldIntoProducer(*producer, b, signs);
      for (MatmulOp mm : *consumers) {
        rotateWeightRows(mm, b, signs);
        Builder builder(mm.getContext());
        mm->setAttr("qopt.rotated", builder.getStringAttr("folded"));
        mm->setAttr("qopt.rotated_across", builder.getStringAttr("rms_norm"));
        setRotationAttrs(mm, b, spec);
        done.insert(mm);
      }
    }
    return done;
  }

  /// x's linear producer: x = reshape*(z V [+ c]) with V constant, through
  /// reshapes that keep the last axis (of size d) and one per-channel bias;
  /// every value between has one use (x's own uses are the caller's).
  struct LinearProducer {
    MatmulOp matmul;
    linalg::GenericOp bias;
    unsigned biasOperand = 0;
    std::vector<float> biasValues;
  };
  static std::optional<LinearProducer> findLinearProducer(Value x, int64_t d) {
    LinearProducer p;
    Value cur = x;
    for (int step = 0; step < 8; ++step) {
      if (cur != x && !cur.hasOneUse())
        return std::nullopt;
      Operation *def = cur.getDefiningOp();
      if (isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def) &&
          cast<RankedTensorType>(def->getOperand(0).getType()).getShape().back() == d) {
        cur = def->getOperand(0);
      } else if (auto g = dyn_cast_or_null<linalg::GenericOp>(def);
                 g && !p.bias && isBiasAdd(g, d, p.biasOperand, p.biasValues)) {
        p.bias = g;
        cur = g.getDpsInputs()[1 - p.biasOperand];
      } else if (auto mm = dyn_cast_or_null<MatmulOp>(def); mm && getMatmulWeightKxN(mm)) {
        p.matmul = mm;
        return p;
      } else {
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  /// x R folded into x's producer at compile time: V R, and c R for a bias.
  static void foldIntoProducer(LinearProducer &p, int64_t b, const std::vector<float> &signs) {
    MatmulOp producer = p.matmul;
    std::vector<float> v = *getMatmulWeightKxN(producer);
    auto pType = cast<RankedTensorType>(producer.getRhs().getType());
    fmt::rotateMatrixColumns(v.data(), pType.getDimSize(0), pType.getDimSize(1), b, signs);
    OpBuilder pb(producer);
    replaceMatmulWeight(producer, createWeightConstant(pb, producer.getLoc(), pType.getShape(), v,
                                                       "qopt_rotated_weight"));
    if (!p.bias)
      return;
    linalg::GenericOp bias = p.bias;
    fmt::rotateMatrixColumns(p.biasValues.data(), 1, int64_t(p.biasValues.size()), b, signs);
    OpBuilder bb(bias);
    Value rotated = buildChannelwise(bb, bias.getLoc(), bias.getDpsInputs()[1 - p.biasOperand],
                                     p.biasValues, /*multiply=*/false);
    Operation *old = bias.getDpsInputs()[p.biasOperand].getDefiningOp();
    bias->getResult(0).replaceAllUsesWith(rotated);
    bias->erase();
    if (old && old->use_empty())
      old->erase();
  }

  /// Whether `g` is x + c with c a constant per channel (of `d`); sets the
  /// constant's operand number and values.
  static bool isBiasAdd(linalg::GenericOp g, int64_t d, unsigned &operand,
                        std::vector<float> &values) {
    if (g->getNumResults() != 1 || g.getNumDpsInputs() != 2 || g.getNumReductionLoops() != 0)
      return false;
    auto yield = cast<linalg::YieldOp>(g.getBody()->getTerminator());
    auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
    if (!add || !isa<BlockArgument>(add.getLhs()) || !isa<BlockArgument>(add.getRhs()) ||
        add.getLhs() == add.getRhs())
      return false;
    for (unsigned i = 0; i < 2; ++i) {
      if (!g.getMatchingIndexingMap(g.getDpsInputOperand(1 - i)).isIdentity())
        continue;
      if (std::optional<std::vector<float>> c = getChannelConstant(g, i, d)) {
        operand = i;
        values = std::move(*c);
        return true;
      }
    }
    return false;
  }

  /// Records R on the matmul (qopt-quantize's report undoes it to show the
  /// unrotated weight SQNR).
  static void setRotationAttrs(MatmulOp op, int64_t b, const RotateSpec &spec) {
    Builder builder(op.getContext());
    op->setAttr("qopt.rotation_block", builder.getI64IntegerAttr(b));
    if (spec.seed)
      op->setAttr("qopt.rotation_seed", builder.getI64IntegerAttr(int64_t(*spec.seed)));
  }

  LogicalResult rotateMatmul(MatmulOp op, const RotateSpec &spec, int64_t schemeBlock) {
    if (!getMatmulWeightKxN(op))
      return success(); // not a constant weight: left alone
    int64_t k = cast<RankedTensorType>(op.getRhs().getType()).getDimSize(0);
    int64_t b = blockFor(spec, schemeBlock, k);
    if (k % b != 0) {
      if (spec.block)
        return op.emitError() << "qopt-rotate: rotation block " << b << " does not divide K = "
                              << k;
      op.emitWarning() << "qopt-rotate: K = " << k << " is not a multiple of the rotation block "
                       << b << "; layer left unrotated";
      return success();
    }
    if (b < 2)
      return success(); // odd K under "global": nothing to rotate
    std::vector<float> signs = fmt::hadamardSigns(spec.seed, b);
    rotateWeightRows(op, b, signs);
    OpBuilder builder(op);
    Location loc = op.getLoc();
    // Activation side: fold into a constant-weight producer (through
    // reshapes that keep the last axis and a per-channel bias), else online.
    Value x = op.getLhs();
    if (x.hasOneUse())
      if (std::optional<LinearProducer> p = findLinearProducer(x, k)) {
        foldIntoProducer(*p, b, signs);
        op->setAttr("qopt.rotated", builder.getStringAttr("folded"));
        setRotationAttrs(op, b, spec);
        return success();
      }
    IntegerAttr seedAttr = spec.seed ? builder.getI64IntegerAttr(int64_t(*spec.seed)) : IntegerAttr();
    Value r = HadamardOp::create(builder, loc, x.getType(), x, builder.getI64IntegerAttr(-1),
                                 builder.getI64IntegerAttr(b), seedAttr);
    op.getLhsMutable().assign(r);
    op->setAttr("qopt.rotated", builder.getStringAttr("online"));
    setRotationAttrs(op, b, spec);
    return success();
  }
};

} // namespace
