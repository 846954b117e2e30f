//===- IntFormatTest.cpp - integer codes, rounding and saturation ---------===//
//
// Part of qopt. Every code of i2..i8, ui2..ui8, i16 and ui16 round-trips; the
// rounding + saturation of doubles matches the reference of Reference.h for
// every Rounding mode, full and restricted ranges. Also roundToIntegral and
// the enum spellings of Rounding.h.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"

#include "qopt/Format/ElementFormat.h"
#include "qopt/Format/IntFormat.h"
#include "qopt/Format/Rounding.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace qopt::format;
namespace ref = qopt::format::ref;

namespace {

struct IntCase {
  unsigned bits;
  bool isSigned;
};

void PrintTo(const IntCase &c, std::ostream *os) {
  *os << (c.isSigned ? "i" : "ui") << c.bits;
}

std::string intCaseName(const testing::TestParamInfo<IntCase> &info) {
  return std::string(info.param.isSigned ? "i" : "ui") +
         std::to_string(info.param.bits);
}

std::vector<IntCase> intCases() {
  std::vector<IntCase> cases;
  for (unsigned b = 2; b <= 8; ++b) {
    cases.push_back({b, true});
    cases.push_back({b, false});
  }
  cases.push_back({16, true});
  cases.push_back({16, false});
  return cases;
}

std::string hexDouble(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a (%.17g)", d, d);
  return buf;
}

class Mismatches {
public:
  explicit Mismatches(std::string what) : what(std::move(what)) {}
  void add(const std::string &msg) {
    if (count++ < 25)
      samples << "  " << msg << "\n";
  }
  ~Mismatches() {
    if (count)
      ADD_FAILURE() << what << ": " << count << " mismatches; first ones:\n"
                    << samples.str();
  }

private:
  std::string what;
  size_t count = 0;
  std::ostringstream samples;
};

/// Integers around the range, the half-way points, their double neighbours,
/// quarter points, signed zeros, tiny and huge values, +-Inf, NaN.
std::vector<double> intSweep(const ref::IntRef &r) {
  std::vector<double> v;
  // Every integer of the small formats; for 16 bits the edges densely and
  // the middle with a stride.
  const bool wide = r.maxValue() - r.minValue() > 1024;
  for (int64_t k = r.minValue() - 4; k <= r.maxValue() + 4; ++k) {
    if (wide && k > r.minValue() + 300 && k < r.maxValue() - 300 &&
        std::abs(k) > 300 && k % 37 != 0)
      continue;
    double d = double(k);
    double h = d + 0.5;
    for (double x :
         {d, h, std::nextafter(h, -1e300), std::nextafter(h, 1e300), d + 0.25,
          d + 0.75, std::nextafter(d, -1e300), std::nextafter(d, 1e300)})
      v.push_back(x);
  }
  for (double x : {0.0, -0.0, 1e-300, -1e-300, 0x1p-1074, -0x1p-1074, 1e30,
                   -1e30, 0x1p52 + 1, -0x1p52 - 1, 0x1p63, -0x1p63, 1e300,
                   -1e300, double(std::numeric_limits<float>::max()),
                   std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN()})
    v.push_back(x);
  return v;
}

class IntFormatTest : public testing::TestWithParam<IntCase> {
protected:
  IntFormat f{GetParam().bits, GetParam().isSigned};
  ref::IntRef r{GetParam().bits, GetParam().isSigned};
  std::string name() const {
    return (GetParam().isSigned ? "i" : "ui") + std::to_string(GetParam().bits);
  }
};

TEST_P(IntFormatTest, Properties) {
  EXPECT_EQ(f.getBitWidth(), GetParam().bits);
  EXPECT_EQ(f.isSigned(), GetParam().isSigned);
  EXPECT_EQ(f.getNumCodes(), 1u << GetParam().bits);
  EXPECT_EQ(f.getMin(), r.minValue());
  EXPECT_EQ(f.getMax(), r.maxValue());
  EXPECT_EQ(f.getName(), name());

  auto parsed = ElementFormat::parse(name());
  ASSERT_TRUE(parsed.has_value()) << name();
  ASSERT_TRUE(parsed->isInt());
  EXPECT_EQ(parsed->getInt(), f);
  EXPECT_EQ(parsed->getName(), name());
  EXPECT_EQ(parsed->getBitWidth(), GetParam().bits);
  if (GetParam().isSigned) {
    // "si" is accepted as a spelling of the signed integers.
    auto si = ElementFormat::parse("si" + std::to_string(GetParam().bits));
    ASSERT_TRUE(si.has_value());
    EXPECT_EQ(si->getInt(), f);
    // Symmetric range: 2^(b-1) - 1.
    EXPECT_EQ(parsed->getMaxAbs(), double(r.maxValue()));
  } else {
    // max(|min|, max) = 2^b - 1.
    EXPECT_EQ(parsed->getMaxAbs(), double(r.maxValue()));
  }
}

TEST_P(IntFormatTest, EveryCodeRoundTrips) {
  Mismatches log("codes of " + name());
  ElementFormat ef(f);
  for (uint32_t c = 0; c < f.getNumCodes(); ++c) {
    int64_t want = r.valueOf(c);
    int64_t got = f.decode(c);
    if (got != want)
      log.add("decode(" + std::to_string(c) + ") = " + std::to_string(got) +
              ", expected " + std::to_string(want));
    if (ef.decode(c) != double(want))
      log.add("ElementFormat::decode(" + std::to_string(c) + ")");
    if (f.encodeInt(want) != c)
      log.add("encodeInt(" + std::to_string(want) +
              ") != " + std::to_string(c));
    for (Rounding rm : ref::allRoundings()) {
      if (f.encode(double(want), rm) != c)
        log.add("encode(" + std::to_string(want) + ", " +
                ref::roundingName(rm) + ") != " + std::to_string(c));
      if (ef.encode(double(want), rm) != c)
        log.add("ElementFormat::encode(" + std::to_string(want) + ")");
    }
  }
}

TEST_P(IntFormatTest, EncodeIntClamps) {
  EXPECT_EQ(f.encodeInt(r.maxValue() + 1), r.codeOf(r.maxValue()));
  EXPECT_EQ(f.encodeInt(r.minValue() - 1), r.codeOf(r.minValue()));
  EXPECT_EQ(f.encodeInt(std::numeric_limits<int64_t>::max()),
            r.codeOf(r.maxValue()));
  EXPECT_EQ(f.encodeInt(std::numeric_limits<int64_t>::min()),
            r.codeOf(r.minValue()));
  EXPECT_EQ(f.encodeInt(0), 0u);
}

TEST_P(IntFormatTest, RoundAndSaturateMatchReference) {
  Mismatches log("encode of " + name());
  ElementFormat ef(f);
  std::vector<double> vals = intSweep(r);
  std::mt19937 gen(42);
  std::uniform_real_distribution<double> dist(double(r.minValue()) - 3,
                                              double(r.maxValue()) + 3);
  for (int i = 0; i < 20000; ++i)
    vals.push_back(dist(gen));
  for (Rounding rm : ref::allRoundings()) {
    for (double v : vals) {
      uint32_t want = r.encode(v, rm);
      uint32_t got = f.encode(v, rm);
      if (got != want)
        log.add("encode(" + hexDouble(v) + ", " + ref::roundingName(rm) +
                ") = " + std::to_string(got) + ", expected " +
                std::to_string(want));
      // ElementFormat: the full range too; Overflow does not apply.
      for (Overflow o : {Overflow::Saturate, Overflow::Special})
        if (ef.encode(v, rm, o) != want)
          log.add("ElementFormat::encode(" + hexDouble(v) + ", " +
                  ref::roundingName(rm) +
                  ") = " + std::to_string(ef.encode(v, rm, o)));
    }
  }
}

TEST_P(IntFormatTest, RestrictedRangesMatchReference) {
  Mismatches log("encode with [lo, hi] of " + name());
  const int64_t mn = r.minValue(), mx = r.maxValue();
  std::vector<std::pair<int64_t, int64_t>> ranges = {
      {mn, mx}, {mn + 1, mx}, {mn, mx - 1}, {0, mx}, {mn + 1, mx - 1}};
  if (GetParam().isSigned)
    ranges.push_back({-mx, mx}); // symmetric: -128 unused
  std::vector<double> vals = intSweep(r);
  for (auto [lo, hi] : ranges)
    for (Rounding rm : ref::allRoundings())
      for (double v : vals) {
        // NaN "encodes as 0"; when 0 is outside [lo, hi] the header does not
        // say whether that 0 is saturated too, so that corner is not tested.
        if (std::isnan(v) && (lo > 0 || hi < 0))
          continue;
        uint32_t want = r.encode(v, rm, lo, hi);
        uint32_t got = f.encode(v, rm, lo, hi);
        if (got != want)
          log.add("encode(" + hexDouble(v) + ", " + ref::roundingName(rm) +
                  ", [" + std::to_string(lo) + ", " + std::to_string(hi) +
                  "]) = " + std::to_string(got) + ", expected " +
                  std::to_string(want));
      }
}

TEST_P(IntFormatTest, NaNEncodesAsZero) {
  for (Rounding rm : ref::allRoundings()) {
    EXPECT_EQ(f.encode(std::nan(""), rm), 0u);
    EXPECT_EQ(f.encode(-std::nan(""), rm), 0u);
    if (GetParam().isSigned) { // 0 inside [min + 1, max]
      EXPECT_EQ(f.encode(std::nan(""), rm, r.minValue() + 1, r.maxValue()), 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, IntFormatTest, testing::ValuesIn(intCases()),
                         intCaseName);

TEST(IntFormatFacts, HandPicked) {
  IntFormat i8(8, true), u8(8, false), i4(4, true), u4(4, false), i2(2, true);
  EXPECT_EQ(i8.decode(0x80), -128);
  EXPECT_EQ(i8.decode(0xFF), -1);
  EXPECT_EQ(i8.decode(0x7F), 127);
  EXPECT_EQ(u8.decode(0xFF), 255);
  EXPECT_EQ(i4.decode(0x8), -8);
  EXPECT_EQ(i4.decode(0xF), -1);
  EXPECT_EQ(i2.decode(0x2), -2);
  EXPECT_EQ(i2.decode(0x3), -1);
  EXPECT_EQ(i8.encode(2.5), 2u);
  EXPECT_EQ(i8.encode(3.5), 4u);
  EXPECT_EQ(i8.encode(-2.5), 0xFEu);
  EXPECT_EQ(i8.encode(-2.5, Rounding::NearestAway), 0xFDu);
  EXPECT_EQ(i8.encode(-2.5, Rounding::TowardZero), 0xFEu);
  EXPECT_EQ(i8.encode(-2.1, Rounding::Down), 0xFDu);
  EXPECT_EQ(i8.encode(-2.9, Rounding::Up), 0xFEu);
  EXPECT_EQ(i8.encode(300.0), 0x7Fu);
  EXPECT_EQ(i8.encode(-300.0), 0x80u);
  EXPECT_EQ(i8.encode(-128.0, Rounding::NearestEven, -127, 127), 0x81u);
  EXPECT_EQ(i8.encode(127.5), 0x7Fu);
  EXPECT_EQ(i8.encode(INFINITY), 0x7Fu);
  EXPECT_EQ(i8.encode(-INFINITY), 0x80u);
  EXPECT_EQ(u8.encode(-3.0), 0u);
  EXPECT_EQ(u8.encode(255.4), 255u);
  EXPECT_EQ(u8.encode(254.5), 254u);
  EXPECT_EQ(u4.encode(15.5), 15u);
  EXPECT_EQ(u4.encode(7.5), 8u);
  EXPECT_EQ(i4.encode(-7.5), 0x8u);
  EXPECT_EQ(i4.encode(-7.5, Rounding::NearestEven, -7, 7), 0x9u);
  EXPECT_EQ(i2.encode(1.5), 1u);
  EXPECT_EQ(i2.encode(-1.5), 0x2u);
  EXPECT_EQ(i8.encodeInt(-1), 0xFFu);
  EXPECT_EQ(IntFormat(16, true).encodeInt(-2), 0xFFFEu);
  EXPECT_EQ(IntFormat(16, true).decode(0x8000), -32768);
  EXPECT_EQ(IntFormat(16, false).decode(0xFFFF), 65535);
  EXPECT_EQ(i8.getName(), "i8");
  EXPECT_EQ(u4.getName(), "ui4");
  EXPECT_NE(i8, u8);
}

//===----------------------------------------------------------------------===//
// Rounding.h
//===----------------------------------------------------------------------===//

TEST(Rounding, RoundToIntegralMatchesReference) {
  std::vector<double> vals = intSweep(ref::IntRef{8, true});
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  for (int i = 0; i < 20000; ++i)
    vals.push_back(dist(gen));
  for (int e = -60; e <= 60; ++e)
    for (double m : {1.0, 1.5, 1.25, 1.75, 1.0000001}) {
      vals.push_back(std::ldexp(m, e));
      vals.push_back(-std::ldexp(m, e));
    }
  for (double d :
       {0x1p52 - 0.5, -0x1p52 + 0.5, 0x1p53 - 1, 0x1p51 + 0.5, -0x1p51 - 0.5})
    vals.push_back(d);
  Mismatches log("roundToIntegral");
  for (Rounding rm : ref::allRoundings())
    for (double v : vals) {
      if (!std::isfinite(v))
        continue;
      double want = ref::roundIntegral(v, rm);
      double got = roundToIntegral(v, rm);
      if (got != want)
        log.add(std::string("roundToIntegral(") + hexDouble(v) + ", " +
                ref::roundingName(rm) + ") = " + hexDouble(got) +
                ", expected " + hexDouble(want));
    }
}

TEST(Rounding, HandPicked) {
  EXPECT_EQ(roundToIntegral(0.5, Rounding::NearestEven), 0.0);
  EXPECT_EQ(roundToIntegral(1.5, Rounding::NearestEven), 2.0);
  EXPECT_EQ(roundToIntegral(2.5, Rounding::NearestEven), 2.0);
  EXPECT_EQ(roundToIntegral(-2.5, Rounding::NearestEven), -2.0);
  EXPECT_EQ(roundToIntegral(2.5, Rounding::NearestAway), 3.0);
  EXPECT_EQ(roundToIntegral(-2.5, Rounding::NearestAway), -3.0);
  EXPECT_EQ(roundToIntegral(-2.5, Rounding::TowardZero), -2.0);
  EXPECT_EQ(roundToIntegral(-2.5, Rounding::Up), -2.0);
  EXPECT_EQ(roundToIntegral(-2.5, Rounding::Down), -3.0);
  EXPECT_EQ(roundToIntegral(2.000001, Rounding::Up), 3.0);
  EXPECT_EQ(roundToIntegral(0.49999999999999994, Rounding::NearestEven), 0.0);
  EXPECT_EQ(roundToIntegral(0.49999999999999994, Rounding::NearestAway), 0.0);
  EXPECT_EQ(roundToIntegral(4503599627370497.0, Rounding::NearestEven),
            4503599627370497.0);
}

TEST(Rounding, EnumSpellingsRoundTrip) {
  for (Rounding rm : ref::allRoundings()) {
    std::string_view s = stringify(rm);
    EXPECT_FALSE(s.empty());
    EXPECT_EQ(symbolizeRounding(s), rm) << s;
  }
  for (ScaleMode m :
       {ScaleMode::Floor, ScaleMode::Ceil, ScaleMode::Even, ScaleMode::RCeil}) {
    std::string_view s = stringify(m);
    EXPECT_FALSE(s.empty());
    EXPECT_EQ(symbolizeScaleMode(s), m) << s;
  }
  EXPECT_FALSE(symbolizeRounding("bogus").has_value());
  EXPECT_FALSE(symbolizeScaleMode("bogus").has_value());
  EXPECT_FALSE(symbolizeRounding("").has_value());
  // Distinct spellings.
  EXPECT_NE(stringify(Rounding::NearestEven), stringify(Rounding::NearestAway));
  EXPECT_NE(stringify(ScaleMode::Ceil), stringify(ScaleMode::RCeil));
}

} // namespace
