//===- Packing.cpp - bit packing and the serialized tensor layout ----------===//
//
// Part of qopt. Pure C++ (no MLIR). Layout documented in docs/Formats.md.
//
//===----------------------------------------------------------------------===//
#include "qopt/Format/Packing.h"

#include <cstring>

namespace qopt::format {

size_t packedSize(size_t count, unsigned bits) {
  if (bits == 16)
    return count * 2;
  return (count * bits + 7) / 8;
}

std::vector<uint8_t> packCodes(const uint32_t *codes, size_t count, unsigned bits) {
  std::vector<uint8_t> out(packedSize(count, bits), 0);
  if (bits == 16) {
    for (size_t i = 0; i < count; ++i) {
      out[2 * i] = uint8_t(codes[i]);
      out[2 * i + 1] = uint8_t(codes[i] >> 8);
    }
    return out;
  }
  // A little-endian bit stream; for 1, 2, 4 and 8 bits this is exactly
  // "whole codes per byte, lowest bits first" (ONNX's low nibble first).
  uint32_t mask = (1u << bits) - 1;
  size_t bit = 0;
  for (size_t i = 0; i < count; ++i, bit += bits) {
    uint32_t c = codes[i] & mask;
    for (unsigned b = 0; b < bits; ++b)
      if ((c >> b) & 1)
        out[(bit + b) / 8] |= uint8_t(1u << ((bit + b) % 8));
  }
  return out;
}

void unpackCodes(const uint8_t *bytes, size_t count, unsigned bits, uint32_t *codes) {
  if (bits == 16) {
    for (size_t i = 0; i < count; ++i)
      codes[i] = uint32_t(bytes[2 * i]) | (uint32_t(bytes[2 * i + 1]) << 8);
    return;
  }
  size_t bit = 0;
  for (size_t i = 0; i < count; ++i, bit += bits) {
    uint32_t c = 0;
    for (unsigned b = 0; b < bits; ++b)
      c |= uint32_t((bytes[(bit + b) / 8] >> ((bit + b) % 8)) & 1) << b;
    codes[i] = c;
  }
}

static size_t alignTo4(size_t n) { return (n + 3) & ~size_t(3); }

namespace {
struct Layout {
  size_t count, scaleCount;
  size_t codesOff, scalesOff, zpOff, tensorScaleOff, total;
};
} // namespace

static Layout layoutOf(const TensorFormat &format, const std::vector<int64_t> &shape) {
  Layout l{};
  l.count = 1;
  for (int64_t d : shape)
    l.count *= size_t(d);
  l.scaleCount = 1;
  for (int64_t d : format.getScaleShape(shape))
    l.scaleCount *= size_t(d);
  size_t off = 0;
  l.codesOff = off;
  off = alignTo4(off + packedSize(l.count, format.getElement().getBitWidth()));
  l.scalesOff = off;
  off = alignTo4(off + packedSize(l.scaleCount, format.getScale().getBitWidth()));
  l.zpOff = off;
  if (format.getZeroPoint())
    off = alignTo4(off + packedSize(l.scaleCount, format.getZeroPoint()->getBitWidth()));
  l.tensorScaleOff = off;
  if (format.getTensorScale())
    off += 4;
  l.total = off;
  return l;
}

size_t serializedSize(const TensorFormat &format, const std::vector<int64_t> &shape) {
  return layoutOf(format, shape).total;
}

static void put(std::vector<uint8_t> &dst, size_t off, const std::vector<uint8_t> &src) {
  std::memcpy(dst.data() + off, src.data(), src.size());
}

std::vector<uint8_t> serialize(const TensorFormat &format, const QuantizedTensor &q) {
  Layout l = layoutOf(format, q.shape);
  std::vector<uint8_t> out(l.total, 0);
  put(out, l.codesOff, packCodes(q.codes.data(), l.count, format.getElement().getBitWidth()));
  unsigned scaleBits = format.getScale().getBitWidth();
  if (scaleBits == 32) {
    for (size_t i = 0; i < l.scaleCount; ++i)
      for (int b = 0; b < 4; ++b)
        out[l.scalesOff + 4 * i + b] = uint8_t(q.scaleCodes[i] >> (8 * b));
  } else {
    put(out, l.scalesOff, packCodes(q.scaleCodes.data(), l.scaleCount, scaleBits));
  }
  if (format.getZeroPoint())
    put(out, l.zpOff,
        packCodes(q.zeroPointCodes.data(), l.scaleCount, format.getZeroPoint()->getBitWidth()));
  if (format.getTensorScale()) {
    float ts = q.tensorScale.value_or(1.0f);
    std::memcpy(out.data() + l.tensorScaleOff, &ts, 4); // x86/Arm: little-endian
  }
  return out;
}

std::optional<QuantizedTensor> deserialize(const TensorFormat &format,
                                           const std::vector<int64_t> &shape,
                                           const uint8_t *bytes, size_t size) {
  Layout l = layoutOf(format, shape);
  if (size != l.total)
    return std::nullopt;
  QuantizedTensor q;
  q.shape = shape;
  q.codes.resize(l.count);
  q.scaleCodes.resize(l.scaleCount);
  unpackCodes(bytes + l.codesOff, l.count, format.getElement().getBitWidth(), q.codes.data());
  unsigned scaleBits = format.getScale().getBitWidth();
  if (scaleBits == 32) {
    for (size_t i = 0; i < l.scaleCount; ++i) {
      uint32_t c = 0;
      for (int b = 0; b < 4; ++b)
        c |= uint32_t(bytes[l.scalesOff + 4 * i + b]) << (8 * b);
      q.scaleCodes[i] = c;
    }
  } else {
    unpackCodes(bytes + l.scalesOff, l.scaleCount, scaleBits, q.scaleCodes.data());
  }
  if (format.getZeroPoint()) {
    q.zeroPointCodes.resize(l.scaleCount);
    unpackCodes(bytes + l.zpOff, l.scaleCount, format.getZeroPoint()->getBitWidth(),
                q.zeroPointCodes.data());
  }
  if (format.getTensorScale()) {
    float ts;
    std::memcpy(&ts, bytes + l.tensorScaleOff, 4);
    q.tensorScale = ts;
  }
  return q;
}

} // namespace qopt::format
