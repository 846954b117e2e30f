//===- qopt-run.cpp - run a library compiled by qopt-compile ---------------===//
//
// Part of qopt. Loads the library (dlopen), reads inputs (.npy or ONNX
// TensorProto .pb), runs it and writes one .npy per output, or runs an ONNX
// backend test directory and compares with ONNX's tolerances.
//
//===----------------------------------------------------------------------===//
#include "qopt/Runtime/HostTensor.h"
#include "qopt/Runtime/ModelLibrary.h"

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

static std::string sanitize(const std::string &name) {
  std::string s;
  for (char c : name)
    s += (llvm::isAlnum(c) || c == '_' || c == '.' || c == '-') ? c : '_';
  return s.empty() ? "output" : s;
}

static int runTestDir(const ModelLibrary &lib) {
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
      if (!readTensorFile(p, ins[i], error) || !lib.checkInput(i, ins[i], error))
        return fail(error);
    }
    std::vector<HostTensor> outs = lib.run(ins);
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
  ModelLibrary lib;
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
                  shapeText(lib.inputShape(i)) + "): pass --input " + name + "=FILE");
    if (!readTensorFile(it->second, ins[i], error) || !lib.checkInput(i, ins[i], error))
      return fail(error);
    given.erase(it);
  }
  if (!given.empty())
    return fail("the model has no input named '" + given.begin()->first + "'");
  double ms = 0;
  std::vector<HostTensor> outs = lib.run(ins, repeat, &ms);
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
