//===- Calibration.cpp - layer and output SQNR on calibration data --------===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "Calibration.h"

#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "qopt/Pipeline/Pipelines.h"
#include "qopt/Runtime/HostTensor.h"
#include "qopt/Runtime/ModelLibrary.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace ::qopt::compile;
using ::qopt::run::HostTensor;
using ::qopt::run::ModelLibrary;

namespace {

/// The calibration input sets: every subdirectory of `dir` (sorted), or `dir`
/// itself. An input is read from NAME.npy, input_<i>.pb or input_<i>.npy.
LogicalResult loadSets(llvm::StringRef dir, const mlir::qopt::ModelInterface &iface,
                       std::vector<std::vector<HostTensor>> &sets, std::string &error) {
  if (!llvm::sys::fs::is_directory(dir)) {
    error = "--calibration-data: '" + dir.str() + "' is not a directory";
    return failure();
  }
  std::vector<std::string> setDirs;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    if (llvm::sys::fs::is_directory(it->path()) &&
        !llvm::sys::path::filename(it->path()).starts_with("."))
      setDirs.push_back(it->path());
  std::sort(setDirs.begin(), setDirs.end());
  if (setDirs.empty())
    setDirs.push_back(dir.str());
  for (const std::string &d : setDirs) {
    std::vector<HostTensor> set;
    for (size_t i = 0; i < iface.inputs.size(); ++i) {
      const mlir::qopt::TensorDesc &in = iface.inputs[i];
      std::string path;
      for (std::string candidate : {in.name + ".npy", "input_" + std::to_string(i) + ".pb",
                                    "input_" + std::to_string(i) + ".npy"}) {
        llvm::SmallString<256> p(d);
        llvm::sys::path::append(p, candidate);
        if (llvm::sys::fs::exists(p)) {
          path = p.str().str();
          break;
        }
      }
      if (path.empty()) {
        error = "--calibration-data: no file for input '" + in.name + "' in '" + d + "' (" +
                in.name + ".npy or input_" + std::to_string(i) + ".pb)";
        return failure();
      }
      HostTensor t;
      if (!::qopt::run::readTensorFile(path, t, error)) {
        error = "--calibration-data: " + error;
        return failure();
      }
      if (t.dtype != in.onnxDType || t.shape != in.shape) {
        error = "--calibration-data: '" + path + "' is " + ::qopt::run::dtypeName(t.dtype) +
                ::qopt::run::shapeText(t.shape) + ", input '" + in.name + "' needs " +
                ::qopt::run::dtypeName(in.onnxDType) + ::qopt::run::shapeText(in.shape);
        return failure();
      }
      set.push_back(std::move(t));
    }
    sets.push_back(std::move(set));
  }
  return success();
}

/// Builds a probe library at `libPath`: `module` with layer outputs exposed,
/// lowered with `scheme`.
LogicalResult buildProbe(ModuleOp module, llvm::StringRef entry, const std::string &scheme,
                         const CalibrationOptions &options, bool withOverrides,
                         const std::string &libPath, std::string &error,
                         bool exposeInputs = false) {
  OwningOpRef<ModuleOp> clone(module.clone());
  {
    PassManager pm(module.getContext());
    mlir::qopt::ExposeLayersPassOptions expose;
    expose.inputs = exposeInputs;
    pm.addPass(mlir::qopt::createExposeLayersPass(expose));
    if (failed(pm.run(*clone))) {
      error = "calibration: exposing layer outputs failed";
      return failure();
    }
  }
  FailureOr<mlir::qopt::ModelInterface> iface = mlir::qopt::getModelInterface(*clone, entry);
  if (failed(iface)) {
    error = "calibration: bad probe interface";
    return failure();
  }
  PassManager pm(module.getContext());
  mlir::qopt::X86PipelineOptions pipeline;
  pipeline.scheme = scheme;
  pipeline.avx512 = mlir::qopt::targetHasAvx512Kernels(options.codegen);
  pipeline.vnni = options.vnniDot; // the kernels of the library being built
  pipeline.bf16 = options.bf16Dot;
  pipeline.gemvKernels = options.gemvKernels;
  for (const std::string &e : options.excludes)
    pipeline.exclude.push_back(e);
  if (withOverrides)
    for (const std::string &l : options.layerSchemes)
      pipeline.layerSchemes.push_back(l);
  if (scheme != "none" || withOverrides) { // the quantized build's transforms
    pipeline.rotate = options.rotate;
    pipeline.reorder = options.reorder;
    pipeline.foldNorms = options.foldNorms;
    pipeline.smooth = options.smooth;
  }
  mlir::qopt::buildX86Pipeline(pm, pipeline);
  if (failed(pm.run(*clone))) {
    error = "calibration: lowering the '" + scheme + "' probe failed";
    return failure();
  }
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::qopt::translateAndOptimize(*clone, llvmContext, options.codegen, error);
  if (!llvmModule)
    return failure();
  std::string obj = libPath + ".o", wrapper = libPath + ".c";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(obj, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = "cannot write '" + obj + "': " + ec.message();
      return failure();
    }
    if (failed(mlir::qopt::emit(*llvmModule, mlir::qopt::EmitKind::Object, options.codegen, os,
                                error)))
      return failure();
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(wrapper, ec);
    if (ec) {
      error = "cannot write '" + wrapper + "': " + ec.message();
      return failure();
    }
    os << mlir::qopt::generateWrapper(*iface, "qopt_probe");
  }
  return mlir::qopt::linkSharedLibrary(options.cc, obj, wrapper, "", libPath, error);
}

/// The calibration inputs and a temporary directory for probe libraries
/// (removed with the workspace).
struct Workspace {
  std::vector<std::vector<HostTensor>> sets;
  llvm::SmallString<128> dir;
  ~Workspace() {
    if (!dir.empty())
      llvm::sys::fs::remove_directories(dir);
  }
  std::string path(llvm::StringRef file) const {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, file);
    return p.str().str();
  }
};

LogicalResult prepare(ModuleOp module, llvm::StringRef entry, const CalibrationOptions &options,
                      Workspace &ws, std::string &error) {
  FailureOr<mlir::qopt::ModelInterface> iface = mlir::qopt::getModelInterface(module, entry);
  if (failed(iface)) {
    error = "calibration: no model interface";
    return failure();
  }
  if (failed(loadSets(options.dataDir, *iface, ws.sets, error)))
    return failure();
  if (llvm::sys::fs::createUniqueDirectory("qopt-calibration", ws.dir)) {
    ws.dir.clear();
    error = "cannot create a temporary directory";
    return failure();
  }
  return success();
}

struct Energy {
  double signal = 0, noise = 0;
  double sqnr() const {
    return noise == 0 ? INFINITY : 10 * std::log10(signal / noise);
  }
};

} // namespace

LogicalResult(::qopt::compile::collectActivationAbsMax)(
    ModuleOp module, llvm::StringRef entry, const CalibrationOptions &options,
    std::map<std::string, std::vector<float>> &absmax, std::string &error) {
  Workspace ws;
  if (failed(prepare(module, entry, options, ws, error)))
    return failure();
  std::string libPath = ws.path("acts.so");
  if (failed(buildProbe(module, entry, "none", options, false, libPath, error,
                        /*exposeInputs=*/true)))
    return failure();
  ModelLibrary lib;
  if (!lib.load(libPath, error))
    return failure();
  for (const auto &set : ws.sets) {
    std::vector<HostTensor> outs = lib.run(set);
    for (int i = 0; i < lib.numOutputs(); ++i) {
      std::string name = lib.outputName(i);
      if (!llvm::StringRef(name).starts_with("act:") || outs[i].dtype != 1 ||
          outs[i].shape.empty())
        continue;
      int64_t k = outs[i].shape.back();
      std::vector<float> &m = absmax[name.substr(4)];
      m.resize(size_t(k), 0.0f);
      for (int64_t j = 0; j < outs[i].numElements(); ++j)
        m[size_t(j % k)] = std::max(m[size_t(j % k)],
                                    float(std::fabs(::qopt::run::valueAt(outs[i], j))));
    }
  }
  return success();
}

LogicalResult (::qopt::compile::runCalibration)(ModuleOp module, llvm::StringRef entry,
                                            const CalibrationOptions &options, std::string &error) {
  Workspace ws;
  if (failed(prepare(module, entry, options, ws, error)))
    return failure();
  const std::vector<std::vector<HostTensor>> &sets = ws.sets;
  auto probePath = [&](size_t i) { return ws.path("probe" + std::to_string(i) + ".so"); };

  // Reference: the float build.
  std::string floatLib = probePath(0);
  if (failed(buildProbe(module, entry, "none", options, false, floatLib, error)))
    return failure();
  ModelLibrary ref;
  if (!ref.load(floatLib, error))
    return failure();
  std::vector<std::vector<HostTensor>> refOuts;
  for (const auto &set : sets)
    refOuts.push_back(ref.run(set));

  // name -> scheme -> energy
  std::vector<std::string> names;
  for (int i = 0; i < ref.numOutputs(); ++i)
    names.push_back(ref.outputName(i));
  std::map<std::string, std::map<std::string, Energy>> energy;
  for (size_t s = 0; s < options.schemes.size(); ++s) {
    const std::string &scheme = options.schemes[s];
    std::string lib = probePath(s + 1);
    if (failed(buildProbe(module, entry, scheme, options, s == 0, lib, error)))
      return failure();
    ModelLibrary q;
    if (!q.load(lib, error))
      return failure();
    for (size_t k = 0; k < sets.size(); ++k) {
      std::vector<HostTensor> outs = q.run(sets[k]);
      for (int i = 0; i < q.numOutputs() && i < int(names.size()); ++i) {
        const HostTensor &a = refOuts[k][i], &b = outs[i];
        if (a.dtype != 1 || b.dtype != 1)
          continue; // float outputs only
        Energy &e = energy[names[i]][scheme];
        for (int64_t j = 0; j < a.numElements(); ++j) {
          double r = ::qopt::run::valueAt(a, j), v = ::qopt::run::valueAt(b, j);
          e.signal += r * r;
          e.noise += (v - r) * (v - r);
        }
      }
    }
  }

  // Report: layers first (in model order), then the model outputs.
  auto isLayer = [](const std::string &n) { return llvm::StringRef(n).starts_with("layer:"); };
  auto display = [](const std::string &n) {
    return llvm::StringRef(n).starts_with("layer:") ? n.substr(6) : n;
  };
  if (options.report == "-") {
    llvm::raw_ostream &os = llvm::outs();
    os << "calibration: " << sets.size() << " input set(s) from " << options.dataDir
       << "; output SQNR in dB against the float model\n";
    os << llvm::format("%-36s", "layer output / model output");
    for (const std::string &s : options.schemes)
      os << llvm::format(" %15s", s.c_str());
    os << "\n";
    for (bool layers : {true, false})
      for (const std::string &n : names) {
        if (isLayer(n) != layers || !energy.count(n))
          continue;
        std::string label = layers ? display(n) : "output " + n;
        os << llvm::format("%-36s", label.c_str());
        for (const std::string &s : options.schemes)
          os << llvm::format(" %15.2f", energy[n][s].sqnr());
        os << "\n";
      }
    return success();
  }
  // JSON: extend the report written by the pass.
  auto buffer = llvm::MemoryBuffer::getFile(options.report);
  llvm::json::Object root;
  if (buffer) {
    llvm::Expected<llvm::json::Value> parsed = llvm::json::parse((*buffer)->getBuffer());
    if (parsed && parsed->getAsObject())
      root = std::move(*parsed->getAsObject());
    else if (!parsed)
      llvm::consumeError(parsed.takeError());
  }
  auto db = [](double v) { return llvm::json::Value(std::isinf(v) ? 999.0 : v); };
  llvm::json::Object layers, outputs;
  for (const std::string &n : names) {
    if (!energy.count(n))
      continue;
    llvm::json::Object perScheme;
    for (const std::string &s : options.schemes)
      perScheme[s] = db(energy[n][s].sqnr());
    (isLayer(n) ? layers : outputs)[display(n)] = std::move(perScheme);
  }
  root["calibration"] = llvm::json::Object{{"sets", int64_t(sets.size())},
                                           {"data", options.dataDir},
                                           {"schemes", llvm::json::Array(options.schemes)},
                                           {"layer_output_sqnr_db", std::move(layers)},
                                           {"output_sqnr_db", std::move(outputs)}};
  std::error_code ec;
  llvm::raw_fd_ostream os(options.report, ec);
  if (ec) {
    error = "cannot write report '" + options.report + "': " + ec.message();
    return failure();
  }
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return success();
}
