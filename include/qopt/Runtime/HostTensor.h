//===- HostTensor.h - host tensors, .npy and ONNX .pb files ----*- C++ -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_RUNTIME_HOSTTENSOR_H
#define QOPT_RUNTIME_HOSTTENSOR_H

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
/// Code width of FP8/E8M0 (8), INT4/UINT4/FLOAT4E2M1 (4), INT2/UINT2 (2); 0 otherwise.
unsigned lowPrecisionBits(int32_t dtype);
/// Bytes of `count` elements (sub-byte types packed as ONNX packs them).
size_t byteSize(int32_t dtype, int64_t count);
std::string dtypeName(int32_t dtype);

/// Reads a .npy (v1/v2, C order) or a serialized ONNX TensorProto (.pb).
bool readTensorFile(const std::string &path, HostTensor &out, std::string &error);
/// Writes a .npy file (atomically). Low-precision tensors are written as one
/// uint8 code per element.
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error);
/// Element i as double (for comparisons).
double valueAt(const HostTensor &t, int64_t i);

} // namespace qopt::run

#endif
