//===- IntFormat.h - two's complement and unsigned integer codes -*- C++ -*-===//
//
// Part of qopt. Pure C++ (no MLIR).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_FORMAT_INTFORMAT_H
#define QOPT_FORMAT_INTFORMAT_H

#include "qopt/Format/Rounding.h"

#include <cstdint>
#include <string>

namespace qopt::format {

/// A signed (two's complement) or unsigned integer of 2..16 bits. Codes are
/// the low `bits` bits of the two's complement value.
class IntFormat {
public:
  IntFormat(unsigned bits, bool isSigned) : bits(bits), signedInt(isSigned) {}

  unsigned getBitWidth() const { return bits; }
  bool isSigned() const { return signedInt; }
  uint32_t getNumCodes() const { return 1u << bits; }
  int64_t getMin() const { return signedInt ? -(int64_t(1) << (bits - 1)) : 0; }
  int64_t getMax() const {
    return signedInt ? (int64_t(1) << (bits - 1)) - 1 : (int64_t(1) << bits) - 1;
  }

  /// Integer value of a code (sign-extended for signed formats).
  int64_t decode(uint32_t code) const;
  /// Code of an integer, clamped to [getMin(), getMax()].
  uint32_t encodeInt(int64_t value) const;
  /// round(value) under `rounding`, saturated to [lo, hi] (defaults: the full
  /// range). NaN encodes as 0 (clamped into [lo, hi]).
  uint32_t encode(double value, Rounding rounding = Rounding::NearestEven) const;
  uint32_t encode(double value, Rounding rounding, int64_t lo, int64_t hi) const;

  /// "i8", "ui4", ...
  std::string getName() const;

  bool operator==(const IntFormat &o) const {
    return bits == o.bits && signedInt == o.signedInt;
  }
  bool operator!=(const IntFormat &o) const { return !(*this == o); }

private:
  unsigned bits;
  bool signedInt;
};

} // namespace qopt::format

#endif // QOPT_FORMAT_INTFORMAT_H
