//===- QuantizerTest.cpp - scale rules, tensor formats, (de)quantize ------===//
//
// Part of qopt. The scale rules of FORMATS.md on hand-worked values (MX in
// all four ScaleModes, NVFP4/NVINT4 two-level, absmax, affine, ONNX
// QuantizeLinear/DequantizeLinear), TensorFormat parsing, verification and
// scale grids, and quantize()/dequantize() of small tensors against
// hand-computed values and against an independent reference quantizer built
// on Reference.h.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"

#include "qopt/Format/ElementFormat.h"
#include "qopt/Format/Quantizer.h"
#include "qopt/Format/TensorFormat.h"

#include "gtest/gtest.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace qopt::format;
namespace ref = qopt::format::ref;

namespace {

// Functions, not globals: no library call during static initialisation.
ElementFormat E2M1() { return FloatFormat::e2m1fn(); }
ElementFormat E4M3() { return FloatFormat::e4m3fn(); }
ElementFormat E5M2() { return FloatFormat::e5m2(); }
ElementFormat E3M2() { return FloatFormat::e3m2fn(); }
ElementFormat E2M3() { return FloatFormat::e2m3fn(); }
ElementFormat I8() { return IntFormat(8, true); }
ElementFormat I4() { return IntFormat(4, true); }

std::optional<TensorFormat> parseSpec(const std::string &spec) {
  std::string error;
  auto f = TensorFormat::parse(spec, error);
  if (!f)
    ADD_FAILURE() << "cannot parse '" << spec << "': " << error;
  return f;
}

/// Parses a spec the test relies on; on failure reports it and goes on with
/// a plain per-tensor int8 format (so the remaining checks fail, not crash).
TensorFormat parseOrDie(const std::string &spec) {
  if (auto f = parseSpec(spec))
    return *f;
  return TensorFormat(IntFormat(8, true), FloatFormat::f32(),
                      Granularity::perTensor());
}

std::string hexFloat(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a (%.9g)", d, d);
  return buf;
}

//===----------------------------------------------------------------------===//
// MX scale codes by hand
//===----------------------------------------------------------------------===//

struct MXRow {
  const char *elem;
  ElementFormat (*element)();
  float amax;
  // Expected E8M0 codes for Floor, Ceil, Even, RCeil (-1: not tested).
  int floorCode, ceilCode, evenCode, rceilCode;
};

// Worked by hand from FORMATS.md. E2M1: emax 2, max 6, 1 mantissa bit (EVEN
// adds 0.25 to the mantissa, half up). E4M3: emax 8, max 448 = 1.75*2^8, 3
// bits (adds 1/16). E5M2: emax 15, max 1.75*2^15, 2 bits (adds 1/8). E3M2:
// emax 4, max 28. E2M3: emax 2, max 7.5. INT8 (MXINT8): emax 0, max 127/64.
const MXRow kMXRows[] = {
    // amax 1: floor 0-2=-2 (125); ceil 0-2 (125); even 1.0 -> -2 (125);
    // rceil ceil(log2(1/6)) = ceil(-2.58) = -2 (125).
    {"e2m1", &E2M1, 1.0f, 125, 125, 125, 125},
    // 4: 2-2=0; ceil 2-2=0; even 0; rceil ceil(log2(0.667)) = 0.
    {"e2m1", &E2M1, 4.0f, 127, 127, 127, 127},
    // 6 = 1.5*4: floor 0; ceil ceil(2.58)=3 -> 1; even 1.5+.25=1.75 -> 0;
    // rceil log2(1) = 0.
    {"e2m1", &E2M1, 6.0f, 127, 128, 127, 127},
    // 6.5 = 1.625*4: floor 0; ceil 1; even 1.875 -> 0; rceil ceil(0.115)=1.
    {"e2m1", &E2M1, 6.5f, 127, 128, 127, 128},
    // 7 = 1.75*4: floor 0; ceil 1; even 1.75+.25 = 2 -> 2^3 -> 1; rceil 1.
    {"e2m1", &E2M1, 7.0f, 127, 128, 128, 128},
    // 3 = 1.5*2: floor 1-2=-1; ceil 2-2=0; even -1; rceil log2(.5) = -1.
    {"e2m1", &E2M1, 3.0f, 126, 127, 126, 126},
    // 3.1: floor -1; ceil 0; even 1.55+.25 < 2 -> -1; rceil ceil(-0.95) = 0.
    {"e2m1", &E2M1, 3.1f, 126, 127, 126, 127},
    // 8: floor 1; ceil 1; even 1; rceil ceil(0.415) = 1.
    {"e2m1", &E2M1, 8.0f, 128, 128, 128, 128},
    // 12 = 1.5*8: floor 1; ceil ceil(3.58)=4 -> 2; even 1; rceil log2(2)=1.
    {"e2m1", &E2M1, 12.0f, 128, 129, 128, 128},
    // 0.75 = 1.5*2^-1: floor -3; ceil 0-2 = -2; even -3; rceil log2(1/8)=-3.
    {"e2m1", &E2M1, 0.75f, 124, 125, 124, 124},
    // 2^-126: floor -128 -> clamp -127 (0); ceil -128 -> 0; even 0; rceil
    // ceil(-128.58) = -128 -> 0.
    {"e2m1", &E2M1, 0x1p-126f, 0, 0, 0, 0},
    // 2^-124: -126 (1) for all; rceil ceil(-126.58) = -126.
    {"e2m1", &E2M1, 0x1p-124f, 1, 1, 1, 1},
    // 1.5*2^-125: floor -127 (0); ceil -124-2 = -126 (1); even 1.75 -> -127;
    // rceil 1.5*2^-125/6 = 2^-127 -> -127 (0).
    {"e2m1", &E2M1, 0x1.8p-125f, 0, 1, 0, 0},
    // 2^-149 (smallest float32 subnormal): all clamp to -127.
    {"e2m1", &E2M1, 0x1p-149f, 0, 0, -1, 0},
    // 2^127: floor/ceil/even 125 (252); rceil ceil(127-2.58)=125.
    {"e2m1", &E2M1, 0x1p127f, 252, 252, 252, 252},
    // FLT_MAX = (2-2^-23)*2^127: floor 125 (252); ceil 128-2 = 126 (253);
    // even rounds the mantissa up to 2 -> 126 (253); rceil ceil(125.4)=126.
    {"e2m1", &E2M1, FLT_MAX, 252, 253, 253, 253},

    // E4M3. 448: floor 8-8=0; ceil 9-8=1; even 1.75+1/16 < 2 -> 0; rceil 0.
    {"e4m3", &E4M3, 448.0f, 127, 128, 127, 127},
    // 496 = 1.9375*256: floor 0; ceil 1; even 1.9375+.0625 = 2 -> 1;
    // rceil ceil(log2(1.107)) = 1.
    {"e4m3", &E4M3, 496.0f, 127, 128, 128, 128},
    // 495: even 1.9336+.0625 < 2 -> 0.
    {"e4m3", &E4M3, 495.0f, 127, 128, 127, 128},
    // 256: floor 0; ceil 0; even 0; rceil ceil(log2(.571)) = 0.
    {"e4m3", &E4M3, 256.0f, 127, 127, 127, 127},
    // 224 = 1.75*128: floor -1; ceil 0; even -1; rceil log2(.5) = -1.
    {"e4m3", &E4M3, 224.0f, 126, 127, 126, 126},
    // 225: rceil ceil(log2(.502)) = 0.
    {"e4m3", &E4M3, 225.0f, 126, 127, 126, 127},
    // 1: floor -8; ceil -8; even -8; rceil ceil(-8.81) = -8.
    {"e4m3", &E4M3, 1.0f, 119, 119, 119, 119},
    // 2^-119: floor -127 (0); 2^-118: -126 (1).
    {"e4m3", &E4M3, 0x1p-119f, 0, 0, 0, 0},
    {"e4m3", &E4M3, 0x1p-118f, 1, 1, 1, 1},

    // E5M2. 57344: floor 0; ceil ceil(15.81)=16 -> 1; even 1.75+.125 -> 0;
    // rceil 0.
    {"e5m2", &E5M2, 57344.0f, 127, 128, 127, 127},
    // 61440 = 1.875*2^15: even 1.875+.125 = 2 -> 1; rceil 1.
    {"e5m2", &E5M2, 61440.0f, 127, 128, 128, 128},
    // 1: -15 (112); rceil ceil(-15.81) = -15.
    {"e5m2", &E5M2, 1.0f, 112, 112, 112, 112},

    // E3M2. 28 = 1.75*16: floor 0; ceil 1; even 1.875 -> 0; rceil 0.
    {"e3m2", &E3M2, 28.0f, 127, 128, 127, 127},
    // 30 = 1.875*16: even 2 -> 1; rceil 1.
    {"e3m2", &E3M2, 30.0f, 127, 128, 128, 128},

    // E2M3. 7.5 = 1.875*4: floor 0; ceil 1; even 1.9375 -> 0; rceil 0.
    {"e2m3", &E2M3, 7.5f, 127, 128, 127, 127},
    // 7.75 = 1.9375*4: even 2 -> 1; rceil 1.
    {"e2m3", &E2M3, 7.75f, 127, 128, 128, 128},

    // MXINT8 (emax 0, max 127/64 = 1.984375); EVEN not defined for ints.
    // 1: floor 0; ceil 0; rceil ceil(log2(0.504)) = 0.
    {"i8", &I8, 1.0f, 127, 127, -1, 127},
    // 1.984375: floor 0; ceil 1; rceil 0.
    {"i8", &I8, 1.984375f, 127, 128, -1, 127},
    // 1.99: rceil 1.
    {"i8", &I8, 1.99f, 127, 128, -1, 128},
    // 2: 1 everywhere.
    {"i8", &I8, 2.0f, 128, 128, -1, 128},
    // 0.5: floor -1; ceil -1; rceil ceil(log2(0.252)) = -1.
    {"i8", &I8, 0.5f, 126, 126, -1, 126},
    // 127/128: floor -1; ceil 0; rceil log2(0.5) = -1 exactly.
    {"i8", &I8, 0.9921875f, 126, 127, -1, 126},
    // 2^127: floor 127 (254); ceil 127 (254); rceil ceil(126.01) = 127.
    {"i8", &I8, 0x1p127f, 254, 254, -1, 254},
    // FLT_MAX: floor 127 (254); ceil 128 and rceil ceil(127.01) = 128 are
    // above 127: FORMATS.md step 3 makes that the NaN scale (0xFF).
    {"i8", &I8, FLT_MAX, 254, 255, -1, 255},
};

TEST(MXScale, HandWorkedCodes) {
  const ScaleMode modes[4] = {ScaleMode::Floor, ScaleMode::Ceil,
                              ScaleMode::Even, ScaleMode::RCeil};
  for (const MXRow &row : kMXRows) {
    const int want[4] = {row.floorCode, row.ceilCode, row.evenCode,
                         row.rceilCode};
    for (int m = 0; m < 4; ++m) {
      if (want[m] < 0)
        continue;
      EXPECT_EQ(mxScaleCode(row.amax, row.element(), modes[m]),
                uint32_t(want[m]))
          << row.elem << " amax " << hexFloat(row.amax) << " mode "
          << stringify(modes[m]);
    }
  }
}

/// Not a test of the library: the reference rule reproduces the hand table.
TEST(MXScale, ReferenceReproducesHandTable) {
  const ref::MXMode modes[4] = {ref::MXMode::Floor, ref::MXMode::Ceil,
                                ref::MXMode::Even, ref::MXMode::RCeil};
  for (const MXRow &row : kMXRows) {
    const int want[4] = {row.floorCode, row.ceilCode, row.evenCode,
                         row.rceilCode};
    int emax;
    double maxElem;
    unsigned manBits = 0;
    if (row.element().isInt()) {
      emax = 0;
      maxElem = 127.0 / 64;
    } else {
      const FloatFormat &f = row.element().getFloat();
      ref::MiniFloatRef r(ref::spec(f.getExpBits(), f.getManBits(),
                                    f.hasInf()   ? ref::Kind::IEEE
                                    : f.hasNaN() ? ref::Kind::FN
                                                 : ref::Kind::Finite));
      emax = r.emax();
      maxElem = r.maxFinite();
      manBits = f.getManBits();
    }
    for (int m = 0; m < 4; ++m) {
      if (want[m] >= 0) {
        EXPECT_EQ(ref::mxScaleCode(row.amax, emax, maxElem, manBits, modes[m]),
                  uint32_t(want[m]))
            << row.elem << " " << hexFloat(row.amax) << " mode " << m;
      }
    }
  }
}

TEST(MXScale, SpecialBlocks) {
  for (auto make : {&E2M1, &E4M3, &E5M2, &I8}) {
    const ElementFormat e = make();
    for (ScaleMode m : {ScaleMode::Floor, ScaleMode::Ceil, ScaleMode::Even,
                        ScaleMode::RCeil}) {
      if (m == ScaleMode::Even && e.isInt())
        continue;
      SCOPED_TRACE(e.getName() + " " + std::string(stringify(m)));
      EXPECT_EQ(mxScaleCode(0.0f, e, m), 0x00u) << "all-zero block";
      EXPECT_EQ(mxScaleCode(NAN, e, m), 0xFFu);
      EXPECT_EQ(mxScaleCode(INFINITY, e, m), 0xFFu);
      EXPECT_EQ(mxScaleCode(0x1p-140f, e, m), 0x00u) << "clamped at -127";
    }
  }
}

TEST(MXScale, RandomAmaxMatchesReference) {
  std::mt19937 gen(31337);
  std::uniform_int_distribution<uint32_t> bits(0x00800000u, 0x7F7FFFFFu);
  struct E {
    ElementFormat (*e)();
    int emax;
    double maxElem;
    unsigned manBits;
  };
  const E elems[] = {{&E2M1, 2, 6.0, 1},      {&E4M3, 8, 448.0, 3},
                     {&E5M2, 15, 57344.0, 2}, {&E3M2, 4, 28.0, 2},
                     {&E2M3, 2, 7.5, 3},      {&I8, 0, 127.0 / 64, 0}};
  const std::pair<ScaleMode, ref::MXMode> modes[] = {
      {ScaleMode::Floor, ref::MXMode::Floor},
      {ScaleMode::Ceil, ref::MXMode::Ceil},
      {ScaleMode::Even, ref::MXMode::Even},
      {ScaleMode::RCeil, ref::MXMode::RCeil}};
  size_t bad = 0;
  std::ostringstream os;
  for (int i = 0; i < 20000; ++i) {
    // Normal float32 magnitudes, plus exact multiples of the element max.
    float amax = ref::bitsToFloat(bits(gen));
    if (i % 4 == 0)
      amax = float(std::ldexp(1.0, int(gen() % 200) - 100));
    for (const E &e : elems) {
      float a = amax;
      if (i % 4 == 1)
        a = float(std::ldexp(e.maxElem, int(gen() % 200) - 100));
      if (e.emax == 0 && a > 0x1p126f)
        continue; // the NaN-above-127 edge is in the hand table
      for (auto [m, rm] : modes) {
        if (m == ScaleMode::Even && e.e().isInt())
          continue;
        uint32_t want = ref::mxScaleCode(a, e.emax, e.maxElem, e.manBits, rm);
        uint32_t got = mxScaleCode(a, e.e(), m);
        if (got != want && bad++ < 20)
          os << "  " << e.e().getName() << " " << stringify(m) << " amax "
             << hexFloat(a) << ": " << got << ", expected " << want << "\n";
      }
    }
  }
  EXPECT_EQ(bad, 0u) << os.str();
}

TEST(MXScale, ElementUnit) {
  EXPECT_EQ(mxElementUnit(I8()), 0x1p-6); // MXINT8 is 1.6 fixed point
  EXPECT_EQ(mxElementUnit(I4()), 0x1p-2);
  EXPECT_EQ(mxElementUnit(ElementFormat(IntFormat(6, true))), 0x1p-4);
  EXPECT_EQ(mxElementUnit(E2M1()), 1.0);
  EXPECT_EQ(mxElementUnit(E4M3()), 1.0);
  EXPECT_EQ(mxElementUnit(E5M2()), 1.0);
}

//===----------------------------------------------------------------------===//
// Two-level (NVFP4 / NVINT4), absmax, affine
//===----------------------------------------------------------------------===//

TEST(TwoLevelScale, TensorScale) {
  // s_tensor = amax / (448 * 6) in float32; all-zero tensor: 1.
  const FloatFormat e4m3 = FloatFormat::e4m3fn();
  EXPECT_EQ(twoLevelTensorScale(2688.0f, e4m3, E2M1()), 1.0f);
  EXPECT_EQ(twoLevelTensorScale(5376.0f, e4m3, E2M1()), 2.0f);
  EXPECT_EQ(twoLevelTensorScale(672.0f, e4m3, E2M1()), 0.25f);
  volatile float num = 1.0f, num2 = 448.0f, num3 = 3.0e5f, den = 2688.0f;
  EXPECT_EQ(twoLevelTensorScale(1.0f, e4m3, E2M1()), num / den);
  EXPECT_EQ(twoLevelTensorScale(448.0f, e4m3, E2M1()), num2 / den);
  EXPECT_EQ(twoLevelTensorScale(3.0e5f, e4m3, E2M1()), num3 / den);
  EXPECT_EQ(twoLevelTensorScale(0.0f, e4m3, E2M1()), 1.0f);
  // The unsigned UE4M3 block scale has the same maximum.
  EXPECT_EQ(twoLevelTensorScale(2688.0f, FloatFormat::ue4m3(), E2M1()), 1.0f);
  // NVINT4: 448 * 7 = 3136.
  EXPECT_EQ(twoLevelTensorScale(3136.0f, e4m3, I4()), 1.0f);
  volatile float seven = 7.0f, d7 = 3136.0f;
  EXPECT_EQ(twoLevelTensorScale(7.0f, e4m3, I4()), seven / d7);
}

TEST(TwoLevelScale, BlockScaleCodes) {
  const FloatFormat e4m3 = FloatFormat::e4m3fn();
  // s_block = e4m3_rne(clamp(amax / 6 / s_tensor, 2^-9, 448)).
  EXPECT_EQ(twoLevelBlockScaleCode(6.0f, 1.0f, e4m3, E2M1()), 0x38u);  // 1
  EXPECT_EQ(twoLevelBlockScaleCode(6.75f, 1.0f, e4m3, E2M1()), 0x39u); // 1.125
  // 6.375 / 6 = 1.0625: tie between 1 (0x38) and 1.125 (0x39) -> even.
  EXPECT_EQ(twoLevelBlockScaleCode(6.375f, 1.0f, e4m3, E2M1()), 0x38u);
  // 7.125 / 6 = 1.1875: tie between 1.125 (0x39) and 1.25 (0x3A) -> 0x3A.
  EXPECT_EQ(twoLevelBlockScaleCode(7.125f, 1.0f, e4m3, E2M1()), 0x3Au);
  EXPECT_EQ(twoLevelBlockScaleCode(3.0f, 1.0f, e4m3, E2M1()), 0x30u);    // 0.5
  EXPECT_EQ(twoLevelBlockScaleCode(2688.0f, 1.0f, e4m3, E2M1()), 0x7Eu); // 448
  EXPECT_EQ(twoLevelBlockScaleCode(5000.0f, 1.0f, e4m3, E2M1()),
            0x7Eu); // clamp
  EXPECT_EQ(twoLevelBlockScaleCode(FLT_MAX, 1.0f, e4m3, E2M1()), 0x7Eu);
  // Clamped below at the smallest subnormal 2^-9 (code 1), never zero.
  EXPECT_EQ(twoLevelBlockScaleCode(0.0f, 1.0f, e4m3, E2M1()), 0x01u);
  EXPECT_EQ(twoLevelBlockScaleCode(1e-6f, 1.0f, e4m3, E2M1()), 0x01u);
  // 6 * 2^-8 / 6 = 2^-8 = code 2; 6 * 1.5 * 2^-9 -> tie 1 vs 2 -> 2.
  EXPECT_EQ(twoLevelBlockScaleCode(0.0234375f, 1.0f, e4m3, E2M1()), 0x02u);
  EXPECT_EQ(twoLevelBlockScaleCode(0.017578125f, 1.0f, e4m3, E2M1()), 0x02u);
  // Under a tensor scale.
  EXPECT_EQ(twoLevelBlockScaleCode(24.0f, 2.0f, e4m3, E2M1()), 0x40u);   // 2
  EXPECT_EQ(twoLevelBlockScaleCode(3.0f, 0.5f, e4m3, E2M1()), 0x38u);    // 1
  EXPECT_EQ(twoLevelBlockScaleCode(2688.0f, 2.0f, e4m3, E2M1()), 0x76u); // 224
  // NVINT4: divide by 7.
  EXPECT_EQ(twoLevelBlockScaleCode(7.0f, 1.0f, e4m3, I4()), 0x38u);
  EXPECT_EQ(twoLevelBlockScaleCode(14.0f, 1.0f, e4m3, I4()), 0x40u);
  EXPECT_EQ(twoLevelBlockScaleCode(3136.0f, 1.0f, e4m3, I4()), 0x7Eu);
  // UE4M3 codes are the same for positive values.
  EXPECT_EQ(twoLevelBlockScaleCode(7.125f, 1.0f, FloatFormat::ue4m3(), E2M1()),
            0x3Au);
}

TEST(AbsMaxScale, Codes) {
  const FloatFormat f32 = FloatFormat::f32();
  const ElementFormat nf4 = TableFormat::nf4();
  // f32 scale: the code is the float32 bit pattern of amax / max element.
  EXPECT_EQ(absMaxScaleCode(127.0f, f32, I8()), 0x3F800000u);
  EXPECT_EQ(absMaxScaleCode(254.0f, f32, I8()), 0x40000000u);
  volatile float one = 1.0f, d127 = 127.0f;
  EXPECT_EQ(absMaxScaleCode(1.0f, f32, I8()), ref::floatBits(one / d127));
  EXPECT_EQ(absMaxScaleCode(7.0f, f32, I4()), 0x3F800000u);
  EXPECT_EQ(absMaxScaleCode(896.0f, f32, E4M3()), 0x40000000u);
  EXPECT_EQ(absMaxScaleCode(0.5f, f32, nf4), 0x3F000000u);
  // All-zero block: the smallest positive scale.
  EXPECT_EQ(absMaxScaleCode(0.0f, f32, I8()), 0x00000001u);
  EXPECT_EQ(absMaxScaleCode(0.0f, FloatFormat::f16(), I8()), 0x0001u);
  EXPECT_EQ(absMaxScaleCode(0.0f, FloatFormat::bf16(), I4()), 0x0001u);
  // f16 / bf16 scales.
  EXPECT_EQ(absMaxScaleCode(127.0f, FloatFormat::f16(), I8()), 0x3C00u);
  EXPECT_EQ(absMaxScaleCode(381.0f, FloatFormat::bf16(), I8()), 0x4040u); // 3
  EXPECT_EQ(absMaxScaleCode(31.75f, FloatFormat::f16(), I8()), 0x3400u);  // .25
}

TEST(AffineScale, HandWorked) {
  const FloatFormat f32 = FloatFormat::f32();
  const IntFormat u4(4, false), u8(8, false), i8(8, true);
  struct Row {
    float mn, mx;
    IntFormat elem, zp;
    uint32_t scaleCode, zpCode;
  };
  volatile float four = 4.0f, d255 = 255.0f;
  const Row rows[] = {
      // scale = 15 / 15 = 1; zp = round(0 - (-5)/1) = 5.
      {-5.0f, 10.0f, u4, u4, 0x3F800000u, 5},
      // scale = 63.75 / 255 = 0.25; zp = round(-128 - (-32)/0.25) = 0.
      {-32.0f, 31.75f, i8, i8, 0x3E800000u, 0},
      // min widened to 0: scale 7.5 / 15 = 0.5; zp 0.
      {1.0f, 7.5f, u4, u4, 0x3F000000u, 0},
      // max widened to 0: scale 0.5; zp = round(0 + 15) = 15.
      {-7.5f, -2.0f, u4, u4, 0x3F000000u, 15},
      // zp = round(0.25 / 0.5) = round(0.5) = 0 (ties to even).
      {-0.25f, 7.25f, u4, u4, 0x3F000000u, 0},
      // zp = round(1.5) = 2.
      {-0.75f, 6.75f, u4, u4, 0x3F000000u, 2},
      // scale = 4/255 (float32), zp = round(63.75) = 64.
      {-1.0f, 3.0f, u8, u8, ref::floatBits(four / d255), 64},
      // i8 element, i8 zero point: zp = round(-128 - (-10)/0.25) = -88.
      {-10.0f, 53.75f, i8, i8, 0x3E800000u, uint32_t(uint8_t(int8_t(-88)))},
  };
  for (const Row &r : rows) {
    SCOPED_TRACE(std::to_string(r.mn) + " .. " + std::to_string(r.mx) + " " +
                 r.elem.getName());
    AffineParams p = affineParams(r.mn, r.mx, f32, r.elem, r.zp);
    EXPECT_EQ(p.scaleCode, r.scaleCode);
    EXPECT_EQ(p.zeroPointCode, r.zpCode);
  }
  // An f16 scale: 15 / 15 = 1.0 = 0x3C00.
  AffineParams p = affineParams(-5.0f, 10.0f, FloatFormat::f16(), u4, u4);
  EXPECT_EQ(p.scaleCode, 0x3C00u);
  EXPECT_EQ(p.zeroPointCode, 5u);
}

//===----------------------------------------------------------------------===//
// ONNX QuantizeLinear / DequantizeLinear on one element
//===----------------------------------------------------------------------===//

TEST(QuantizeLinear, Integers) {
  const ElementFormat u8 = IntFormat(8, false), u4 = IntFormat(4, false);
  const Rounding rne = Rounding::NearestEven;
  const Overflow sat = Overflow::Saturate;
  EXPECT_EQ(quantizeLinear(I8(), 2.5f, 1.0f, 0, rne, sat), 2u);
  EXPECT_EQ(quantizeLinear(I8(), 3.5f, 1.0f, 0, rne, sat), 4u);
  EXPECT_EQ(quantizeLinear(I8(), -2.5f, 1.0f, 0, rne, sat), 0xFEu);
  EXPECT_EQ(quantizeLinear(I8(), -2.5f, 1.0f, 0, Rounding::NearestAway, sat),
            0xFDu);
  EXPECT_EQ(quantizeLinear(I8(), 300.0f, 1.0f, 0, rne, sat), 0x7Fu);
  EXPECT_EQ(quantizeLinear(I8(), -300.0f, 1.0f, 0, rne, sat), 0x80u);
  EXPECT_EQ(quantizeLinear(I8(), 120.0f, 1.0f, 10, rne, sat), 0x7Fu);
  EXPECT_EQ(quantizeLinear(I8(), 5.0f, 0.5f, -3, rne, sat), 7u);
  EXPECT_EQ(quantizeLinear(u8, -1.5f, 0.5f, 128, rne, sat), 125u);
  EXPECT_EQ(quantizeLinear(u8, 1000.0f, 1.0f, 10, rne, sat), 255u);
  EXPECT_EQ(quantizeLinear(u8, -1000.0f, 1.0f, 10, rne, sat), 0u);
  EXPECT_EQ(quantizeLinear(I4(), 1.0f, 0.25f, -2, rne, sat), 2u);
  EXPECT_EQ(quantizeLinear(I4(), -3.0f, 0.25f, 0, rne, sat), 0x8u); // -8
  EXPECT_EQ(quantizeLinear(u4, 3.0f, 0.5f, 8, rne, sat), 14u);
  EXPECT_EQ(quantizeLinear(u4, 4.0f, 0.5f, 8, rne, sat), 15u);
  EXPECT_EQ(quantizeLinear(u4, 0.75f, 0.5f, 8, rne, sat), 10u); // 1.5 -> 2
  EXPECT_EQ(quantizeLinear(u4, 0.25f, 0.5f, 8, rne, sat), 8u);  // 0.5 -> 0
}

TEST(QuantizeLinear, Floats) {
  const Rounding rne = Rounding::NearestEven;
  EXPECT_EQ(quantizeLinear(E4M3(), 1.0f, 0.5f, 0, rne, Overflow::Saturate),
            0x40u);
  EXPECT_EQ(quantizeLinear(E4M3(), 1000.0f, 1.0f, 0, rne, Overflow::Saturate),
            0x7Eu);
  EXPECT_TRUE(FloatFormat::e4m3fn().isNaNCode(
      quantizeLinear(E4M3(), 1000.0f, 1.0f, 0, rne, Overflow::Special)));
  EXPECT_EQ(quantizeLinear(E5M2(), 1e6f, 1.0f, 0, rne, Overflow::Special),
            0x7Cu);
  EXPECT_EQ(quantizeLinear(E5M2(), -1e6f, 1.0f, 0, rne, Overflow::Saturate),
            0xFBu);
  EXPECT_EQ(quantizeLinear(E2M1(), 5.0f, 1.0f, 0, rne, Overflow::Saturate), 6u);
  EXPECT_EQ(quantizeLinear(E2M1(), 5.0f, 1.0f, 0, Rounding::NearestAway,
                           Overflow::Saturate),
            7u);
  EXPECT_EQ(quantizeLinear(E2M1(), -20.0f, 2.0f, 0, rne, Overflow::Special),
            15u);
}

/// "the division in FP32": find x, s whose float32 quotient is exactly the
/// E4M3 tie 1.0625 (-> 1.0 by ties-to-even) while the exact quotient is
/// above it (-> 1.125).
TEST(QuantizeLinear, FloatDivisionIsFloat32) {
  const float tie = 1.0625f;
  bool found = false;
  float x = 0, s = 0;
  for (int i = 1; i < 200000 && !found; ++i) {
    s = 1.0f + float(i) * 0x1p-20f;
    float base = static_cast<float>(double(tie) * double(s));
    for (float cand :
         {base, std::nextafter(base, 10.0f), std::nextafter(base, 0.0f)}) {
      volatile float vx = cand, vs = s;
      float q = vx / vs;
      double exact = double(cand) / double(s);
      if (q == tie && exact > double(tie)) {
        x = cand;
        found = true;
        break;
      }
    }
  }
  ASSERT_TRUE(found);
  EXPECT_EQ(quantizeLinear(E4M3(), x, s, 0, Rounding::NearestEven,
                           Overflow::Saturate),
            0x38u)
      << "x = " << hexFloat(x) << ", scale = " << hexFloat(s);
}

TEST(DequantizeLinear, Elements) {
  const ElementFormat u4 = IntFormat(4, false);
  EXPECT_EQ(dequantizeLinear(I8(), 0x80, 0.5f, -1), -63.5f);
  EXPECT_EQ(dequantizeLinear(I8(), 0x7F, 0.25f, 0), 31.75f);
  EXPECT_EQ(dequantizeLinear(u4, 15, 0.25f, 8), 1.75f);
  EXPECT_EQ(dequantizeLinear(u4, 0, 0.25f, 8), -2.0f);
  EXPECT_EQ(dequantizeLinear(I4(), 0x9, 3.0f, 0), -21.0f);
  EXPECT_EQ(dequantizeLinear(E4M3(), 0x40, 0.5f, 0), 1.0f);
  EXPECT_EQ(dequantizeLinear(E2M1(), 0xF, 2.0f, 0), -12.0f);
  EXPECT_TRUE(std::isnan(dequantizeLinear(E4M3(), 0x7F, 1.0f, 0)));
  volatile float v = 0.3125f, sc = 0.1f;
  EXPECT_EQ(dequantizeLinear(E4M3(), 0x2A, 0.1f, 0), v * sc); // 0x2A = 0.3125
}

//===----------------------------------------------------------------------===//
// TensorFormat: parsing, presets, rules, verification, scale grids
//===----------------------------------------------------------------------===//

TEST(TensorFormatParse, Presets) {
  struct P {
    const char *name;
    ElementFormat element;
    FloatFormat scale;
    int64_t block; // 0: per tensor
    bool tensorScale;
    ScaleRule rule;
  };
  const P presets[] = {
      {"mxfp4", E2M1(), FloatFormat::e8m0fnu(), 32, false, ScaleRule::MX},
      {"mxfp6_e2m3", E2M3(), FloatFormat::e8m0fnu(), 32, false, ScaleRule::MX},
      {"mxfp6_e3m2", E3M2(), FloatFormat::e8m0fnu(), 32, false, ScaleRule::MX},
      {"mxfp8_e4m3", E4M3(), FloatFormat::e8m0fnu(), 32, false, ScaleRule::MX},
      {"mxfp8_e5m2", E5M2(), FloatFormat::e8m0fnu(), 32, false, ScaleRule::MX},
      {"mxint8", I8(), FloatFormat::e8m0fnu(), 32, false, ScaleRule::MX},
      {"int8", I8(), FloatFormat::f32(), 0, false, ScaleRule::AbsMax},
      {"int4", I4(), FloatFormat::f32(), 0, false, ScaleRule::AbsMax},
      {"int4_g32", I4(), FloatFormat::f32(), 32, false, ScaleRule::AbsMax},
      {"int4_g128", I4(), FloatFormat::f32(), 128, false, ScaleRule::AbsMax},
      {"int8_g64", I8(), FloatFormat::f32(), 64, false, ScaleRule::AbsMax},
      {"nf4", TableFormat::nf4(), FloatFormat::f32(), 64, false,
       ScaleRule::AbsMax},
      {"nf4_g32", TableFormat::nf4(), FloatFormat::f32(), 32, false,
       ScaleRule::AbsMax},
      {"fp8_e4m3", E4M3(), FloatFormat::f32(), 0, false, ScaleRule::AbsMax},
      {"fp8_e5m2", E5M2(), FloatFormat::f32(), 0, false, ScaleRule::AbsMax},
  };
  for (const P &p : presets) {
    SCOPED_TRACE(p.name);
    TensorFormat f = parseOrDie(p.name);
    EXPECT_TRUE(f.getElement() == p.element) << f.getElement().getName();
    EXPECT_TRUE(f.getScale() == p.scale) << f.getScale().getName();
    EXPECT_EQ(f.getTensorScale().has_value(), p.tensorScale);
    EXPECT_FALSE(f.getZeroPoint().has_value());
    EXPECT_EQ(f.getScaleRule(), p.rule);
    const Granularity &g = f.getGranularity();
    if (p.block == 0) {
      EXPECT_EQ(g.kind, Granularity::Kind::Tensor);
    } else {
      EXPECT_EQ(g.kind, Granularity::Kind::Block);
      EXPECT_EQ(g.sizes, std::vector<int64_t>({p.block}));
      EXPECT_EQ(g.axes, std::vector<int64_t>({-1})); // the reduction axis
    }
    auto preset = f.getPresetName();
    ASSERT_TRUE(preset.has_value());
    EXPECT_TRUE(parseOrDie(*preset) == f);
  }
  // NVFP4 / NVINT4: E4M3 block scales of 16 under an FP32 tensor scale
  // (FORMATS.md calls the block scale UE4M3; signed E4M3 holds the same
  // positive values).
  for (const char *name : {"nvfp4", "nvint4"}) {
    SCOPED_TRACE(name);
    TensorFormat f = parseOrDie(name);
    EXPECT_TRUE(f.getElement() ==
                (std::string(name) == "nvfp4" ? E2M1() : I4()));
    EXPECT_TRUE(f.getScale() == FloatFormat::e4m3fn() ||
                f.getScale() == FloatFormat::ue4m3())
        << f.getScale().getName();
    ASSERT_TRUE(f.getTensorScale().has_value());
    EXPECT_TRUE(*f.getTensorScale() == FloatFormat::f32());
    EXPECT_EQ(f.getScaleRule(), ScaleRule::TwoLevel);
    EXPECT_EQ(f.getGranularity().kind, Granularity::Kind::Block);
    EXPECT_EQ(f.getGranularity().sizes, std::vector<int64_t>({16}));
    EXPECT_EQ(f.getPresetName(), std::optional<std::string>(name));
  }
}

TEST(TensorFormatParse, PresetNamesRoundTrip) {
  std::vector<std::string> names = TensorFormat::getPresetNames();
  for (const char *expected :
       {"mxfp4", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2",
        "mxint8", "nvfp4", "nvint4", "fp8_e4m3", "fp8_e5m2", "int8", "int4",
        "nf4", "int4_g32", "int4_g64", "int4_g128", "int8_g32", "int8_g64",
        "int8_g128"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end())
        << expected << " missing from getPresetNames()";
  for (const std::string &n : names) {
    SCOPED_TRACE(n);
    TensorFormat f = parseOrDie(n);
    auto back = f.getPresetName();
    ASSERT_TRUE(back.has_value());
    EXPECT_TRUE(parseOrDie(*back) == f);
  }
}

TEST(TensorFormatParse, LongForms) {
  TensorFormat mx =
      parseOrDie("element=f4E2M1FN,scale=f8E8M0FNU,block=32,axis=-1");
  EXPECT_TRUE(mx == parseOrDie("mxfp4"));
  EXPECT_EQ(mx.getPresetName(), std::optional<std::string>("mxfp4"));

  // 2-D blocks, spelled as TensorFormat.h documents: lists use 'x'.
  {
    TensorFormat twoD = parseOrDie("element=i4,scale=f16,block=4x32,axis=-2x-1");
    EXPECT_EQ(twoD.getGranularity().kind, Granularity::Kind::Block);
    EXPECT_EQ(twoD.getGranularity().axes, std::vector<int64_t>({-2, -1}));
    EXPECT_EQ(twoD.getGranularity().sizes, std::vector<int64_t>({4, 32}));
    EXPECT_TRUE(twoD.getScale() == FloatFormat::f16());
    EXPECT_FALSE(twoD.getPresetName().has_value());
    // The comma form is a parse error (',' separates keys), not a silent default.
    std::string error;
    EXPECT_FALSE(TensorFormat::parse("element=i4,scale=f16,block=4x32,axis=-2,-1", error));
    EXPECT_NE(error.find("expected key=value"), std::string::npos) << error;
  }

  TensorFormat chan = parseOrDie("element=i8,scale=f32,channel=0");
  EXPECT_TRUE(chan.getGranularity() == Granularity::perAxis(0));
  EXPECT_EQ(chan.getScaleRule(), ScaleRule::AbsMax);

  TensorFormat aff =
      parseOrDie("element=ui4,scale=f16,block=32,axis=-1,zero_point=ui4");
  ASSERT_TRUE(aff.getZeroPoint().has_value());
  EXPECT_EQ(*aff.getZeroPoint(), IntFormat(4, false));
  EXPECT_EQ(aff.getScaleRule(), ScaleRule::Affine);

  TensorFormat nv = parseOrDie(
      "element=f4E2M1FN,scale=f8E4M3FN,block=16,axis=-1,tensor_scale=f32");
  EXPECT_EQ(nv.getScaleRule(), ScaleRule::TwoLevel);
}

TEST(TensorFormatParse, Rejections) {
  for (const char *bad :
       {"", "bogus", "mxfp5", "int4_g", "int4_g0", "int4_gx",
        "element=f4E2M1FN", "scale=f32", "element=bogus,scale=f32",
        "element=f8E4M3FN,scale=f32,zero_point=ui8",
        "element=f8E4M3FN,scale=f32,zero_point=f16", "element=i8,scale=i8",
        "element=i8,scale=f32,block=0,axis=-1",
        "element=i8,scale=f32,block=32x32,axis=-1",
        "element=i8,scale=f32,block=4x4x4,axis=0,1,2",
        "element=i8,scale=f32,block=32,axis=-1,channel=0",
        "element=i8,scale=f32,element=i4", "element=i8,scale=f32,color=red"}) {
    std::string error;
    auto f = TensorFormat::parse(bad, error);
    EXPECT_FALSE(f.has_value()) << "'" << bad << "' parsed";
    EXPECT_FALSE(error.empty()) << "'" << bad << "' without an error message";
  }
}

TEST(TensorFormatVerify, Combinations) {
  const std::optional<FloatFormat> noTS;
  const std::optional<IntFormat> noZP;
  const FloatFormat f32 = FloatFormat::f32(), e8m0 = FloatFormat::e8m0fnu();
  const Granularity b32 = Granularity::blocks({-1}, {32});
  // Valid ones.
  EXPECT_EQ(TensorFormat::verify(E2M1(), e8m0, b32, noTS, noZP), "");
  EXPECT_EQ(
      TensorFormat::verify(I8(), f32, Granularity::perTensor(), noTS, noZP),
      "");
  EXPECT_EQ(
      TensorFormat::verify(I8(), f32, Granularity::perAxis(0), noTS, noZP), "");
  EXPECT_EQ(TensorFormat::verify(IntFormat(8, false), f32,
                                 Granularity::perTensor(), noTS,
                                 IntFormat(8, false)),
            "");
  EXPECT_EQ(TensorFormat::verify(E2M1(), FloatFormat::e4m3fn(),
                                 Granularity::blocks({-1}, {16}), f32, noZP),
            "");
  EXPECT_EQ(TensorFormat::verify(I4(), FloatFormat::f16(),
                                 Granularity::blocks({-2, -1}, {4, 32}), noTS,
                                 noZP),
            "");
  // Zero point on a float element, and on a codebook.
  EXPECT_NE(TensorFormat::verify(E4M3(), f32, Granularity::perTensor(), noTS,
                                 IntFormat(8, false)),
            "");
  EXPECT_NE(TensorFormat::verify(TableFormat::nf4(), f32, b32, noTS,
                                 IntFormat(4, false)),
            "");
  // Malformed granularities.
  EXPECT_NE(TensorFormat::verify(I8(), f32, Granularity::blocks({-1}, {0}),
                                 noTS, noZP),
            "");
  EXPECT_NE(TensorFormat::verify(I8(), f32, Granularity::blocks({-1}, {-32}),
                                 noTS, noZP),
            "");
  EXPECT_NE(TensorFormat::verify(I8(), f32, Granularity::blocks({-1, -2}, {32}),
                                 noTS, noZP),
            "");
  EXPECT_NE(TensorFormat::verify(I8(), f32,
                                 Granularity::blocks({0, 1, 2}, {2, 2, 2}),
                                 noTS, noZP),
            "");
  EXPECT_NE(TensorFormat::verify(
                I8(), f32, Granularity::blocks({-1, -1}, {4, 4}), noTS, noZP),
            "");
  EXPECT_NE(TensorFormat::verify(I8(), f32,
                                 Granularity{Granularity::Kind::Axis, {}, {}},
                                 noTS, noZP),
            "");
  EXPECT_NE(
      TensorFormat::verify(I8(), f32, Granularity::blocks({}, {}), noTS, noZP),
      "");
}

TEST(TensorFormatVerify, Shapes) {
  TensorFormat mx = parseOrDie("mxfp4");
  EXPECT_EQ(mx.verifyShape({4, 64}), "");
  EXPECT_EQ(mx.verifyShape({64}), "");
  EXPECT_EQ(mx.verifyShape({2, 3, 32}), "");
  std::string err = mx.verifyShape({4, 30});
  EXPECT_NE(err, "");
  EXPECT_NE(err.find("32"), std::string::npos) << err;
  EXPECT_NE(err.find("30"), std::string::npos) << err;
  EXPECT_NE(mx.verifyShape({}), "") << "axis -1 of a rank-0 value";
  EXPECT_NE(mx.verifyShape({64, 16}), "");

  TensorFormat perAxis(I8(), FloatFormat::f32(), Granularity::perAxis(2));
  EXPECT_EQ(perAxis.verifyShape({2, 3, 4}), "");
  EXPECT_NE(perAxis.verifyShape({4, 6}), "");
  TensorFormat negAxis(I8(), FloatFormat::f32(), Granularity::perAxis(-3));
  EXPECT_EQ(negAxis.verifyShape({2, 3, 4}), "");
  EXPECT_NE(negAxis.verifyShape({4, 6}), "");

  TensorFormat twoD(I4(), FloatFormat::f16(),
                    Granularity::blocks({-2, -1}, {2, 32}));
  EXPECT_EQ(twoD.verifyShape({4, 64}), "");
  EXPECT_NE(twoD.verifyShape({64}), "");
  EXPECT_NE(twoD.verifyShape({3, 64}), "");
  EXPECT_NE(twoD.verifyShape({4, 48}), "");

  // Two axes naming the same dimension once normalised.
  TensorFormat same(I4(), FloatFormat::f16(),
                    Granularity::blocks({1, -1}, {2, 2}));
  EXPECT_NE(same.verifyShape({4, 4}), "");
  EXPECT_EQ(same.verifyShape({4, 4, 4}), "");

  EXPECT_NE(parseOrDie("nf4").verifyShape({2, 32}), "");
  EXPECT_EQ(parseOrDie("int8").verifyShape({3, 5, 7}), "");
}

int64_t product(const std::vector<int64_t> &v) {
  return std::accumulate(v.begin(), v.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

TEST(TensorFormatScaleShape, Grids) {
  const FloatFormat f32 = FloatFormat::f32();
  const std::vector<int64_t> s46 = {4, 6};
  // Per tensor: one entry, every element maps to it.
  TensorFormat t(I8(), f32, Granularity::perTensor());
  EXPECT_EQ(product(t.getScaleShape(s46)), 1);
  for (int64_t i = 0; i < 24; ++i)
    EXPECT_EQ(scaleIndexOf(s46, t.getScaleShape(s46), i), 0);

  // Per axis 0, 1 and -1.
  for (int64_t axis : {0, 1, -1, -2}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    TensorFormat a(I8(), f32, Granularity::perAxis(axis));
    int64_t d = axis < 0 ? axis + 2 : axis;
    std::vector<int64_t> ss = a.getScaleShape(s46);
    EXPECT_EQ(product(ss), s46[d]);
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 6; ++j)
        EXPECT_EQ(scaleIndexOf(s46, ss, i * 6 + j), d == 0 ? i : j);
  }

  // 1-D blocks keep the rank: size/block along the axis, dim elsewhere.
  TensorFormat b(E2M1(), FloatFormat::e8m0fnu(),
                 Granularity::blocks({-1}, {32}));
  EXPECT_EQ(b.getScaleShape({4, 64}), std::vector<int64_t>({4, 2}));
  EXPECT_EQ(b.getScaleShape({2, 3, 64}), std::vector<int64_t>({2, 3, 2}));
  EXPECT_EQ(b.getScaleShape({96}), std::vector<int64_t>({3}));
  TensorFormat b0(I8(), f32, Granularity::blocks({0}, {2}));
  EXPECT_EQ(b0.getScaleShape(s46), std::vector<int64_t>({2, 6}));
  TensorFormat bneg(I8(), f32, Granularity::blocks({-2}, {2}));
  EXPECT_EQ(bneg.getScaleShape(s46), std::vector<int64_t>({2, 6}));

  // 2-D blocks.
  TensorFormat b2(I4(), FloatFormat::f16(),
                  Granularity::blocks({-2, -1}, {2, 32}));
  EXPECT_EQ(b2.getScaleShape({4, 64}), std::vector<int64_t>({2, 2}));
  EXPECT_EQ(b2.getScaleShape({3, 4, 64}), std::vector<int64_t>({3, 2, 2}));
  TensorFormat b2r(I4(), FloatFormat::f16(),
                   Granularity::blocks({1, 0}, {32, 2}));
  EXPECT_EQ(b2r.getScaleShape({4, 64}), std::vector<int64_t>({2, 2}));

  // scaleIndexOf for the 2-D grid: element (i, j) -> (i/2, j/32).
  std::vector<int64_t> shape = {4, 64}, ss = b2.getScaleShape(shape);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 64; ++j)
      EXPECT_EQ(scaleIndexOf(shape, ss, i * 64 + j), (i / 2) * 2 + j / 32);
  // And a 3-D value with 1-D blocks on the middle axis.
  TensorFormat mid(I8(), f32, Granularity::blocks({1}, {3}));
  std::vector<int64_t> s3 = {2, 6, 5}, g3 = mid.getScaleShape(s3);
  EXPECT_EQ(g3, std::vector<int64_t>({2, 2, 5}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 6; ++j)
      for (int64_t k = 0; k < 5; ++k)
        EXPECT_EQ(scaleIndexOf(s3, g3, (i * 6 + j) * 5 + k),
                  (i * 2 + j / 3) * 5 + k);
}

TEST(TensorFormatBits, PerElement) {
  EXPECT_EQ(parseOrDie("mxfp4").getBitsPerElement({4, 64}), 4.25);
  EXPECT_EQ(parseOrDie("mxfp6_e2m3").getBitsPerElement({4, 64}), 6.25);
  EXPECT_EQ(parseOrDie("mxfp8_e4m3").getBitsPerElement({4, 64}), 8.25);
  EXPECT_EQ(parseOrDie("mxint8").getBitsPerElement({32}), 8.25);
  EXPECT_EQ(parseOrDie("int4_g32").getBitsPerElement({4, 64}), 5.0);
  EXPECT_EQ(parseOrDie("nf4").getBitsPerElement({2, 64}), 4.5);
  // Per-tensor FP32 scales (and NVFP4's tensor scale) amortise over the
  // value; allow either accounting of that single word.
  EXPECT_NEAR(parseOrDie("nvfp4").getBitsPerElement({16, 1024}), 4.5,
              32.0 / 16384 + 1e-12);
  EXPECT_GE(parseOrDie("nvfp4").getBitsPerElement({16, 1024}), 4.5);
  EXPECT_NEAR(parseOrDie("int8").getBitsPerElement({1024}), 8.0,
              32.0 / 1024 + 1e-12);
  EXPECT_GE(parseOrDie("int8").getBitsPerElement({1024}), 8.0);
}

//===----------------------------------------------------------------------===//
// quantize() / dequantize(): hand-worked small tensors
//===----------------------------------------------------------------------===//

struct Quantized {
  QuantizedTensor q;
  std::vector<float> deq;
};

Quantized run(const TensorFormat &f, const std::vector<float> &data,
              const std::vector<int64_t> &shape,
              const QuantizeOptions &opt = {}) {
  EXPECT_EQ(f.verifyShape(shape), "");
  Quantized r;
  r.q = quantize(f, data.data(), shape, opt);
  EXPECT_EQ(r.q.shape, shape);
  EXPECT_EQ(r.q.codes.size(), data.size());
  r.deq.assign(data.size(), -12345.0f);
  dequantize(f, r.q, r.deq.data());
  return r;
}

void expectFloats(const std::vector<float> &got, const std::vector<float> &want,
                  const char *what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(ref::sameValue(got[i], want[i]) ||
                (got[i] == 0 && want[i] == 0))
        << what << "[" << i << "] = " << hexFloat(got[i]) << ", expected "
        << hexFloat(want[i]);
}

TEST(QuantizeHand, MXFP4OneBlock) {
  TensorFormat f = parseOrDie("mxfp4");
  std::vector<float> x(32, 0.0f);
  const float vals[] = {5,   -5,   0.25, 0.75, 1.25, 2.5,
                        3.5, -0.2, 4.9,  -0.5, 1.75, 5.5};
  std::copy(std::begin(vals), std::end(vals), x.begin());
  // amax 5.5: floor(log2 5.5) - 2 = 0 -> X = 1, code 127. E2M1 RNE:
  // 5->4 (6), -5->-4 (14), .25->0, .75->1 (2), 1.25->1 (2), 2.5->2 (4),
  // 3.5->4 (6), -.2->-0 (8), 4.9->4 (6), -.5 (9), 1.75->2 (4), 5.5->6 (7).
  std::vector<uint32_t> codes = {6, 14, 0, 2, 2, 4, 6, 8, 6, 9, 4, 7};
  codes.resize(32, 0);
  std::vector<float> deq = {4, -4, 0, 1, 1, 2, 4, -0.0f, 4, -0.5, 2, 6};
  deq.resize(32, 0.0f);
  Quantized r = run(f, x, {32});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({127}));
  EXPECT_EQ(r.q.codes, codes);
  EXPECT_TRUE(r.q.zeroPointCodes.empty());
  EXPECT_FALSE(r.q.tensorScale.has_value());
  expectFloats(r.deq, deq, "mxfp4");

  // NearestAway elements: 5->6 (7), -5->-6 (15), .25->.5 (1), .75->1 (2),
  // 1.25->1.5 (3), 2.5->3 (5), 3.5->4 (6), 1.75->2 (4).
  QuantizeOptions away;
  away.rounding = Rounding::NearestAway;
  Quantized ra = run(f, x, {32}, away);
  std::vector<uint32_t> codesAway = {7, 15, 1, 2, 3, 5, 6, 8, 6, 9, 4, 7};
  codesAway.resize(32, 0);
  EXPECT_EQ(ra.q.codes, codesAway);
}

TEST(QuantizeHand, MXFP4TwoRowsAndScaleModes) {
  TensorFormat f = parseOrDie("mxfp4");
  std::vector<float> x(64, 0.0f);
  // Row 0: amax 7 -> floor 2 - 2 = 0, X = 1: 7 -> 6 (7), 3 -> 3 (5),
  // 1 -> 1 (2).
  x[0] = 7;
  x[1] = 3;
  x[2] = 1;
  // Row 1: amax 0.3 -> floor(-1.74) - 2 = -4 (123), X = 1/16: 0.3*16 = 4.8
  // -> 4 (6) = .25; 0.1*16 = 1.6 -> 1.5 (3) = .09375; -0.05*16 = -0.8 -> -1
  // (10) = -.0625; 0.02*16 = 0.32 -> 0.5 (1) = .03125.
  x[32] = 0.3f;
  x[33] = 0.1f;
  x[34] = -0.05f;
  x[35] = 0.02f;
  Quantized r = run(f, x, {2, 32});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({127, 123}));
  EXPECT_EQ(r.q.codes[0], 7u);
  EXPECT_EQ(r.q.codes[1], 5u);
  EXPECT_EQ(r.q.codes[2], 2u);
  EXPECT_EQ(r.q.codes[32], 6u);
  EXPECT_EQ(r.q.codes[33], 3u);
  EXPECT_EQ(r.q.codes[34], 10u);
  EXPECT_EQ(r.q.codes[35], 1u);
  EXPECT_EQ(r.deq[0], 6.0f);
  EXPECT_EQ(r.deq[1], 3.0f);
  EXPECT_EQ(r.deq[32], 0.25f);
  EXPECT_EQ(r.deq[33], 0.09375f);
  EXPECT_EQ(r.deq[34], -0.0625f);
  EXPECT_EQ(r.deq[35], 0.03125f);

  // Ceil / Even / RCeil on row 0 (amax 7): all give shared exp 1, X = 2:
  // 7/2 = 3.5 -> 4 (6) = 8; 3/2 = 1.5 (3) = 3; 1/2 = .5 (1) = 1.
  // Row 1 (amax 0.3 = 1.2*2^-2): ceil -1-2 = -3 (124); even -4 (123);
  // rceil ceil(log2(0.05)) = ceil(-4.32) = -4 (123).
  const std::pair<ScaleMode, uint32_t> modes[] = {
      {ScaleMode::Ceil, 124}, {ScaleMode::Even, 123}, {ScaleMode::RCeil, 123}};
  for (auto [m, row1] : modes) {
    SCOPED_TRACE(stringify(m));
    QuantizeOptions o;
    o.scaleMode = m;
    Quantized c = run(f, x, {2, 32}, o);
    EXPECT_EQ(c.q.scaleCodes, std::vector<uint32_t>({128, row1}));
    EXPECT_EQ(c.q.codes[0], 6u);
    EXPECT_EQ(c.q.codes[1], 3u);
    EXPECT_EQ(c.q.codes[2], 1u);
    EXPECT_EQ(c.deq[0], 8.0f);
    EXPECT_EQ(c.deq[1], 3.0f);
    EXPECT_EQ(c.deq[2], 1.0f);
  }
}

TEST(QuantizeHand, MXSpecialBlocks) {
  TensorFormat f = parseOrDie("mxfp4");
  std::vector<float> x(96, 0.0f);
  x[5] = NAN; // block 0: NaN -> scale 0xFF, all NaN
  x[6] = 1.0f;
  x[40] = INFINITY; // block 1: Inf -> scale 0xFF, all NaN
  // block 2: all zero -> scale 0x00, all zero.
  Quantized r = run(f, x, {96});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({0xFF, 0xFF, 0x00}));
  for (int i = 0; i < 64; ++i)
    EXPECT_TRUE(std::isnan(r.deq[i])) << i;
  for (int i = 64; i < 96; ++i) {
    EXPECT_EQ(r.deq[i], 0.0f) << i;
    EXPECT_EQ(r.q.codes[i], 0u) << i;
  }
}

TEST(QuantizeHand, MXFP8E4M3Saturates) {
  TensorFormat f = parseOrDie("mxfp8_e4m3");
  std::vector<float> x(32, 0.0f);
  // amax 1000: floor(9.97) - 8 = 1 (128), X = 2. 1000/2 = 500 > 480: clips
  // to 448 (0x7E) = 896. 300/2 = 150 -> 144 (0x71) = 288. -3/2 = -1.5
  // (0xBC). .001/2 = .0005 < 2^-10 -> 0. .003/2 = .0015 -> 2^-9 (0x01) =
  // 2^-8.
  const float vals[] = {1000, 300, -3, 0.001f, 0.003f};
  std::copy(std::begin(vals), std::end(vals), x.begin());
  Quantized r = run(f, x, {32});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({128}));
  EXPECT_EQ(r.q.codes[0], 0x7Eu);
  EXPECT_EQ(r.q.codes[1], 0x71u);
  EXPECT_EQ(r.q.codes[2], 0xBCu);
  EXPECT_EQ(r.q.codes[3], 0x00u);
  EXPECT_EQ(r.q.codes[4], 0x01u);
  EXPECT_EQ(r.deq[0], 896.0f);
  EXPECT_EQ(r.deq[1], 288.0f);
  EXPECT_EQ(r.deq[2], -3.0f);
  EXPECT_EQ(r.deq[3], 0.0f);
  EXPECT_EQ(r.deq[4], 0x1p-8f);
}

TEST(QuantizeHand, MXINT8) {
  TensorFormat f = parseOrDie("mxint8");
  std::vector<float> x(64, 0.0f);
  // Block 0: amax 1.5 -> shared exp 0 (127), X = 1, q = rne(v * 64):
  // 1.5 -> 96, -1.5 -> -96 (0xA0), .01 -> .64 -> 1, 2^-7 -> .5 -> 0,
  // 3*2^-7 -> 1.5 -> 2, -2^-7 -> -0.5 -> 0.
  const float b0[] = {1.5f, -1.5f, 0.01f, 0.0078125f, 0.0234375f, -0.0078125f};
  std::copy(std::begin(b0), std::end(b0), x.begin());
  // Block 1: amax 1.99609375 -> X = 1: 127.75 -> 128 -> 127; -127.75 ->
  // -128 -> -127 (0x81): -128 is unused.
  x[32] = 1.99609375f;
  x[33] = -1.99609375f;
  Quantized r = run(f, x, {2, 32});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({127, 127}));
  const uint32_t want0[] = {96, 0xA0, 1, 0, 2, 0};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(r.q.codes[i], want0[i]) << i;
  EXPECT_EQ(r.q.codes[32], 0x7Fu);
  EXPECT_EQ(r.q.codes[33], 0x81u);
  EXPECT_EQ(r.deq[0], 1.5f);
  EXPECT_EQ(r.deq[1], -1.5f);
  EXPECT_EQ(r.deq[2], 0.015625f);
  EXPECT_EQ(r.deq[3], 0.0f);
  EXPECT_EQ(r.deq[4], 0.03125f);
  EXPECT_EQ(r.deq[32], 1.984375f);
  EXPECT_EQ(r.deq[33], -1.984375f);
}

/// microxcaling test_mx_hw_test (MXINT8-like, block 10, round "nearest" =
/// ties away from zero), transcribed from
/// shared/testdata/format-vectors/microxcaling-7bc4195/mx_golden_vectors.
TEST(QuantizeHand, MicroxcalingMXINT8Block10) {
  TensorFormat f = parseOrDie("element=i8,scale=f8E8M0FNU,block=10,axis=-1");
  // clang-format off
  const std::vector<float> x = {
      1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
      1, 1, 1, 1, 1, 2, 2, 2, 2, 2,
      -1, -1, -1, -1, -1, -2, -2, -2, -2, -2,
      1, 1, 1, 1, 1, -2, -2, -2, -2, -2,
      1.015625f, 1.0234375f, 1.03125f, 1.0390625f, 1.25f, 1.2578125f, 1.9375f,
      1.9453125f, 1.984375f, 1.9921875f,
      -1.984375f, -1.9765625f, -1.96875f, -1.9609375f, -1.9375f, -1.9296875f,
      -1.75f, -1.7421875f, -1.0f, -1.9921875f,
      1.99609375f, 1.98828125f, 0.0f, 0.00390625f, 0.0078125f, 0.01171875f,
      -0.015625f, -0.01171875f, -0.0078125f, -0.00390625f};
  const std::vector<float> expected = {
      1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
      1, 1, 1, 1, 1, 2, 2, 2, 2, 2,
      -1, -1, -1, -1, -1, -2, -2, -2, -2, -2,
      1, 1, 1, 1, 1, -2, -2, -2, -2, -2,
      1.015625f, 1.03125f, 1.03125f, 1.046875f, 1.25f, 1.265625f, 1.9375f,
      1.953125f, 1.984375f, 1.984375f,
      -1.984375f, -1.984375f, -1.96875f, -1.96875f, -1.9375f, -1.9375f,
      -1.75f, -1.75f, -1.0f, -1.984375f,
      1.984375f, 1.984375f, 0.0f, 0.0f, 0.015625f, 0.015625f, -0.015625f,
      -0.015625f, -0.015625f, 0.0f};
  // clang-format on
  QuantizeOptions o;
  o.rounding = Rounding::NearestAway;
  Quantized r = run(f, x, {7, 10}, o);
  expectFloats(r.deq, expected, "microxcaling");
}

TEST(QuantizeHand, NVFP4) {
  TensorFormat f = parseOrDie("nvfp4");
  std::vector<float> x(32, 0.0f);
  // Tensor amax 2688 -> s_tensor = 1. Block 0 amax 2688 -> 448 (0x7E):
  // 2688/448 = 6 (7); 1000/448 = 2.23 -> 2 (4) = 896; -448 -> -1 (10);
  // 100/448 = .22 -> 0; 150/448 = .33 -> .5 (1) = 224.
  const float b0[] = {2688, 1000, -448, 100, 150};
  std::copy(std::begin(b0), std::end(b0), x.begin());
  // Block 1 amax 3 -> 3/6 = .5 (0x30): 3/.5 = 6 (7); 1/.5 = 2 (4);
  // -.7/.5 = -1.4 -> -1.5 (11) = -.75; .2/.5 = .4 -> .5 (1) = .25.
  const float b1[] = {3, 1, -0.7f, 0.2f};
  std::copy(std::begin(b1), std::end(b1), x.begin() + 16);
  Quantized r = run(f, x, {32});
  ASSERT_TRUE(r.q.tensorScale.has_value());
  EXPECT_EQ(*r.q.tensorScale, 1.0f);
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({0x7E, 0x30}));
  const uint32_t c0[] = {7, 4, 10, 0, 1};
  const float d0[] = {2688, 896, -448, 0, 224};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.q.codes[i], c0[i]) << i;
    EXPECT_EQ(r.deq[i], d0[i]) << i;
  }
  const uint32_t c1[] = {7, 4, 11, 1};
  const float d1[] = {3, 1, -0.75f, 0.25f};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r.q.codes[16 + i], c1[i]) << i;
    EXPECT_EQ(r.deq[16 + i], d1[i]) << i;
  }
}

TEST(QuantizeHand, NVFP4WithTensorScale) {
  TensorFormat f = parseOrDie("nvfp4");
  // Tensor amax 672 -> s_tensor = 672 / 2688 = 0.25. Block amax 672 ->
  // 672 / 6 / 0.25 = 448 (0x7E); 672 / (0.25 * 448) = 6 (7). 100 / 112 =
  // 0.89 -> 1 (2) = 112. Block 1 amax 1.5 -> 1.5/6/.25 = 1 (0x38): 1.5 /
  // .25 = 6 (7); .3/.25 = 1.2 -> 1 (2) = .25.
  std::vector<float> x(32, 0.0f);
  x[0] = 672;
  x[1] = 100;
  x[16] = 1.5f;
  x[17] = 0.3f;
  Quantized r = run(f, x, {2, 16});
  ASSERT_TRUE(r.q.tensorScale.has_value());
  EXPECT_EQ(*r.q.tensorScale, 0.25f);
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({0x7E, 0x38}));
  EXPECT_EQ(r.q.codes[0], 7u);
  EXPECT_EQ(r.q.codes[1], 2u);
  EXPECT_EQ(r.q.codes[16], 7u);
  EXPECT_EQ(r.q.codes[17], 2u);
  EXPECT_EQ(r.deq[0], 672.0f);
  EXPECT_EQ(r.deq[1], 112.0f);
  EXPECT_EQ(r.deq[16], 1.5f);
  EXPECT_EQ(r.deq[17], 0.25f);
}

TEST(QuantizeHand, NVINT4) {
  TensorFormat f = parseOrDie("nvint4");
  std::vector<float> x(16, 0.0f);
  // s_tensor = 3136 / (448 * 7) = 1; block 3136 / 7 = 448 (0x7E):
  // 3136/448 = 7; 1000/448 = 2.23 -> 2 = 896; -700/448 = -1.56 -> -2 (0xE)
  // = -896; 224/448 = .5 -> 0; 672/448 = 1.5 -> 2.
  const float v[] = {3136, 1000, -700, 224, 672};
  std::copy(std::begin(v), std::end(v), x.begin());
  Quantized r = run(f, x, {16});
  ASSERT_TRUE(r.q.tensorScale.has_value());
  EXPECT_EQ(*r.q.tensorScale, 1.0f);
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({0x7E}));
  const uint32_t c[] = {7, 2, 0xE, 0, 2};
  const float d[] = {3136, 896, -896, 0, 896};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.q.codes[i], c[i]) << i;
    EXPECT_EQ(r.deq[i], d[i]) << i;
  }
}

TEST(QuantizeHand, Int8PerTensor) {
  TensorFormat f = parseOrDie("int8");
  // amax 127 -> scale 1: 2.5 -> 2, 3.5 -> 4, -0.5 -> 0, -127 (0x81).
  Quantized r = run(f, {127, -50, 2.5f, 3.5f, -0.5f, -127}, {2, 3});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({0x3F800000u}));
  EXPECT_EQ(r.q.codes,
            std::vector<uint32_t>({0x7F, 0xCE, 0x02, 0x04, 0x00, 0x81}));
  expectFloats(r.deq, {127, -50, 2, 4, 0, -127}, "int8");
  // amax 63.5 -> scale 0.5: 1.25 -> 2.5 -> 2; -1.25 -> -2; .75 -> 1.5 -> 2.
  Quantized s = run(f, {63.5f, 1.25f, -1.25f, 0.75f}, {4});
  EXPECT_EQ(s.q.scaleCodes, std::vector<uint32_t>({0x3F000000u}));
  EXPECT_EQ(s.q.codes, std::vector<uint32_t>({0x7F, 0x02, 0xFE, 0x02}));
  expectFloats(s.deq, {63.5f, 1, -1, 1}, "int8 b");
  // All zero: smallest positive scale, zero codes.
  Quantized z = run(f, {0, 0, 0}, {3});
  EXPECT_EQ(z.q.scaleCodes, std::vector<uint32_t>({1u}));
  expectFloats(z.deq, {0, 0, 0}, "int8 zero");
}

TEST(QuantizeHand, Int4Groups) {
  TensorFormat f = parseOrDie("int4_g32");
  std::vector<float> x(64, 0.0f);
  // Row 0 amax 7 -> scale 1: 7, -7 (9), .5 -> 0, 1.5 -> 2.
  x[0] = 7;
  x[1] = -7;
  x[2] = 0.5f;
  x[3] = 1.5f;
  // Row 1 amax 3.5 -> scale .5: 7, -.25 -> -.5 -> 0, .75 -> 1.5 -> 2,
  // 1.25 -> 2.5 -> 2.
  x[32] = 3.5f;
  x[33] = -0.25f;
  x[34] = 0.75f;
  x[35] = 1.25f;
  Quantized r = run(f, x, {2, 32});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({0x3F800000u, 0x3F000000u}));
  const uint32_t c[] = {7, 9, 0, 2};
  const uint32_t c1[] = {7, 0, 2, 2};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r.q.codes[i], c[i]) << i;
    EXPECT_EQ(r.q.codes[32 + i], c1[i]) << i;
  }
  EXPECT_EQ(r.deq[1], -7.0f);
  EXPECT_EQ(r.deq[3], 2.0f);
  EXPECT_EQ(r.deq[32], 3.5f);
  EXPECT_EQ(r.deq[35], 1.0f);
  // Per-tensor int4: amax 14 -> scale 2: 14 (7), -14 (9), 3 -> 1.5 -> 2,
  // 5 -> 2.5 -> 2.
  Quantized t = run(parseOrDie("int4"), {14, -14, 3, 5}, {4});
  EXPECT_EQ(t.q.codes, std::vector<uint32_t>({7, 9, 2, 2}));
  expectFloats(t.deq, {14, -14, 4, 4}, "int4");
}

TEST(QuantizeHand, NF4) {
  TensorFormat f = parseOrDie("nf4");
  const std::vector<float> &t = ref::nf4Table();
  std::vector<float> x(64, 0.0f);
  // amax 2 -> scale 2 (f32). 2 -> 1 (15); -2 -> -1 (0); .5 -> .25 -> .2461
  // (10); 0 (7); 1 -> .5 -> .4407 (12); -.4 -> -.2 -> -.1848 (5).
  const float v[] = {2, -2, 0.5f, 0, 1, -0.4f};
  std::copy(std::begin(v), std::end(v), x.begin());
  Quantized r = run(f, x, {64});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({0x40000000u}));
  const uint32_t c[] = {15, 0, 10, 7, 12, 5};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(r.q.codes[i], c[i]) << i;
    EXPECT_EQ(r.deq[i], t[c[i]] * 2.0f) << i;
  }
  for (int i = 6; i < 64; ++i)
    EXPECT_EQ(r.q.codes[i], 7u) << i;
}

TEST(QuantizeHand, FP8PerTensor) {
  TensorFormat f = parseOrDie("fp8_e4m3");
  // amax 896 -> scale 2: 448 (0x7E), -1.5 (0xBC), .5 (0x30), .0005 -> 0.
  Quantized r = run(f, {896, -3, 1, 0.001f}, {2, 2});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({0x40000000u}));
  EXPECT_EQ(r.q.codes, std::vector<uint32_t>({0x7E, 0xBC, 0x30, 0x00}));
  expectFloats(r.deq, {896, -3, 1, 0}, "fp8");
}

TEST(QuantizeHand, AffineUI4) {
  TensorFormat f =
      parseOrDie("element=ui4,scale=f16,block=32,axis=-1,zero_point=ui4");
  std::vector<float> x(64, 0.0f);
  // Block 0: min -5, max 10 -> scale 1 (f16 0x3C00), zp 5:
  // q = rne(x) + 5: -5 -> 0, 10 -> 15, 2.5 -> 2+5 = 7, 0 -> 5, -0.5 -> 5.
  const float b0[] = {-5, 10, 2.5f, 0, -0.5f};
  std::copy(std::begin(b0), std::end(b0), x.begin());
  // Block 1: min 0 (widened), max 7.5 -> scale .5 (0x3800), zp 0:
  // 7.5 -> 15, 1.25 -> 2.5 -> 2, 0.75 -> 1.5 -> 2.
  const float b1[] = {7.5f, 1.25f, 0.75f};
  std::copy(std::begin(b1), std::end(b1), x.begin() + 32);
  Quantized r = run(f, x, {2, 32});
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({0x3C00u, 0x3800u}));
  EXPECT_EQ(r.q.zeroPointCodes, std::vector<uint32_t>({5u, 0u}));
  const uint32_t c0[] = {0, 15, 7, 5, 5};
  const float d0[] = {-5, 10, 2, 0, 0};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.q.codes[i], c0[i]) << i;
    EXPECT_EQ(r.deq[i], d0[i]) << i;
  }
  const uint32_t c1[] = {15, 2, 2};
  const float d1[] = {7.5f, 1, 1};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.q.codes[32 + i], c1[i]) << i;
    EXPECT_EQ(r.deq[32 + i], d1[i]) << i;
  }
  for (int i = 35; i < 64; ++i)
    EXPECT_EQ(r.q.codes[i], 0u) << i;
}

TEST(QuantizeHand, AffineUI8PerTensor) {
  TensorFormat f = parseOrDie("element=ui8,scale=f32,zero_point=ui8");
  EXPECT_EQ(f.getScaleRule(), ScaleRule::Affine);
  // min -1, max 3: scale = 4/255 (float32), zp = round(1 / scale) =
  // round(63.75) = 64. q = rne(x / scale) + 64: -1 -> -63.75 -> -64 -> 0;
  // 3 -> 191.25 -> 191 -> 255; 0 -> 64; 1.5 -> 95.62 -> 96 -> 160.
  Quantized r = run(f, {-1, 3, 0, 1.5f}, {4});
  volatile float four = 4.0f, d255 = 255.0f;
  const float s = four / d255;
  EXPECT_EQ(r.q.scaleCodes, std::vector<uint32_t>({ref::floatBits(s)}));
  EXPECT_EQ(r.q.zeroPointCodes, std::vector<uint32_t>({64u}));
  EXPECT_EQ(r.q.codes, std::vector<uint32_t>({0, 255, 64, 160}));
  // (q - zp) * scale in float32.
  const int q[] = {0, 255, 64, 160};
  for (int i = 0; i < 4; ++i) {
    volatile float d = float(q[i] - 64);
    EXPECT_EQ(r.deq[i], d * s) << i;
  }
}

//===----------------------------------------------------------------------===//
// quantize() / dequantize() against an independent reference quantizer
//===----------------------------------------------------------------------===//

ref::Kind kindOf(FloatVariant v) {
  switch (v) {
  case FloatVariant::IEEE:
    return ref::Kind::IEEE;
  case FloatVariant::FN:
    return ref::Kind::FN;
  case FloatVariant::FNUZ:
    return ref::Kind::FNUZ;
  case FloatVariant::Finite:
    return ref::Kind::Finite;
  case FloatVariant::E8M0:
    return ref::Kind::E8M0;
  }
  return ref::Kind::Finite;
}

ref::MiniFloatSpec specOf(const FloatFormat &f) {
  return {f.getExpBits(), f.getManBits(), kindOf(f.getVariant()), f.isSigned(),
          f.getBias()};
}

/// A scale encoding: float32 by the hardware, anything else by brute force.
struct RefScale {
  bool isF32 = false;
  std::optional<ref::MiniFloatRef> mini;
  explicit RefScale(const FloatFormat &f) {
    if (f.getExpBits() == 8 && f.getManBits() == 23)
      isF32 = true;
    else
      mini.emplace(specOf(f));
  }
  uint32_t encode(float v) const {
    if (isF32)
      return ref::floatBits(v);
    return mini->encode(v, Rounding::NearestEven, Overflow::Saturate).code;
  }
  float decode(uint32_t c) const {
    return isF32 ? ref::bitsToFloat(c) : float(mini->value(c));
  }
  uint32_t smallestPositiveCode() const {
    if (isF32)
      return 1;
    const auto &m = mini->magnitudes();
    return mini->magnitudeCodes()[m[0] > 0 ? 0 : 1];
  }
  double minPositive() const {
    return isF32 ? double(std::numeric_limits<float>::denorm_min())
                 : mini->minPositive();
  }
  double maxFinite() const {
    return isF32 ? double(FLT_MAX) : mini->maxFinite();
  }
};

/// An element encoding.
struct RefElement {
  enum { Int, Float, Table } kind;
  std::optional<ref::IntRef> ir;
  std::optional<ref::MiniFloatRef> fr;
  std::vector<float> table;
  explicit RefElement(const ElementFormat &e) {
    if (e.isInt()) {
      kind = Int;
      ir = ref::IntRef{e.getInt().getBitWidth(), e.getInt().isSigned()};
    } else if (e.isFloat()) {
      kind = Float;
      fr.emplace(specOf(e.getFloat()));
    } else {
      kind = Table;
      const auto &v = e.getTable().getValues();
      table.assign(v.begin(), v.end());
    }
  }
  /// Largest magnitude of the symmetric range.
  double maxAbs() const {
    if (kind == Int)
      return double(ir->isSigned ? ir->maxValue() : ir->maxValue());
    if (kind == Float)
      return fr->maxFinite();
    return std::max(std::fabs(double(table.front())),
                    std::fabs(double(table.back())));
  }
  double decode(uint32_t c) const {
    if (kind == Int)
      return double(ir->valueOf(c));
    if (kind == Float)
      return fr->value(c);
    return table[c & 15];
  }
};

/// Which scale-grid entry each element belongs to, from the granularity
/// alone: per-dimension block extents, grid row-major.
struct RefGrid {
  std::vector<int64_t> shape, block, grid;
  RefGrid(const Granularity &g, const std::vector<int64_t> &s) : shape(s) {
    const int64_t rank = int64_t(s.size());
    auto norm = [&](int64_t a) { return a < 0 ? a + rank : a; };
    block = s;
    if (g.kind == Granularity::Kind::Axis) {
      block[norm(g.axes[0])] = 1;
    } else if (g.kind == Granularity::Kind::Block) {
      block.assign(rank, 1);
      for (size_t i = 0; i < g.axes.size(); ++i)
        block[norm(g.axes[i])] = g.sizes[i];
    }
    for (int64_t d = 0; d < rank; ++d)
      grid.push_back(block[d] ? s[d] / block[d] : 1);
  }
  int64_t numGroups() const {
    int64_t n = 1;
    for (int64_t d : grid)
      n *= d;
    return n;
  }
  int64_t groupOf(int64_t linear) const {
    std::vector<int64_t> idx(shape.size());
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      idx[d] = linear % shape[d];
      linear /= shape[d];
    }
    int64_t g = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      g = g * grid[d] + idx[d] / block[d];
    return g;
  }
};

struct RefResult {
  std::vector<uint32_t> codes, scaleCodes, zpCodes;
  std::optional<float> tensorScale;
  std::vector<float> deq;
  std::vector<bool> nanGroup;
  std::vector<int64_t> group;
};

/// FORMATS.md's rules, applied from scratch to the format's descriptor.
RefResult refQuantize(const TensorFormat &f, const std::vector<float> &x,
                      const std::vector<int64_t> &shape,
                      const QuantizeOptions &opt) {
  RefElement el(f.getElement());
  RefScale sc(f.getScale());
  RefGrid grid(f.getGranularity(), shape);
  const int64_t n = int64_t(x.size()), ng = grid.numGroups();
  RefResult r;
  r.codes.assign(n, 0);
  r.deq.assign(n, 0);
  r.scaleCodes.assign(ng, 0);
  r.nanGroup.assign(ng, false);
  r.group.resize(n);
  std::vector<float> amax(ng, 0.0f), mn(ng, 0.0f), mx(ng, 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    int64_t g = r.group[i] = grid.groupOf(i);
    if (std::isnan(x[i]) || std::isinf(x[i]))
      r.nanGroup[g] = true;
    amax[g] = std::max(amax[g], std::fabs(x[i]));
    mn[g] = std::min(mn[g], x[i]);
    mx[g] = std::max(mx[g], x[i]);
  }
  const bool mxRule = f.getScale().getVariant() == FloatVariant::E8M0;
  const bool twoLevel = f.getTensorScale().has_value();
  const bool affine = f.getZeroPoint().has_value();

  if (mxRule) {
    int emax = 0;
    double maxElem, unit = 1;
    unsigned manBits = 0;
    if (el.kind == RefElement::Int) {
      unit = std::ldexp(1.0, -int(el.ir->bits - 2));
      maxElem = double(el.ir->maxValue()) * unit;
    } else {
      emax = el.fr->emax();
      maxElem = el.fr->maxFinite();
      manBits = f.getElement().getFloat().getManBits();
    }
    ref::MXMode mode = opt.scaleMode == ScaleMode::Floor  ? ref::MXMode::Floor
                       : opt.scaleMode == ScaleMode::Ceil ? ref::MXMode::Ceil
                       : opt.scaleMode == ScaleMode::Even ? ref::MXMode::Even
                                                          : ref::MXMode::RCeil;
    for (int64_t g = 0; g < ng; ++g)
      r.scaleCodes[g] = r.nanGroup[g] ? 0xFFu
                                      : ref::mxScaleCode(amax[g], emax, maxElem,
                                                         manBits, mode);
    for (int64_t i = 0; i < n; ++i) {
      uint32_t s = r.scaleCodes[r.group[i]];
      if (s == 0xFF) {
        r.deq[i] = NAN;
        continue;
      }
      int e = int(s) - 127;
      double y = std::ldexp(double(x[i]), -e); // exact
      double v;
      if (el.kind == RefElement::Int) {
        int64_t q = int64_t(ref::roundIntegral(y / unit, opt.rounding));
        q = std::clamp<int64_t>(q, -el.ir->maxValue(), el.ir->maxValue());
        r.codes[i] = el.ir->codeOf(q);
        v = double(q) * unit;
      } else {
        r.codes[i] = el.fr->encode(y, opt.rounding, Overflow::Saturate).code;
        v = el.fr->value(r.codes[i]);
      }
      r.deq[i] = float(std::ldexp(v, e));
    }
    return r;
  }

  if (twoLevel) {
    float tamax = 0;
    for (float v : x)
      tamax = std::max(tamax, std::fabs(v));
    volatile float den = float(sc.maxFinite() * el.maxAbs());
    float st = tamax == 0 ? 1.0f : tamax / den;
    r.tensorScale = st;
    volatile float me = float(el.maxAbs());
    std::vector<float> sb(ng);
    for (int64_t g = 0; g < ng; ++g) {
      volatile float a = amax[g];
      float v = a / me / st;
      v = std::clamp(v, float(sc.minPositive()), float(sc.maxFinite()));
      r.scaleCodes[g] = sc.encode(v);
      sb[g] = sc.decode(r.scaleCodes[g]);
    }
    for (int64_t i = 0; i < n; ++i) {
      float s = sb[r.group[i]];
      volatile float denom = st * s;
      float y = x[i] / denom;
      y = std::clamp(y, -me, float(me));
      double v;
      if (el.kind == RefElement::Int) {
        int64_t q = int64_t(ref::roundIntegral(y, opt.rounding));
        r.codes[i] = el.ir->codeOf(q);
        v = double(q);
      } else {
        r.codes[i] = el.fr->encode(y, opt.rounding, Overflow::Saturate).code;
        v = el.fr->value(r.codes[i]);
      }
      volatile float p = float(v) * s;
      r.deq[i] = p * st;
    }
    return r;
  }

  if (affine)
    std::abort(); // hand-worked only (see QuantizeHand.AffineUI4)

  // AbsMax.
  volatile float me = float(el.maxAbs());
  std::vector<float> s(ng);
  for (int64_t g = 0; g < ng; ++g) {
    volatile float a = amax[g];
    r.scaleCodes[g] =
        amax[g] == 0 ? sc.smallestPositiveCode() : sc.encode(a / me);
    s[g] = sc.decode(r.scaleCodes[g]);
  }
  for (int64_t i = 0; i < n; ++i) {
    volatile float sv = s[r.group[i]];
    float y = x[i] / sv;
    if (el.kind == RefElement::Int) {
      int64_t qm = el.ir->maxValue();
      int64_t q = int64_t(std::clamp(ref::roundIntegral(y, opt.rounding),
                                     -double(qm), double(qm)));
      r.codes[i] = el.ir->codeOf(q);
    } else if (el.kind == RefElement::Float) {
      r.codes[i] = el.fr->encode(y, opt.rounding, opt.overflow).code;
    } else {
      r.codes[i] = ref::tableEncode(el.table, y);
    }
    volatile float dv = float(el.decode(r.codes[i]));
    r.deq[i] = dv * sv;
  }
  return r;
}

struct RefCase {
  std::string name;
  TensorFormat format;
  std::vector<int64_t> shape;
};
RefCase byName(const char *spec, std::vector<int64_t> shape) {
  return {spec, parseOrDie(spec), std::move(shape)};
}
RefCase built(const char *name, ElementFormat e, FloatFormat s, Granularity g,
              std::vector<int64_t> shape) {
  return {name, TensorFormat(e, s, g), std::move(shape)};
}

/// Normal data whose magnitude changes from row to row, with exact zeros,
/// an all-zero group-sized stretch and exact powers of two.
std::vector<float> makeData(size_t n, size_t row, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::uniform_int_distribution<int> expo(-12, 12);
  std::vector<float> x(n);
  float mag = 1;
  for (size_t i = 0; i < n; ++i) {
    if (i % row == 0)
      mag = std::ldexp(1.0f, expo(gen));
    x[i] = dist(gen) * mag;
    if (gen() % 17 == 0)
      x[i] = 0;
    if (gen() % 23 == 0)
      x[i] = std::ldexp(1.0f, expo(gen)) * ((gen() & 1) ? 1 : -1);
  }
  for (size_t i = 0; i < std::min<size_t>(n, 32); ++i)
    x[i] = 0; // the first group(s) all zero
  return x;
}

void compareWithReference(const TensorFormat &f, const std::vector<float> &x,
                          const std::vector<int64_t> &shape,
                          const QuantizeOptions &opt, const std::string &what) {
  RefResult want = refQuantize(f, x, shape, opt);
  Quantized got = run(f, x, shape, opt);
  ASSERT_EQ(got.q.scaleCodes.size(), want.scaleCodes.size()) << what;
  size_t bad = 0;
  std::ostringstream os;
  for (size_t g = 0; g < want.scaleCodes.size(); ++g)
    if (got.q.scaleCodes[g] != want.scaleCodes[g] && bad++ < 10)
      os << "  scale[" << g << "] = " << got.q.scaleCodes[g] << ", expected "
         << want.scaleCodes[g] << "\n";
  if (want.tensorScale) {
    EXPECT_TRUE(got.q.tensorScale.has_value()) << what;
    if (got.q.tensorScale) {
      EXPECT_EQ(*got.q.tensorScale, *want.tensorScale) << what;
    }
  } else {
    EXPECT_FALSE(got.q.tensorScale.has_value()) << what;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    bool nanGroup =
        want.nanGroup[want.group[i]] && f.getScaleRule() == ScaleRule::MX;
    if (!nanGroup && got.q.codes[i] != want.codes[i] && bad++ < 20)
      os << "  code[" << i << "] of " << hexFloat(x[i]) << " = "
         << got.q.codes[i] << ", expected " << want.codes[i] << "\n";
    if (!ref::sameValue(got.deq[i], want.deq[i]) &&
        !(got.deq[i] == 0 && want.deq[i] == 0) && bad++ < 20)
      os << "  deq[" << i << "] of " << hexFloat(x[i]) << " = "
         << hexFloat(got.deq[i]) << ", expected " << hexFloat(want.deq[i])
         << "\n";
  }
  EXPECT_EQ(bad, 0u) << what << ":\n" << os.str();
}

TEST(QuantizeReference, MXPresetsAllScaleModes) {
  const RefCase cases[] = {
      byName("mxfp4", {3, 64}),
      byName("mxfp4", {2, 2, 32}),
      byName("mxfp6_e2m3", {2, 64}),
      byName("mxfp6_e3m2", {4, 32}),
      byName("mxfp8_e4m3", {4, 32}),
      byName("mxfp8_e5m2", {2, 64}),
      byName("mxint8", {3, 64}),
      byName("element=f8E4M3FN,scale=f8E8M0FNU,block=32,axis=0", {64, 3}),
      built("mxfp4 8x32 blocks", E2M1(), FloatFormat::e8m0fnu(),
            Granularity::blocks({-2, -1}, {8, 32}), {16, 64}),
      built("mxint8 blocks on axis 1 of 3", I8(), FloatFormat::e8m0fnu(),
            Granularity::blocks({1}, {32}), {2, 64, 3}),
  };
  uint32_t seed = 100;
  for (const RefCase &c : cases) {
    const TensorFormat &f = c.format;
    size_t n = size_t(product(c.shape));
    for (ScaleMode m : {ScaleMode::Floor, ScaleMode::Ceil, ScaleMode::Even,
                        ScaleMode::RCeil}) {
      if (m == ScaleMode::Even && f.getElement().isInt())
        continue;
      for (Rounding rm : ref::allRoundings()) {
        QuantizeOptions o;
        o.scaleMode = m;
        o.rounding = rm;
        std::vector<float> x = makeData(n, size_t(c.shape.back()), seed++);
        compareWithReference(f, x, c.shape, o,
                             c.name + " " + std::string(stringify(m)) + " " +
                                 ref::roundingName(rm));
      }
    }
  }
}

TEST(QuantizeReference, MXBlocksWithNaNAndInf) {
  TensorFormat f = parseOrDie("mxfp8_e4m3");
  std::vector<float> x = makeData(4 * 64, 64, 9);
  x[40] = NAN;
  x[64 + 3] = -INFINITY;
  compareWithReference(f, x, {4, 64}, {}, "mxfp8_e4m3 with NaN/Inf");
}

TEST(QuantizeReference, TwoLevelPresets) {
  const RefCase cases[] = {byName("nvfp4", {4, 32}),
                           byName("nvfp4", {2, 3, 16}),
                           byName("nvint4", {2, 48}), byName("nvfp4", {1, 16})};
  uint32_t seed = 500;
  for (const RefCase &c : cases) {
    const TensorFormat &f = c.format;
    double top = f.getElement().getMaxAbs() * 448;
    for (int k = -3; k <= 3; ++k) {
      // Tensor amax = top * 2^k so that s_tensor is a power of two and
      // every product in the rule is exact.
      std::vector<float> x =
          makeData(size_t(product(c.shape)), size_t(c.shape.back()), seed++);
      for (float &v : x)
        v = std::clamp(v, -float(top) * 0.99f, float(top) * 0.99f);
      x[x.size() / 2] = float(std::ldexp(top, k));
      for (float &v : x)
        v = std::clamp(v, -float(std::ldexp(top, k)),
                       float(std::ldexp(top, k)));
      compareWithReference(f, x, c.shape, {},
                           c.name + " k=" + std::to_string(k));
    }
  }
}

/// A tensor amax that is not 2688 * 2^k: s_tensor is inexact, and the
/// FP32 expressions of FORMATS.md (amax_block / 6 / s_tensor, x / (s_tensor *
/// s_block), e2m1(q) * s_block * s_tensor, left to right) decide every bit.
TEST(QuantizeReference, TwoLevelInexactTensorScale) {
  uint32_t seed = 700;
  for (const char *spec : {"nvfp4", "nvint4"}) {
    TensorFormat f = parseOrDie(spec);
    for (int rep = 0; rep < 8; ++rep) {
      std::vector<int64_t> shape = {4, 64};
      std::vector<float> x = makeData(256, 64, seed++);
      compareWithReference(f, x, shape, {},
                           std::string(spec) + " #" + std::to_string(rep));
    }
  }
}

TEST(QuantizeReference, AbsMaxPresets) {
  const RefCase cases[] = {
      byName("int8", {5, 7}),
      byName("int4", {3, 8}),
      byName("int4_g32", {4, 64}),
      byName("int8_g64", {2, 128}),
      byName("nf4", {2, 64}),
      byName("nf4_g32", {3, 32}),
      byName("fp8_e4m3", {3, 5}),
      byName("fp8_e5m2", {9}),
      byName("int4_g128", {2, 256}),
      byName("element=i8,scale=f32,channel=0", {3, 10}),
      byName("element=i8,scale=f32,channel=-1", {3, 10}),
      byName("element=i8,scale=f16,block=32,axis=-1", {2, 64}),
      byName("element=f8E4M3FN,scale=bf16,block=16,axis=-1", {2, 32}),
      built("i4 2x16 blocks", I4(), FloatFormat::f32(),
            Granularity::blocks({-2, -1}, {2, 16}), {4, 32}),
      built("i8 per axis 1 of 3", I8(), FloatFormat::f32(),
            Granularity::perAxis(1), {2, 5, 3}),
  };
  uint32_t seed = 900;
  for (const RefCase &c : cases) {
    const TensorFormat &f = c.format;
    EXPECT_EQ(f.getScaleRule(), ScaleRule::AbsMax) << c.name;
    for (int rep = 0; rep < 3; ++rep) {
      std::vector<float> x =
          makeData(size_t(product(c.shape)), size_t(c.shape.back()), seed++);
      compareWithReference(f, x, c.shape, {},
                           c.name + " #" + std::to_string(rep));
    }
  }
}

} // namespace
