//===- ModelLibrary.cpp - load and call a library built by qopt-compile ----===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#include "qopt/Runtime/ModelLibrary.h"

#include <algorithm>
#include <chrono>
#include <dlfcn.h>
#include <type_traits>

using namespace qopt::run;

ModelLibrary::~ModelLibrary() {
  if (handle)
    dlclose(handle);
}

bool ModelLibrary::load(const std::string &path, std::string &error) {
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
  if (!sym("qopt_abi_version", abi) || abi() != 1 || !sym("qopt_run", runFn) ||
      !sym("qopt_num_inputs", numInputsFn) || !sym("qopt_num_outputs", numOutputsFn) ||
      !sym("qopt_input_name", inputNameFn) || !sym("qopt_output_name", outputNameFn) ||
      !sym("qopt_input_dtype", inputDTypeFn) || !sym("qopt_output_dtype", outputDTypeFn) ||
      !sym("qopt_input_rank", inputRankFn) || !sym("qopt_output_rank", outputRankFn) ||
      !sym("qopt_input_shape", inputShapeFn) || !sym("qopt_output_shape", outputShapeFn)) {
    error = "'" + path + "' is not a library built by qopt-compile (ABI 1)";
    return false;
  }
  return true;
}

std::vector<int64_t> ModelLibrary::inputShape(int i) const {
  const int64_t *s = inputShapeFn(i);
  return std::vector<int64_t>(s, s + inputRankFn(i));
}

std::vector<int64_t> ModelLibrary::outputShape(int i) const {
  const int64_t *s = outputShapeFn(i);
  return std::vector<int64_t>(s, s + outputRankFn(i));
}

std::string qopt::run::shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

bool ModelLibrary::checkInput(int i, const HostTensor &t, std::string &error) const {
  std::string name = inputName(i);
  if (t.dtype != inputDType(i)) {
    error = "input '" + name + "' must be " + dtypeName(inputDType(i)) + ", got " +
            dtypeName(t.dtype);
    return false;
  }
  if (t.shape != inputShape(i)) {
    error = "input '" + name + "' must have shape " + shapeText(inputShape(i)) + ", got " +
            shapeText(t.shape);
    return false;
  }
  return true;
}

std::vector<HostTensor> ModelLibrary::run(const std::vector<HostTensor> &inputs, unsigned repeat,
                                          double *medianMs) const {
  std::vector<HostTensor> outs(numOutputs());
  std::vector<const void *> inPtrs;
  std::vector<void *> outPtrs;
  for (const auto &t : inputs)
    inPtrs.push_back(t.data.data());
  for (int i = 0; i < numOutputs(); ++i) {
    outs[i].dtype = outputDType(i);
    outs[i].shape = outputShape(i);
    outs[i].data.assign(std::max<size_t>(byteSize(outs[i].dtype, outs[i].numElements()), 1), 0);
    outPtrs.push_back(outs[i].data.data());
  }
  std::vector<double> times;
  for (unsigned r = 0; r < std::max(1u, repeat); ++r) {
    auto t0 = std::chrono::steady_clock::now();
    runFn(inPtrs.data(), outPtrs.data());
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  if (medianMs)
    *medianMs = times[times.size() / 2];
  for (auto &o : outs)
    o.data.resize(byteSize(o.dtype, o.numElements()));
  return outs;
}
