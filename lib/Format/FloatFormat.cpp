//===- FloatFormat.cpp - eXmY minifloat and scale encodings ---------------===//
//
// Part of qopt. Pure C++ (no MLIR). See docs/Formats.md.
//
//===----------------------------------------------------------------------===//
#include "qopt/Format/FloatFormat.h"

#include <cassert>
#include <cmath>

namespace qopt::format {

static int defaultBias(unsigned expBits, FloatVariant variant) {
  int ieee = (1 << (expBits - 1)) - 1;
  return variant == FloatVariant::FNUZ ? ieee + 1 : ieee;
}

FloatFormat::FloatFormat(unsigned expBits, unsigned manBits, FloatVariant variant,
                         bool hasSign)
    : FloatFormat(expBits, manBits, variant, hasSign, defaultBias(expBits, variant)) {}

FloatFormat::FloatFormat(unsigned expBits, unsigned manBits, FloatVariant variant,
                         bool hasSign, int bias)
    : expBits(expBits), manBits(manBits), variant(variant), hasSign(hasSign), bias(bias) {
  assert(expBits >= 1 && getBitWidth() <= 32 && "unsupported float layout");
}

FloatFormat FloatFormat::e4m3fn() { return {4, 3, FloatVariant::FN}; }
FloatFormat FloatFormat::e4m3() { return {4, 3, FloatVariant::IEEE}; }
FloatFormat FloatFormat::e5m2() { return {5, 2, FloatVariant::IEEE}; }
FloatFormat FloatFormat::e4m3fnuz() { return {4, 3, FloatVariant::FNUZ}; }
FloatFormat FloatFormat::e5m2fnuz() { return {5, 2, FloatVariant::FNUZ}; }
FloatFormat FloatFormat::e2m3fn() { return {2, 3, FloatVariant::Finite}; }
FloatFormat FloatFormat::e3m2fn() { return {3, 2, FloatVariant::Finite}; }
FloatFormat FloatFormat::e2m1fn() { return {2, 1, FloatVariant::Finite}; }
FloatFormat FloatFormat::e8m0fnu() { return {8, 0, FloatVariant::E8M0, false}; }
FloatFormat FloatFormat::ue4m3() { return {4, 3, FloatVariant::FN, false}; }
FloatFormat FloatFormat::ue5m3() { return {5, 3, FloatVariant::FN, false}; }
FloatFormat FloatFormat::f16() { return {5, 10, FloatVariant::IEEE}; }
FloatFormat FloatFormat::bf16() { return {8, 7, FloatVariant::IEEE}; }
FloatFormat FloatFormat::f32() { return {8, 23, FloatVariant::IEEE}; }

uint32_t FloatFormat::maxFiniteMagnitudeCode() const {
  uint32_t allOnes = (1u << (expBits + manBits)) - 1;
  switch (variant) {
  case FloatVariant::IEEE:
    return (((1u << expBits) - 2) << manBits) | ((1u << manBits) - 1);
  case FloatVariant::FN:
  case FloatVariant::E8M0:
    return allOnes - 1;
  case FloatVariant::FNUZ:
  case FloatVariant::Finite:
    return allOnes;
  }
  return allOnes;
}

uint32_t FloatFormat::nanCode(bool negative) const {
  uint32_t signBit = hasSign ? 1u << (expBits + manBits) : 0;
  uint32_t allOnes = (1u << (expBits + manBits)) - 1;
  switch (variant) {
  case FloatVariant::IEEE: // quiet NaN: all-ones exponent, top mantissa bit
    return (negative ? signBit : 0) | (((1u << expBits) - 1) << manBits) |
           (manBits ? 1u << (manBits - 1) : 0);
  case FloatVariant::FN:
  case FloatVariant::E8M0:
    return (negative ? signBit : 0) | allOnes;
  case FloatVariant::FNUZ:
    return signBit;
  case FloatVariant::Finite:
    return 0;
  }
  return 0;
}

bool FloatFormat::isNaNCode(uint32_t code) const {
  uint32_t mag = code & ((1u << (expBits + manBits)) - 1);
  bool negative = hasSign && ((code >> (expBits + manBits)) & 1);
  switch (variant) {
  case FloatVariant::IEEE:
    return (mag >> manBits) == (1u << expBits) - 1 && (mag & ((1u << manBits) - 1)) != 0;
  case FloatVariant::FN:
  case FloatVariant::E8M0:
    return mag == (1u << (expBits + manBits)) - 1;
  case FloatVariant::FNUZ:
    return negative && mag == 0;
  case FloatVariant::Finite:
    return false;
  }
  return false;
}

bool FloatFormat::isInfCode(uint32_t code) const {
  if (variant != FloatVariant::IEEE)
    return false;
  uint32_t mag = code & ((1u << (expBits + manBits)) - 1);
  return mag == ((1u << expBits) - 1) << manBits;
}

double FloatFormat::decode(uint32_t code) const {
  code &= getBitWidth() >= 32 ? ~0u : (1u << getBitWidth()) - 1;
  bool negative = hasSign && ((code >> (expBits + manBits)) & 1);
  if (isNaNCode(code))
    return std::copysign(NAN, negative ? -1.0 : 1.0);
  if (isInfCode(code))
    return negative ? -INFINITY : INFINITY;
  uint32_t mag = code & ((1u << (expBits + manBits)) - 1);
  int e = int(mag >> manBits);
  uint32_t m = mag & ((1u << manBits) - 1);
  double v;
  if (variant == FloatVariant::E8M0)
    v = std::ldexp(1.0, e - bias);
  else if (e == 0)
    v = std::ldexp(double(m), 1 - bias - int(manBits));
  else
    v = std::ldexp(double((1u << manBits) | m), e - bias - int(manBits));
  return negative ? -v : v;
}

double FloatFormat::getMaxFinite() const { return decode(maxFiniteMagnitudeCode()); }
double FloatFormat::getMinNormal() const {
  return std::ldexp(1.0, (variant == FloatVariant::E8M0 ? 0 : 1) - bias);
}
double FloatFormat::getMinPositive() const {
  if (variant == FloatVariant::E8M0 || manBits == 0)
    return getMinNormal();
  return std::ldexp(1.0, 1 - bias - int(manBits));
}
int FloatFormat::getEmax() const { return std::ilogb(getMaxFinite()); }

/// Rounding of a magnitude: directed modes become toward/away from zero.
static Rounding magnitudeRounding(Rounding mode, bool negative) {
  if (mode == Rounding::Up)
    return negative ? Rounding::TowardZero : Rounding::Up;
  if (mode == Rounding::Down)
    return negative ? Rounding::Up : Rounding::TowardZero;
  return mode;
}

uint32_t FloatFormat::encode(double value, Rounding rounding, Overflow overflow) const {
  bool negative = std::signbit(value);
  uint32_t signBit = hasSign && negative ? 1u << (expBits + manBits) : 0;
  if (std::isnan(value))
    return nanCode(negative);
  if (!hasSign && negative && value != 0)
    return hasNaN() ? nanCode(false) : 0; // unsigned formats hold no negatives
  double mag = std::fabs(value);
  Rounding magMode = magnitudeRounding(rounding, negative);
  double maxFinite = getMaxFinite();
  uint32_t maxCode = signBit | maxFiniteMagnitudeCode();
  auto overflowCode = [&]() -> uint32_t {
    if (overflow == Overflow::Saturate || magMode == Rounding::TowardZero ||
        (!hasInf() && !hasNaN()))
      return maxCode;
    if (hasInf())
      return signBit | (((1u << expBits) - 1) << manBits);
    return nanCode(negative);
  };
  if (std::isinf(mag)) { // exact Inf is not an overflow: no rounding applies
    if (overflow == Overflow::Saturate || (!hasInf() && !hasNaN()))
      return maxCode;
    return hasInf() ? signBit | (((1u << expBits) - 1) << manBits) : nanCode(negative);
  }

  if (variant == FloatVariant::E8M0) {
    // Powers of two only, no zero: 0 and tiny magnitudes become 2^-127.
    int e = mag == 0 ? -bias : std::ilogb(mag);
    double lo = std::ldexp(1.0, e);
    if (mag != 0 && mag != lo) {
      double q = roundToIntegral(mag / lo, magMode); // mag/lo in (1, 2)
      if (magMode == Rounding::NearestEven && mag / lo == 1.5)
        q = ((e + bias) & 1) ? 2 : 1; // tie: the even code
      e += q >= 2 ? 1 : 0;
    }
    if (e < -bias)
      e = -bias;
    if (e + bias > int(maxFiniteMagnitudeCode()))
      return overflowCode();
    return uint32_t(e + bias);
  }

  int minExp = 1 - bias;
  int e = mag == 0 ? minExp : std::max(std::ilogb(mag), minExp);
  double quantum = std::ldexp(1.0, e - int(manBits));
  double n = roundToIntegral(mag / quantum, magMode);
  double r = n * quantum;
  if (r > maxFinite)
    return overflowCode();
  if (r == 0)
    return variant == FloatVariant::FNUZ ? 0 : signBit;
  uint32_t mag32;
  if (r < getMinNormal()) {
    mag32 = uint32_t(r / getMinPositive());
  } else {
    int ex = std::ilogb(r);
    uint32_t m = uint32_t((std::ldexp(r, -ex) - 1.0) * double(1u << manBits));
    mag32 = (uint32_t(ex + bias) << manBits) | m;
  }
  return signBit | mag32;
}

std::string FloatFormat::getName() const {
  struct Named {
    FloatFormat f;
    const char *name;
  };
  static const Named names[] = {
      {e4m3fn(), "f8E4M3FN"},     {e4m3(), "f8E4M3"},
      {e5m2(), "f8E5M2"},         {e4m3fnuz(), "f8E4M3FNUZ"},
      {e5m2fnuz(), "f8E5M2FNUZ"}, {e2m3fn(), "f6E2M3FN"},
      {e3m2fn(), "f6E3M2FN"},     {e2m1fn(), "f4E2M1FN"},
      {e8m0fnu(), "f8E8M0FNU"},   {ue4m3(), "ue4m3"},
      {ue5m3(), "ue5m3"},         {f16(), "f16"},
      {bf16(), "bf16"},           {f32(), "f32"},
      {FloatFormat(3, 4, FloatVariant::IEEE), "f8E3M4"},
      {FloatFormat(4, 3, FloatVariant::FNUZ, true, 11), "f8E4M3B11FNUZ"},
  };
  for (const Named &n : names)
    if (n.f == *this)
      return n.name;
  std::string s = hasSign ? "" : "u";
  s += "e" + std::to_string(expBits) + "m" + std::to_string(manBits);
  // The variant suffix is omitted when it is the default for the width
  // (ElementFormat::parse): Finite below 8 bits, FN at 8, IEEE above.
  unsigned width = getBitWidth();
  FloatVariant implied = width < 8 ? FloatVariant::Finite
                         : width == 8 ? FloatVariant::FN
                                      : FloatVariant::IEEE;
  // Keep the suffix when the short name means another format (ue4m3 is the
  // FN-variant NVFP4 scale, so the finite variant stays ue4m3_finite).
  bool reserved = false;
  for (const Named &n : names)
    if (s == n.name)
      reserved = true;
  if (variant != implied || variant == FloatVariant::E8M0 || reserved)
  switch (variant) {
  case FloatVariant::IEEE: s += "_ieee"; break;
  case FloatVariant::FN: s += "_fn"; break;
  case FloatVariant::FNUZ: s += "_fnuz"; break;
  case FloatVariant::Finite: s += "_finite"; break;
  case FloatVariant::E8M0: s += "_e8m0"; break;
  }
  if (bias != defaultBias(expBits, variant))
    s += "_b" + std::to_string(bias);
  return s;
}

} // namespace qopt::format
