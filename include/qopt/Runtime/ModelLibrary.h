//===- ModelLibrary.h - load and call a library built by qopt-compile -*- C++ -*-===//
//
// Part of qopt. Uses the C ABI of docs/CABI.md (qopt_run and the
// introspection entry points, ABI version 1) through dlopen.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_RUNTIME_MODELLIBRARY_H
#define QOPT_RUNTIME_MODELLIBRARY_H

#include "qopt/Runtime/HostTensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qopt::run {

class ModelLibrary {
public:
  ModelLibrary() = default;
  ModelLibrary(const ModelLibrary &) = delete;
  ModelLibrary &operator=(const ModelLibrary &) = delete;
  ~ModelLibrary();

  /// Loads `path`; false with `error` set when it is not a qopt library.
  bool load(const std::string &path, std::string &error);

  int numInputs() const { return numInputsFn(); }
  int numOutputs() const { return numOutputsFn(); }
  std::string inputName(int i) const { return inputNameFn(i); }
  std::string outputName(int i) const { return outputNameFn(i); }
  int32_t inputDType(int i) const { return inputDTypeFn(i); }
  int32_t outputDType(int i) const { return outputDTypeFn(i); }
  std::vector<int64_t> inputShape(int i) const;
  std::vector<int64_t> outputShape(int i) const;

  /// Checks `t` against input i (dtype and shape); false with `error` set.
  bool checkInput(int i, const HostTensor &t, std::string &error) const;
  /// Runs the model `repeat` times on `inputs` (in input order, already
  /// checked); returns the outputs and, if asked, the median latency in ms.
  std::vector<HostTensor> run(const std::vector<HostTensor> &inputs, unsigned repeat = 1,
                              double *medianMs = nullptr) const;

private:
  void *handle = nullptr;
  int (*runFn)(const void *const *, void *const *) = nullptr;
  int (*numInputsFn)() = nullptr, (*numOutputsFn)() = nullptr;
  const char *(*inputNameFn)(int) = nullptr, *(*outputNameFn)(int) = nullptr;
  int (*inputDTypeFn)(int) = nullptr, (*outputDTypeFn)(int) = nullptr;
  int (*inputRankFn)(int) = nullptr, (*outputRankFn)(int) = nullptr;
  const int64_t *(*inputShapeFn)(int) = nullptr, *(*outputShapeFn)(int) = nullptr;
};

/// "[1x3x224x224]".
std::string shapeText(const std::vector<int64_t> &shape);

} // namespace qopt::run

#endif // QOPT_RUNTIME_MODELLIBRARY_H
