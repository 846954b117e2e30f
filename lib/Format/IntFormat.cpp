//===- IntFormat.cpp - integer codes ---------------------------------------===//
//
// Part of qopt. Pure C++ (no MLIR).
//
//===----------------------------------------------------------------------===//
#include "qopt/Format/IntFormat.h"

#include <algorithm>
#include <cmath>

namespace qopt::format {

int64_t IntFormat::decode(uint32_t code) const {
  uint32_t mask = (1u << bits) - 1;
  int64_t v = code & mask;
  if (signedInt && (v >> (bits - 1)) & 1)
    v -= int64_t(1) << bits;
  return v;
}

uint32_t IntFormat::encodeInt(int64_t value) const {
  value = std::clamp(value, getMin(), getMax());
  return uint32_t(uint64_t(value) & ((uint64_t(1) << bits) - 1));
}

uint32_t IntFormat::encode(double value, Rounding rounding) const {
  return encode(value, rounding, getMin(), getMax());
}

uint32_t IntFormat::encode(double value, Rounding rounding, int64_t lo, int64_t hi) const {
  if (std::isnan(value))
    return encodeInt(std::clamp<int64_t>(0, lo, hi));
  double r = roundToIntegral(value, rounding);
  r = std::clamp(r, double(lo), double(hi));
  return encodeInt(int64_t(r));
}

std::string IntFormat::getName() const {
  return (signedInt ? "i" : "ui") + std::to_string(bits);
}

} // namespace qopt::format
