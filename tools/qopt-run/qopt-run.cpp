//===- qopt-run.cpp - run a library compiled by qopt-compile ---------------===//
//
// Part of qopt. Loads the library (dlopen), reads inputs (.npy or ONNX
// TensorProto .pb), runs it and writes one .npy per output, or runs an ONNX
// backend test directory and compares with ONNX's tolerances.
//
//===----------------------------------------------------------------------===//
#include "Tensor.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <dlfcn.h>
#include <map>
#include <set>

using namespace qopt::run;
namespace cl = llvm::cl;

static cl::OptionCategory category("qopt-run options");
static cl::opt<std::string> libPath(cl::Positional, cl::desc("<library.so>"), cl::Required,
                                    cl::cat(category));
static cl::list<std::string> inputs("input", cl::desc("NAME=FILE (.npy or ONNX TensorProto .pb)"),
                                    cl::value_desc("NAME=FILE"), cl::cat(category));
static cl::opt<std::string> outputDir("output-dir", cl::desc("Directory for one .npy per output"),
                                      cl::cat(category));
static cl::opt<std::string> testDir(
    "test-dir", cl::desc("ONNX backend test directory (test_data_set_*/input_K.pb, output_K.pb)"),
    cl::cat(category));
static cl::opt<double> relTol("rtol", cl::desc("Relative tolerance for float outputs (--test-dir)"),
                            cl::init(1e-3), cl::cat(category));
static cl::opt<double> absTol("atol", cl::desc("Absolute tolerance for float outputs (--test-dir)"),
                            cl::init(1e-7), cl::cat(category));
static cl::opt<unsigned> repeat("repeat", cl::desc("Run N times and print the median latency"),
                                cl::init(1), cl::cat(category));

static int fail(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "qopt-run") << msg << "\n";
  return 1;
}

namespace {
struct Library {
  void *handle = nullptr;
  int (*run)(const void *const *, void *const *) = nullptr;
  int (*numInputs)() = nullptr, (*numOutputs)() = nullptr;
  const char *(*inputName)(int) = nullptr, *(*outputName)(int) = nullptr;
  int (*inputDType)(int) = nullptr, (*outputDType)(int) = nullptr;
  int (*inputRank)(int) = nullptr, (*outputRank)(int) = nullptr;
  const int64_t *(*inputShape)(int) = nullptr, *(*outputShape)(int) = nullptr;

  bool load(const std::string &path, std::string &error) {
    std::string p = path.find('/') == std::string::npos ? "./" + path : path;
    handle = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      error = "cannot load '" + path + "': " + dlerror();
      return false;
    }
    auto sym = [&](const char *name, auto &fn) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name));
      return fn != nullptr;
    };
    int (*abi)() = nullptr;
    if (!sym("qopt_abi_version", abi) || abi() != 1 || !sym("qopt_run", run) ||
        !sym("qopt_num_inputs", numInputs) || !sym("qopt_num_outputs", numOutputs) ||
        !sym("qopt_input_name", inputName) || !sym("qopt_output_name", outputName) ||
        !sym("qopt_input_dtype", inputDType) || !sym("qopt_output_dtype", outputDType) ||
        !sym("qopt_input_rank", inputRank) || !sym("qopt_output_rank", outputRank) ||
        !sym("qopt_input_shape", inputShape) || !sym("qopt_output_shape", outputShape)) {
      error = "'" + path + "' is not a library built by qopt-compile (ABI 1)";
      return false;
    }
    return true;
  }
  std::vector<int64_t> shapeOf(bool input, int i) const {
    int r = input ? inputRank(i) : outputRank(i);
    const int64_t *s = input ? inputShape(i) : outputShape(i);
    return std::vector<int64_t>(s, s + r);
  }
};
} // namespace

static std::string shapeText(const std::vector<int64_t> &s) {
  return "[" + llvm::join(llvm::map_range(s, [](int64_t d) { return std::to_string(d); }), "x") + "]";
}

/// Checks a provided tensor against the library's input i.
static bool checkInput(const Library &lib, int i, const HostTensor &t, std::string &error) {
  std::string name = lib.inputName(i);
  if (t.dtype != lib.inputDType(i)) {
    error = "input '" + name + "' must be " + dtypeName(lib.inputDType(i)) + ", got " +
            dtypeName(t.dtype);
    return false;
  }
  if (t.shape != lib.shapeOf(true, i)) {
    error = "input '" + name + "' must have shape " + shapeText(lib.shapeOf(true, i)) + ", got " +
            shapeText(t.shape);
    return false;
  }
  return true;
}

static std::vector<HostTensor> runLibrary(const Library &lib, const std::vector<HostTensor> &ins,
                                          double *medianMs) {
  std::vector<HostTensor> outs(lib.numOutputs());
  std::vector<const void *> inPtrs;
  std::vector<void *> outPtrs;
  for (const auto &t : ins)
    inPtrs.push_back(t.data.data());
  for (int i = 0; i < lib.numOutputs(); ++i) {
    outs[i].dtype = lib.outputDType(i);
    outs[i].shape = lib.shapeOf(false, i);
    outs[i].data.assign(std::max<size_t>(byteSize(outs[i].dtype, outs[i].numElements()), 1), 0);
    outPtrs.push_back(outs[i].data.data());
  }
  std::vector<double> times;
  for (unsigned r = 0; r < std::max(1u, unsigned(repeat)); ++r) {
    auto t0 = std::chrono::steady_clock::now();
    lib.run(inPtrs.data(), outPtrs.data());
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  if (medianMs)
    *medianMs = times[times.size() / 2];
  for (auto &o : outs)
    o.data.resize(byteSize(o.dtype, o.numElements()));
  return outs;
}

static std::string sanitize(const std::string &name) {
  std::string s;
  for (char c : name)
    s += (llvm::isAlnum(c) || c == '_' || c == '.' || c == '-') ? c : '_';
  return s.empty() ? "output" : s;
}

static int runTestDir(const Library &lib) {
  std::vector<std::string> sets;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(testDir, ec), end; it != end && !ec; it.increment(ec))
    if (llvm::sys::path::filename(it->path()).contains("test_data_set_"))
      sets.push_back(it->path());
  if (ec)
    return fail("cannot read test directory '" + testDir + "': " + ec.message());
  if (sets.empty())
    return fail("'" + testDir + "' has no test_data_set_* directories");
  std::sort(sets.begin(), sets.end());
  bool allPass = true;
  for (const std::string &set : sets) {
    std::vector<HostTensor> ins(lib.numInputs());
    std::string error;
    for (int i = 0; i < lib.numInputs(); ++i) {
      std::string p = set + "/input_" + std::to_string(i) + ".pb";
      if (!readTensorFile(p, ins[i], error) || !checkInput(lib, i, ins[i], error))
        return fail(error);
    }
    std::vector<HostTensor> outs = runLibrary(lib, ins, nullptr);
    double maxAbs = 0, maxRel = 0;
    bool pass = true;
    std::string why;
    for (int i = 0; i < lib.numOutputs(); ++i) {
      HostTensor ref;
      std::string p = set + "/output_" + std::to_string(i) + ".pb";
      if (!readTensorFile(p, ref, error))
        return fail(error);
      if (ref.shape != outs[i].shape || ref.dtype != outs[i].dtype) {
        pass = false;
        why = "output " + std::to_string(i) + " is " + dtypeName(outs[i].dtype) +
              shapeText(outs[i].shape) + ", reference " + dtypeName(ref.dtype) + shapeText(ref.shape);
        continue;
      }
      if (lowPrecisionBits(ref.dtype)) { // codes: bit-exact
        if (ref.data != outs[i].data) {
          pass = false;
          why = "output " + std::to_string(i) + " codes differ";
        }
        continue;
      }
      bool isFloat = ref.dtype == 1 || ref.dtype == 10 || ref.dtype == 11 || ref.dtype == 16;
      for (int64_t k = 0; k < ref.numElements(); ++k) {
        double a = valueAt(outs[i], k), b = valueAt(ref, k);
        if (std::isnan(a) || std::isnan(b)) {
          if (std::isnan(a) != std::isnan(b)) {
            pass = false;
            why = "output " + std::to_string(i) + " element " + std::to_string(k) +
                  (std::isnan(a) ? " is NaN, reference is not" : " is not NaN, reference is");
          }
          continue;
        }
        double d = a == b ? 0 : std::fabs(a - b);
        maxAbs = std::max(maxAbs, d);
        if (b != 0)
          maxRel = std::max(maxRel, d / std::fabs(b));
        if (isFloat ? !(d <= absTol + relTol * std::fabs(b)) : d != 0)
          pass = false;
      }
    }
    llvm::outs() << llvm::sys::path::filename(set) << ": max abs err " << llvm::format("%.3g", maxAbs)
                 << ", max rel err " << llvm::format("%.3g", maxRel) << ": "
                 << (pass ? "PASS" : "FAIL") << (why.empty() ? "" : " (" + why + ")") << "\n";
    allPass &= pass;
  }
  return allPass ? 0 : 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "qopt-run: run a library built by qopt-compile\n\n"
      "  qopt-run model.so --input x=x.npy --output-dir out\n"
      "  qopt-run model.so --test-dir path/to/onnx/test   # compares test_data_set_*\n");
  Library lib;
  std::string error;
  if (!lib.load(libPath, error))
    return fail(error);
  if (!testDir.empty()) {
    if (!inputs.empty() || !outputDir.empty())
      return fail("--test-dir excludes --input and --output-dir");
    return runTestDir(lib);
  }
  if (outputDir.empty())
    return fail("give --output-dir DIR (or --test-dir DIR)");
  std::map<std::string, std::string> given;
  for (const std::string &spec : inputs) {
    auto [name, file] = llvm::StringRef(spec).split('=');
    if (name.empty() || file.empty())
      return fail("--input expects NAME=FILE, got '" + spec + "'");
    if (!given.emplace(name.str(), file.str()).second)
      return fail("input '" + name.str() + "' given twice");
  }
  std::vector<HostTensor> ins(lib.numInputs());
  for (int i = 0; i < lib.numInputs(); ++i) {
    std::string name = lib.inputName(i);
    auto it = given.find(name);
    if (it == given.end())
      return fail("missing input '" + name + "' (" + dtypeName(lib.inputDType(i)) +
                  shapeText(lib.shapeOf(true, i)) + "): pass --input " + name + "=FILE");
    if (!readTensorFile(it->second, ins[i], error) || !checkInput(lib, i, ins[i], error))
      return fail(error);
    given.erase(it);
  }
  if (!given.empty())
    return fail("the model has no input named '" + given.begin()->first + "'");
  double ms = 0;
  std::vector<HostTensor> outs = runLibrary(lib, ins, &ms);
  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  std::set<std::string> written;
  for (int i = 0; i < lib.numOutputs(); ++i) {
    std::string base = sanitize(lib.outputName(i)), name = base;
    for (int k = 1; !written.insert(name).second; ++k) // distinct names stay distinct files
      name = base + "_" + std::to_string(k);
    std::string path = outputDir + "/" + name + ".npy";
    if (!writeNpy(path, outs[i], error))
      return fail(error);
  }
  if (repeat > 1)
    llvm::outs() << "median latency over " << repeat << " runs: " << llvm::format("%.3f", ms) << " ms\n";
  return 0;
}
