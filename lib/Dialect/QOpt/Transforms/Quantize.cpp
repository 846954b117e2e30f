//===- Quantize.cpp - qopt-quantize: weight formats for qopt.matmul --------===//
//
// Part of qopt. Weights are quantized at compile time by lib/Format (through
// the qopt.quantize folder); the report's numbers come from lib/Format too.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "Weights.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Format/Hadamard.h"
#include "qopt/Format/Quantizer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <numeric>

namespace mlir::qopt {
#define GEN_PASS_DEF_QUANTIZEPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;
namespace fmt = ::qopt::format;

namespace {

struct NamedScheme {
  const char *name, *weight, *activation;
};

// Weights are K x N (blocks along K = axis 0, per-channel scales on N = axis
// 1); activations M x K (blocks along K = axis 1, per-row scales on axis 0).
const NamedScheme kSchemes[] = {
    {"w8a16-int8", "element=i8,scale=f32,channel=1", nullptr},
    {"w4a16-int4-g128", "element=i4,scale=f32,block=128,axis=0", nullptr},
    {"w4a16-int4-g32", "element=i4,scale=f32,block=32,axis=0", nullptr},
    {"w8a16-fp8", "element=f8E4M3FN,scale=f32", nullptr},
    {"w4a16-mxfp4", "element=f4E2M1FN,scale=f8E8M0FNU,block=32,axis=0", nullptr},
    {"w6a16-mxfp6", "element=f6E2M3FN,scale=f8E8M0FNU,block=32,axis=0", nullptr},
    {"w8a16-mxfp8", "element=f8E4M3FN,scale=f8E8M0FNU,block=32,axis=0", nullptr},
    {"w8a16-mxint8", "element=i8,scale=f8E8M0FNU,block=32,axis=0", nullptr},
    {"w4a16-nvfp4", "element=f4E2M1FN,scale=f8E4M3FN,block=16,axis=0,tensor_scale=f32", nullptr},
    {"w4a16-nf4", "element=nf4,scale=f32,block=64,axis=0", nullptr},
    {"w8a8-int8", "element=i8,scale=f32,channel=1", "element=i8,scale=f32,channel=0"},
    {"w8a8-fp8", "element=f8E4M3FN,scale=f32", "element=f8E4M3FN,scale=f32,channel=0"},
    {"w4a8-int4-g32", "element=i4,scale=f32,block=32,axis=0", "element=i8,scale=f32,channel=0"},
    {"w4a8-mxfp4-fp8", "element=f4E2M1FN,scale=f8E8M0FNU,block=32,axis=0",
     "element=f8E4M3FN,scale=f32,channel=0"},
    {"w8a8-mxfp8", "element=f8E4M3FN,scale=f8E8M0FNU,block=32,axis=0",
     "element=f8E4M3FN,scale=f8E8M0FNU,block=32,axis=1"},
    {"w8a8-mxint8", "element=i8,scale=f8E8M0FNU,block=32,axis=0",
     "element=i8,scale=f8E8M0FNU,block=32,axis=1"},
    {"w4a4-mxfp4", "element=f4E2M1FN,scale=f8E8M0FNU,block=32,axis=0",
     "element=f4E2M1FN,scale=f8E8M0FNU,block=32,axis=1"},
    {"w4a4-nvfp4", "element=f4E2M1FN,scale=f8E4M3FN,block=16,axis=0,tensor_scale=f32",
     "element=f4E2M1FN,scale=f8E4M3FN,block=16,axis=1,tensor_scale=f32"},
};

/// The block size along axis `k` of a 2-D operand (1 when not blocked along it).
int64_t blockAlong(const fmt::TensorFormat &f, int64_t k) {
  const fmt::Granularity &g = f.getGranularity();
  if (g.kind != fmt::Granularity::Kind::Block)
    return 1;
  for (size_t i = 0; i < g.axes.size(); ++i)
    if (g.axes[i] == k || g.axes[i] == k - 2)
      return g.sizes[i];
  return 1;
}

/// A user-written operand format: blocks given along the last axis (as the
/// presets do) are taken along K, which is axis `kAxis` of the operand.
std::optional<fmt::TensorFormat> parseOperandFormat(llvm::StringRef spec, int64_t kAxis,
                                                    std::string &error) {
  auto f = fmt::TensorFormat::parse(spec, error);
  if (!f)
    return std::nullopt;
  fmt::Granularity g = f->getGranularity();
  if (g.kind == fmt::Granularity::Kind::Block && g.axes.size() == 1 && g.axes[0] == -1)
    g.axes[0] = kAxis;
  return fmt::TensorFormat(f->getElement(), f->getScale(), g, f->getTensorScale(),
                           f->getZeroPoint());
}

} // namespace

int64_t mlir::qopt::getSchemeWeightKBlock(const QuantScheme &s) {
  return s.weight ? blockAlong(*s.weight, 0) : 1;
}

int64_t mlir::qopt::getSchemeKMultiple(const QuantScheme &s) {
  return std::lcm(getSchemeWeightKBlock(s), s.activation ? blockAlong(*s.activation, 1) : 1);
}

std::vector<std::string> mlir::qopt::getQuantSchemeNames() {
  std::vector<std::string> names = {"none"};
  for (const NamedScheme &s : kSchemes)
    names.push_back(s.name);
  return names;
}

std::optional<QuantScheme> mlir::qopt::parseQuantScheme(llvm::StringRef scheme,
                                                        std::string &error) {
  error.clear();
  QuantScheme result;
  if (scheme == "none")
    return result;
  for (const NamedScheme &s : kSchemes) {
    if (scheme != s.name)
      continue;
    result.weight = fmt::TensorFormat::parse(s.weight, error);
    if (s.activation)
      result.activation = fmt::TensorFormat::parse(s.activation, error);
    return result;
  }
  if (!scheme.starts_with("w=") && !scheme.starts_with("w:")) {
    error = "unknown scheme '" + scheme.str() + "' (named schemes: " +
            llvm::join(getQuantSchemeNames(), ", ") +
            "; or the general form w=FORMAT[;a=FORMAT][;rounding=rne|away|zero|up|down]"
            "[;scale_mode=floor|ceil|even|rceil])";
    return std::nullopt;
  }
  llvm::SmallVector<llvm::StringRef> parts;
  scheme.split(parts, ';');
  for (llvm::StringRef part : parts) {
    part = part.trim();
    if (part.consume_front("w=") || part.consume_front("w:")) {
      if (!(result.weight = parseOperandFormat(part, 0, error))) {
        error = "weight format '" + part.str() + "': " + error;
        return std::nullopt;
      }
    } else if (part.consume_front("a=")) {
      if (!(result.activation = parseOperandFormat(part, 1, error))) {
        error = "activation format '" + part.str() + "': " + error;
        return std::nullopt;
      }
    } else if (part.consume_front("rounding=")) {
      static const std::pair<const char *, fmt::Rounding> names[] = {
          {"rne", fmt::Rounding::NearestEven}, {"away", fmt::Rounding::NearestAway},
          {"zero", fmt::Rounding::TowardZero}, {"up", fmt::Rounding::Up},
          {"down", fmt::Rounding::Down}};
      auto it = llvm::find_if(names, [&](const auto &n) { return part == n.first; });
      if (it == std::end(names)) {
        error = "rounding '" + part.str() + "' is not one of rne, away, zero, up, down";
        return std::nullopt;
      }
      result.rounding = it->second;
    } else if (part.consume_front("scale_mode=")) {
      static const std::pair<const char *, fmt::ScaleMode> names[] = {
          {"floor", fmt::ScaleMode::Floor}, {"ceil", fmt::ScaleMode::Ceil},
          {"even", fmt::ScaleMode::Even}, {"rceil", fmt::ScaleMode::RCeil}};
      auto it = llvm::find_if(names, [&](const auto &n) { return part == n.first; });
      if (it == std::end(names)) {
        error = "scale_mode '" + part.str() + "' is not one of floor, ceil, even, rceil";
        return std::nullopt;
      }
      result.scaleMode = it->second;
    } else {
      error = "scheme part '" + part.str() +
              "' is not w=FORMAT, a=FORMAT, rounding=... or scale_mode=...";
      return std::nullopt;
    }
  }
  if (!result.weight) {
    error = "the general form needs a weight format (w=FORMAT)";
    return std::nullopt;
  }
  if (result.activation) {
    int64_t bw = blockAlong(*result.weight, 0), ba = blockAlong(*result.activation, 1);
    if (bw != 1 && ba != 1 && bw != ba) {
      error = "weight blocks of " + std::to_string(bw) + " and activation blocks of " +
              std::to_string(ba) + " along K cannot meet in one matmul";
      return std::nullopt;
    }
  }
  return result;
}

namespace {

/// The format for a weight stored transposed (N x K or O x K): K is axis 1.
fmt::TensorFormat transposed(const fmt::TensorFormat &f) {
  fmt::Granularity g = f.getGranularity();
  for (int64_t &a : g.axes)
    a = a == 0 ? 1 : a == 1 ? 0 : a;
  return fmt::TensorFormat(f.getElement(), f.getScale(), g, f.getTensorScale(), f.getZeroPoint());
}

/// A preset's name when `f` is that preset with its block taken along K.
std::string formatName(const fmt::TensorFormat &f) {
  if (auto p = f.getPresetName())
    return *p;
  fmt::Granularity last = f.getGranularity();
  if (last.kind == fmt::Granularity::Kind::Block && last.axes.size() == 1) {
    last.axes[0] = -1;
    fmt::TensorFormat g(f.getElement(), f.getScale(), last, f.getTensorScale(), f.getZeroPoint());
    if (auto p = g.getPresetName())
      return *p;
  }
  std::string s = f.getElement().getName() + "/" + f.getScale().getName();
  const fmt::Granularity &g = f.getGranularity();
  if (g.kind == fmt::Granularity::Kind::Axis)
    s += "/channel" + std::to_string(g.axes[0]);
  else if (g.kind == fmt::Granularity::Kind::Block)
    s += "/block" + std::to_string(g.sizes[0]) + "@" + std::to_string(g.axes[0]);
  if (f.getTensorScale())
    s += "+" + f.getTensorScale()->getName();
  if (f.getZeroPoint())
    s += "+zp";
  return s;
}

/// A layer's constant weight as a K x N matrix (convolutions: K = C/G*kh*kw,
/// N = output channels), for the sensitivity table.
struct WeightMatrix {
  std::vector<float> values;
  int64_t k = 0, n = 0;
};

std::optional<WeightMatrix> getWeightMatrix(Operation *op) {
  WeightMatrix m;
  if (auto mm = dyn_cast<MatmulOp>(op)) {
    std::optional<std::vector<float>> kn = getMatmulWeightKxN(mm);
    if (!kn)
      return std::nullopt;
    auto t = cast<RankedTensorType>(mm.getRhs().getType());
    m.k = t.getDimSize(0);
    m.n = t.getDimSize(1);
    m.values = std::move(*kn);
    return m;
  }
  // Convolution: weight [M, C/G, kh, kw] (possibly behind the grouping
  // expand_shape) read as M rows of K.
  Value w = op->getOperand(1);
  if (auto e = w.getDefiningOp<tensor::ExpandShapeOp>())
    w = e.getSrc();
  auto cst = w.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return std::nullopt;
  auto type = cast<RankedTensorType>(cst.getType());
  std::optional<std::vector<float>> data = getFloatValues(cst.getValue());
  if (!data || !type.getElementType().isF32() || type.getRank() < 3)
    return std::nullopt;
  m.n = type.getDimSize(0);
  m.k = type.getNumElements() / m.n;
  m.values.resize(size_t(m.k * m.n));
  for (int64_t i = 0; i < m.k; ++i)
    for (int64_t j = 0; j < m.n; ++j)
      m.values[size_t(i * m.n + j)] = (*data)[size_t(j * m.k + i)];
  return m;
}

/// SQNR (dB) and max |error| of `values` (row-major `shape`) after lib/Format
/// quantizes and dequantizes them with `f` under the scheme's rounding and
/// MX scale mode.
struct QuantError {
  double sqnrDb, maxAbsError;
};
QuantError quantizationError(const fmt::TensorFormat &f, const std::vector<float> &values,
                             const std::vector<int64_t> &shape, const QuantScheme &s) {
  fmt::QuantizeOptions options;
  options.rounding = s.rounding;
  options.scaleMode = s.scaleMode;
  fmt::QuantizedTensor q = fmt::quantize(f, values.data(), shape, options);
  std::vector<float> back(values.size());
  fmt::dequantize(f, q, back.data());
  double signal = 0, noise = 0, maxErr = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    double e = double(back[i]) - double(values[i]);
    signal += double(values[i]) * values[i];
    noise += e * e;
    maxErr = std::max(maxErr, std::fabs(e));
  }
  return {noise == 0 ? INFINITY : 10 * std::log10(signal / noise), maxErr};
}

/// Weight SQNR (dB) of `w` under a scheme's weight format (K zero-padded to
/// whole blocks); nullopt when the format does not fit the weight.
std::optional<double> weightSqnr(const WeightMatrix &w, const QuantScheme &s) {
  int64_t block = getSchemeKMultiple(s);
  int64_t kp = (w.k + block - 1) / block * block;
  if (!s.weight->verifyShape({kp, w.n}).empty())
    return std::nullopt;
  std::vector<float> padded(size_t(kp * w.n), 0.0f);
  std::copy(w.values.begin(), w.values.end(), padded.begin());
  return quantizationError(*s.weight, padded, {kp, w.n}, s).sqnrDb;
}

struct LayerReport {
  std::string name, op, format, activation, rotation = "-", smoothed = "-";
  bool reordered = false;
  /// "H32 online, reordered, smoothed (folded)": the accuracy transforms applied.
  std::string transforms() const {
    std::string t = rotation == "-" ? "" : rotation;
    if (reordered)
      t += std::string(t.empty() ? "" : ", ") + "reordered";
    if (smoothed != "-")
      t += std::string(t.empty() ? "" : ", ") + "smoothed (" + smoothed + ")";
    return t.empty() ? "-" : t;
  }
  std::vector<int64_t> shape;
  double bitsPerWeight, sqnrDb, maxAbsError;
  std::optional<double> sqnrUnrotatedDb; ///< weight SQNR had W not been rotated
  int64_t k, paddedK;
};


struct QuantizePass : public mlir::qopt::impl::QuantizePassBase<QuantizePass> {
  using QuantizePassBase::QuantizePassBase;

  struct Override {
    llvm::GlobPattern glob;
    QuantScheme scheme;
  };
  std::optional<llvm::json::Value> sensitivity;

  void runOnOperation() override {
    std::string error;
    std::optional<QuantScheme> base = parseQuantScheme(scheme, error);
    if (!base) {
      getOperation().emitError() << "qopt-quantize: " << error;
      return signalPassFailure();
    }
    std::vector<llvm::GlobPattern> globs;
    for (const std::string &e : exclude) {
      auto g = llvm::GlobPattern::create(e);
      if (!g) {
        getOperation().emitError() << "qopt-quantize: bad exclude glob '" << e << "'";
        return signalPassFailure();
      }
      globs.push_back(std::move(*g));
    }
    std::vector<Override> overrides;
    for (const std::string &o : layerSchemes) {
      auto [pattern, spec] = llvm::StringRef(o).split('=');
      auto g = llvm::GlobPattern::create(pattern);
      std::optional<QuantScheme> sch = parseQuantScheme(spec, error);
      if (!g || spec.empty() || !sch) {
        getOperation().emitError() << "qopt-quantize: bad layer scheme '" << o
                                   << "' (expected GLOB=SCHEME)"
                                   << (error.empty() ? "" : ": " + error);
        return signalPassFailure();
      }
      overrides.push_back({std::move(*g), *sch});
    }
    std::vector<std::pair<std::string, QuantScheme>> sensitivitySchemes;
    for (const std::string &name : reportSchemes) {
      std::optional<QuantScheme> sch = parseQuantScheme(name, error);
      if (!sch) {
        getOperation().emitError() << "qopt-quantize: report-schemes: " << error;
        return signalPassFailure();
      }
      if (sch->weight)
        sensitivitySchemes.push_back({name, *sch});
    }
    std::vector<LayerReport> layers;
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (isa<MatmulOp>(op) || op->hasAttr("qopt.conv_weight"))
        candidates.push_back(op);
      // No silent fallback: a weight the pass cannot handle is named.
      if (auto why = op->getAttrOfType<StringAttr>("qopt.unquantized_weight"))
        if (!llvm::any_of(globs, [&](const llvm::GlobPattern &g) { return g.match(layerName(op)); }))
          op->emitWarning() << "qopt-quantize: layer '" << layerName(op) << "' keeps float "
                            << why.str() << " (not supported by the quantizer yet)";
    });
    if (!sensitivitySchemes.empty() && failed(writeSensitivity(candidates, sensitivitySchemes)))
      return signalPassFailure();
    for (Operation *op : candidates) {
      std::string name = layerName(op);
      if (llvm::any_of(globs, [&](const llvm::GlobPattern &g) { return g.match(name); }))
        continue;
      const QuantScheme *s = &*base;
      for (const Override &o : overrides)
        if (o.glob.match(name)) {
          s = &o.scheme;
          break;
        }
      if (!s->weight)
        continue; // none
      LogicalResult r = isa<MatmulOp>(op) ? quantizeMatmul(cast<MatmulOp>(op), *s, name, layers)
                                          : quantizeConv(cast<linalg::GenericOp>(op), *s, name, layers);
      if (failed(r))
        return signalPassFailure();
    }
    if (!report.empty() && failed(writeReport(layers)))
      return signalPassFailure();
  }

  static std::string layerName(Operation *op) {
    if (auto n = dyn_cast<NameLoc>(op->getLoc()))
      return n.getName().str();
    std::string s;
    llvm::raw_string_ostream os(s);
    op->getLoc().print(os);
    return s;
  }

  QuantizeOp createQuantize(OpBuilder &b, Location loc, Value input, const fmt::TensorFormat &f,
                            const QuantScheme &s) {
    auto shape = cast<RankedTensorType>(input.getType()).getShape();
    auto type = RankedTensorType::get(shape, FormatType::get(b.getContext(), f));
    auto rounding = b.getAttr<RoundingAttr>(static_cast<Rounding>(s.rounding));
    bool mx = f.getScaleRule() == fmt::ScaleRule::MX;
    auto mode = b.getAttr<ScaleModeAttr>(static_cast<ScaleMode>(mx ? s.scaleMode
                                                                    : fmt::ScaleMode::Floor));
    return QuantizeOp::create(b, loc, type, input, Value(), Value(), Value(), rounding, mode,
                              b.getBoolAttr(true));
  }

  /// Quantizes the constant weight of `op` (K x N, or a transpose of N x K)
  /// and, when the scheme says so, its activation (M x K) at run time.
  LogicalResult quantizeMatmul(MatmulOp op, const QuantScheme &s, const std::string &name,
                               std::vector<LayerReport> &layers) {
    Value rhs = op.getRhs();
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
    if (rhsType.getRank() != 2 || lhsType.getRank() != 2)
      return success();
    Type elem = lhsType.getElementType();
    if (!isa<Float32Type, Float16Type, BFloat16Type>(elem) || rhsType.getElementType() != elem)
      return success();
    bool transposedWeight = false;
    auto cst = rhs.getDefiningOp<arith::ConstantOp>();
    linalg::TransposeOp transpose;
    if (!cst) {
      transpose = rhs.getDefiningOp<linalg::TransposeOp>();
      if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
        return success(); // not a constant weight: left alone
      cst = transpose.getInput().getDefiningOp<arith::ConstantOp>();
      if (!cst)
        return success();
      transposedWeight = true;
    }
    std::optional<std::vector<float>> data = getFloatValues(cst.getValue());
    if (!data)
      return success();
    int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1), m = lhsType.getDimSize(0);
    const fmt::TensorFormat &wf = *s.weight;
    int64_t block = getSchemeKMultiple(s);
    int64_t kp = (k + block - 1) / block * block;
    // K x N, zero-padded to whole blocks (zeros leave every block's amax alone).
    std::vector<float> values(size_t(kp * n), 0.0f);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        values[size_t(i * n + j)] = transposedWeight ? (*data)[size_t(j * k + i)]
                                                     : (*data)[size_t(i * n + j)];
    std::string why = wf.verifyShape({kp, n});
    if (!why.empty())
      return op.emitError() << "qopt-quantize: layer '" << name << "': weight " << kp << "x" << n
                            << ": " << why;
    if (s.activation) {
      why = s.activation->verifyShape({m, kp});
      if (!why.empty())
        return op.emitError() << "qopt-quantize: layer '" << name << "': activation " << m << "x"
                              << kp << ": " << why;
    }
    LayerReport r = measure(name, wf, {kp, n}, values, {k, n}, s);
    r.op = "MatMul";
    r.reordered = op->hasAttr("qopt.reordered");
    if (auto sm = op->getAttrOfType<StringAttr>("qopt.smoothed"))
      r.smoothed = sm.str();
    if (auto rb = op->getAttrOfType<IntegerAttr>("qopt.rotation_block")) {
      // The weight is R^T W: show what quantizing W itself would have cost.
      std::optional<uint64_t> seed;
      if (auto sa = op->getAttrOfType<IntegerAttr>("qopt.rotation_seed"))
        seed = uint64_t(sa.getInt());
      std::vector<float> plain(values.begin(), values.begin() + k * n);
      fmt::unrotateMatrixRows(plain.data(), k, n, rb.getInt(),
                              fmt::hadamardSigns(seed, rb.getInt()));
      WeightMatrix wm{plain, k, n};
      r.sqnrUnrotatedDb = weightSqnr(wm, s);
      auto how = op->getAttrOfType<StringAttr>("qopt.rotated");
      r.rotation = "H" + std::to_string(rb.getInt()) + (how ? " " + how.str() : "");
    }
    r.k = k;
    r.paddedK = kp;
    r.activation = s.activation ? formatName(*s.activation) : "float";
    layers.push_back(r);

    OpBuilder b(op);
    Location loc = op.getLoc();
    Value weight = createWeightConstant(b, cst.getLoc(), {kp, n}, values, "qopt_weight");
    Value q = createQuantize(b, cst.getLoc(), weight, wf, s);
    Value lhs = op.getLhs();
    if (kp != k) {
      Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(elem, 0.0));
      lhs = tensor::createPadHighOp(RankedTensorType::get({m, kp}, elem), lhs, zero,
                                    /*nofold=*/false, loc, b);
    }
    if (s.activation)
      lhs = createQuantize(b, loc, lhs, *s.activation, s);
    op.getLhsMutable().assign(lhs);
    op.getRhsMutable().assign(q);
    if (transpose && transpose->use_empty())
      transpose->erase();
    if (cst->use_empty())
      cst->erase();
    return success();
  }

  /// Quantizes a convolution weight [M, C/G, K...] as M rows of K = C/G x
  /// prod(K...) (the im2col reduction), blocked along that K, zero-padded.
  LogicalResult quantizeConv(linalg::GenericOp conv, const QuantScheme &s, const std::string &name,
                             std::vector<LayerReport> &layers) {
    OpOperand &wOperand = conv->getOpOperand(1);
    OpOperand *use = &wOperand;
    if (auto expand = wOperand.get().getDefiningOp<tensor::ExpandShapeOp>())
      use = &expand->getOpOperand(0); // grouped: [M, ...] -> [G, M/G, ...]
    auto cst = use->get().getDefiningOp<arith::ConstantOp>();
    if (!cst)
      return success();
    auto wType = cast<RankedTensorType>(cst.getType());
    std::optional<std::vector<float>> data = getFloatValues(cst.getValue());
    if (!data || !wType.getElementType().isF32() || wType.getRank() < 3)
      return success();
    int64_t m = wType.getDimSize(0), k = wType.getNumElements() / m;
    fmt::TensorFormat wf = transposed(*s.weight);
    int64_t block = blockAlong(wf, 1);
    int64_t kp = (k + block - 1) / block * block;
    std::vector<float> values(size_t(m * kp), 0.0f);
    for (int64_t i = 0; i < m; ++i)
      std::copy_n(data->begin() + i * k, k, values.begin() + i * kp);
    std::string why = wf.verifyShape({m, kp});
    if (!why.empty())
      return conv.emitError() << "qopt-quantize: layer '" << name << "': weight " << m << "x" << kp
                              << ": " << why;
    LayerReport r = measure(name, wf, {m, kp}, values, {m, k}, s);
    r.op = "Conv";
    r.shape.assign(wType.getShape().begin(), wType.getShape().end());
    r.k = k;
    r.paddedK = kp;
    r.activation = "float";
    if (s.activation && use == &wOperand) {
      std::string why = s.activation->verifyShape({1, kp});
      if (!why.empty())
        return conv.emitError() << "qopt-quantize: layer '" << name << "': activation: " << why;
      if (succeeded(convAsQuantizedGemm(conv, values, m, k, kp, s))) {
        r.op = "Conv*";
        r.activation = formatName(*s.activation) + " (im2col)";
        layers.push_back(r);
        if (cst->use_empty())
          cst->erase();
        return success();
      }
    }
    layers.push_back(r);

    OpBuilder b(use->getOwner());
    Location loc = cst.getLoc();
    Value weight = createWeightConstant(b, loc, {m, kp}, values, "qopt_weight");
    Value q = createQuantize(b, loc, weight, wf, s);
    Value d = buildDequantizeFromParts(b, loc, q); // stays packed after folding
    if (kp != k) {
      SmallVector<OpFoldResult> offs(2, b.getIndexAttr(0)), strides(2, b.getIndexAttr(1));
      SmallVector<OpFoldResult> sizes = {b.getIndexAttr(m), b.getIndexAttr(k)};
      d = tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get({m, k}, b.getF32Type()), d,
                                         offs, sizes, strides);
    }
    SmallVector<ReassociationIndices> assoc = {{0}, {}};
    for (int64_t i = 1; i < wType.getRank(); ++i)
      assoc[1].push_back(i);
    d = tensor::ExpandShapeOp::create(b, loc, wType, d, assoc);
    use->set(d);
    if (cst->use_empty())
      cst->erase();
    return success();
  }

  /// Under an activation scheme an (ungrouped) convolution becomes a
  /// quantized GEMM: y = im2col(x) [P, K] x W^T [K, M] (K in the weight's
  /// (c, kh, kw) order, zero-padded to kp), quantized like a matmul's
  /// activation (per row = per output position, or blocks along K), then
  /// reshaped to [N, M, O...] and added to the convolution's init (bias).
  LogicalResult convAsQuantizedGemm(linalg::GenericOp conv, const std::vector<float> &values,
                                    int64_t m, int64_t k, int64_t kp, const QuantScheme &s) {
    MLIRContext *ctx = conv.getContext();
    SmallVector<AffineMap> maps = conv.getIndexingMapsArray();
    int64_t loops = conv.getNumLoops(), nk = (loops - 3) / 2;
    if (maps.size() != 3 || loops != 3 + 2 * nk || nk < 1)
      return failure();
    auto dimsMap = [&](ArrayRef<int64_t> dims) {
      SmallVector<AffineExpr> e;
      for (int64_t d : dims)
        e.push_back(getAffineDimExpr(d, ctx));
      return AffineMap::get(loops, 0, e, ctx);
    };
    SmallVector<int64_t> wDims = {1, 2}, yDims = {0, 1};
    for (int64_t i = 0; i < nk; ++i) {
      wDims.push_back(3 + i);
      yDims.push_back(3 + nk + i);
    }
    if (maps[1] != dimsMap(wDims) || maps[2] != dimsMap(yDims) ||
        maps[0].isFunctionOfDim(1))
      return failure();
    Value x = conv.getDpsInputs()[0];
    auto yType = cast<RankedTensorType>(conv.getResult(0).getType());
    auto wType = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
    int64_t batch = yType.getDimSize(0);
    // im2col loops (n, o..., c, r...): conv dims n -> 0, c -> 1+nk, r_i -> 2+nk+i, o_i -> 1+i.
    int64_t iloops = 2 + 2 * nk;
    SmallVector<AffineExpr> repl(loops, getAffineConstantExpr(0, ctx));
    repl[0] = getAffineDimExpr(0, ctx);
    repl[2] = getAffineDimExpr(1 + nk, ctx);
    for (int64_t i = 0; i < nk; ++i) {
      repl[3 + i] = getAffineDimExpr(2 + nk + i, ctx);
      repl[3 + nk + i] = getAffineDimExpr(1 + i, ctx);
    }
    AffineMap xMap = maps[0].replaceDimsAndSymbols(repl, {}, iloops, 0);
    SmallVector<int64_t> colShape = {batch};
    int64_t positions = batch;
    for (int64_t i = 0; i < nk; ++i) {
      colShape.push_back(yType.getDimSize(2 + i));
      positions *= yType.getDimSize(2 + i);
    }
    for (int64_t i = 1; i < wType.getRank(); ++i)
      colShape.push_back(wType.getDimSize(i));
    OpBuilder b(conv);
    Location loc = conv.getLoc();
    Type f32 = b.getF32Type();
    Value empty = tensor::EmptyOp::create(b, loc, colShape, f32);
    Value col = linalg::GenericOp::create(
                    b, loc, TypeRange{empty.getType()}, ValueRange{x}, ValueRange{empty},
                    SmallVector<AffineMap>{xMap, AffineMap::getMultiDimIdentityMap(iloops, ctx)},
                    SmallVector<utils::IteratorType>(iloops, utils::IteratorType::parallel),
                    [](OpBuilder &nb, Location l, ValueRange a) { linalg::YieldOp::create(nb, l, a[0]); })
                    .getResult(0);
    SmallVector<ReassociationIndices> rows(2);
    for (int64_t i = 0; i <= nk; ++i)
      rows[0].push_back(i);
    for (int64_t i = nk + 1; i < iloops; ++i)
      rows[1].push_back(i);
    Value lhs = tensor::CollapseShapeOp::create(b, loc, RankedTensorType::get({positions, k}, f32),
                                                col, rows);
    if (kp != k)
      lhs = tensor::createPadHighOp(RankedTensorType::get({positions, kp}, f32), lhs,
                                    arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f)),
                                    /*nofold=*/false, loc, b);
    lhs = createQuantize(b, loc, lhs, *s.activation, s);
    std::vector<float> kn(size_t(kp * m));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < kp; ++j)
        kn[size_t(j * m + i)] = values[size_t(i * kp + j)];
    Value w = createQuantize(b, loc, createWeightConstant(b, loc, {kp, m}, kn, "qopt_weight"), *s.weight, s);
    Value y = MatmulOp::create(b, loc, RankedTensorType::get({positions, m}, f32), lhs, w,
                               TypeAttr());
    // [P, M] -> [N, O..., M] -> [N, M, O...], plus the convolution's init.
    SmallVector<int64_t> nom = {batch};
    for (int64_t i = 0; i < nk; ++i)
      nom.push_back(yType.getDimSize(2 + i));
    nom.push_back(m);
    SmallVector<ReassociationIndices> outRows(2);
    for (int64_t i = 0; i <= nk; ++i)
      outRows[0].push_back(i);
    outRows[1].push_back(nk + 1);
    y = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get(nom, f32), y, outRows);
    int64_t rank = yType.getRank();
    // out[n, m, o...] = init[n, m, o...] + y[n, o..., m]
    SmallVector<AffineExpr> yExprs = {getAffineDimExpr(0, ctx)};
    for (int64_t i = 0; i < nk; ++i)
      yExprs.push_back(getAffineDimExpr(2 + i, ctx));
    yExprs.push_back(getAffineDimExpr(1, ctx));
    Value init = conv.getDpsInits()[0];
    Value out = tensor::EmptyOp::create(b, loc, yType.getShape(), f32);
    Value sum = linalg::GenericOp::create(
                    b, loc, TypeRange{yType}, ValueRange{init, y}, ValueRange{out},
                    SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, ctx),
                                           AffineMap::get(rank, 0, yExprs, ctx),
                                           AffineMap::getMultiDimIdentityMap(rank, ctx)},
                    SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
                    [](OpBuilder &nb, Location l, ValueRange a) {
                      linalg::YieldOp::create(nb, l,
                                              arith::AddFOp::create(nb, l, a[0], a[1]).getResult());
                    })
                    .getResult(0);
    conv.getResult(0).replaceAllUsesWith(sum);
    conv->erase();
    return success();
  }

  /// Weight statistics, from lib/Format's quantize/dequantize of the padded weight.
  static LayerReport measure(const std::string &name, const fmt::TensorFormat &f,
                             const std::vector<int64_t> &padded, const std::vector<float> &values,
                             const std::vector<int64_t> &shape, const QuantScheme &s) {
    QuantError err = quantizationError(f, values, padded, s);
    LayerReport r;
    r.name = name;
    r.format = formatName(f);
    r.shape = shape;
    int64_t n = shape[0] * shape[1], np = padded[0] * padded[1];
    r.bitsPerWeight = f.getBitsPerElement(padded) * double(np) / double(n);
    r.sqnrDb = err.sqnrDb;
    r.maxAbsError = err.maxAbsError;
    return r;
  }

  static int64_t numElements(const LayerReport &l) {
    int64_t n = 1;
    for (int64_t d : l.shape)
      n *= d;
    return n;
  }

  /// Weight SQNR of every eligible layer under every listed scheme: the
  /// per-layer sensitivity table ("-": printed; else JSON at `report` with
  /// a ".sensitivity.json" suffix unless report-schemes is the only output).
  LogicalResult writeSensitivity(ArrayRef<Operation *> ops,
                                 ArrayRef<std::pair<std::string, QuantScheme>> schemes) {
    llvm::json::Array rows;
    std::string text;
    llvm::raw_string_ostream os(text);
    os << llvm::format("%-28s %-12s", "layer (weight SQNR dB)", "K x N");
    for (const auto &sch : schemes)
      os << llvm::format(" %15s", sch.first.c_str());
    os << "\n";
    for (Operation *op : ops) {
      std::optional<WeightMatrix> w = getWeightMatrix(op);
      if (!w)
        continue;
      std::string name = layerName(op);
      std::string shape = std::to_string(w->k) + "x" + std::to_string(w->n);
      os << llvm::format("%-28s %-12s", name.c_str(), shape.c_str());
      llvm::json::Object perScheme;
      for (const auto &[schemeName, sch] : schemes) {
        std::optional<double> db = weightSqnr(*w, sch);
        if (db)
          os << llvm::format(" %15.2f", *db);
        else
          os << llvm::format(" %15s", "n/a");
        perScheme[schemeName] = db ? llvm::json::Value(std::isinf(*db) ? 999.0 : *db)
                                   : llvm::json::Value(nullptr);
      }
      os << "\n";
      rows.push_back(llvm::json::Object{{"layer", name},
                                        {"k", w->k},
                                        {"n", w->n},
                                        {"weight_sqnr_db", std::move(perScheme)}});
    }
    sensitivity = llvm::json::Value(std::move(rows));
    if (report == "-" || report.empty())
      llvm::outs() << text;
    return success();
  }

  LogicalResult writeReport(const std::vector<LayerReport> &layers) {
    double qBytes = 0, fBytes = 0;
    for (const LayerReport &l : layers) {
      double n = double(numElements(l));
      qBytes += n * l.bitsPerWeight / 8;
      fBytes += n * 4;
    }
    auto shapeText = [](const std::vector<int64_t> &shape) {
      std::string s;
      for (int64_t d : shape)
        s += (s.empty() ? "" : "x") + std::to_string(d);
      return s;
    };
    if (report == "-") {
      llvm::raw_ostream &os = llvm::outs();
      bool rotated = llvm::any_of(layers, [](const LayerReport &l) { return l.sqnrUnrotatedDb; });
      bool transformed =
          llvm::any_of(layers, [](const LayerReport &l) { return l.transforms() != "-"; });
      os << llvm::format("%-28s %-6s %-12s %-30s %-22s %8s %9s %11s", "layer", "op", "weight",
                         "weight format", "activations", "bits/w", "SQNR dB", "max |err|");
      if (rotated)
        os << llvm::format(" %11s", "no-rot dB");
      if (transformed)
        os << "  transforms";
      os << "\n";
      for (const LayerReport &l : layers) {
        std::string fmtName = l.format + (l.paddedK != l.k ? " (K pad " + std::to_string(l.k) +
                                                                 "->" + std::to_string(l.paddedK) + ")"
                                                           : "");
        os << llvm::format("%-28s %-6s %-12s %-30s %-22s %8.3f %9.2f %11.4g", l.name.c_str(),
                           l.op.c_str(), shapeText(l.shape).c_str(), fmtName.c_str(),
                           l.activation.c_str(), l.bitsPerWeight, l.sqnrDb, l.maxAbsError);
        if (rotated) {
          if (l.sqnrUnrotatedDb)
            os << llvm::format(" %11.2f", *l.sqnrUnrotatedDb);
          else
            os << llvm::format(" %11s", "-");
        }
        if (transformed)
          os << "  " << l.transforms();
        os << "\n";
      }
      os << llvm::format("total: %d quantized layers, %.0f bytes of weights vs %.0f in FP32 "
                         "(%.2fx smaller)\n",
                         int(layers.size()), qBytes, fBytes, qBytes > 0 ? fBytes / qBytes : 0.0);
      return success();
    }
    llvm::json::Array arr;
    for (const LayerReport &l : layers) {
      llvm::json::Array shape;
      for (int64_t d : l.shape)
        shape.push_back(d);
      arr.push_back(llvm::json::Object{{"layer", l.name},
                                       {"op", l.op},
                                       {"shape", std::move(shape)},
                                       {"format", l.format},
                                       {"activation_format", l.activation},
                                       {"bits_per_weight", l.bitsPerWeight},
                                       {"weight_sqnr_db", std::isinf(l.sqnrDb) ? 999.0 : l.sqnrDb},
                                       {"max_abs_error", l.maxAbsError},
                                       {"k", l.k},
                                       {"padded_k", l.paddedK},
                                       {"rotation", l.rotation},
                                       {"reordered", l.reordered},
                                       {"smoothed", l.smoothed},
                                       {"weight_sqnr_db_unrotated",
                                        l.sqnrUnrotatedDb ? llvm::json::Value(*l.sqnrUnrotatedDb)
                                                          : llvm::json::Value(nullptr)}});
    }
    llvm::json::Object root{{"scheme", std::string(scheme)},
                            {"layers", std::move(arr)},
                            {"weight_bytes", qBytes},
                            {"weight_bytes_fp32", fBytes}};
    if (sensitivity)
      root["sensitivity"] = std::move(*sensitivity);
    std::error_code ec;
    llvm::raw_fd_ostream os(report, ec);
    if (ec)
      return getOperation().emitError() << "qopt-quantize: cannot write report '" << report
                                        << "': " << ec.message();
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
    return success();
  }
};

} // namespace
