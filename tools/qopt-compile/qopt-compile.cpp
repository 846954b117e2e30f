//===- qopt-compile.cpp - ONNX model -> native library ---------------------===//
//
// Part of qopt. A thin driver: import (lib/Import/ONNX), the registered
// qopt-x86-pipeline (lib/Pipeline), emission (lib/Target). Nothing is written
// unless everything succeeded; outputs appear atomically (rename).
//
//===----------------------------------------------------------------------===//
#include "Calibration.h"
#include "qopt/Import/ONNX/ONNXImporter.h"
#include "qopt/InitAll.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "qopt/Pipeline/Pipelines.h"
#include "qopt/Target/Emit.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/IR/AsmState.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/SourceMgr.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("qopt-compile options");
static cl::opt<std::string> inputPath(
    cl::Positional,
    cl::desc("<model.onnx | module.mlir> (an .mlir module is compiled from its public entry "
             "function: 'qopt_model_main' or the only public func)"),
    cl::cat(category));
static cl::opt<bool> listOps("list-ops", cl::desc("Print the supported ONNX ops and exit"),
                             cl::cat(category));
static cl::opt<std::string> outputPath(
    "o", cl::desc("Output file ('-' = stdout for mlir/llvm/asm). For --emit=lib also writes "
                  "<output>.h"),
    cl::value_desc("path"), cl::cat(category));
static cl::opt<std::string> target("target", cl::desc("Code generation target (x86)"),
                                   cl::init("x86"), cl::cat(category));
enum class Emit { None, MLIR, LLVM, Asm, Obj, Lib };
static cl::opt<Emit> emitKind(
    "emit", cl::desc("What to write"), cl::init(Emit::Lib),
    cl::values(clEnumValN(Emit::None, "none",
                          "nothing: check that the model imports (and lowers, unless "
                          "--stop-after=import)"),
               clEnumValN(Emit::MLIR, "mlir", "MLIR after the --stop-after stage"),
               clEnumValN(Emit::LLVM, "llvm", "optimised LLVM IR"),
               clEnumValN(Emit::Asm, "asm", "assembly"), clEnumValN(Emit::Obj, "obj", "object file"),
               clEnumValN(Emit::Lib, "lib", "shared library + C header (default)")),
    cl::cat(category));
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Pin a graph input's shape: NAME:D0xD1x... (repeatable; 'scalar' for rank 0)"),
    cl::value_desc("NAME:DIMS"), cl::cat(category));
// `--stop-after` is already registered by LLVM's code generator (a
// cl::opt<std::string>); qopt-compile adopts that option instead of
// registering a clashing one, and only accepts it with --emit=mlir so
// LLVM's codegen never sees a value.
static cl::opt<std::string> &stopAfterOption() {
  auto &opts = cl::getRegisteredOptions();
  return *static_cast<cl::opt<std::string> *>(opts["stop-after"]);
}
static cl::opt<std::string> scheme(
    "scheme",
    cl::desc("Quantization scheme: none (default); weight-only w8a16-int8, w4a16-int4-g128, "
             "w4a16-int4-g32, w8a16-fp8, w4a16-mxfp4, w6a16-mxfp6, w8a16-mxfp8, w8a16-mxint8, "
             "w4a16-nvfp4, w4a16-nf4; with run-time activation quantization w8a8-int8, "
             "w8a8-fp8, w4a8-int4-g32, w4a8-mxfp4-fp8, w8a8-mxfp8, w8a8-mxint8, w4a4-mxfp4, w4a4-nvfp4; or "
             "'w=FMT[;a=FMT][;rounding=rne|away|zero|up|down][;scale_mode=floor|ceil|even|rceil]' "
             "with FMT a preset (mxfp4, int4_g64, ...) or lib/Format spec"),
    cl::init("none"), cl::value_desc("SCHEME"), cl::cat(category));
static cl::opt<std::string> rotateOpt(
    "rotate",
    cl::desc("Hadamard rotation of quantized matmuls: none (default), block (the weight "
             "format's block along K), block:N, global; ',seed=S' adds random signs. The "
             "weight half is folded at compile time, the activation half is an online fast "
             "Walsh-Hadamard transform or folds into a linear producer"),
    cl::init("none"), cl::value_desc("MODE[,seed=S]"), cl::cat(category));
static cl::opt<std::string> reorderOpt(
    "reorder",
    cl::desc("Input-channel reordering of matmuls: none (default), magnitude (outlier "
             "channels share blocks; the permutation folds into the producers at compile time)"),
    cl::init("none"), cl::value_desc("none|magnitude"), cl::cat(category));
static cl::opt<double> smoothAlpha(
    "smooth",
    cl::desc("SmoothQuant with migration strength ALPHA in [0, 1] (needs --calibration-data): "
             "per-channel scales from the calibration activations move outliers into the "
             "weights; 1/s folds into the producing norm or linear layer when it can"),
    cl::value_desc("ALPHA"), cl::init(-1.0), cl::cat(category));
static cl::opt<bool> vnniDot(
    "vnni-dot",
    cl::desc("Quantized matmuls whose activation and weight elements are integers (int8, "
             "MXINT8, FP4 E2M1 as half-integers) run on AVX512-VNNI vpdpbusd with block scales "
             "applied once per block (default on where the target CPU has AVX512-VNNI; "
             "--vnni-dot=false decodes to FP32 instead)"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> bf16Dot(
    "bf16-dot",
    cl::desc("Quantized matmuls whose elements are exact in BF16 (FP8/FP6 activations) run on "
             "AVX512-BF16 vdpbf16ps (off by default: on the measured Zen 5 vdpbf16ps has half "
             "the FLOP rate of FP32 FMA, see bench/peak.c; needs a target CPU with AVX512-BF16)"),
    cl::init(false), cl::cat(category));
static cl::opt<bool> nibbleWeights(
    "nibble-weights",
    cl::desc("With --vnni-dot, matmuls of at most 8 rows (decode) keep weight codes of up to 4 "
             "bits two per byte and turn them into VNNI bytes in registers with a 16-entry "
             "vpshufb (default on; --nibble-weights=false streams one byte per weight)"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> gemvKernels(
    "gemv-kernels",
    cl::desc("Matmuls of at most 8 rows (decode) with constant quantized weights of up to 8 bits "
             "stream the codes (two per byte up to 4 bits, decoded by 16-entry table permutes) "
             "and apply block scales once per block (AVX-512 targets; default on, "
             "--gemv-kernels=false for the generic decoding kernels)"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> fuseEpilogues(
    "fuse-epilogues",
    cl::desc("Run each matmul's consumers on its column tiles as they are computed: bias, "
             "activation and residual, the next layer's online rotation and its per-block "
             "activation quantization (MX / NVFP4 block amax, scales, codes); default on, "
             "--fuse-epilogues=false runs them as separate passes over the whole tensor"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> parallelRest(
    "parallel-rest",
    cl::desc("Split the ops outside matmul loops (norms, softmax, attention products, "
             "element-wise chains, quantization of graph inputs) over threads along a parallel "
             "dim; default on, --parallel-rest=false runs them on one thread"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> mathApproximations(
    "math-approximations",
    cl::desc("Compute erf and exp (GELU, SiLU, softmax) with polynomial approximations that "
             "vectorize (a few ulp from libm); default on, --math-approximations=false calls "
             "libm erff/expf"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> foldNorms(
    "fold-norms",
    cl::desc("Fold LayerNorm/RMSNorm scales (gamma) and biases into the following matmul "
             "weights (implied by --rotate)"),
    cl::cat(category));
static cl::list<std::string> layerSchemes(
    "layer-scheme",
    cl::desc("Use SCHEME for layers whose ONNX node name matches GLOB (repeatable, first "
             "match wins)"),
    cl::value_desc("GLOB=SCHEME"), cl::cat(category));
static cl::list<std::string> excludes("exclude",
                                      cl::desc("Keep layers whose ONNX node name matches this "
                                               "glob in float (repeatable)"),
                                      cl::value_desc("GLOB"), cl::cat(category));
static cl::opt<std::string> calibrationData(
    "calibration-data",
    cl::desc("Calibration inputs (DIR of test_data_set_*/input_N.pb or NAME.npy, or .npy/.pb "
             "files in DIR itself): the report compares each layer's output and the model "
             "outputs with the float model on them (implies --report); --smooth takes its "
             "activation statistics from them"),
    cl::value_desc("DIR"), cl::cat(category));
static cl::list<std::string> reportFormats(
    "report-formats",
    cl::desc("Schemes to evaluate per layer in the report (comma-separated; a scheme "
             "containing 'element=' is taken whole): weight SQNR for each, and with "
             "--calibration-data the layer output SQNR for each; implies --report"),
    cl::value_desc("SCHEME,SCHEME,..."), cl::cat(category));
static cl::opt<std::string> reportPath(
    "report", cl::desc("Print a per-layer quantization report; --report=FILE.json writes JSON"),
    cl::ValueOptional, cl::value_desc("FILE.json"), cl::cat(category));
static cl::opt<std::string> mcpu("mcpu", cl::desc("Target CPU (default: this machine's)"),
                                 cl::init(""), cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimisation level 0-3"), cl::init(3),
                                  cl::Prefix, cl::cat(category));
static cl::opt<std::string> cc("cc", cl::desc("C compiler used to link --emit=lib (env QOPT_CC)"),
                               cl::init(""), cl::cat(category));

static int fail(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "qopt-compile") << msg << "\n";
  return 1;
}

/// Whether `path` names something other than a regular file (/dev/null, a
/// fifo): written in place, never replaced by a rename.
static bool isSpecialFile(llvm::StringRef path) {
  return llvm::sys::fs::exists(path) && !llvm::sys::fs::is_regular_file(path);
}

/// Writes `content` to `path` atomically (temporary + rename).
static LogicalResult writeAtomically(llvm::StringRef path, llvm::StringRef content, std::string &err) {
  if (isSpecialFile(path)) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec) {
      err = "cannot write '" + path.str() + "': " + ec.message();
      return failure();
    }
    os << content;
    return success();
  }
  std::string tmp = (path + ".tmp").str();
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec) {
      err = "cannot write '" + tmp + "': " + ec.message();
      return failure();
    }
    os << content;
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    err = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::opt<std::string> &stopAfter = stopAfterOption();
  stopAfter.setDescription("With --emit=mlir: the last stage to run: import | lower (default)");
  stopAfter.setValueStr("stage");
  stopAfter.setHiddenFlag(cl::NotHidden);
  stopAfter.addCategory(category);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "qopt-compile: compile an ONNX model (or an MLIR module) to native code\n\n"
      "  qopt-compile model.onnx -o model.so            # shared library + model.so.h\n"
      "  qopt-compile model.onnx --emit=mlir -o -       # the lowered MLIR\n"
      "  qopt-compile model.onnx --emit=mlir --stop-after=import -o -\n"
      "  qopt-compile model.onnx --input-shape=x:1x128x768 -o m.so\n"
      "  qopt-compile model.onnx --scheme=w4a16-nvfp4 --report -o m.so\n"
      "  qopt-compile model.onnx --scheme=w4a4-mxfp4 --rotate=block --report -o m.so\n"
      "  qopt-compile model.onnx --scheme=w8a8-int8 --smooth=0.5 --calibration-data=cal/ -o m.so\n");

  if (listOps) {
    for (const std::string &op : mlir::qopt::getSupportedONNXOps())
      llvm::outs() << op << "\n";
    return 0;
  }
  if (inputPath.empty())
    return fail("no input model given (qopt-compile model.onnx -o out.so; see --help)");
  if (target != "x86")
    return fail("--target=" + target + " is not supported (supported: x86)");
  if (outputPath.empty() && emitKind != Emit::None)
    return fail("no output given: use -o <path> ('-' for stdout with --emit=mlir|llvm|asm)");
  bool toStdout = outputPath == "-";
  if (toStdout && (emitKind == Emit::Obj || emitKind == Emit::Lib))
    return fail("--emit=obj and --emit=lib need a file path for -o");
  if (stopAfter.getNumOccurrences() && emitKind != Emit::MLIR && emitKind != Emit::None)
    return fail("--stop-after applies to --emit=mlir|none only");
  if (!stopAfter.empty() && stopAfter != "import" && stopAfter != "lower")
    return fail("--stop-after=" + stopAfter + " is not a stage (import, lower)");
  if (optLevel > 3)
    return fail("-O" + llvm::Twine(optLevel) + " is not an optimisation level (0-3)");

  mlir::qopt::ONNXImportOptions importOptions;
  importOptions.entryName = "qopt_model_main";
  for (const std::string &s : inputShapes) {
    std::string err = mlir::qopt::parseInputShapeFlag(s, importOptions);
    if (!err.empty())
      return fail(err);
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  mlir::qopt::registerAllQOptDialects(registry);
  mlir::qopt::registerONNXImportDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Diagnostics: "qopt-compile: error: <location>: <message>".
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    std::string loc;
    llvm::raw_string_ostream los(loc);
    if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
      los << "node '" << name.getName().strref() << "': ";
    else if (auto file = dyn_cast<FileLineColLoc>(diag.getLocation()))
      los << file.getFilename().strref() << ": ";
    std::string msg = diag.str();
    std::string prefix = llvm::StringRef(msg).starts_with("node '") ? "" : loc;
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      llvm::WithColor::error(llvm::errs(), "qopt-compile") << prefix << msg << "\n";
    else
      llvm::WithColor::warning(llvm::errs(), "qopt-compile") << prefix << msg << "\n";
    return success();
  });

  OwningOpRef<ModuleOp> module;
  if (llvm::StringRef(inputPath).ends_with(".mlir")) {
    if (!inputShapes.empty())
      return fail("--input-shape applies to ONNX models only");
    llvm::SourceMgr sourceMgr;
    SourceMgrDiagnosticHandler sourceHandler(sourceMgr, &context);
    std::string err;
    auto file = openInputFile(inputPath, &err);
    if (!file)
      return fail(err);
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return 1;
    if (!module->lookupSymbol<func::FuncOp>(importOptions.entryName)) {
      SmallVector<func::FuncOp> publicFuncs;
      for (auto f : module->getOps<func::FuncOp>())
        if (f.isPublic() && !f.isExternal())
          publicFuncs.push_back(f);
      if (publicFuncs.size() != 1)
        return fail("'" + inputPath + "': expected a public function 'qopt_model_main' or exactly "
                    "one public function, found " + llvm::Twine(publicFuncs.size()));
      importOptions.entryName = publicFuncs[0].getSymName().str();
    }
  } else {
    module = mlir::qopt::importONNXModel(inputPath, context, importOptions);
    if (!module)
      return 1;
  }
  FailureOr<mlir::qopt::ModelInterface> iface = mlir::qopt::getModelInterface(*module, importOptions.entryName);
  if (failed(iface))
    return 1;

  auto writeText = [&](const std::function<void(llvm::raw_ostream &)> &fn) -> int {
    if (toStdout) {
      fn(llvm::outs());
      return 0;
    }
    std::string text, err;
    llvm::raw_string_ostream os(text);
    fn(os);
    if (failed(writeAtomically(outputPath, text, err)))
      return fail(err);
    return 0;
  };

  if (emitKind == Emit::None && stopAfter == "import")
    return 0;
  if (emitKind == Emit::MLIR && stopAfter == "import")
    return writeText([&](llvm::raw_ostream &os) { module->print(os); });

  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("bad pass manager options");
  mlir::qopt::X86PipelineOptions pipelineOptions;
  pipelineOptions.scheme = scheme;
  {
    mlir::qopt::CodegenOptions target;
    target.cpu = mcpu;
    pipelineOptions.avx512 = mlir::qopt::targetHasAvx512Kernels(target);
    pipelineOptions.vnni = vnniDot && mlir::qopt::targetHasFeature(target, "avx512vnni");
    pipelineOptions.bf16 = bf16Dot;
    pipelineOptions.gemvKernels = gemvKernels;
    pipelineOptions.nibbleWeights = nibbleWeights;
    pipelineOptions.fuseEpilogues = fuseEpilogues;
    pipelineOptions.parallelRest = parallelRest;
    pipelineOptions.mathApproximations = mathApproximations;
    if (bf16Dot && !mlir::qopt::targetHasFeature(target, "avx512bf16"))
      return fail("--bf16-dot: the target CPU ('" +
                  (mcpu.empty() ? std::string("host") : std::string(mcpu)) +
                  "') has no AVX512-BF16 (vdpbf16ps)");
  }
  {
    mlir::qopt::RotateSpec spec;
    std::string err;
    if (failed(mlir::qopt::parseRotateSpec(rotateOpt, spec, err)))
      return fail("--rotate: " + err);
    pipelineOptions.rotate = rotateOpt;
    pipelineOptions.foldNorms = foldNorms;
    if (reorderOpt != "none" && reorderOpt != "magnitude")
      return fail("--reorder=" + reorderOpt + " is not none or magnitude");
    pipelineOptions.reorder = reorderOpt;
    if (smoothAlpha.getNumOccurrences()) {
      if (!(smoothAlpha >= 0 && smoothAlpha <= 1))
        return fail("--smooth=" + std::to_string(double(smoothAlpha)) + " is not in [0, 1]");
      if (calibrationData.empty())
        return fail("--smooth needs --calibration-data=DIR (activation statistics)");
      pipelineOptions.smooth = smoothAlpha;
    }
  }
  for (const std::string &e : excludes)
    pipelineOptions.exclude.push_back(e);
  for (const std::string &l : layerSchemes) {
    auto [glob, spec] = llvm::StringRef(l).split('=');
    std::string err;
    if (spec.empty() || glob.empty())
      return fail("--layer-scheme=" + l + ": expected GLOB=SCHEME");
    if (!mlir::qopt::parseQuantScheme(spec, err))
      return fail("--layer-scheme=" + l + ": " + err);
    pipelineOptions.layerSchemes.push_back(l);
  }
  if (reportPath.getNumOccurrences() || !calibrationData.empty() || !reportFormats.empty())
    pipelineOptions.report = reportPath.empty() ? std::string("-") : std::string(reportPath);
  std::vector<std::string> extraSchemes;
  if (!reportFormats.empty() && scheme != "none")
    pipelineOptions.reportSchemes.push_back(scheme); // the sensitivity table starts with it
  for (const std::string &item : reportFormats) {
    llvm::SmallVector<llvm::StringRef> parts;
    if (llvm::StringRef(item).contains("element="))
      parts.push_back(item);
    else
      llvm::StringRef(item).split(parts, ',', -1, false);
    for (llvm::StringRef p : parts) {
      std::string err;
      if (!mlir::qopt::parseQuantScheme(p.trim(), err))
        return fail("--report-formats: " + err);
      if (p.trim() == scheme)
        continue;
      extraSchemes.push_back(p.trim().str());
      pipelineOptions.reportSchemes.push_back(p.trim().str());
    }
  }
  if (!calibrationData.empty() && !llvm::sys::fs::is_directory(calibrationData))
    return fail("--calibration-data: '" + calibrationData + "' is not a directory");
  if (pipelineOptions.smooth >= 0) {
    // Activation statistics for qopt-smooth, attached to the matmuls by name
    // (the same unique names qopt-expose-layers gives them).
    ::qopt::compile::CalibrationOptions stats;
    stats.dataDir = calibrationData;
    stats.codegen.cpu = mcpu;
    stats.codegen.optLevel = optLevel;
    stats.cc = cc.empty() ? (getenv("QOPT_CC") ? getenv("QOPT_CC") : "clang-22") : std::string(cc);
    std::map<std::string, std::vector<float>> absmax;
    std::string err;
    if (failed(::qopt::compile::collectActivationAbsMax(*module, importOptions.entryName, stats,
                                                        absmax, err)))
      return fail(err);
    Operation *entryFunc = module->lookupSymbol(importOptions.entryName);
    for (auto &[op, name] : mlir::qopt::getNamedLayers(entryFunc, /*matmulsOnly=*/true)) {
      auto it = absmax.find(name);
      if (it == absmax.end())
        continue;
      auto type = RankedTensorType::get({int64_t(it->second.size())},
                                        Float32Type::get(op->getContext()));
      op->setAttr("qopt.act_absmax",
                  DenseElementsAttr::get(type, ArrayRef<float>(it->second)));
    }
  }
  OwningOpRef<ModuleOp> pristine;
  if (!calibrationData.empty())
    pristine = module->clone();
  {
    std::string err;
    if (!mlir::qopt::parseQuantScheme(scheme, err))
      return fail("--scheme: " + err);
  }
  mlir::qopt::buildX86Pipeline(pm, pipelineOptions);
  if (failed(pm.run(*module)))
    return fail("lowering failed (see the errors above)");
  if (pristine) {
    ::qopt::compile::CalibrationOptions calib;
    calib.dataDir = calibrationData;
    calib.schemes.push_back(scheme);
    for (const std::string &s : extraSchemes)
      if (!llvm::is_contained(calib.schemes, s))
        calib.schemes.push_back(s);
    calib.layerSchemes.assign(layerSchemes.begin(), layerSchemes.end());
    calib.excludes.assign(excludes.begin(), excludes.end());
    calib.report = pipelineOptions.report;
    calib.rotate = pipelineOptions.rotate;
    calib.reorder = pipelineOptions.reorder;
    calib.foldNorms = pipelineOptions.foldNorms;
    calib.smooth = pipelineOptions.smooth;
    calib.codegen.cpu = mcpu;
    calib.codegen.optLevel = optLevel;
    calib.vnniDot = pipelineOptions.vnni;
    calib.bf16Dot = pipelineOptions.bf16;
    calib.gemvKernels = pipelineOptions.gemvKernels;
    calib.cc = cc.empty() ? (getenv("QOPT_CC") ? getenv("QOPT_CC") : "clang-22") : std::string(cc);
    std::string err;
    if (failed(::qopt::compile::runCalibration(*pristine, importOptions.entryName, calib, err)))
      return fail(err);
  }
  if (emitKind == Emit::None)
    return 0;
  if (emitKind == Emit::MLIR)
    return writeText([&](llvm::raw_ostream &os) { module->print(os); });

  llvm::LLVMContext llvmContext;
  mlir::qopt::CodegenOptions codegen;
  codegen.cpu = mcpu;
  codegen.optLevel = optLevel;
  std::string err;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::qopt::translateAndOptimize(*module, llvmContext, codegen, err);
  if (!llvmModule)
    return fail(err);

  if (emitKind == Emit::LLVM || emitKind == Emit::Asm) {
    if (toStdout) {
      if (failed(mlir::qopt::emit(*llvmModule, emitKind == Emit::LLVM ? mlir::qopt::EmitKind::LLVMIR
                                                                 : mlir::qopt::EmitKind::Assembly,
                            codegen, llvm::outs(), err)))
        return fail(err);
      return 0;
    }
  }
  // File outputs: write to a temporary next to the target, rename at the end.
  if (isSpecialFile(outputPath) && emitKind == Emit::Lib)
    return fail("--emit=lib needs a regular file path for -o, got '" + outputPath + "'");
  bool inPlace = isSpecialFile(outputPath);
  std::string tmpObj = outputPath;
  if (!inPlace) {
    llvm::SmallString<256> model(outputPath + ".%%%%%%.tmp");
    int fd;
    if (llvm::sys::fs::createUniqueFile(model, fd, model))
      return fail("cannot create a temporary file next to '" + outputPath + "'");
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
    tmpObj = model.str().str();
  }
  llvm::scope_exit cleanup([&] {
    if (!inPlace)
      llvm::sys::fs::remove(tmpObj);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmpObj, ec, llvm::sys::fs::OF_None);
    if (ec)
      return fail("cannot write '" + tmpObj + "': " + ec.message());
    mlir::qopt::EmitKind kind = emitKind == Emit::LLVM ? mlir::qopt::EmitKind::LLVMIR
                          : emitKind == Emit::Asm ? mlir::qopt::EmitKind::Assembly
                                                  : mlir::qopt::EmitKind::Object;
    if (failed(mlir::qopt::emit(*llvmModule, kind, codegen, os, err)))
      return fail(err);
  }
  if (emitKind != Emit::Lib) {
    if (inPlace)
      return 0;
    if (std::error_code ec = llvm::sys::fs::rename(tmpObj, outputPath))
      return fail("cannot write '" + outputPath + "': " + ec.message());
    return 0;
  }
  // Shared library + header: built under unique temporary names next to the
  // target; the library is renamed into place first, the header last.
  std::string prefix = llvm::sys::path::stem(outputPath).str();
  std::string source = llvm::sys::path::filename(inputPath).str();
  auto uniqueTemp = [&](llvm::StringRef suffix, std::string &path) -> bool {
    llvm::SmallString<256> model(outputPath + ".%%%%%%" + suffix.str());
    int fd;
    if (llvm::sys::fs::createUniqueFile(model, fd, model))
      return false;
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
    path = model.str().str();
    return true;
  };
  std::string wrapperPath, libTmp, headerTmp;
  llvm::scope_exit cleanup2([&] {
    for (const std::string &p : {wrapperPath, libTmp, headerTmp})
      if (!p.empty())
        llvm::sys::fs::remove(p);
  });
  if (!uniqueTemp(".c", wrapperPath) || !uniqueTemp(".so", libTmp) || !uniqueTemp(".h", headerTmp))
    return fail("cannot create temporary files next to '" + outputPath + "'");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(wrapperPath, ec);
    if (ec)
      return fail("cannot write '" + wrapperPath + "': " + ec.message());
    os << mlir::qopt::generateWrapper(*iface, prefix);
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(headerTmp, ec);
    if (ec)
      return fail("cannot write '" + headerTmp + "': " + ec.message());
    os << mlir::qopt::generateHeader(*iface, prefix, source);
  }
  std::string compiler = cc;
  if (compiler.empty())
    compiler = getenv("QOPT_CC") ? getenv("QOPT_CC") : "clang-22";
  if (failed(mlir::qopt::linkSharedLibrary(compiler, tmpObj, wrapperPath, "", libTmp, err)))
    return fail(err);
  if (std::error_code ec = llvm::sys::fs::rename(libTmp, outputPath))
    return fail("cannot write '" + outputPath + "': " + ec.message());
  libTmp.clear();
  if (std::error_code ec = llvm::sys::fs::rename(headerTmp, outputPath + ".h"))
    return fail("cannot write '" + outputPath + ".h': " + ec.message());
  headerTmp.clear();
  return 0;
}
