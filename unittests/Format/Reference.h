//===- Reference.h - independent brute-force format reference ---*- C++ -*-===//
//
// Part of qopt. A reference for the unit tests of lib/Format, written from
// the bit-layout rules of FORMATS.md without calling lib/Format (only the
// enum types of qopt/Format/Rounding.h are shared). Every encoder here is a
// brute-force search over the decoded values of all codes; nothing is clever
// so that it can be trusted.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_UNITTESTS_FORMAT_REFERENCE_H
#define QOPT_UNITTESTS_FORMAT_REFERENCE_H

#include "qopt/Format/Rounding.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace qopt::format::ref {

//===----------------------------------------------------------------------===//
// Small numeric helpers
//===----------------------------------------------------------------------===//

inline double pow2(int e) { return std::ldexp(1.0, e); }

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
/// True when `d` is exactly a float32 value (or NaN/Inf).
inline bool isFloat32Exact(double d) {
  return std::isnan(d) || static_cast<double>(static_cast<float>(d)) == d;
}

/// Same value and, for zeros, the same sign; NaN equals NaN.
inline bool sameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

/// Rounds a finite double to an integral double; written independently of
/// qopt::format::roundToIntegral. Exact: compares against f + 0.5, which is
/// representable for |v| < 2^52, instead of forming v - floor(v).
inline double roundIntegral(double v, Rounding mode) {
  if (!(std::fabs(v) < 4503599627370496.0)) // 2^52: already integral
    return v;
  double f = std::floor(v);
  if (f == v)
    return v;
  double c = f + 1.0;
  switch (mode) {
  case Rounding::TowardZero:
    return v < 0 ? c : f;
  case Rounding::Up:
    return c;
  case Rounding::Down:
    return f;
  case Rounding::NearestEven:
  case Rounding::NearestAway: {
    double mid = f + 0.5;
    if (v < mid)
      return f;
    if (v > mid)
      return c;
    if (mode == Rounding::NearestAway)
      return v < 0 ? f : c;
    return std::fmod(f, 2.0) == 0.0 ? f : c;
  }
  }
  std::abort();
}

inline const std::vector<Rounding> &allRoundings() {
  static const std::vector<Rounding> modes = {
      Rounding::NearestEven, Rounding::NearestAway, Rounding::TowardZero,
      Rounding::Up, Rounding::Down};
  return modes;
}
inline const char *roundingName(Rounding r) {
  switch (r) {
  case Rounding::NearestEven:
    return "NearestEven";
  case Rounding::NearestAway:
    return "NearestAway";
  case Rounding::TowardZero:
    return "TowardZero";
  case Rounding::Up:
    return "Up";
  case Rounding::Down:
    return "Down";
  }
  return "?";
}
inline const char *overflowName(Overflow o) {
  return o == Overflow::Saturate ? "Saturate" : "Special";
}

//===----------------------------------------------------------------------===//
// Minifloats: decoding from the bit layout, brute-force nearest encoding
//===----------------------------------------------------------------------===//

/// The variants of FORMATS.md, spelled independently of FloatVariant.
enum class Kind { IEEE, FN, FNUZ, Finite, E8M0 };

struct MiniFloatSpec {
  unsigned expBits;
  unsigned manBits;
  Kind kind;
  bool hasSign;
  int bias;
};

/// IEEE-style bias 2^(e-1) - 1; FNUZ one larger; E8M0 127.
inline int defaultBias(unsigned expBits, Kind kind) {
  if (kind == Kind::E8M0)
    return 127;
  int b = (1 << (expBits - 1)) - 1;
  return kind == Kind::FNUZ ? b + 1 : b;
}
inline MiniFloatSpec spec(unsigned e, unsigned m, Kind k, bool sign = true) {
  return {e, m, k, sign, defaultBias(e, k)};
}
inline MiniFloatSpec spec(unsigned e, unsigned m, Kind k, bool sign, int bias) {
  return {e, m, k, sign, bias};
}

struct Decoded {
  bool nan = false;
  bool inf = false;
  bool negative = false;
  double value = 0; ///< signed; NaN / +-Inf for the special codes
};

/// Decodes `code` straight from the sign / exponent / mantissa fields.
inline Decoded decodeBits(const MiniFloatSpec &s, uint32_t code) {
  Decoded d;
  const unsigned magBits = s.expBits + s.manBits;
  const uint32_t magMask = (1u << magBits) - 1;
  const uint32_t mag = code & magMask;
  const uint32_t expField = mag >> s.manBits;
  const uint32_t manField = mag & ((1u << s.manBits) - 1);
  const uint32_t expAllOnes = (1u << s.expBits) - 1;
  d.negative = s.hasSign && ((code >> magBits) & 1);

  auto setNaN = [&] {
    d.nan = true;
    d.value = std::numeric_limits<double>::quiet_NaN();
  };
  switch (s.kind) {
  case Kind::E8M0:
    if (code == 0xFF)
      setNaN();
    else
      d.value = pow2(int(code) - s.bias); // code 0 is 2^-127, no zero
    return d;
  case Kind::IEEE:
    if (expField == expAllOnes) {
      if (manField == 0) {
        d.inf = true;
        d.value = d.negative ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity();
      } else {
        setNaN();
      }
      return d;
    }
    break;
  case Kind::FN:
    if (mag == magMask) { // all-ones exponent and mantissa
      setNaN();
      return d;
    }
    break;
  case Kind::FNUZ:
    if (d.negative && mag == 0) { // the sign bit alone
      setNaN();
      return d;
    }
    break;
  case Kind::Finite:
    break;
  }
  double v;
  if (expField == 0)
    v = double(manField) * pow2(1 - s.bias - int(s.manBits));
  else
    v = double((1u << s.manBits) + manField) *
        pow2(int(expField) - s.bias - int(s.manBits));
  d.value = d.negative ? -v : v;
  return d;
}

/// Brute-force reference for one minifloat. Enumerates every code once,
/// keeps the finite non-negative values with their codes, and rounds by
/// searching those. `encodeLinear` does the same search by a plain linear
/// scan over all codes; `encode` uses the sorted table (same answers,
/// checked by a test).
class MiniFloatRef {
public:
  struct Result {
    bool nan = false;
    uint32_t code = 0; ///< meaningful when !nan
  };

  explicit MiniFloatRef(MiniFloatSpec s) : s(s) {
    const uint32_t n = numCodes();
    std::vector<std::pair<double, uint32_t>> pos;
    for (uint32_t c = 0; c < n; ++c) {
      Decoded d = decodeBits(s, c);
      if (d.nan) {
        if (!haveNaN || (!d.negative && nanIsNegative)) {
          nanCode = c;
          nanIsNegative = d.negative;
        }
        haveNaN = true;
        continue;
      }
      if (d.inf) {
        if (!d.negative)
          infCode = c;
        continue;
      }
      if (!d.negative)
        pos.push_back({d.value, c});
    }
    std::sort(pos.begin(), pos.end());
    for (size_t i = 1; i < pos.size(); ++i)
      if (!(pos[i - 1].first < pos[i].first))
        std::abort(); // a layout bug in this reference
    for (auto &p : pos) {
      mags.push_back(p.first);
      magCodes.push_back(p.second);
    }
    // The value the next magnitude code would have with an unbounded
    // exponent range: max + ulp(max). Its code parity decides ties at the
    // top of the range under NearestEven.
    const double mx = mags.back();
    virtualNext = mx + pow2(std::ilogb(mx) - int(s.manBits));
    virtualCode = magCodes.back() + 1;
  }

  const MiniFloatSpec &getSpec() const { return s; }
  unsigned bitWidth() const {
    return (s.hasSign ? 1 : 0) + s.expBits + s.manBits;
  }
  uint32_t numCodes() const { return 1u << bitWidth(); }
  uint32_t signBit() const {
    return s.hasSign ? 1u << (s.expBits + s.manBits) : 0;
  }
  Decoded decode(uint32_t code) const { return decodeBits(s, code); }
  double value(uint32_t code) const { return decode(code).value; }
  bool isNaN(uint32_t code) const { return decode(code).nan; }
  bool isInf(uint32_t code) const { return decode(code).inf; }
  bool hasInf() const { return s.kind == Kind::IEEE; }
  bool hasNaN() const { return haveNaN; }
  bool hasNegativeZero() const {
    return s.hasSign && s.kind != Kind::FNUZ && s.kind != Kind::E8M0;
  }

  double maxFinite() const { return mags.back(); }
  uint32_t maxCode() const { return magCodes.back(); }
  double minPositive() const { return mags[0] > 0 ? mags[0] : mags[1]; }
  double minNormal() const {
    return s.kind == Kind::E8M0 ? mags[0] : pow2(1 - s.bias);
  }
  int emax() const { return std::ilogb(maxFinite()); }
  double virtualNextValue() const { return virtualNext; }
  /// Finite non-negative values, ascending, and their codes.
  const std::vector<double> &magnitudes() const { return mags; }
  const std::vector<uint32_t> &magnitudeCodes() const { return magCodes; }
  uint32_t positiveNaNCode() const { return nanCode; }
  uint32_t positiveInfCode() const { return infCode; }

  Result encode(double v, Rounding r, Overflow o) const {
    return encodeImpl(v, r, o, /*linear=*/false);
  }
  Result encodeLinear(double v, Rounding r, Overflow o) const {
    return encodeImpl(v, r, o, /*linear=*/true);
  }
  /// The expected value of encode(v) (NaN when the result is a NaN code).
  double encodeValue(double v, Rounding r, Overflow o) const {
    Result res = encode(v, r, o);
    return res.nan ? std::numeric_limits<double>::quiet_NaN() : value(res.code);
  }

private:
  enum class MagMode { NearEven, NearAway, Floor, Ceil };

  Result finish(uint32_t magCode, bool neg) const {
    Result res;
    res.code = magCode;
    if (neg && s.hasSign) {
      bool zero = decodeBits(s, magCode).value == 0;
      if (!(zero && s.kind == Kind::FNUZ)) // FNUZ: no negative zero
        res.code |= signBit();
    }
    return res;
  }
  Result nanResult() const {
    Result res;
    res.nan = true;
    res.code = nanCode;
    return res;
  }
  /// A magnitude beyond the largest finite value after rounding.
  Result overflowResult(bool neg, Overflow o) const {
    if (o == Overflow::Special) {
      if (hasInf())
        return finish(infCode, neg);
      if (haveNaN)
        return nanResult();
    }
    return finish(maxCode(), neg);
  }

  Result encodeImpl(double v, Rounding r, Overflow o, bool linear) const {
    if (std::isnan(v)) {
      if (!haveNaN)
        return Result{false, 0}; // Finite formats: NaN encodes as +0
      return nanResult();
    }
    const bool neg = s.hasSign && std::signbit(v);
    const double a = std::fabs(v);
    MagMode mm;
    switch (r) {
    case Rounding::NearestEven:
      mm = MagMode::NearEven;
      break;
    case Rounding::NearestAway:
      mm = MagMode::NearAway;
      break;
    case Rounding::TowardZero:
      mm = MagMode::Floor;
      break;
    case Rounding::Up:
      mm = neg ? MagMode::Floor : MagMode::Ceil;
      break;
    case Rounding::Down:
    default:
      mm = neg ? MagMode::Ceil : MagMode::Floor;
      break;
    }
    if (std::isinf(a)) {
      // An infinite input is not a rounding overflow: Inf stays Inf where
      // the format has it (Special), else NaN, else +-max.
      return overflowResult(neg, o);
    }
    if (s.kind == Kind::E8M0 && a < mags[0])
      return finish(magCodes[0], false); // no zero: everything below 2^-127
    if (a >= virtualNext) {
      // Rounding with an unbounded exponent gives a value above max; toward
      // zero (IEEE 754 7.4) that is max itself.
      if (mm == MagMode::Floor)
        return finish(maxCode(), neg);
      return overflowResult(neg, o);
    }

    // Neighbours lo <= a < hi among the finite magnitudes plus the virtual
    // value just above max.
    double loVal, hiVal;
    uint32_t loCode, hiCode;
    bool hiIsVirtual;
    if (linear) {
      bool haveLo = false, haveHi = false;
      loVal = hiVal = 0;
      loCode = hiCode = 0;
      for (uint32_t c = 0, n = numCodes(); c < n; ++c) {
        Decoded d = decodeBits(s, c);
        if (d.nan || d.inf || d.negative)
          continue;
        if (d.value <= a && (!haveLo || d.value > loVal)) {
          loVal = d.value;
          loCode = c;
          haveLo = true;
        }
        if (d.value > a && (!haveHi || d.value < hiVal)) {
          hiVal = d.value;
          hiCode = c;
          haveHi = true;
        }
      }
      if (!haveLo)
        std::abort();
      hiIsVirtual = !haveHi;
      if (hiIsVirtual) {
        hiVal = virtualNext;
        hiCode = virtualCode;
      }
    } else {
      size_t hi = std::upper_bound(mags.begin(), mags.end(), a) - mags.begin();
      if (hi == 0)
        std::abort();
      loVal = mags[hi - 1];
      loCode = magCodes[hi - 1];
      hiIsVirtual = hi == mags.size();
      hiVal = hiIsVirtual ? virtualNext : mags[hi];
      hiCode = hiIsVirtual ? virtualCode : magCodes[hi];
    }
    if (loVal == a)
      return finish(loCode, neg);

    bool pickHi;
    switch (mm) {
    case MagMode::Floor:
      pickHi = false;
      break;
    case MagMode::Ceil:
      pickHi = true;
      break;
    default: {
      const double mid = (loVal + hiVal) / 2; // exact: few mantissa bits
      if (a < mid)
        pickHi = false;
      else if (a > mid)
        pickHi = true;
      else if (mm == MagMode::NearAway)
        pickHi = true;
      else
        pickHi = (hiCode & 1) == 0; // ties to the even code
      break;
    }
    }
    if (!pickHi)
      return finish(loCode, neg);
    if (hiIsVirtual)
      return overflowResult(neg, o);
    return finish(hiCode, neg);
  }

  MiniFloatSpec s;
  std::vector<double> mags;
  std::vector<uint32_t> magCodes;
  double virtualNext = 0;
  uint32_t virtualCode = 0;
  bool haveNaN = false;
  bool nanIsNegative = false;
  uint32_t nanCode = 0;
  uint32_t infCode = 0;
};

//===----------------------------------------------------------------------===//
// Integers
//===----------------------------------------------------------------------===//

struct IntRef {
  unsigned bits;
  bool isSigned;

  int64_t minValue() const {
    return isSigned ? -(int64_t(1) << (bits - 1)) : 0;
  }
  int64_t maxValue() const {
    return isSigned ? (int64_t(1) << (bits - 1)) - 1 : (int64_t(1) << bits) - 1;
  }
  uint32_t mask() const { return uint32_t((uint64_t(1) << bits) - 1); }
  uint32_t codeOf(int64_t v) const { return uint32_t(uint64_t(v)) & mask(); }
  int64_t valueOf(uint32_t code) const {
    code &= mask();
    if (isSigned && (code >> (bits - 1)) & 1)
      return int64_t(code) - (int64_t(1) << bits);
    return int64_t(code);
  }
  /// round(v) under `r`, saturated to [lo, hi]; NaN gives code 0.
  uint32_t encode(double v, Rounding r, int64_t lo, int64_t hi) const {
    if (std::isnan(v))
      return 0;
    if (v == std::numeric_limits<double>::infinity())
      return codeOf(hi);
    if (v == -std::numeric_limits<double>::infinity())
      return codeOf(lo);
    double q = roundIntegral(v, r);
    if (q <= double(lo))
      return codeOf(lo);
    if (q >= double(hi))
      return codeOf(hi);
    return codeOf(int64_t(q));
  }
  uint32_t encode(double v, Rounding r) const {
    return encode(v, r, minValue(), maxValue());
  }
};

//===----------------------------------------------------------------------===//
// Codebooks
//===----------------------------------------------------------------------===//

/// bitsandbytes' NF4 table (bitsandbytes/functional.py, create_normal_map /
/// the CUDA dDequantizeNF4 constants), written out here as float literals.
inline const std::vector<float> &nf4Table() {
  static const std::vector<float> t = {-1.0f,
                                       -0.6961928009986877f,
                                       -0.5250730514526367f,
                                       -0.39491748809814453f,
                                       -0.28444138169288635f,
                                       -0.18477343022823334f,
                                       -0.09105003625154495f,
                                       0.0f,
                                       0.07958029955625534f,
                                       0.16093020141124725f,
                                       0.24611230194568634f,
                                       0.33791524171829224f,
                                       0.44070982933044434f,
                                       0.5626170039176941f,
                                       0.7229568362236023f,
                                       1.0f};
  return t;
}

/// Nearest entry by linear scan; ties pick the smaller magnitude, then the
/// smaller code. NaN encodes like 0 (the entry nearest 0).
inline uint32_t tableEncode(const std::vector<float> &t, double v) {
  if (std::isnan(v))
    v = 0;
  // Outside [front, back] the distance grows monotonically from the end entry,
  // so it is the nearest (and for |v| ~ 1e30 the double distances below would
  // all round to the same value).
  if (v >= double(t.back()))
    return uint32_t(t.size() - 1);
  if (v <= double(t.front()))
    return 0;
  uint32_t best = 0;
  double bestDist = std::numeric_limits<double>::infinity();
  for (uint32_t i = 0; i < t.size(); ++i) {
    double d = std::fabs(v - double(t[i])); // exact inside the table's range
    if (d < bestDist) {
      best = i;
      bestDist = d;
    } else if (d == bestDist) {
      if (std::fabs(double(t[i])) < std::fabs(double(t[best])))
        best = i;
    }
  }
  return best;
}

//===----------------------------------------------------------------------===//
// Packing: a dense little-endian bit stream, code i at bits [i*b, (i+1)*b)
//===----------------------------------------------------------------------===//

inline std::vector<uint8_t> packBits(const std::vector<uint32_t> &codes,
                                     unsigned bits) {
  std::vector<uint8_t> out((codes.size() * bits + 7) / 8, 0);
  for (size_t i = 0; i < codes.size(); ++i)
    for (unsigned b = 0; b < bits; ++b)
      if ((codes[i] >> b) & 1) {
        size_t k = i * bits + b;
        out[k / 8] |= uint8_t(1u << (k % 8));
      }
  return out;
}

//===----------------------------------------------------------------------===//
// Scale rules (FORMATS.md), written from the text
//===----------------------------------------------------------------------===//

enum class MXMode { Floor, Ceil, Even, RCeil };

/// The unbiased MX shared exponent before clamping, for a finite amax > 0.
/// `emax` = floor(log2(max element)), `maxElem` its value, `manBits` the
/// element's mantissa width (EVEN rounds amax to it, half up).
inline int mxSharedExpUnclamped(double amax, int emax, double maxElem,
                                unsigned manBits, MXMode mode) {
  int k = std::ilogb(amax); // floor(log2(amax)), exact also for subnormals
  bool pow2Amax = amax == pow2(k);
  switch (mode) {
  case MXMode::Floor:
    return k - emax;
  case MXMode::Ceil:
    return k + (pow2Amax ? 0 : 1) - emax;
  case MXMode::Even: {
    double mant = amax / pow2(k); // [1, 2), exact
    double scaled = mant * pow2(int(manBits));
    double rounded = std::floor(scaled + 0.5); // half up
    if (rounded >= pow2(int(manBits + 1)))
      ++k;
    return k - emax;
  }
  case MXMode::RCeil: {
    // Smallest j with maxElem * 2^j >= amax, i.e. ceil(log2(amax/maxElem)),
    // decided by exact comparisons.
    int j = std::ilogb(amax) - std::ilogb(maxElem) - 1;
    while (std::ldexp(maxElem, j) < amax)
      ++j;
    while (std::ldexp(maxElem, j - 1) >= amax)
      --j;
    return j;
  }
  }
  std::abort();
}

/// E8M0 code of an MX block (FORMATS.md steps 1-4): NaN/Inf amax -> 0xFF,
/// all-zero -> 0x00; below -127 clamps to -127; above 127 is the NaN scale.
inline uint32_t mxScaleCode(float amax, int emax, double maxElem,
                            unsigned manBits, MXMode mode) {
  if (std::isnan(amax) || std::isinf(amax))
    return 0xFF;
  if (amax == 0)
    return 0x00;
  int e = mxSharedExpUnclamped(std::fabs(double(amax)), emax, maxElem, manBits,
                               mode);
  if (e > 127)
    return 0xFF;
  if (e < -127)
    e = -127;
  return uint32_t(e + 127);
}

//===----------------------------------------------------------------------===//
// Sweeps of test inputs
//===----------------------------------------------------------------------===//

/// float32 inputs around every interesting point of a minifloat: every code
/// value, every midpoint (tie) between neighbours, the float32 neighbours of
/// both, quarter points, the values around max + half ulp, zeros, the
/// float32 extremes, Inf and NaN; both signs (only +-0 for unsigned).
inline std::vector<double> denseFloat32Sweep(const MiniFloatRef &r) {
  std::vector<double> pts;
  auto addWithNeighbours = [&](double d) {
    if (!(std::fabs(d) <= std::numeric_limits<float>::max()))
      return;
    float f = static_cast<float>(d);
    if (double(f) != d) { // not a float32: take the two float32 around it
      pts.push_back(double(std::nextafter(f, -INFINITY)));
      pts.push_back(double(std::nextafter(f, INFINITY)));
      pts.push_back(double(f));
      return;
    }
    pts.push_back(d);
    pts.push_back(double(std::nextafter(f, -INFINITY)));
    pts.push_back(double(std::nextafter(f, INFINITY)));
  };
  const auto &m = r.magnitudes();
  std::vector<double> ext(m);
  ext.push_back(r.virtualNextValue());
  for (size_t i = 0; i < ext.size(); ++i) {
    addWithNeighbours(ext[i]);
    if (i + 1 < ext.size()) {
      double lo = ext[i], hi = ext[i + 1];
      addWithNeighbours((lo + hi) / 2);
      addWithNeighbours(lo + (hi - lo) / 4);
      addWithNeighbours(hi - (hi - lo) / 4);
    }
  }
  // Far beyond max, and values below the smallest positive.
  double mx = r.maxFinite();
  for (double f : {2.0, 4.0, 1e3, 1e10})
    addWithNeighbours(mx * f);
  for (double f : {0.5, 0.25, 0.125, 1e-3, 1e-10})
    addWithNeighbours(r.minPositive() * f);
  pts.push_back(0.0);
  pts.push_back(double(std::numeric_limits<float>::denorm_min()));
  pts.push_back(double(std::numeric_limits<float>::denorm_min()) * 3);
  pts.push_back(double(std::numeric_limits<float>::min()));
  pts.push_back(double(std::numeric_limits<float>::max()));
  pts.push_back(1.0);
  pts.push_back(INFINITY);

  std::vector<double> out;
  for (double p : pts) {
    if (std::isnan(p) || p < 0)
      continue;
    out.push_back(p);
    if (r.getSpec().hasSign)
      out.push_back(-p);
  }
  out.push_back(-0.0);
  out.push_back(std::numeric_limits<double>::quiet_NaN());
  out.push_back(-std::numeric_limits<double>::quiet_NaN());
  return out;
}

/// `count` random float32 bit patterns (all exponents, NaNs included); for
/// unsigned formats the sign bit is cleared.
inline std::vector<double> randomFloat32Patterns(size_t count, uint32_t seed,
                                                 bool allowNegative) {
  std::mt19937 gen(seed);
  std::vector<double> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits = gen();
    if (!allowNegative)
      bits &= 0x7FFFFFFFu;
    out.push_back(double(bitsToFloat(bits)));
  }
  return out;
}

/// `count` random float32 values whose magnitudes lie within a few binades
/// of the format's range (so that most of them are rounded, not clamped).
inline std::vector<double> randomFloat32InRange(const MiniFloatRef &r,
                                                size_t count, uint32_t seed) {
  std::mt19937 gen(seed);
  int lo = std::ilogb(r.minPositive()) - 3;
  int hi = std::ilogb(r.maxFinite()) + 2;
  std::uniform_int_distribution<int> expDist(lo, hi);
  std::uniform_int_distribution<uint32_t> manDist(0, (1u << 23) - 1);
  std::vector<double> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    double v = std::ldexp(1.0 + double(manDist(gen)) / 8388608.0, expDist(gen));
    float f = static_cast<float>(v);
    bool neg = r.getSpec().hasSign && (gen() & 1);
    out.push_back(neg ? -double(f) : double(f));
  }
  return out;
}

} // namespace qopt::format::ref

#endif // QOPT_UNITTESTS_FORMAT_REFERENCE_H
