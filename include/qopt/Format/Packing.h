//===- Packing.h - bit packing and the serialized tensor layout -*- C++ -*-===//
//
// Part of qopt. Pure C++ (no MLIR). Layout documented in docs/Formats.md.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_FORMAT_PACKING_H
#define QOPT_FORMAT_PACKING_H

#include "qopt/Format/Quantizer.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace qopt::format {

/// Bytes used by `count` codes of `bits` bits (1..16). Widths 1, 2, 4 and 8
/// pack whole codes per byte, lowest bits first (4-bit: low nibble first, as
/// ONNX); 16-bit codes are little-endian pairs; other widths (3, 5, 6, 7,
/// 9..15) are a dense little-endian bit stream.
size_t packedSize(size_t count, unsigned bits);
std::vector<uint8_t> packCodes(const uint32_t *codes, size_t count, unsigned bits);
void unpackCodes(const uint8_t *bytes, size_t count, unsigned bits, uint32_t *codes);

/// The bytes of a quantized tensor: packed element codes, then the scale
/// codes, then zero-point codes, then the FP32 tensor scale, each section
/// starting at a multiple of 4 bytes.
std::vector<uint8_t> serialize(const TensorFormat &format, const QuantizedTensor &q);
/// Inverse of serialize; nullopt when `size` does not match the layout.
std::optional<QuantizedTensor> deserialize(const TensorFormat &format,
                                           const std::vector<int64_t> &shape,
                                           const uint8_t *bytes, size_t size);
/// Total serialized size for a value of `shape`.
size_t serializedSize(const TensorFormat &format, const std::vector<int64_t> &shape);

} // namespace qopt::format

#endif // QOPT_FORMAT_PACKING_H
