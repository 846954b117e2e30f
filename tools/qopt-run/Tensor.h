//===- Tensor.h - host tensors, .npy and ONNX .pb files for qopt-run -*- C++ -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_TOOLS_QOPT_RUN_TENSOR_H
#define QOPT_TOOLS_QOPT_RUN_TENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace qopt::run {

/// A dense row-major host tensor tagged with its ONNX data type.
struct HostTensor {
  int32_t dtype = 0;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
  int64_t numElements() const;
};

size_t elementSize(int32_t dtype);
std::string dtypeName(int32_t dtype);

/// Reads a .npy (v1/v2, C order) or a serialized ONNX TensorProto (.pb).
bool readTensorFile(const std::string &path, HostTensor &out, std::string &error);
/// Writes a .npy file (atomically).
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);
/// Element i as double (for comparisons).
double valueAt(const HostTensor &t, int64_t i);

} // namespace qopt::run

#endif
