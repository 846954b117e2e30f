//===- FloatFormat.h - eXmY minifloat and scale encodings -------*- C++ -*-===//
//
// Part of qopt. Pure C++ (no MLIR): the one implementation of every
// floating-point element and scale encoding (FP8/FP6/FP4, E8M0, UE4M3, UE5M3,
// and any eXmY up to 16 bits, including f16/bf16 as IEEE-like formats).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_FORMAT_FLOATFORMAT_H
#define QOPT_FORMAT_FLOATFORMAT_H

#include "qopt/Format/Rounding.h"

#include <cstdint>
#include <string>

namespace qopt::format {

/// How the top of the code space is used.
enum class FloatVariant : uint8_t {
  /// IEEE-754-like: all-ones exponent is Inf (mantissa 0) or NaN.
  IEEE,
  /// OCP "FN": no Inf; the single all-ones code (exponent and mantissa) per
  /// sign is NaN; all other codes finite (f8E4M3FN, UE4M3).
  FN,
  /// "FNUZ": no Inf, no negative zero; code 0x80 (sign bit alone) is NaN;
  /// bias is one larger than IEEE (f8E4M3FNUZ, f8E5M2FNUZ).
  FNUZ,
  /// Every code is finite: no NaN, no Inf (f6E2M3FN, f6E3M2FN, f4E2M1FN).
  Finite,
  /// Exponent-only, unsigned, no zero, no subnormals; all-ones is NaN
  /// (f8E8M0FNU: code c is 2^(c - 127), 0x00 is 2^-127, 0xFF is NaN).
  E8M0,
};

/// A binary floating-point encoding of at most 16 bits: sign (optional),
/// `expBits` exponent bits, `manBits` stored mantissa bits and `bias`.
class FloatFormat {
public:
  FloatFormat(unsigned expBits, unsigned manBits, FloatVariant variant,
              bool hasSign = true);
  FloatFormat(unsigned expBits, unsigned manBits, FloatVariant variant,
              bool hasSign, int bias);

  // Named formats (MLIR builtin names in comments).
  static FloatFormat e4m3fn();   // f8E4M3FN (OCP FP8)
  static FloatFormat e4m3();     // f8E4M3 (IEEE-like, has Inf)
  static FloatFormat e5m2();     // f8E5M2
  static FloatFormat e4m3fnuz(); // f8E4M3FNUZ
  static FloatFormat e5m2fnuz(); // f8E5M2FNUZ
  static FloatFormat e2m3fn();   // f6E2M3FN
  static FloatFormat e3m2fn();   // f6E3M2FN
  static FloatFormat e2m1fn();   // f4E2M1FN
  static FloatFormat e8m0fnu();  // f8E8M0FNU
  static FloatFormat ue4m3();    // unsigned E4M3 (NVFP4 block scale), NaN=0x7F
  static FloatFormat ue5m3();    // unsigned E5M3 scale, NaN=0xFF
  static FloatFormat f16();      // IEEE binary16
  static FloatFormat bf16();     // bfloat16
  static FloatFormat f32();      // IEEE binary32 (scale format only)

  unsigned getExpBits() const { return expBits; }
  unsigned getManBits() const { return manBits; }
  bool isSigned() const { return hasSign; }
  int getBias() const { return bias; }
  FloatVariant getVariant() const { return variant; }
  unsigned getBitWidth() const { return (hasSign ? 1 : 0) + expBits + manBits; }
  uint32_t getNumCodes() const { return 1u << getBitWidth(); }
  bool hasInf() const { return variant == FloatVariant::IEEE; }
  bool hasNaN() const { return variant != FloatVariant::Finite; }
  bool hasNegativeZero() const {
    return hasSign && variant != FloatVariant::FNUZ && variant != FloatVariant::E8M0;
  }

  /// Largest finite value, smallest normal and smallest positive value.
  double getMaxFinite() const;
  double getMinNormal() const;
  double getMinPositive() const;
  /// floor(log2(getMaxFinite())): the "emax" the OCP MX rule subtracts.
  int getEmax() const;

  bool isNaNCode(uint32_t code) const;
  bool isInfCode(uint32_t code) const;
  /// Exact value of `code` (NaN/Inf as double NaN/Inf).
  double decode(uint32_t code) const;
  /// Nearest code to `value` under `rounding`. Out-of-range magnitudes follow
  /// `overflow`; formats without Inf and NaN always saturate. NaN input gives
  /// the NaN code (for `Finite` formats: +0, reported as "no NaN" by the
  /// callers that care). E8M0 has no zero: magnitudes below 2^-127 round
  /// to 2^-127 and 0 encodes as 2^-127 as well (see docs/Formats.md).
  uint32_t encode(double value, Rounding rounding = Rounding::NearestEven,
                  Overflow overflow = Overflow::Saturate) const;

  /// Canonical name: the MLIR builtin spelling where one exists
  /// (f8E4M3FN, f4E2M1FN, ...), else eXmY with a variant suffix.
  std::string getName() const;

  bool operator==(const FloatFormat &o) const {
    return expBits == o.expBits && manBits == o.manBits && hasSign == o.hasSign &&
           bias == o.bias && variant == o.variant;
  }
  bool operator!=(const FloatFormat &o) const { return !(*this == o); }

private:
  unsigned expBits, manBits;
  FloatVariant variant;
  bool hasSign;
  int bias;
  uint32_t maxFiniteMagnitudeCode() const;
  uint32_t nanCode(bool negative) const;
};

} // namespace qopt::format

#endif // QOPT_FORMAT_FLOATFORMAT_H
