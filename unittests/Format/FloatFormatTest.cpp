//===- FloatFormatTest.cpp - minifloat encodings against a reference ------===//
//
// Part of qopt. Every code of every minifloat up to 8 bits (and f16/bf16)
// decodes to the value its bit layout says and re-encodes to itself; encoding
// of dense and random float32 sweeps matches the brute-force reference of
// Reference.h under every Rounding and Overflow mode.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"

#include "qopt/Format/ElementFormat.h"
#include "qopt/Format/FloatFormat.h"

#include "gtest/gtest.h"

#include <cfloat>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace qopt::format;
namespace ref = qopt::format::ref;

namespace {

//===----------------------------------------------------------------------===//
// The formats under test
//===----------------------------------------------------------------------===//

struct FloatCase {
  std::string name; ///< a test name; for parsed cases also the spelling
  std::function<std::optional<FloatFormat>()> make;
  ref::MiniFloatSpec spec; ///< written by hand from FORMATS.md
};

void PrintTo(const FloatCase &c, std::ostream *os) { *os << c.name; }

FloatCase named(std::string name, FloatFormat (*factory)(),
                ref::MiniFloatSpec s) {
  return {std::move(name),
          [factory]() -> std::optional<FloatFormat> { return factory(); }, s};
}

FloatCase parsed(std::string spelling, ref::MiniFloatSpec s) {
  return {spelling,
          [spelling]() -> std::optional<FloatFormat> {
            auto e = ElementFormat::parse(spelling);
            if (!e || !e->isFloat())
              return std::nullopt;
            return e->getFloat();
          },
          s};
}

FloatCase constructed(std::string name, unsigned e, unsigned m, FloatVariant v,
                      bool sign, int bias, ref::MiniFloatSpec s) {
  return {std::move(name),
          [=]() -> std::optional<FloatFormat> {
            return FloatFormat(e, m, v, sign, bias);
          },
          s};
}

using ref::Kind;

std::vector<FloatCase> smallFormats() {
  return {
      // MLIR builtin and scale formats (FORMATS.md table).
      named("f8E4M3FN", &FloatFormat::e4m3fn,
            ref::spec(4, 3, Kind::FN, true, 7)),
      named("f8E4M3", &FloatFormat::e4m3, ref::spec(4, 3, Kind::IEEE, true, 7)),
      named("f8E5M2", &FloatFormat::e5m2,
            ref::spec(5, 2, Kind::IEEE, true, 15)),
      named("f8E4M3FNUZ", &FloatFormat::e4m3fnuz,
            ref::spec(4, 3, Kind::FNUZ, true, 8)),
      named("f8E5M2FNUZ", &FloatFormat::e5m2fnuz,
            ref::spec(5, 2, Kind::FNUZ, true, 16)),
      named("f6E2M3FN", &FloatFormat::e2m3fn,
            ref::spec(2, 3, Kind::Finite, true, 1)),
      named("f6E3M2FN", &FloatFormat::e3m2fn,
            ref::spec(3, 2, Kind::Finite, true, 3)),
      named("f4E2M1FN", &FloatFormat::e2m1fn,
            ref::spec(2, 1, Kind::Finite, true, 1)),
      named("f8E8M0FNU", &FloatFormat::e8m0fnu,
            ref::spec(8, 0, Kind::E8M0, false, 127)),
      named("ue4m3", &FloatFormat::ue4m3, ref::spec(4, 3, Kind::FN, false, 7)),
      named("ue5m3", &FloatFormat::ue5m3, ref::spec(5, 3, Kind::FN, false, 15)),
      // The same names through the parser.
      parsed("f8E4M3FN", ref::spec(4, 3, Kind::FN, true, 7)),
      parsed("f8E4M3", ref::spec(4, 3, Kind::IEEE, true, 7)),
      parsed("f8E5M2", ref::spec(5, 2, Kind::IEEE, true, 15)),
      parsed("f8E4M3FNUZ", ref::spec(4, 3, Kind::FNUZ, true, 8)),
      parsed("f8E5M2FNUZ", ref::spec(5, 2, Kind::FNUZ, true, 16)),
      parsed("f6E2M3FN", ref::spec(2, 3, Kind::Finite, true, 1)),
      parsed("f6E3M2FN", ref::spec(3, 2, Kind::Finite, true, 3)),
      parsed("f4E2M1FN", ref::spec(2, 1, Kind::Finite, true, 1)),
      parsed("f8E8M0FNU", ref::spec(8, 0, Kind::E8M0, false, 127)),
      parsed("ue4m3", ref::spec(4, 3, Kind::FN, false, 7)),
      parsed("ue5m3", ref::spec(5, 3, Kind::FN, false, 15)),
      // Generic eXmY: `_finite` by default below 8 bits, `_fn` at 8 bits.
      parsed("e3m4", ref::spec(3, 4, Kind::FN)),
      parsed("e2m5", ref::spec(2, 5, Kind::FN)),
      parsed("e6m1", ref::spec(6, 1, Kind::FN)),
      parsed("e2m2", ref::spec(2, 2, Kind::Finite)),
      parsed("e3m1", ref::spec(3, 1, Kind::Finite)),
      parsed("e1m2", ref::spec(1, 2, Kind::Finite)),
      parsed("e1m1", ref::spec(1, 1, Kind::Finite)),
      parsed("e5m1", ref::spec(5, 1, Kind::Finite)),
      parsed("e4m2", ref::spec(4, 2, Kind::Finite)),
      parsed("e4m2_fn", ref::spec(4, 2, Kind::FN)),
      parsed("e2m1_fn", ref::spec(2, 1, Kind::FN)),
      parsed("e3m3_ieee", ref::spec(3, 3, Kind::IEEE)),
      parsed("e4m3_ieee", ref::spec(4, 3, Kind::IEEE)),
      parsed("e5m2_ieee", ref::spec(5, 2, Kind::IEEE)),
      parsed("e3m2_fnuz", ref::spec(3, 2, Kind::FNUZ)),
      parsed("e4m3_fnuz", ref::spec(4, 3, Kind::FNUZ)),
      parsed("e4m3_finite", ref::spec(4, 3, Kind::Finite)),
      parsed("e5m2_fn", ref::spec(5, 2, Kind::FN)),
      parsed("ue3m2", ref::spec(3, 2, Kind::Finite, false)),
      parsed("ue4m4", ref::spec(4, 4, Kind::FN, false)),
      parsed("ue4m3_finite", ref::spec(4, 3, Kind::Finite, false)),
      // Spellings whose canonical names are other MLIR builtins.
      parsed("e3m4_ieee", ref::spec(3, 4, Kind::IEEE)),
      parsed("f8E3M4", ref::spec(3, 4, Kind::IEEE)),
      constructed("f8E4M3B11FNUZ", 4, 3, FloatVariant::FNUZ, true, 11,
                  ref::spec(4, 3, Kind::FNUZ, true, 11)),
      // Explicit (non-default) biases through the constructor.
      constructed("e4m3_fn_bias10", 4, 3, FloatVariant::FN, true, 10,
                  ref::spec(4, 3, Kind::FN, true, 10)),
      constructed("e3m2_finite_bias1", 3, 2, FloatVariant::Finite, true, 1,
                  ref::spec(3, 2, Kind::Finite, true, 1)),
      constructed("e5m2_ieee_bias13", 5, 2, FloatVariant::IEEE, true, 13,
                  ref::spec(5, 2, Kind::IEEE, true, 13)),
  };
}

std::vector<FloatCase> wideFormats() {
  return {
      named("f16", &FloatFormat::f16, ref::spec(5, 10, Kind::IEEE, true, 15)),
      named("bf16", &FloatFormat::bf16, ref::spec(8, 7, Kind::IEEE, true, 127)),
      parsed("f16", ref::spec(5, 10, Kind::IEEE, true, 15)),
      parsed("bf16", ref::spec(8, 7, Kind::IEEE, true, 127)),
  };
}

std::string caseName(const testing::TestParamInfo<FloatCase> &info) {
  std::string s = std::to_string(info.index) + "_" + info.param.name;
  for (char &c : s)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return s;
}

Kind kindOf(FloatVariant v) {
  switch (v) {
  case FloatVariant::IEEE:
    return Kind::IEEE;
  case FloatVariant::FN:
    return Kind::FN;
  case FloatVariant::FNUZ:
    return Kind::FNUZ;
  case FloatVariant::Finite:
    return Kind::Finite;
  case FloatVariant::E8M0:
    return Kind::E8M0;
  }
  return Kind::Finite;
}

std::string hexDouble(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a (%.17g)", d, d);
  return buf;
}

/// Collects mismatches; reports the first few in full and the total.
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

/// Compares encode(v) of the library with the reference; NaN results are
/// compared as "some NaN code".
void checkEncode(const FloatFormat &f, const ref::MiniFloatRef &r, double v,
                 Rounding rm, Overflow o, Mismatches &log) {
  uint32_t got = f.encode(v, rm, o);
  ref::MiniFloatRef::Result want = r.encode(v, rm, o);
  bool ok = want.nan ? (got < r.numCodes() && r.isNaN(got)) : got == want.code;
  if (!ok) {
    std::ostringstream os;
    os << "encode(" << hexDouble(v) << ", " << ref::roundingName(rm) << ", "
       << ref::overflowName(o) << ") = 0x" << std::hex << got << std::dec;
    if (got < r.numCodes())
      os << " (" << r.value(got) << ")";
    os << ", expected ";
    if (want.nan)
      os << "a NaN code";
    else
      os << "0x" << std::hex << want.code << std::dec << " ("
         << r.value(want.code) << ")";
    log.add(os.str());
  }
}

void checkAllModes(const FloatFormat &f, const ref::MiniFloatRef &r,
                   const std::vector<double> &values, Mismatches &log) {
  for (Rounding rm : ref::allRoundings())
    for (Overflow o : {Overflow::Saturate, Overflow::Special})
      for (double v : values)
        checkEncode(f, r, v, rm, o, log);
}

//===----------------------------------------------------------------------===//
// Parameterized tests over every format
//===----------------------------------------------------------------------===//

class FloatFormatTest : public testing::TestWithParam<FloatCase> {
protected:
  void SetUp() override {
    std::optional<FloatFormat> made = GetParam().make();
    ASSERT_TRUE(made.has_value())
        << "could not build " << GetParam().name << " (parse failed?)";
    f.emplace(*made);
    r.emplace(GetParam().spec);
  }
  std::optional<FloatFormat> f;
  std::optional<ref::MiniFloatRef> r;
};

TEST_P(FloatFormatTest, Properties) {
  const ref::MiniFloatSpec &s = GetParam().spec;
  EXPECT_EQ(f->getExpBits(), s.expBits);
  EXPECT_EQ(f->getManBits(), s.manBits);
  EXPECT_EQ(f->isSigned(), s.hasSign);
  EXPECT_EQ(f->getBias(), s.bias);
  EXPECT_EQ(kindOf(f->getVariant()), s.kind);
  EXPECT_EQ(f->getBitWidth(), r->bitWidth());
  EXPECT_EQ(f->getNumCodes(), r->numCodes());
  EXPECT_EQ(f->hasInf(), r->hasInf());
  EXPECT_EQ(f->hasNaN(), r->hasNaN());
  EXPECT_EQ(f->hasNegativeZero(), r->hasNegativeZero());
  EXPECT_EQ(f->getMaxFinite(), r->maxFinite());
  EXPECT_EQ(f->getMinNormal(), r->minNormal());
  EXPECT_EQ(f->getMinPositive(), r->minPositive());
  EXPECT_EQ(f->getEmax(), r->emax());

  ElementFormat ef(*f);
  EXPECT_TRUE(ef.isFloat());
  EXPECT_EQ(ef.getBitWidth(), r->bitWidth());
  EXPECT_EQ(ef.getNumCodes(), r->numCodes());
  EXPECT_EQ(ef.getMaxAbs(), r->maxFinite());
}

TEST_P(FloatFormatTest, DecodeEveryCode) {
  Mismatches log("decode of " + GetParam().name);
  ElementFormat ef(*f);
  for (uint32_t c = 0; c < r->numCodes(); ++c) {
    ref::Decoded want = r->decode(c);
    double got = f->decode(c);
    if (!ref::sameValue(got, want.value))
      log.add("decode(0x" + std::to_string(c) + ") = " + hexDouble(got) +
              ", expected " + hexDouble(want.value));
    if (f->isNaNCode(c) != want.nan)
      log.add("isNaNCode(" + std::to_string(c) + ") wrong");
    if (f->isInfCode(c) != want.inf)
      log.add("isInfCode(" + std::to_string(c) + ") wrong");
    if (!ref::sameValue(ef.decode(c), want.value))
      log.add("ElementFormat::decode(" + std::to_string(c) + ") differs");
  }
}

TEST_P(FloatFormatTest, EveryCodeReencodesToItself) {
  Mismatches log("round trip of " + GetParam().name);
  ElementFormat ef(*f);
  for (uint32_t c = 0; c < r->numCodes(); ++c) {
    ref::Decoded d = r->decode(c);
    double v = f->decode(c);
    for (Rounding rm : ref::allRoundings()) {
      for (Overflow o : {Overflow::Saturate, Overflow::Special}) {
        uint32_t got = f->encode(v, rm, o);
        uint32_t gotEf = ef.encode(v, rm, o);
        std::string where = "code 0x" + std::to_string(c) + " (" +
                            hexDouble(d.value) + ") " + ref::roundingName(rm) +
                            "/" + ref::overflowName(o);
        if (gotEf != got)
          log.add(where + ": ElementFormat::encode differs from FloatFormat");
        if (d.nan) {
          if (!(got < r->numCodes() && r->isNaN(got)))
            log.add(where + ": NaN re-encoded to non-NaN 0x" +
                    std::to_string(got));
        } else if (d.inf) {
          // Special keeps Inf; Saturate clamps it to +-max.
          uint32_t want =
              o == Overflow::Special
                  ? c
                  : (r->maxCode() | (d.negative ? r->signBit() : 0));
          if (got != want)
            log.add(where + ": got " + std::to_string(got) + ", expected " +
                    std::to_string(want));
        } else if (got != c) {
          log.add(where + ": re-encoded to 0x" + std::to_string(got));
        }
      }
    }
  }
}

TEST_P(FloatFormatTest, DenseFloat32SweepMatchesReference) {
  Mismatches log("dense sweep of " + GetParam().name);
  checkAllModes(*f, *r, ref::denseFloat32Sweep(*r), log);
}

TEST_P(FloatFormatTest, RandomFloat32BitPatternsMatchReference) {
  Mismatches log("random float32 patterns of " + GetParam().name);
  const size_t perMode = r->bitWidth() > 8 ? (1u << 13) : (1u << 16);
  uint32_t seed = 1234;
  for (Rounding rm : ref::allRoundings())
    for (Overflow o : {Overflow::Saturate, Overflow::Special})
      for (double v :
           ref::randomFloat32Patterns(perMode, seed++, GetParam().spec.hasSign))
        checkEncode(*f, *r, v, rm, o, log);
}

TEST_P(FloatFormatTest, RandomInRangeFloat32MatchReference) {
  Mismatches log("random in-range float32 of " + GetParam().name);
  const size_t perMode = r->bitWidth() > 8 ? (1u << 13) : (1u << 15);
  uint32_t seed = 777;
  for (Rounding rm : ref::allRoundings())
    for (Overflow o : {Overflow::Saturate, Overflow::Special})
      for (double v : ref::randomFloat32InRange(*r, perMode, seed++))
        checkEncode(*f, *r, v, rm, o, log);
}

/// encode takes a double: ties and their double-precision neighbours (which
/// no float32 can express) must round exactly, with no detour via float.
TEST_P(FloatFormatTest, DoublePrecisionTiesMatchReference) {
  if (r->bitWidth() > 8)
    GTEST_SKIP() << "covered by the float32 sweeps for wide formats";
  Mismatches log("double ties of " + GetParam().name);
  std::vector<double> vals;
  std::vector<double> ext = r->magnitudes();
  ext.push_back(r->virtualNextValue());
  for (size_t i = 0; i + 1 < ext.size(); ++i) {
    double mid = (ext[i] + ext[i + 1]) / 2;
    for (double v :
         {mid, std::nextafter(mid, 0.0), std::nextafter(mid, 1e300),
          std::nextafter(ext[i], 1e300), std::nextafter(ext[i + 1], 0.0)}) {
      vals.push_back(v);
      if (GetParam().spec.hasSign)
        vals.push_back(-v);
    }
  }
  checkAllModes(*f, *r, vals, log);
}

TEST_P(FloatFormatTest, NaNAndInfinityInputs) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (Rounding rm : ref::allRoundings()) {
    for (Overflow o : {Overflow::Saturate, Overflow::Special}) {
      SCOPED_TRACE(std::string(ref::roundingName(rm)) + "/" +
                   ref::overflowName(o));
      uint32_t n = f->encode(nan, rm, o);
      if (r->hasNaN())
        EXPECT_TRUE(n < r->numCodes() && r->isNaN(n)) << "got " << n;
      else
        EXPECT_EQ(n, 0u) << "Finite formats encode NaN as +0";

      uint32_t pinf = f->encode(inf, rm, o);
      if (o == Overflow::Saturate || (!r->hasInf() && !r->hasNaN())) {
        EXPECT_EQ(pinf, r->maxCode());
      } else if (r->hasInf()) {
        EXPECT_EQ(pinf, r->positiveInfCode());
      } else {
        EXPECT_TRUE(pinf < r->numCodes() && r->isNaN(pinf)) << "got " << pinf;
      }
      if (GetParam().spec.hasSign) {
        uint32_t ninf = f->encode(-inf, rm, o);
        if (o == Overflow::Saturate || (!r->hasInf() && !r->hasNaN()))
          EXPECT_EQ(ninf, r->maxCode() | r->signBit());
        else if (r->hasInf())
          EXPECT_EQ(ninf, r->positiveInfCode() | r->signBit());
        else
          EXPECT_TRUE(ninf < r->numCodes() && r->isNaN(ninf)) << "got " << ninf;
      }
    }
  }
}

TEST_P(FloatFormatTest, SignedZeros) {
  const ref::MiniFloatSpec &s = GetParam().spec;
  if (s.kind == Kind::E8M0)
    GTEST_SKIP() << "E8M0 has no zero (see E8M0 tests)";
  EXPECT_EQ(f->encode(0.0), 0u);
  EXPECT_TRUE(ref::sameValue(f->decode(0), 0.0));
  // A negative magnitude that rounds to zero keeps its sign where the format
  // has a negative zero (FNUZ: the sign bit alone is NaN, so +0).
  const double tiny = r->minPositive() / 4;
  uint32_t negZero = r->hasNegativeZero() ? r->signBit() : 0;
  for (Rounding rm : ref::allRoundings()) {
    SCOPED_TRACE(ref::roundingName(rm));
    EXPECT_EQ(f->encode(-0.0, rm), negZero);
    if (!s.hasSign)
      continue;
    if (rm != Rounding::Down) { // Down takes -tiny to -minPositive
      EXPECT_EQ(f->encode(-tiny, rm), negZero);
    }
    if (rm != Rounding::Up) {
      EXPECT_EQ(f->encode(tiny, rm), 0u);
    }
  }
  if (r->hasNegativeZero()) {
    EXPECT_TRUE(ref::sameValue(f->decode(r->signBit()), -0.0));
  }
}

TEST_P(FloatFormatTest, NameParsesBackToTheSameFormat) {
  std::string name = f->getName();
  auto back = ElementFormat::parse(name);
  ASSERT_TRUE(back.has_value())
      << "getName() = '" << name << "' does not parse";
  ASSERT_TRUE(back->isFloat());
  EXPECT_TRUE(back->getFloat() == *f) << name;
  EXPECT_EQ(back->getName(), name);
}

/// Not a test of the library: the binary-search reference equals the plain
/// linear scan over all codes.
TEST_P(FloatFormatTest, ReferenceSelfCheck) {
  if (r->bitWidth() > 8)
    GTEST_SKIP();
  std::vector<double> vals = ref::denseFloat32Sweep(*r);
  std::vector<double> rnd = ref::randomFloat32InRange(*r, 2000, 99);
  vals.insert(vals.end(), rnd.begin(), rnd.end());
  for (Rounding rm : ref::allRoundings())
    for (Overflow o : {Overflow::Saturate, Overflow::Special})
      for (double v : vals) {
        auto a = r->encode(v, rm, o);
        auto b = r->encodeLinear(v, rm, o);
        ASSERT_EQ(a.nan, b.nan) << hexDouble(v);
        if (!a.nan) {
          ASSERT_EQ(a.code, b.code) << hexDouble(v);
        }
      }
}

INSTANTIATE_TEST_SUITE_P(Small, FloatFormatTest,
                         testing::ValuesIn(smallFormats()), caseName);
INSTANTIATE_TEST_SUITE_P(Wide, FloatFormatTest,
                         testing::ValuesIn(wideFormats()), caseName);

//===----------------------------------------------------------------------===//
// Hand-checked facts (FORMATS.md table and traps)
//===----------------------------------------------------------------------===//

TEST(FloatFormatFacts, TableOfFormatsMd) {
  struct Row {
    FloatFormat f;
    double maxNormal, minNormal, minSub;
    int emax;
  };
  const Row rows[] = {
      {FloatFormat::e4m3fn(), 448, 0x1p-6, 0x1p-9, 8},
      {FloatFormat::e5m2(), 57344, 0x1p-14, 0x1p-16, 15},
      {FloatFormat::e3m2fn(), 28, 0x1p-2, 0x1p-4, 4},
      {FloatFormat::e2m3fn(), 7.5, 1, 0x1p-3, 2},
      {FloatFormat::e2m1fn(), 6, 1, 0.5, 2},
      {FloatFormat::e8m0fnu(), 0x1p127, 0x1p-127, 0x1p-127, 127},
      {FloatFormat::ue4m3(), 448, 0x1p-6, 0x1p-9, 8},
      {FloatFormat::e4m3(), 240, 0x1p-6, 0x1p-9, 7},
      {FloatFormat::e4m3fnuz(), 240, 0x1p-7, 0x1p-10, 7},
      {FloatFormat::e5m2fnuz(), 57344, 0x1p-15, 0x1p-17, 15},
      {FloatFormat::f16(), 65504, 0x1p-14, 0x1p-24, 15},
      {FloatFormat::bf16(), 0x1.FEp127, 0x1p-126, 0x1p-133, 127},
  };
  for (const Row &row : rows) {
    SCOPED_TRACE(row.f.getName());
    EXPECT_EQ(row.f.getMaxFinite(), row.maxNormal);
    EXPECT_EQ(row.f.getMinNormal(), row.minNormal);
    EXPECT_EQ(row.f.getMinPositive(), row.minSub);
    EXPECT_EQ(row.f.getEmax(), row.emax);
  }
  EXPECT_EQ(FloatFormat::ue4m3().getBitWidth(), 7u);
  EXPECT_FALSE(FloatFormat::ue4m3().isSigned());
  EXPECT_EQ(FloatFormat::e8m0fnu().getBitWidth(), 8u);
}

TEST(FloatFormatFacts, BuiltinNames) {
  EXPECT_EQ(FloatFormat::e4m3fn().getName(), "f8E4M3FN");
  EXPECT_EQ(FloatFormat::e4m3().getName(), "f8E4M3");
  EXPECT_EQ(FloatFormat::e5m2().getName(), "f8E5M2");
  EXPECT_EQ(FloatFormat::e4m3fnuz().getName(), "f8E4M3FNUZ");
  EXPECT_EQ(FloatFormat::e5m2fnuz().getName(), "f8E5M2FNUZ");
  EXPECT_EQ(FloatFormat::e2m3fn().getName(), "f6E2M3FN");
  EXPECT_EQ(FloatFormat::e3m2fn().getName(), "f6E3M2FN");
  EXPECT_EQ(FloatFormat::e2m1fn().getName(), "f4E2M1FN");
  EXPECT_EQ(FloatFormat::e8m0fnu().getName(), "f8E8M0FNU");
  EXPECT_EQ(FloatFormat::f16().getName(), "f16");
  EXPECT_EQ(FloatFormat::bf16().getName(), "bf16");
}

TEST(FloatFormatFacts, E2M1Values) {
  // FORMATS.md: values 0, .5, 1, 1.5, 2, 3, 4, 6 and their negatives.
  const double pos[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  FloatFormat f = FloatFormat::e2m1fn();
  for (uint32_t c = 0; c < 8; ++c) {
    EXPECT_EQ(f.decode(c), pos[c]);
    EXPECT_EQ(f.decode(c | 8), -pos[c]);
    EXPECT_EQ(f.encode(pos[c]), c);
    EXPECT_EQ(f.encode(-pos[c]), c | 8);
  }
  EXPECT_TRUE(std::signbit(f.decode(8)));
  // Ties to even: 0.25->0, 0.75->1, 1.25->1, 1.75->2, 2.5->2, 3.5->4, 5->4.
  EXPECT_EQ(f.encode(0.25), 0u);
  EXPECT_EQ(f.encode(0.75), 2u);
  EXPECT_EQ(f.encode(1.25), 2u);
  EXPECT_EQ(f.encode(1.75), 4u);
  EXPECT_EQ(f.encode(2.5), 4u);
  EXPECT_EQ(f.encode(3.5), 6u);
  EXPECT_EQ(f.encode(5.0), 6u);
  EXPECT_EQ(f.encode(-5.0), 14u);
  // Ties away from zero: 0.25->0.5, 2.5->3, 5->6, -5->-6.
  EXPECT_EQ(f.encode(0.25, Rounding::NearestAway), 1u);
  EXPECT_EQ(f.encode(2.5, Rounding::NearestAway), 5u);
  EXPECT_EQ(f.encode(5.0, Rounding::NearestAway), 7u);
  EXPECT_EQ(f.encode(-5.0, Rounding::NearestAway), 15u);
  // Directed.
  EXPECT_EQ(f.encode(5.9, Rounding::TowardZero), 6u);
  EXPECT_EQ(f.encode(4.1, Rounding::Up), 7u);
  EXPECT_EQ(f.encode(-4.1, Rounding::Up), 14u);
  EXPECT_EQ(f.encode(-4.1, Rounding::Down), 15u);
  EXPECT_EQ(f.encode(0.1, Rounding::Up), 1u);
  EXPECT_EQ(f.encode(-0.1, Rounding::Up), 8u); // -0
  // No Inf, no NaN: overflow always saturates.
  EXPECT_EQ(f.encode(100.0, Rounding::NearestEven, Overflow::Special), 7u);
  EXPECT_EQ(f.encode(-100.0, Rounding::Up, Overflow::Special), 15u);
  EXPECT_EQ(f.encode(7.0), 7u);
}

TEST(FloatFormatFacts, E4M3FNCodes) {
  FloatFormat f = FloatFormat::e4m3fn();
  EXPECT_EQ(f.decode(0x7E), 448.0);
  EXPECT_EQ(f.decode(0xFE), -448.0);
  EXPECT_TRUE(std::isnan(f.decode(0x7F)));
  EXPECT_TRUE(std::isnan(f.decode(0xFF)));
  EXPECT_TRUE(f.isNaNCode(0x7F) && f.isNaNCode(0xFF));
  EXPECT_FALSE(f.isNaNCode(0x7E) || f.isNaNCode(0x78));
  EXPECT_EQ(f.decode(0x78), 256.0); // 1111.000 is finite in FN
  EXPECT_EQ(f.decode(0x01), 0x1p-9);
  EXPECT_EQ(f.decode(0x08), 0x1p-6);
  EXPECT_EQ(f.decode(0x38), 1.0);
  // 464 = 448 + half ulp: ties to even keeps 448 (mantissa 110).
  EXPECT_EQ(f.encode(464.0, Rounding::NearestEven, Overflow::Special), 0x7Eu);
  EXPECT_TRUE(
      f.isNaNCode(f.encode(464.0, Rounding::NearestAway, Overflow::Special)));
  EXPECT_EQ(f.encode(464.0, Rounding::NearestAway, Overflow::Saturate), 0x7Eu);
  EXPECT_TRUE(
      f.isNaNCode(f.encode(465.0, Rounding::NearestEven, Overflow::Special)));
  EXPECT_EQ(f.encode(465.0, Rounding::NearestEven, Overflow::Saturate), 0x7Eu);
  EXPECT_EQ(f.encode(-465.0, Rounding::NearestEven, Overflow::Saturate), 0xFEu);
  EXPECT_EQ(f.encode(1e9, Rounding::TowardZero, Overflow::Special), 0x7Eu);
  EXPECT_EQ(f.encode(0x1p-10), 0x00u);  // tie with 2^-9: even is 0
  EXPECT_EQ(f.encode(0x1.8p-9), 0x02u); // tie 1 vs 2 -> 2
  EXPECT_EQ(f.encode(-0.0), 0x80u);
}

TEST(FloatFormatFacts, E5M2Overflow) {
  FloatFormat f = FloatFormat::e5m2();
  EXPECT_EQ(f.decode(0x7B), 57344.0);
  EXPECT_TRUE(std::isinf(f.decode(0x7C)) && f.decode(0x7C) > 0);
  EXPECT_TRUE(std::isinf(f.decode(0xFC)) && f.decode(0xFC) < 0);
  EXPECT_TRUE(f.isInfCode(0x7C));
  EXPECT_TRUE(f.isNaNCode(0x7D) && f.isNaNCode(0x7E) && f.isNaNCode(0x7F));
  // 61440 = 57344 + half ulp; max's mantissa 11 is odd, so the tie rounds up
  // to 2^16 which overflows.
  EXPECT_EQ(f.encode(61440.0, Rounding::NearestEven, Overflow::Special), 0x7Cu);
  EXPECT_EQ(f.encode(61439.0, Rounding::NearestEven, Overflow::Special), 0x7Bu);
  EXPECT_EQ(f.encode(61440.0, Rounding::NearestEven, Overflow::Saturate),
            0x7Bu);
  EXPECT_EQ(f.encode(-1e6, Rounding::NearestEven, Overflow::Special), 0xFCu);
  EXPECT_EQ(f.encode(-1e6, Rounding::NearestEven, Overflow::Saturate), 0xFBu);
  // Directed rounding (IEEE 754 7.4): toward zero never overflows to Inf.
  EXPECT_EQ(f.encode(1e6, Rounding::TowardZero, Overflow::Special), 0x7Bu);
  EXPECT_EQ(f.encode(1e6, Rounding::Down, Overflow::Special), 0x7Bu);
  EXPECT_EQ(f.encode(-1e6, Rounding::Up, Overflow::Special), 0xFBu);
  EXPECT_EQ(f.encode(57345.0, Rounding::Up, Overflow::Special), 0x7Cu);
  EXPECT_EQ(f.encode(-57345.0, Rounding::Down, Overflow::Special), 0xFCu);
  EXPECT_EQ(f.encode(57345.0, Rounding::Up, Overflow::Saturate), 0x7Bu);
}

TEST(FloatFormatFacts, E4M3IEEEDiffersFromFN) {
  FloatFormat f = FloatFormat::e4m3();
  EXPECT_EQ(f.decode(0x77), 240.0);
  EXPECT_TRUE(f.isInfCode(0x78));
  EXPECT_TRUE(f.isNaNCode(0x79));
  EXPECT_EQ(f.encode(248.0, Rounding::NearestEven, Overflow::Special), 0x78u);
  EXPECT_EQ(f.encode(247.0, Rounding::NearestEven, Overflow::Special), 0x77u);
  EXPECT_EQ(f.encode(300.0, Rounding::NearestEven, Overflow::Saturate), 0x77u);
  EXPECT_NE(f, FloatFormat::e4m3fn());
}

TEST(FloatFormatFacts, FNUZSpecialCodes) {
  for (FloatFormat f : {FloatFormat::e4m3fnuz(), FloatFormat::e5m2fnuz()}) {
    SCOPED_TRACE(f.getName());
    EXPECT_TRUE(f.isNaNCode(0x80));
    EXPECT_TRUE(std::isnan(f.decode(0x80)));
    EXPECT_FALSE(f.isNaNCode(0x7F) || f.isNaNCode(0xFF));
    EXPECT_EQ(f.encode(std::nan("")), 0x80u);
    EXPECT_EQ(f.encode(-0.0), 0x00u);
    EXPECT_FALSE(f.hasNegativeZero());
    EXPECT_EQ(f.decode(0xFF), -f.getMaxFinite());
    EXPECT_TRUE(
        f.isNaNCode(f.encode(1e9, Rounding::NearestEven, Overflow::Special)));
    EXPECT_EQ(f.encode(1e9, Rounding::NearestEven, Overflow::Saturate), 0x7Fu);
    EXPECT_EQ(f.encode(-1e9, Rounding::NearestEven, Overflow::Saturate), 0xFFu);
  }
  EXPECT_EQ(FloatFormat::e4m3fnuz().decode(0x7F), 240.0);
  EXPECT_EQ(FloatFormat::e4m3fnuz().decode(0x01), 0x1p-10);
  EXPECT_EQ(FloatFormat::e5m2fnuz().decode(0x01), 0x1p-17);
}

TEST(FloatFormatFacts, FiniteFormatsEncodeNaNAsPositiveZero) {
  for (FloatFormat f :
       {FloatFormat::e2m1fn(), FloatFormat::e2m3fn(), FloatFormat::e3m2fn()}) {
    SCOPED_TRACE(f.getName());
    EXPECT_FALSE(f.hasNaN());
    EXPECT_FALSE(f.hasInf());
    for (Rounding rm : ref::allRoundings())
      for (Overflow o : {Overflow::Saturate, Overflow::Special}) {
        EXPECT_EQ(f.encode(std::nan(""), rm, o), 0u);
        EXPECT_EQ(f.encode(-std::nan(""), rm, o), 0u);
      }
    for (uint32_t c = 0; c < f.getNumCodes(); ++c) {
      EXPECT_FALSE(f.isNaNCode(c));
      EXPECT_FALSE(f.isInfCode(c));
    }
  }
}

TEST(FloatFormatFacts, E8M0Conventions) {
  FloatFormat f = FloatFormat::e8m0fnu();
  EXPECT_FALSE(f.isSigned());
  EXPECT_FALSE(f.hasNegativeZero());
  EXPECT_FALSE(f.hasInf());
  EXPECT_TRUE(f.hasNaN());
  // Code 0 is 2^-127, a float32 subnormal; never a zero.
  EXPECT_EQ(f.decode(0x00), 0x1p-127);
  EXPECT_NE(f.decode(0x00), 0.0);
  EXPECT_EQ(static_cast<float>(f.decode(0x00)), 0x1p-127f);
  EXPECT_EQ(f.decode(0x7F), 1.0);
  EXPECT_EQ(f.decode(0xFE), 0x1p127);
  EXPECT_TRUE(std::isnan(f.decode(0xFF)));
  EXPECT_TRUE(f.isNaNCode(0xFF));
  for (uint32_t c = 0; c < 0xFF; ++c) {
    EXPECT_EQ(f.decode(c), std::ldexp(1.0, int(c) - 127)) << c;
    EXPECT_FALSE(f.isNaNCode(c));
  }
  // No zero: 0 and magnitudes below 2^-127 encode as 2^-127 in every mode.
  for (Rounding rm : ref::allRoundings())
    for (Overflow o : {Overflow::Saturate, Overflow::Special}) {
      EXPECT_EQ(f.encode(0.0, rm, o), 0x00u);
      EXPECT_EQ(f.encode(-0.0, rm, o), 0x00u);
      EXPECT_EQ(f.encode(0x1p-130, rm, o), 0x00u);
      EXPECT_EQ(f.encode(0x1p-149, rm, o), 0x00u);
      EXPECT_EQ(f.encode(0x1p-1000, rm, o), 0x00u);
      EXPECT_EQ(f.encode(std::nan(""), rm, o), 0xFFu);
      EXPECT_EQ(f.encode(1.0, rm, o), 0x7Fu);
      EXPECT_EQ(f.encode(0x1p127, rm, o), 0xFEu);
    }
  EXPECT_EQ(f.encode(INFINITY, Rounding::NearestEven, Overflow::Special),
            0xFFu);
  EXPECT_EQ(f.encode(INFINITY, Rounding::NearestEven, Overflow::Saturate),
            0xFEu);
  // Ties between 2^k and 2^(k+1) sit at 1.5 * 2^k and go to the even code.
  EXPECT_EQ(f.encode(1.5), 0x80u); // 1 (0x7F, odd) vs 2 (0x80, even)
  EXPECT_EQ(f.encode(3.0), 0x80u); // 2 (0x80) vs 4 (0x81)
  EXPECT_EQ(f.encode(1.4), 0x7Fu);
  EXPECT_EQ(f.encode(3.1), 0x81u);
  EXPECT_EQ(f.encode(3.0, Rounding::NearestAway), 0x81u);
  EXPECT_EQ(f.encode(1.1, Rounding::Up), 0x80u);
  EXPECT_EQ(f.encode(1.9, Rounding::Down), 0x7Fu);
  EXPECT_EQ(f.encode(1.9, Rounding::TowardZero), 0x7Fu);
  // Above 2^127: 1.5 * 2^127 ties to 2^127 (0xFE even); beyond overflows.
  EXPECT_EQ(f.encode(0x1.8p127, Rounding::NearestEven, Overflow::Special),
            0xFEu);
  EXPECT_EQ(f.encode(0x1.9p127, Rounding::NearestEven, Overflow::Special),
            0xFFu);
  EXPECT_EQ(f.encode(0x1.9p127, Rounding::NearestEven, Overflow::Saturate),
            0xFEu);
  EXPECT_EQ(f.encode(double(FLT_MAX), Rounding::TowardZero, Overflow::Special),
            0xFEu);
}

TEST(FloatFormatFacts, UE4M3IsUnsignedE4M3) {
  FloatFormat f = FloatFormat::ue4m3();
  EXPECT_EQ(f.getNumCodes(), 128u);
  EXPECT_TRUE(f.isNaNCode(0x7F));
  EXPECT_EQ(f.decode(0x7E), 448.0);
  FloatFormat e = FloatFormat::e4m3fn();
  for (uint32_t c = 0; c < 0x7F; ++c)
    EXPECT_EQ(f.decode(c), e.decode(c)) << c;
  EXPECT_EQ(f.encode(1e6), 0x7Eu);
  EXPECT_TRUE(f.isNaNCode(f.encode(std::nan(""))));
  EXPECT_TRUE(f.isNaNCode(FloatFormat::ue5m3().encode(std::nan(""))));
  EXPECT_EQ(FloatFormat::ue5m3().encode(std::nan("")), 0xFFu);
}

/// f32 exists as a scale format: its codes are the float32 bit patterns and
/// RNE encoding is the hardware's double -> float conversion.
TEST(FloatFormatFacts, F32ScaleFormat) {
  FloatFormat f = FloatFormat::f32();
  EXPECT_EQ(f.getBitWidth(), 32u);
  EXPECT_EQ(f.getMaxFinite(), double(FLT_MAX));
  EXPECT_EQ(f.getMinNormal(), double(FLT_MIN));
  EXPECT_EQ(f.getMinPositive(),
            double(std::numeric_limits<float>::denorm_min()));
  EXPECT_EQ(f.getEmax(), 127);
  std::mt19937_64 gen(11);
  std::vector<double> vals = {0.0,
                              -0.0,
                              1.0,
                              -1.5,
                              0x1p-149,
                              0x1p-150,
                              0x1.8p-149,
                              3 * 0x1p-150,
                              double(FLT_MAX),
                              -double(FLT_MAX),
                              0x1.fffffep127 + 0x1p103,
                              0x1.fffffep127 + 0x1p102,
                              1e39,
                              -1e39};
  for (int i = 0; i < 100000; ++i) {
    // Random doubles: float32 midpoints and arbitrary bit patterns in range.
    uint32_t fb = uint32_t(gen()) & 0x7F7FFFFFu;
    float lo = ref::bitsToFloat(fb), hi = std::nextafter(lo, INFINITY);
    double mid = (double(lo) + double(hi)) / 2;
    vals.push_back(mid);
    vals.push_back(std::nextafter(mid, 0.0));
    vals.push_back(-std::nextafter(mid, 1e300));
    uint64_t db = gen();
    double d;
    std::memcpy(&d, &db, 8);
    if (std::isfinite(d) && std::fabs(d) < 1e38)
      vals.push_back(d);
  }
  size_t bad = 0;
  for (double v : vals) {
    float cast = static_cast<float>(v); // RNE
    uint32_t sat = std::isinf(cast)
                       ? ref::floatBits(std::copysign(FLT_MAX, cast))
                       : ref::floatBits(cast);
    uint32_t special = ref::floatBits(cast);
    if (f.encode(v, Rounding::NearestEven, Overflow::Saturate) != sat &&
        bad++ < 10)
      ADD_FAILURE() << "f32 encode(" << hexDouble(v) << ", Saturate)";
    if (f.encode(v, Rounding::NearestEven, Overflow::Special) != special &&
        bad++ < 10)
      ADD_FAILURE() << "f32 encode(" << hexDouble(v) << ", Special)";
    if (f.decode(ref::floatBits(cast)) != double(cast) && bad++ < 10)
      ADD_FAILURE() << "f32 decode of " << hexDouble(cast);
  }
  EXPECT_EQ(bad, 0u);
  EXPECT_TRUE(std::isnan(f.decode(0x7FC00000u)));
  EXPECT_TRUE(f.isNaNCode(f.encode(std::nan(""))));
  EXPECT_TRUE(f.isInfCode(0xFF800000u));
  EXPECT_EQ(f.encode(INFINITY, Rounding::NearestEven, Overflow::Special),
            0x7F800000u);
  EXPECT_EQ(f.encode(1.1, Rounding::TowardZero),
            ref::floatBits(std::nextafter(1.1f, 0.0f)));
  EXPECT_EQ(f.encode(1.1, Rounding::Up), ref::floatBits(1.1f));
  EXPECT_EQ(f.encode(-1.1, Rounding::Down), ref::floatBits(-1.1f));
  EXPECT_EQ(f.getName(), "f32");
}

//===----------------------------------------------------------------------===//
// Name parsing
//===----------------------------------------------------------------------===//

std::optional<FloatFormat> parseFloat(const char *name) {
  auto e = ElementFormat::parse(name);
  if (!e || !e->isFloat())
    return std::nullopt;
  return e->getFloat();
}

TEST(FloatFormatParse, BuiltinNamesGiveTheNamedFormats) {
  EXPECT_EQ(parseFloat("f8E4M3FN"), FloatFormat::e4m3fn());
  EXPECT_EQ(parseFloat("f8E4M3"), FloatFormat::e4m3());
  EXPECT_EQ(parseFloat("f8E5M2"), FloatFormat::e5m2());
  EXPECT_EQ(parseFloat("f8E4M3FNUZ"), FloatFormat::e4m3fnuz());
  EXPECT_EQ(parseFloat("f8E5M2FNUZ"), FloatFormat::e5m2fnuz());
  EXPECT_EQ(parseFloat("f6E2M3FN"), FloatFormat::e2m3fn());
  EXPECT_EQ(parseFloat("f6E3M2FN"), FloatFormat::e3m2fn());
  EXPECT_EQ(parseFloat("f4E2M1FN"), FloatFormat::e2m1fn());
  EXPECT_EQ(parseFloat("f8E8M0FNU"), FloatFormat::e8m0fnu());
  EXPECT_EQ(parseFloat("ue4m3"), FloatFormat::ue4m3());
  EXPECT_EQ(parseFloat("ue5m3"), FloatFormat::ue5m3());
  EXPECT_EQ(parseFloat("f16"), FloatFormat::f16());
  EXPECT_EQ(parseFloat("bf16"), FloatFormat::bf16());
}

TEST(FloatFormatParse, GenericSpellingDefaults) {
  // 8 bits default to _fn, fewer to _finite.
  EXPECT_EQ(parseFloat("e4m3"), FloatFormat::e4m3fn());
  EXPECT_EQ(parseFloat("e4m3_fn"), FloatFormat::e4m3fn());
  EXPECT_EQ(parseFloat("e4m3_ieee"), FloatFormat::e4m3());
  EXPECT_EQ(parseFloat("e4m3_fnuz"), FloatFormat::e4m3fnuz());
  EXPECT_EQ(parseFloat("e5m2_ieee"), FloatFormat::e5m2());
  EXPECT_EQ(parseFloat("e5m2_fnuz"), FloatFormat::e5m2fnuz());
  EXPECT_EQ(parseFloat("e5m2"), FloatFormat(5, 2, FloatVariant::FN));
  EXPECT_EQ(parseFloat("e2m1"), FloatFormat::e2m1fn());
  EXPECT_EQ(parseFloat("e2m3"), FloatFormat::e2m3fn());
  EXPECT_EQ(parseFloat("e3m2"), FloatFormat::e3m2fn());
  EXPECT_EQ(parseFloat("e3m2_finite"), FloatFormat::e3m2fn());
  EXPECT_EQ(parseFloat("ue4m3"), FloatFormat(4, 3, FloatVariant::FN, false));
}

TEST(FloatFormatParse, RejectsBadNames) {
  for (const char *bad : {"", "foo", "f8", "f8E4M3X", "e4m3_bogus", "e10m10",
                          "e9m8", "i1", "i17", "ui1", "ui17", "x4", "nf5"}) {
    EXPECT_FALSE(ElementFormat::parse(bad).has_value()) << "'" << bad << "'";
  }
}

} // namespace
