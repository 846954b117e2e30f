//===- Quantize.cpp - qopt-quantize: weight formats for qopt.matmul --------===//
//
// Part of qopt. Weights are quantized at compile time by lib/Format (through
// the qopt.quantize folder); the report's numbers come from lib/Format too.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "qopt/Dialect/QOpt/IR/FormatBridge.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Format/Quantizer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace mlir::qopt {
#define GEN_PASS_DEF_QUANTIZEPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;
namespace fmt = ::qopt::format;

std::optional<fmt::TensorFormat> mlir::qopt::getSchemeWeightFormat(llvm::StringRef scheme,
                                                                   std::string &error) {
  error.clear();
  static const std::pair<const char *, const char *> schemes[] = {
      {"w8a16-int8", "element=i8,scale=f32,channel=1"},
      {"w4a16-int4-g128", "element=i4,scale=f32,block=128,axis=0"},
      {"w4a16-int4-g32", "element=i4,scale=f32,block=32,axis=0"},
      {"w8a16-fp8", "element=f8E4M3FN,scale=f32"},
      {"w4a16-mxfp4", "element=f4E2M1FN,scale=f8E8M0FNU,block=32,axis=0"},
      {"w6a16-mxfp6", "element=f6E2M3FN,scale=f8E8M0FNU,block=32,axis=0"},
      {"w8a16-mxfp8", "element=f8E4M3FN,scale=f8E8M0FNU,block=32,axis=0"},
      {"w8a16-mxint8", "element=i8,scale=f8E8M0FNU,block=32,axis=0"},
      {"w4a16-nvfp4", "element=f4E2M1FN,scale=f8E4M3FN,block=16,axis=0,tensor_scale=f32"},
      {"w4a16-nf4", "element=nf4,scale=f32,block=64,axis=0"},
  };
  if (scheme == "none")
    return std::nullopt;
  for (const auto &[name, spec] : schemes)
    if (scheme == name)
      return fmt::TensorFormat::parse(spec, error);
  static const char *activationSchemes[] = {"w8a8-int8", "w8a8-fp8", "w4a8-mxfp4-fp8",
                                            "w8a8-mxfp8", "w8a8-mxint8", "w4a4-mxfp4",
                                            "w4a4-nvfp4"};
  for (const char *name : activationSchemes)
    if (scheme == name) {
      error = "scheme '" + scheme.str() +
              "' quantizes activations, which is not implemented yet (weight-only schemes: "
              "w*a16-*)";
      return std::nullopt;
    }
  if (scheme.consume_front("w:")) {
    auto f = fmt::TensorFormat::parse(scheme, error);
    if (!f)
      return std::nullopt;
    // Presets block the last axis; for a K x N weight that is K (axis 0).
    fmt::Granularity g = f->getGranularity();
    if (g.kind == fmt::Granularity::Kind::Block && g.axes.size() == 1 && g.axes[0] == -1)
      g.axes[0] = 0;
    return fmt::TensorFormat(f->getElement(), f->getScale(), g, f->getTensorScale(),
                             f->getZeroPoint());
  }
  error = "unknown scheme '" + scheme.str() + "'";
  return std::nullopt;
}

namespace {

/// The format for a weight stored transposed (N x K): K is axis 1.
fmt::TensorFormat transposed(const fmt::TensorFormat &f) {
  fmt::Granularity g = f.getGranularity();
  for (int64_t &a : g.axes)
    a = a == 0 ? 1 : a == 1 ? 0 : a;
  return fmt::TensorFormat(f.getElement(), f.getScale(), g, f.getTensorScale(), f.getZeroPoint());
}

/// The block size along axis `k` (1 when not blocked along it).
int64_t blockAlong(const fmt::TensorFormat &f, int64_t k) {
  const fmt::Granularity &g = f.getGranularity();
  for (size_t i = 0; i < g.axes.size(); ++i)
    if (g.axes[i] == k || g.axes[i] == k - 2)
      return g.sizes[i];
  return 1;
}

struct LayerReport {
  std::string name, format;
  std::vector<int64_t> shape;
  double bitsPerWeight, sqnrDb, maxAbsError;
  int64_t k, paddedK;
};

struct QuantizePass : public mlir::qopt::impl::QuantizePassBase<QuantizePass> {
  using QuantizePassBase::QuantizePassBase;

  void runOnOperation() override {
    std::string error;
    std::optional<fmt::TensorFormat> format = getSchemeWeightFormat(scheme, error);
    if (!error.empty()) {
      getOperation().emitError() << "qopt-quantize: " << error;
      return signalPassFailure();
    }
    if (!format)
      return; // none
    std::vector<llvm::GlobPattern> globs;
    for (const std::string &e : exclude) {
      auto g = llvm::GlobPattern::create(e);
      if (!g) {
        getOperation().emitError() << "qopt-quantize: bad exclude glob '" << e << "'";
        return signalPassFailure();
      }
      globs.push_back(std::move(*g));
    }
    std::vector<LayerReport> layers;
    SmallVector<MatmulOp> matmuls;
    getOperation().walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls) {
      std::string name = layerName(op);
      if (llvm::any_of(globs, [&](const llvm::GlobPattern &g) { return g.match(name); }))
        continue;
      if (failed(quantizeWeight(op, *format, name, layers)))
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

  /// Quantizes the constant weight of `op` (K x N, or a transpose of N x K).
  LogicalResult quantizeWeight(MatmulOp op, const fmt::TensorFormat &format,
                               const std::string &name, std::vector<LayerReport> &layers) {
    Value rhs = op.getRhs();
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    if (rhsType.getRank() != 2 || !rhsType.getElementType().isF32())
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
    auto wType = cast<RankedTensorType>(cst.getType());
    std::vector<int64_t> shape(wType.getShape().begin(), wType.getShape().end());
    int64_t kAxis = transposedWeight ? 1 : 0;
    fmt::TensorFormat f = transposedWeight ? transposed(format) : format;
    int64_t k = shape[kAxis], block = blockAlong(f, kAxis);
    int64_t kp = (k + block - 1) / block * block;
    // Zero-pad K to whole blocks (zeros leave every block's amax unchanged).
    std::vector<int64_t> padded = shape;
    padded[kAxis] = kp;
    std::vector<float> values(size_t(padded[0] * padded[1]), 0.0f);
    for (int64_t i = 0; i < shape[0]; ++i)
      for (int64_t j = 0; j < shape[1]; ++j)
        values[size_t(i * padded[1] + j)] = (*data)[size_t(i * shape[1] + j)];
    std::string why = f.verifyShape(padded);
    if (!why.empty())
      return op.emitError() << "qopt-quantize: layer '" << name << "': " << why;
    layers.push_back(measure(name, f, padded, values, shape, k, kp));

    OpBuilder b(op);
    Location loc = cst.getLoc();
    MLIRContext *ctx = b.getContext();
    FormatType ftype = FormatType::get(ctx, f);
    Value weight = cst;
    if (kp != k) {
      auto pt = RankedTensorType::get(padded, b.getF32Type());
      ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()), values.size() * 4);
      weight = arith::ConstantOp::create(
          b, loc, DenseResourceElementsAttr::get(pt, "qopt_padded_weight",
                                                 HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 8)));
    }
    auto qType = RankedTensorType::get(padded, ftype);
    Value q = QuantizeOp::create(b, loc, qType, weight);
    if (!transposedWeight && kp == k) {
      op.getRhsMutable().assign(q); // the matmul takes the format directly
      return success();
    }
    // Decode, drop the padding, and feed the original consumer.
    Value d = DequantizeOp::create(b, loc, RankedTensorType::get(padded, b.getF32Type()), q);
    if (kp != k) {
      SmallVector<OpFoldResult> offs(2, b.getIndexAttr(0)), sizes, strides(2, b.getIndexAttr(1));
      for (int64_t s : shape)
        sizes.push_back(b.getIndexAttr(s));
      d = tensor::ExtractSliceOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), d,
                                         offs, sizes, strides);
    }
    if (transposedWeight)
      transpose.getInputMutable().assign(d);
    else
      op.getRhsMutable().assign(d);
    return success();
  }

  static LayerReport measure(const std::string &name, const fmt::TensorFormat &f,
                             const std::vector<int64_t> &padded, const std::vector<float> &values,
                             const std::vector<int64_t> &shape, int64_t k, int64_t kp) {
    fmt::QuantizedTensor q = fmt::quantize(f, values.data(), padded);
    std::vector<float> back(values.size());
    fmt::dequantize(f, q, back.data());
    double signal = 0, noise = 0, maxErr = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      double e = double(back[i]) - double(values[i]);
      signal += double(values[i]) * values[i];
      noise += e * e;
      maxErr = std::max(maxErr, std::fabs(e));
    }
    LayerReport r;
    r.name = name;
    r.format = f.getPresetName().value_or(FormatTypeSpelling(f));
    r.shape = shape;
    int64_t n = shape[0] * shape[1], np = padded[0] * padded[1];
    r.bitsPerWeight = f.getBitsPerElement(padded) * double(np) / double(n);
    r.sqnrDb = noise == 0 ? INFINITY : 10 * std::log10(signal / noise);
    r.maxAbsError = maxErr;
    r.k = k;
    r.paddedK = kp;
    return r;
  }

  static std::string FormatTypeSpelling(const fmt::TensorFormat &f) {
    std::string s = f.getElement().getName() + "/" + f.getScale().getName();
    const fmt::Granularity &g = f.getGranularity();
    if (g.kind == fmt::Granularity::Kind::Axis)
      s += "/channel" + std::to_string(g.axes[0]);
    else if (g.kind == fmt::Granularity::Kind::Block)
      s += "/block" + std::to_string(g.sizes[0]) + "@" + std::to_string(g.axes[0]);
    if (f.getTensorScale())
      s += "+" + f.getTensorScale()->getName();
    return s;
  }

  LogicalResult writeReport(const std::vector<LayerReport> &layers) {
    double qBytes = 0, fBytes = 0;
    for (const LayerReport &l : layers) {
      double n = double(l.shape[0] * l.shape[1]);
      qBytes += n * l.bitsPerWeight / 8;
      fBytes += n * 4;
    }
    if (report == "-") {
      llvm::raw_ostream &os = llvm::outs();
      os << llvm::format("%-32s %-12s %-28s %9s %9s %11s\n", "layer", "weight", "format",
                         "bits/w", "SQNR dB", "max |err|");
      for (const LayerReport &l : layers) {
        std::string shape = std::to_string(l.shape[0]) + "x" + std::to_string(l.shape[1]);
        std::string fmtName = l.format + (l.paddedK != l.k ? " (K padded)" : "");
        os << llvm::format("%-32s %-12s %-28s %9.3f %9.2f %11.4g\n", l.name.c_str(),
                           shape.c_str(), fmtName.c_str(), l.bitsPerWeight, l.sqnrDb,
                           l.maxAbsError);
      }
      os << llvm::format("total: %d quantized layers, %.0f bytes of weights vs %.0f in FP32 "
                         "(%.2fx smaller)\n",
                         int(layers.size()), qBytes, fBytes, qBytes > 0 ? fBytes / qBytes : 0.0);
      return success();
    }
    llvm::json::Array arr;
    for (const LayerReport &l : layers)
      arr.push_back(llvm::json::Object{{"layer", l.name},
                                       {"shape", llvm::json::Array{l.shape[0], l.shape[1]}},
                                       {"format", l.format},
                                       {"bits_per_weight", l.bitsPerWeight},
                                       {"weight_sqnr_db", std::isinf(l.sqnrDb) ? 999.0 : l.sqnrDb},
                                       {"max_abs_error", l.maxAbsError},
                                       {"padded_k", l.paddedK}});
    llvm::json::Object root{{"scheme", std::string(scheme)},
                            {"layers", std::move(arr)},
                            {"weight_bytes", qBytes},
                            {"weight_bytes_fp32", fBytes}};
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
